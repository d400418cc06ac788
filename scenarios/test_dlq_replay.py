"""Dead letter and replay: a deal sells a product the ERP has no item for, so posting its
invoice fails permanently and the SUT parks the event. The ERP admin adds the item (the
mapping is fixed), the harness asks the SUT to replay (the manifest's replay path), and
the invoice is posted exactly once."""

from __future__ import annotations

from decimal import Decimal

from harness.data import Product
from harness.scenario import Q2C, Q2CRunner, with_line

UNMAPPED = Product("SKU-NOERP-1", "Unmapped add-on", "Services",
                   {"USD": Decimal("15.00"), "GBP": Decimal("12.00"), "EUR": Decimal("14.00")})


def test_parked_invoice_is_posted_once_after_the_fix_and_replay(q2c: Q2CRunner) -> None:
    async def scenario(q: Q2C) -> None:
        await q.add_product(UNMAPPED, erp=False)
        deals = q.deals(2, entities=("US", "DE"))
        for deal in deals:
            await q.sell(with_line(deal, UNMAPPED))

        async def parked() -> bool:
            return len(q.parked()) >= 2

        # Not q.settled(): the SUT is not idle here, as the payments of the parked invoices
        # wait for them (scheduled retries). What this step awaits is observable: both
        # invoice events in the DLQ, so neither invoice can be posted before the fix.
        await q.until(parked, what="the failed invoice events parked in the SUT's DLQ")
        report = await q.check()
        missing = report.by_code("ERP_INVOICE_MISSING")
        assert len(missing) == 2, \
            f"expected both invoices unposted before the fix:\n{report.summary()}"
        await q.erp.seed_items([UNMAPPED])
        q.replay()
        # Fails on any violation: an invoice still unposted or posted twice.
        report = await q.settled_ok("after the fix and replay")
        assert not report.by_code("ERP_INVOICE_MISSING"), report.summary()

    q2c.run(scenario)
