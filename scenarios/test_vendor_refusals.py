"""Vendor refusals no retry can fix: the ERP refuses a write for good (a validation error
of the vendor, not a pre-check of the SUT), and the SUT must park it with its reason: not
retry it again and again, not drop it.

Finance has made an ERP item inactive (the product is still sold), and put one customer's
ERP record on hold (inactive) between its account sync and its deal: NetSuite refuses the
invoices with ``INVALID_FLD_VALUE``. The harness counts the refusals in the ERP's journal
and matches them to the SUT's DLQ (the oracle's ``vendor_refusals`` check); then finance
reactivates both, the harness replays what the SUT parked, and everything is posted once.
"""

from __future__ import annotations

from decimal import Decimal

from harness.data import Product
from harness.scenario import Q2C, Q2CRunner, with_line

INVOICE = "/services/rest/record/v1/invoice"
DISCONTINUED = Product("SKU-LEGACY-1", "Legacy connector", "Software",
                       {"USD": Decimal("25.00"), "GBP": Decimal("20.00"),
                        "EUR": Decimal("23.00")})
# The reference parks at the first refusal; a SUT that retries or drops it never does.
PARK_WITHIN = 20.0


def test_permanent_refusals_are_parked_then_posted_once_after_the_fix(q2c: Q2CRunner) -> None:
    async def scenario(q: Q2C) -> None:
        await q.add_product(DISCONTINUED)
        item = (await q.erp.suiteql(
            f"SELECT id FROM item WHERE itemid = '{DISCONTINUED.code}'"))[0]["id"]
        await q.erp.update("serviceSaleItem", str(item), {"isInactive": True})
        legacy, held = q.deals(2, entities=("US", "DE"))
        await q.sell(with_line(legacy, DISCONTINUED))

        opened = await q.open(held)

        async def erp_customer() -> str | None:
            return await q.account_field(opened.account_id, "ERP_Customer_Id__c") or None

        customer = await q.until(erp_customer, what="the ERP customer of the held account")
        await q.erp.update("customer", str(customer), {"isInactive": True})
        await q.crm.close_won(opened.opportunity_id)

        async def parked() -> bool:
            return len([i for i in q.parked() if "invoice" in str(i.get("type"))]) >= 2

        await q.until(parked, what="both refused invoice postings parked in the SUT's DLQ",
                      timeout=PARK_WITHIN)
        refused = [e for e in q.journal("erp")
                   if e["path"] == INVOICE and e["method"] == "POST" and e["status"] == 400]
        q.chaos_happened(len(refused) >= 2, f"the ERP refused {len(refused)} invoice posts")
        report = await q.check()
        assert len(report.by_code("ERP_INVOICE_MISSING")) == 2, report.summary()
        assert not report.by_code("VENDOR_REFUSAL_NOT_PARKED"), report.summary()
        assert not report.by_code("VENDOR_REFUSAL_RETRIED"), report.summary()

        await q.erp.update("serviceSaleItem", str(item), {"isInactive": False})
        await q.erp.update("customer", str(customer), {"isInactive": False})
        q.replay()
        await q.settled_ok("after finance reactivated the item and the customer")

    q2c.run(scenario)
