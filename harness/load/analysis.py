"""From what a load run left behind to the cutover result: flows per minute and latency
over time, the SUT's calls to each vendor (429s, retries, peak rate, ERP concurrency)
from the fakes' request journals, the fit against production limits, the oracle's
verdict on every tenant, and the verdict of the run.

Everything here is read from outside the SUT: the Locust processes' flow samples, the
fakes' journals (which hold only the SUT's requests: the harness and the users act as
observers), the oracle; the SUT's own backlog and retry counters are shown when it
publishes them, never used to judge it.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness import epoch as epochs
from harness.demo import retries
from harness.load.flows import MONTH_END_DRAINED, PRIMARY, RENEWAL_PAID, RENEWAL_POSTED
from harness.load.profiles import CRM_LONG_RUNNING_SECONDS, ERP_GOVERNED, LimitProfile
from harness.load.sampler import Sample
from harness.manifest import VENDORS
from harness.oracle import Report
from harness.settling import Settled
from harness.stack import Tenant

if TYPE_CHECKING:
    from harness.load.run import LoadOptions
    from harness.load.setup import Book

JOURNAL_LIMIT = 20_000  # entries a fake keeps per tenant (simulators/engine/journal.py)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile (0-1) by the nearest-rank method; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1]


def read_flows(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def locust_history(path: Path, t0: float) -> dict[str, Any]:
    """From Locust's ``locust_stats_history.csv`` (full history): requests per second by
    fake (request names start with the fake's name) and the p50/p95 of all requests, each
    second, over time (Locust's own rolling figures)."""
    if not path.is_file():
        return {}
    rps: dict[str, dict[float, float]] = defaultdict(lambda: defaultdict(float))
    p50: list[list[float]] = []
    p95: list[list[float]] = []
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            t = round(float(row["Timestamp"]) - t0, 1)
            if t < 0:
                continue
            name = row["Name"]
            if name == "Aggregated":
                for out, key in ((p50, "50%"), (p95, "95%")):
                    with contextlib.suppress(ValueError):
                        out.append([t, float(row[key])])
                continue
            vendor = name.split(" ", 1)[0]
            if vendor in VENDORS:
                rps[vendor][t] += float(row["Requests/s"] or 0)
    return {"rps": {v: [[t, round(r, 1)] for t, r in sorted(by.items())]
                    for v, by in rps.items()}, "p50_ms": p50, "p95_ms": p95}


def _governed(path: str) -> bool:
    return any(path.startswith(glob.rstrip("*")) for glob in ERP_GOVERNED)


def concurrency_steps(entries: Iterable[Mapping[str, Any]]) -> list[tuple[float, int]]:
    """(time, requests in flight) after each arrival and departure, from journal entries
    (a request arrived ``duration_ms`` before its ``wall``, when its answer went out)."""
    edges: list[tuple[float, int]] = []
    for e in entries:
        end = float(e["wall"])
        edges.append((end - float(e.get("duration_ms") or 0) / 1000, 1))
        edges.append((end, -1))
    edges.sort(key=lambda x: (x[0], x[1]))  # a departure before an arrival at one instant
    level, out = 0, []
    for t, step in edges:
        level += step
        out.append((t, level))
    return out


class Buckets:
    """Time buckets of ``size`` seconds from ``t0``."""

    def __init__(self, t0: float, t1: float, size: float) -> None:
        self.t0, self.size = t0, size
        self.count = max(1, math.ceil((t1 - t0) / size))

    def index(self, t: float) -> int | None:
        i = int((t - self.t0) // self.size)
        return i if 0 <= i < self.count else None

    def mid(self, i: int) -> float:
        return round((i + 0.5) * self.size, 2)


def _bucket_size(span: float) -> float:
    """About 20-40 points per chart; never under 2 s (a flows-per-minute rate from one
    second of completions is mostly noise)."""
    for size in (2, 5, 10, 15, 30, 60, 120, 300):
        if span / size <= 40:
            return float(size)
    return 600.0


def _flow_series(samples: list[dict[str, Any]], b: Buckets, primary: str) -> dict[str, Any]:
    done: dict[int, int] = Counter()
    lat: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for s in samples:
        i = b.index(float(s["t"]))
        if i is None or not s["ok"]:
            continue
        lat[s["name"]][i].append(float(s["ms"]) / 1000)
        if s["name"] == primary:
            done[i] += 1
    series: dict[str, Any] = {
        "flows_per_min": [[b.mid(i), round(done[i] * 60 / b.size, 2)] for i in range(b.count)],
        "latency": {}}
    for name, by in lat.items():
        series["latency"][name] = {
            q: [[b.mid(i), round(percentile(by[i], p) or 0, 3)] for i in sorted(by)]
            for q, p in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))}
    return series


def _flow_totals(samples: list[dict[str, Any]]) -> dict[str, Any]:
    by: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for s in samples:
        by[s["name"]].append(s)
    out = {}
    for name, rows in sorted(by.items()):
        ok = [float(r["ms"]) / 1000 for r in rows if r["ok"]]
        errors = Counter(str(r.get("error", ""))[:120] for r in rows if not r["ok"])
        out[name] = {"count": len(rows), "ok": len(ok), "failed": len(rows) - len(ok),
                     **{q: _round(percentile(ok, p)) for q, p in
                        (("p50_s", 0.5), ("p95_s", 0.95), ("p99_s", 0.99), ("max_s", 1.0))},
                     "errors": dict(errors.most_common(5))}
    return out


def _throughput(done: Sequence[float], t0: float, stopped: float) -> float | None:
    """Flows through per minute while the users were working: from the first flow
    through (the pipeline filled) until the users stopped; over the whole run when that
    is under 10 s."""
    if not done:
        return None
    first = min(done)
    if stopped - first >= 10:
        return round(sum(1 for t in done if first <= t <= stopped) * 60 / (stopped - first), 2)
    return round(len(done) * 60 / max(max(done) - t0, 1e-9), 2)


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def _vendor_stats(collected: list[dict[str, Any]], window: tuple[float, float], b: Buckets,
                  samples: list[Sample]) -> dict[str, Any]:
    """The SUT's requests to each vendor in the window, over all tenants, with the worst
    tenant's peaks (limits are per account)."""
    lo, hi = window
    out: dict[str, Any] = {}
    for vendor in VENDORS:
        total = throttled = retried = 0
        peak_rps = peak_conc = peak_conc_all = long_peak = 0
        durations: list[float] = []
        rps: Counter[int] = Counter()
        t429: Counter[int] = Counter()
        conc: dict[int, int] = defaultdict(int)
        truncated = []
        for c in collected:
            journal = c["journal"][vendor]
            if len(journal) >= JOURNAL_LIMIT:
                truncated.append(c["tenant"]["label"])
            entries = [e for e in journal if lo <= float(e["wall"]) <= hi]
            total += len(entries)
            retried += retries(entries)
            per_second: Counter[int] = Counter()
            for e in entries:
                wall = float(e["wall"])
                per_second[int(wall)] += 1
                durations.append(float(e.get("duration_ms") or 0))
                i = b.index(wall)
                if i is not None:
                    rps[i] += 1
                if int(e["status"]) == 429:
                    throttled += 1
                    if i is not None:
                        t429[i] += 1
            peak_rps = max([peak_rps, *per_second.values()])
            if vendor == "erp":
                governed = [e for e in entries if _governed(str(e["path"]))]
                admitted = [e for e in governed if int(e["status"]) != 429]
                steps = concurrency_steps(admitted)
                peak_conc = max([peak_conc, *(level for _, level in steps)])
                peak_conc_all = max([peak_conc_all, *(
                    level for _, level in concurrency_steps(governed))])
                for t, level in steps:
                    i = b.index(t)
                    if i is not None:
                        conc[i] = max(conc[i], level)
            if vendor == "crm":
                long = [e for e in entries if float(e.get("duration_ms") or 0)
                        >= CRM_LONG_RUNNING_SECONDS * 1000]
                long_peak = max([long_peak, *(lv for _, lv in concurrency_steps(long))])
        span = max(hi - lo, 1e-9)
        stats: dict[str, Any] = {
            "requests": total, "throttled_429": throttled, "retries": retried,
            "mean_rps": round(total / span, 2), "peak_rps_per_tenant": peak_rps,
            "mean_duration_ms": round(sum(durations) / len(durations), 2) if durations else None,
            "journal_truncated": truncated,
            "series_rps": [[b.mid(i), round(rps[i] / b.size, 2)] for i in range(b.count)],
            "series_429": [[b.mid(i), round(t429[i] / b.size, 3)] for i in range(b.count)]}
        published = [s for s in samples if s.sut_calls]
        if published:  # the SUT's own count (its in-call retries), as it published it last
            stats["retries_sut_metrics"] = published[-1].sut_retries.get(vendor, 0)
        if vendor == "erp":
            stats.update(peak_concurrency=peak_conc, peak_concurrency_attempted=peak_conc_all,
                         series_concurrency=[[b.mid(i), conc.get(i, 0)]
                                             for i in range(b.count)])
        if vendor == "crm":
            stats["peak_long_running"] = long_peak
        out[vendor] = stats
    return out


def _fit(vendors: Mapping[str, Any], prod: LimitProfile, tenants: int, window_s: float,
         flows: int, once_a_day: bool) -> dict[str, Any]:
    """The measured load against the production profile, per account (the worst tenant's
    peaks; rates and daily use averaged over the tenants)."""
    rows: list[dict[str, Any]] = []

    def row(limit: Any, measured: float, note: str) -> None:
        value = float(limit.value)
        headroom = 1 - measured / value if value else 0.0
        rows.append({"vendor": limit.vendor, "kind": limit.kind, "limit": limit.value,
                     "what": limit.what, "source": limit.source,
                     "measured": round(measured, 2), "headroom": round(headroom, 3),
                     "ok": measured <= value, "note": note})

    if (lim := prod.get("billing", "rate")) is not None:
        row(lim, vendors["billing"]["peak_rps_per_tenant"],
            "peak requests in one second, busiest tenant")
    if (lim := prod.get("erp", "concurrency")) is not None:
        row(lim, vendors["erp"]["peak_concurrency_attempted"],
            "peak requests in flight at once, busiest tenant (refused ones included)")
    if (lim := prod.get("crm", "daily")) is not None:
        per_tenant = vendors["crm"]["requests"] / max(tenants, 1)
        if once_a_day:
            row(lim, per_tenant, "the whole run's CRM requests per tenant (a run like this "
                "happens once a day)")
        else:
            per_day = per_tenant / max(window_s, 1e-9) * 86400
            hours = lim.value / (per_day / 24) if per_day else None
            row(lim, per_day, "this run's CRM request rate kept up for 24 hours, per tenant"
                + (f"; the allocation lasts {hours:.1f} h at this rate" if hours else ""))
    if (lim := prod.get("crm", "long_running")) is not None:
        row(lim, vendors["crm"]["peak_long_running"], "requests of 20 s or more at once")
    ceiling = _ceiling(vendors, prod, tenants, flows)
    return {"profile": prod.to_json(), "rows": rows, "ok": all(r["ok"] for r in rows),
            "ceiling": ceiling}


def _ceiling(vendors: Mapping[str, Any], prod: LimitProfile, tenants: int, flows: int
             ) -> dict[str, Any]:
    """Flows per minute the production limits allow with the SUT's calls per flow."""
    if not flows:
        return {}
    per_flow = {v: round(vendors[v]["requests"] / flows, 2) for v in VENDORS}
    out: dict[str, Any] = {"calls_per_flow": per_flow, "per_vendor": {}}
    rate, conc, daily = (prod.get("billing", "rate"), prod.get("erp", "concurrency"),
                         prod.get("crm", "daily"))
    if rate is not None and per_flow["billing"]:
        out["per_vendor"]["billing"] = round(rate.value * 60 / per_flow["billing"] * tenants, 1)
    duration = vendors["erp"]["mean_duration_ms"]
    if conc is not None and per_flow["erp"] and duration:
        # Little's law: in flight = rate x time in flight; with the fake's latency.
        out["per_vendor"]["erp"] = round(conc.value / (per_flow["erp"] * duration / 1000) * 60
                                         * tenants, 1)
    if daily is not None and per_flow["crm"]:
        out["crm_daily_flows_per_min"] = round(daily.value / per_flow["crm"] / 1440 * tenants,
                                               2)
    if out["per_vendor"]:
        vendor, value = min(out["per_vendor"].items(), key=lambda kv: kv[1])
        out["binding"] = {"vendor": vendor, "flows_per_min": value}
    return out


def _oracle(tenants: list[Tenant], reports: list[Report]) -> dict[str, Any]:
    per = []
    codes: Counter[str] = Counter()
    for tenant, report in zip(tenants, reports, strict=False):
        codes.update(v.code for v in report.violations)
        per.append({"tenant": tenant.label, "ok": report.ok, "counts": dict(report.counts),
                    "violations": [{"code": v.code, "severity": str(v.severity),
                                    "message": v.message[:300]}
                                   for v in report.violations[:20]],
                    "violation_count": len(report.violations)})
    return {"tenants": len(reports), "violations": sum(p["violation_count"] for p in per),
            "by_code": dict(codes.most_common()), "per_tenant": per}


def _check(name: str, ok: bool, detail: str) -> dict[str, Any]:
    return {"name": name, "ok": ok, "detail": detail}


def analyse(*, opts: LoadOptions, enforced: LimitProfile, production: LimitProfile,
            tenants: list[Tenant], collected: list[dict[str, Any]], reports: list[Report],
            samples: list[Sample], settled: Settled, out: Path, books: list[Book],
            times: Mapping[str, Any], locust_exit: int) -> dict[str, Any]:
    flows = read_flows(out / "flows.jsonl")
    summary_file = out / "locust-summary.json"
    locust = json.loads(summary_file.read_text()) if summary_file.is_file() else {}
    t0 = float(times["load_started"])
    drained = times.get("drained")
    end = max([float(times["load_stopped"]), *(float(s["t"]) for s in flows),
               float(drained or 0)])
    b = Buckets(t0, end + 1, _bucket_size(end + 1 - t0))
    primary = PRIMARY.get(opts.scenario, "")
    # The users closed deals from t0 until Locust stopped them ("stopped"); then each
    # process followed its flows to the end (until "load_stopped").
    users_stopped = float(locust.get("stopped") or times["load_stopped"])
    window_s = max(users_stopped - t0, 1e-9)
    totals = _flow_totals(flows)
    through = [s for s in flows if s["name"] == primary and s["ok"]]
    per_min = _throughput([float(s["t"]) for s in through], t0, users_stopped)
    closed_per_min = round(sum(1 for s in flows if s["name"] == primary
                               and float(s["start"]) <= users_stopped) * 60 / window_s, 2)
    vendors = _vendor_stats(collected, (t0, end + 1), b, samples)
    series = _flow_series(flows, b, primary)
    series["backlog"] = [[round(s.t - t0, 2), s.backlog] for s in samples
                         if s.backlog is not None]
    series["outbox"] = [[round(s.t - t0, 2), s.outbox] for s in samples]
    series["locust"] = locust_history(out / "locust_stats_history.csv", t0)
    oracle = _oracle(tenants, reports)
    fit = _fit(vendors, production, len(tenants), max(end - t0, 1e-9), len(through),
               once_a_day=opts.scenario == "month-end")
    failed = sum(t["failed"] for t in totals.values())
    checks = []
    if opts.target_flows_per_min:
        checks.append(_check("throughput", (per_min or 0) >= opts.target_flows_per_min,
                             f"{per_min} flows/min through (posted and paid) during the load, "
                             f"target {opts.target_flows_per_min:g}"))
    if opts.scenario in PRIMARY:
        checks.append(_check("flows through", bool(through) and not failed,
                             f"{len(through)} flows through, {failed} failed or timed out"))
    if opts.scenario == "fakes":
        errors = sum(t.get("failures", 0) for t in (locust.get("totals") or {}).values())
        checks.append(_check("requests", errors == 0, f"{errors} requests failed"))
    else:
        checks.append(_check("oracle", oracle["violations"] == 0,
                             f"{oracle['violations']} violations on {len(reports)} tenants"))
    checks.append(_check("drained", settled.ok,
                         f"after the load: {settled.describe()}"))
    checks.append(_check("locust", locust_exit == 0, f"Locust exited {locust_exit}"))
    month_end = _month_end(opts, books, totals, vendors, enforced, flows, locust) \
        if opts.scenario == "month-end" else None
    if month_end is not None:
        checks.extend(month_end.pop("checks"))
    ok = all(c["ok"] for c in checks)
    headline = _headline(opts, ok, per_min, month_end, oracle, locust)
    return {
        "kind": "fintwin-load", "scenario": opts.scenario, "rerun": opts.rerun(),
        "options": {"users": opts.users, "spawn_rate": opts.spawn_rate,
                    "duration_s": opts.duration, "target_flows_per_min":
                    opts.target_flows_per_min, "limits": opts.limits, "workers": opts.workers,
                    "tenants": opts.tenants, "seed": opts.seed,
                    "deals_per_user": opts.deals_per_user, "epoch": epochs.name(opts.epoch)},
        "times": {k: v for k, v in times.items()},
        "verdict": {"ok": ok, "headline": headline, "checks": checks,
                    "fits_production": fit["ok"]},
        "flows": {"primary": primary, "through": len(through), "failed": failed,
                  "per_min": per_min, "closed_per_min": closed_per_min, "names": totals},
        "series": {"bucket_s": b.size, "t0": t0, **series},
        "vendors": vendors, "limits": {"enforced": enforced.to_json(), "fit": fit},
        "settle": settled.to_dict(),
        "sut": {"publishes_backlog": any(s.backlog is not None for s in samples),
                "peak_backlog": max((s.backlog or 0 for s in samples), default=None)},
        "oracle": oracle, "month_end": month_end, "locust": locust,
    }


def _month_end(opts: LoadOptions, books: list[Book], totals: Mapping[str, Any],
               vendors: Mapping[str, Any], enforced: LimitProfile, flows: list[dict[str, Any]],
               locust: Mapping[str, Any]) -> dict[str, Any]:
    expected = sum(book.subscriptions for book in books)
    posted = totals.get(RENEWAL_POSTED, {}).get("ok", 0)
    paid = totals.get(RENEWAL_PAID, {}).get("ok", 0)
    drains = [float(s["ms"]) / 1000 for s in flows if s["name"] == MONTH_END_DRAINED
              and s["ok"]]
    limit = enforced.get("erp", "concurrency")
    peak = vendors["erp"]["peak_concurrency"]
    refused = vendors["erp"]["throttled_429"]
    time_to_drain = max(drains) if len(drains) == len(books) and drains else None
    advance = next((t for t in (locust.get("totals") or {}).values()
                    if t["name"].startswith("billing POST /_sim/clock/advance")), None)
    checks = [
        _check("renewals", posted == expected and paid == expected,
               f"{posted}/{expected} renewal invoices posted, {paid}/{expected} paid in the "
               "ERP"),
        _check("ERP concurrency", limit is None or peak <= limit.value,
               f"peak {peak} requests in flight at the ERP"
               + (f", limit {limit.value}" if limit else " (no limit enforced)")
               + f"; {refused} refused with 429"),
    ]
    return {"renewals": expected, "posted": posted, "paid": paid,
            "time_to_drain_s": _round(time_to_drain, 1),
            "renewals_per_min": round(paid * 60 / time_to_drain, 1) if time_to_drain else None,
            "setup_s": sum(book.setup_s for book in books),
            # The billing fake renews the whole book inside the advance request.
            "renewal_run_s": round(advance["avg_ms"] / 1000, 1) if advance else None,
            "books": [{"tenant": b.tenant, "subscriptions": b.subscriptions,
                       "renews_at": b.renews_at, "advanced_to": b.advance_to,
                       "unsold": b.unsold} for b in books],
            "peak_erp_concurrency": peak, "erp_limit": limit.value if limit else None,
            "erp_429": refused, "checks": checks}


def _headline(opts: LoadOptions, ok: bool, per_min: float | None,
              month_end: Mapping[str, Any] | None, oracle: Mapping[str, Any],
              locust: Mapping[str, Any] | None = None) -> str:
    word = "PASS" if ok else "FAIL"
    if month_end is not None:
        drain = month_end["time_to_drain_s"]
        return (f"{word}: {month_end['paid']}/{month_end['renewals']} renewals posted and "
                f"paid in {drain if drain is not None else '-'} s, peak ERP concurrency "
                f"{month_end['peak_erp_concurrency']}"
                + (f"/{month_end['erp_limit']}" if month_end["erp_limit"] else "")
                + f", {oracle['violations']} violations")
    if opts.scenario == "fakes":
        total = (locust or {}).get("totals", {})
        rps = sum(t["rps"] for t in total.values())
        return f"{word}: the fakes served {rps:.0f} requests/s"
    target = f" (target {opts.target_flows_per_min:g})" if opts.target_flows_per_min else ""
    return (f"{word}: {per_min if per_min is not None else '-'} flows/min through{target}, "
            f"{oracle['violations']} violations on {oracle['tenants']} tenants")
