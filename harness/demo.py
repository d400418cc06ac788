"""``fintwin demo``: the main job. Starts the three fakes and the reference integration
layer in one process, runs quote-to-cash deals across three legal entities under a chaos
profile, waits until everything has settled, checks the invariants with the oracle and
prints a summary (flows, faults injected by kind, duplicates absorbed, retries,
violations). Writes the result as JSON."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from faker import Faker

from harness.data import derive_seed
from harness.sandbox import PRODUCTS, World, world

ENTITIES = (("US", "USD"), ("GB", "GBP"), ("DE", "EUR"))


def _bar(done: int, total: int, what: str) -> None:
    width = 30
    filled = width * done // max(total, 1)
    sys.stderr.write(f"\r  {what:<22} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    sys.stderr.flush()
    if done >= total:
        sys.stderr.write("\n")


async def _settle(w: World, timeout: float) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if await w.settled():
            return True
        await asyncio.sleep(0.05)
    return False


async def run_demo(*, deals: int, seed: int, chaos: str | None, variant: str,
                   out: Path) -> dict[str, Any]:
    started = time.perf_counter()
    fake = Faker()
    fake.seed_instance(derive_seed(seed, "demo", "companies"))
    async with world(variant=variant, seed=seed) as w:
        if chaos:
            for client in (w.crm, w.billing, w.erp):
                r = await client.put("/_sim/faults", json={"profile": chaos})
                if r.status_code != 200:
                    raise SystemExit(f"fintwin demo: could not apply {chaos}: {r.text}")
        codes = sorted(PRODUCTS)
        for i in range(deals):
            entity, currency = ENTITIES[i % len(ENTITIES)]
            account = await w.account(fake.company(), entity=entity, currency=currency)
            await w.card(account)
            lines = {codes[(i + k) % len(codes)]: 1 + (i + k) % 3 for k in range(1 + i % 2)}
            await w.deal(account, lines, currency=currency)
            _bar(i + 1, deals, "closing deals")
        settled = await _settle(w, timeout=max(60.0, deals * 2.0))
        from harness.oracle import Oracle

        async with Oracle(w.oracle_world()) as oracle:
            report = await oracle.check()
        faults: Counter[str] = Counter()
        for name, client, tenant in (("crm", w.crm, w.crm_tenant),
                                     ("billing", w.billing, w.api_key),
                                     ("erp", w.erp, w.erp_account)):
            log = (await client.get("/_sim/faults/log", params={"tenant": tenant})).json()
            for entry in log.get("data", []):
                faults[f"{name}:{entry.get('kind')}"] += 1
        stats = (await w.stats())["inbox"]
        metrics = w.service.metrics
        elapsed = time.perf_counter() - started
        result = {
            "seed": seed, "chaos": chaos, "variant": variant, "deals": deals,
            "settled": settled, "seconds": round(elapsed, 2),
            "flows_per_second": round(deals / elapsed, 2),
            "faults": dict(sorted(faults.items())),
            "duplicates_absorbed": stats.get("duplicates_absorbed", 0),
            "parked": stats.get("parked", 0),
            "retries": int(metrics.value("fintwin_il_retries_total")
                           + metrics.value("fintwin_il_event_retries_total")),
            "oracle": report.to_dict(),
        }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str))
    return result


def print_summary(result: dict[str, Any], out: Path) -> None:
    oracle = result["oracle"]
    rows = [
        ("flows (close-won deals)", result["deals"]),
        ("wall time (s)", result["seconds"]),
        ("flows per second", result["flows_per_second"]),
        ("faults injected", sum(result["faults"].values())),
        *((f"  {k}", v) for k, v in result["faults"].items()),
        ("duplicates absorbed", result["duplicates_absorbed"]),
        ("retries", result["retries"]),
        ("events parked (DLQ)", result["parked"]),
        ("violations", len(oracle["violations"])),
        *((f"  {k}", v) for k, v in oracle["by_severity"].items() if v),
    ]
    print(f"\nfintwin demo: seed {result['seed']}, chaos {result['chaos']}, "
          f"SUT {result['variant']}")
    for label, value in rows:
        print(f"  {label:<28} {value}")
    for v in oracle["violations"][:10]:
        print(f"  ! [{v['severity']}] {v['code']}: {v['message']}")
    verdict = "PASS" if oracle["ok"] and result["settled"] else "FAIL"
    print(f"\n{verdict}: result written to {out}")


def main(deals: int, seed: int, chaos: str | None, variant: str, out: str) -> int:
    path = Path(out)
    result = asyncio.run(run_demo(deals=deals, seed=seed, chaos=chaos, variant=variant,
                                  out=path))
    print_summary(result, path)
    return 0 if result["oracle"]["ok"] and result["settled"] else 1
