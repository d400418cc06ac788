"""Quote-to-cash flows per second, end to end, through the reference integration layer.

    .venv/bin/python benchmarks/q2c_bench.py [--deals 40]

In process (the sandbox: the three fakes and the service in one event loop). Accounts
and cards are set up first (not timed); then every deal is closed won at once and the
clock runs until each one's ERP invoice is posted and its ERP payment applied. Printed,
not asserted. Two runs:

- limits off: the ceiling of this machine;
- the fakes' default vendor limits on (Stripe test mode 25 requests/s per account,
  NetSuite 5 concurrent requests, Salesforce 100,000 requests a day), as a share of the
  ceiling those limits allow: the vendor calls per flow are counted from the fakes'
  request journals, and the ceiling is the tightest per-second limit divided by the
  calls per flow against it (the CRM's daily allocation is reported as the rate it
  allows sustained over a day; NetSuite's limit is on concurrency, not rate).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from harness.sandbox import World, world
from harness.waiting import until

STRIPE_PER_SECOND = 25.0
CRM_PER_DAY = 100_000


async def _journal(w: World, name: str) -> list[dict[str, Any]]:
    client, tenant = {"crm": (w.crm, w.crm_tenant), "billing": (w.billing, w.api_key),
                      "erp": (w.erp, w.erp_account)}[name]
    data: list[dict[str, Any]] = (await client.get(
        "/_sim/journal", params={"tenant": tenant})).json()["data"]
    return data


async def run(deals: int, limits: bool) -> dict[str, Any]:
    async with world(limits=limits, seed=11) as w:
        opps = []
        for i in range(deals):
            account = await w.account(f"Bench {i}")
            await w.card(account)
            opps.append(await w.deal(account, {"SKU-SEAT": 1 + i % 3}, close=False))
        await until(w.settled, timeout=600, interval=0.05, what="the deals set up")
        before = {n: len(await _journal(w, n)) for n in ("crm", "billing", "erp")}
        started = time.perf_counter()
        await asyncio.gather(*(w.sf("PATCH", f"/sobjects/Opportunity/{o}",
                                    {"StageName": "Closed Won"}) for o in opps))

        async def paid() -> bool:
            rows = await w.suiteql("SELECT id FROM transaction WHERE type = 'CustPymt'")
            return len(rows) >= deals

        await until(paid, timeout=600, what=f"{deals} flows paid in the ERP")
        elapsed = time.perf_counter() - started
        # Count the calls of the whole flow, tail included.
        await until(w.settled, timeout=600, interval=0.05, what="the flows settled")
        calls = {}
        for name in ("crm", "billing", "erp"):
            entries = (await _journal(w, name))[before[name]:]
            calls[name] = sum(1 for e in entries if e["status"] != 429) / deals
            calls[f"{name}_429"] = sum(1 for e in entries if e["status"] == 429)
        return {"deals": deals, "seconds": elapsed, "flows_per_second": deals / elapsed,
                "calls_per_flow": calls}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deals", type=int, default=40)
    args = parser.parse_args()
    off = asyncio.run(run(args.deals, limits=False))
    on = asyncio.run(run(args.deals, limits=True))
    per_flow = off["calls_per_flow"]
    # A token bucket of 25/s with a burst of 25: the first 25 calls go at once.
    billing_calls = args.deals * per_flow["billing"]
    stripe_ceiling = args.deals / max((billing_calls - STRIPE_PER_SECOND) / STRIPE_PER_SECOND,
                                      1e-9)
    crm_day_ceiling = CRM_PER_DAY / 86400 / per_flow["crm"]
    print(f"Q2C end to end (close-won -> ERP invoice posted and paid), {args.deals} deals")
    print("vendor calls per flow: " + ", ".join(
        f"{n} {per_flow[n]:.1f}" for n in ("crm", "billing", "erp")))
    print(f"limits off: {off['flows_per_second']:6.1f} flows/s ({off['seconds']:.2f} s)")
    print(f"limits on:  {on['flows_per_second']:6.1f} flows/s ({on['seconds']:.2f} s), "
          f"429s: billing {on['calls_per_flow']['billing_429']}, "
          f"crm {on['calls_per_flow']['crm_429']}, erp {on['calls_per_flow']['erp_429']}")
    print(f"ceiling from Stripe's 25 req/s (burst 25): {stripe_ceiling:.2f} flows/s; "
          "limits-on run at "
          f"{on['flows_per_second'] / stripe_ceiling:.0%} of it")
    print(f"(Salesforce's 100,000 requests/day allow {crm_day_ceiling:.2f} flows/s sustained "
          "over a day; a short run is not bound by it)")


if __name__ == "__main__":
    main()
