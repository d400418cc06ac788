"""The cutover report: ``cutover-report.json`` (the whole result) and
``cutover-report.html`` (one self-contained page: the verdict at the top, charts over
time, the fit against production limits, vendors, flows, the oracle), next to Locust's
own CSV and HTML report; and the summary printed at the end of ``fintwin load``."""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness import epoch as epochs
from harness.load.charts import Chart, Line, render
from harness.load.flows import INVOICE_POSTED, RENEWAL_POSTED

JSON_NAME = "cutover-report.json"
HTML_NAME = "cutover-report.html"
#: What a run writes into its directory (removed before the next run there).
RESULTS = (JSON_NAME, HTML_NAME, "locust-report.html", "locust_stats.csv",
           "locust_stats_history.csv", "locust_failures.csv", "locust_exceptions.csv")
VENDOR_NAMES = {"crm": "CRM (Salesforce)", "billing": "billing (Stripe)",
                "erp": "ERP (NetSuite)"}

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:0;color:#111827;
background:#f3f4f6}main{max-width:1180px;margin:0 auto;padding:20px 24px 48px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px}
.sub{color:#4b5563;margin:0 0 14px}.verdict{border-radius:10px;padding:16px 20px;
color:#fff;margin:10px 0 14px}.verdict.ok{background:#15803d}.verdict.bad{background:#b91c1c}
.verdict .big{font-size:22px;font-weight:700}.checks{margin:10px 0 0;padding:0;
list-style:none}.checks li{margin:3px 0}.fit{border-radius:8px;padding:10px 16px;
margin:0 0 14px;border:1px solid}.fit.ok{background:#ecfdf5;border-color:#6ee7b7}
.fit.bad{background:#fffbeb;border-color:#fbbf24}.cards{display:grid;gap:10px;
grid-template-columns:repeat(auto-fill,minmax(170px,1fr))}.card{background:#fff;
border-radius:8px;padding:10px 14px;box-shadow:0 1px 2px #0001}.card .v{font-size:22px;
font-weight:700}.card .k{color:#6b7280;font-size:12px}.charts{display:grid;gap:12px;
grid-template-columns:repeat(auto-fill,minmax(540px,1fr))}.chart{background:#fff;
border-radius:8px;box-shadow:0 1px 2px #0001;width:100%;height:auto}
.ct{font-weight:600;font-size:13px}.tick{font-size:10px;fill:#6b7280}
.axis{font-size:10px;fill:#374151}.legend{font-size:11px;fill:#111827}
.grid{stroke:#e5e7eb}.limit{stroke:#b91c1c;stroke-dasharray:6 4}
.limitlabel{font-size:10px;fill:#b91c1c}.empty{fill:#9ca3af}
table{border-collapse:collapse;background:#fff;width:100%;box-shadow:0 1px 2px #0001;
border-radius:8px;overflow:hidden;margin:0 0 8px}th,td{padding:6px 10px;text-align:left;
border-bottom:1px solid #e5e7eb;font-size:13px;vertical-align:top}th{background:#f9fafb}
td.n{text-align:right;font-variant-numeric:tabular-nums}.okc{color:#15803d;font-weight:600}
.badc{color:#b91c1c;font-weight:600}code{background:#e5e7eb;padding:1px 4px;border-radius:4px}
.note{color:#4b5563;font-size:12px}
"""


def _e(value: Any) -> str:
    return html.escape("-" if value is None else str(value))


def _table(head: Sequence[str], rows: Sequence[Sequence[Any]], numeric: Sequence[int] = ()
           ) -> str:
    out = ["<table><tr>", *(f"<th>{_e(h)}</th>" for h in head), "</tr>"]
    for row in rows:
        out.append("<tr>" + "".join(
            f'<td class="n">{_e(c)}</td>' if i in numeric else f"<td>{c}</td>"
            for i, c in enumerate(row)) + "</tr>")
    out.append("</table>")
    return "".join(out)


def _pct(value: float | None) -> str:
    """A headroom: the share of the limit left, or how many times over it the load is."""
    if value is None:
        return "-"
    if value < 0:
        return f"{1 - value:.1f}x over the limit"
    return f"{value * 100:.0f} %"


def _fakes_charts(result: Mapping[str, Any]) -> list[str]:
    history = result["series"].get("locust") or {}
    rps = history.get("rps") or {}
    return [render(Chart("Requests per second served by each fake (Locust)", "requests / s",
                         [Line(VENDOR_NAMES[v], rps[v]) for v in VENDOR_NAMES if v in rps])),
            render(Chart("Response time of every request (Locust, rolling)", "ms",
                         [Line("p50", history.get("p50_ms") or []),
                          Line("p95", history.get("p95_ms") or [])]))]


def _charts(result: Mapping[str, Any]) -> list[str]:
    if result["scenario"] == "fakes":
        return _fakes_charts(result)
    s = result["series"]
    flows, vendors = result["flows"], result["vendors"]
    target = result["options"].get("target_flows_per_min")
    primary = flows["primary"]
    charts: list[Chart] = []
    if primary:
        charts.append(Chart("Flows through per minute (posted and paid)", "flows / min",
                            [Line(primary, s["flows_per_min"])],
                            [("target", float(target))] if target else []))
        lat = s["latency"]
        lines = [Line(f"{q} paid", lat.get(primary, {}).get(q, [])) for q in ("p50", "p95",
                                                                             "p99")]
        posted = INVOICE_POSTED if result["scenario"] == "q2c" else RENEWAL_POSTED
        lines.append(Line("p95 invoice posted", lat.get(posted, {}).get("p95", []),
                          dashed=True))
        start = "close-won" if result["scenario"] == "q2c" else "the renewal run"
        charts.append(Chart(f"Latency from {start} to the ERP, by completion time",
                            "seconds", lines))
    backlog = [Line("SUT backlog (pending events)", s["backlog"])] if s["backlog"] else []
    charts.append(Chart("SUT backlog and webhooks waiting in the fakes' outboxes", "events",
                        [*backlog, Line("webhooks not yet delivered", s["outbox"],
                                        dashed=True)]))
    charts.append(Chart("SUT requests per second by vendor", "requests / s",
                        [Line(VENDOR_NAMES[v], vendors[v]["series_rps"]) for v in vendors]))
    charts.append(Chart("429 answers to the SUT per second by vendor", "429 / s",
                        [Line(VENDOR_NAMES[v], vendors[v]["series_429"]) for v in vendors]))
    limits = []
    fit = result["limits"]["fit"]
    enforced = next((lim for lim in result["limits"]["enforced"]["limits"]
                     if lim["vendor"] == "erp" and lim["kind"] == "concurrency"), None)
    if enforced:
        limits.append((f"enforced limit {enforced['value']}", float(enforced["value"])))
    prod = next((r for r in fit["rows"] if r["vendor"] == "erp"), None)
    if prod and (not enforced or prod["limit"] != enforced["value"]):
        limits.append((f"production limit {prod['limit']}", float(prod["limit"])))
    charts.append(Chart("ERP requests in flight (the SUT's, admitted)", "requests",
                        [Line("peak in flight per interval",
                              vendors["erp"].get("series_concurrency", []))], limits))
    return [render(c) for c in charts]


def _fakes_cards(result: Mapping[str, Any]) -> list[tuple[str, Any]]:
    totals = (result.get("locust") or {}).get("totals") or {}
    cards: list[tuple[str, Any]] = []
    for vendor, title in VENDOR_NAMES.items():
        mine = [t for t in totals.values() if t["name"].startswith(vendor + " ")]
        if mine:
            worst = max((t["p95_ms"] or 0) for t in mine)
            cards += [(f"{title}: requests/s", round(sum(t["rps"] for t in mine), 1)),
                      (f"{title}: slowest p95", f"{worst} ms")]
    cards.append(("failed requests", sum(t["failures"] for t in totals.values())))
    return cards


def _cards(result: Mapping[str, Any]) -> str:
    flows, me = result["flows"], result.get("month_end")
    primary = flows["names"].get(flows["primary"], {})
    cards: list[tuple[str, Any]] = []
    if me:
        cards += [("renewals posted and paid", f"{me['paid']}/{me['renewals']}"),
                  ("time to drain", f"{me['time_to_drain_s']} s"),
                  ("renewals per minute", me["renewals_per_min"]),
                  ("peak ERP concurrency", f"{me['peak_erp_concurrency']}"
                   + (f" / {me['erp_limit']}" if me["erp_limit"] else ""))]
    elif flows["primary"]:
        cards += [("flows through / min", flows["per_min"]),
                  ("deals closed / min", flows["closed_per_min"]),
                  ("flows through", flows["through"]), ("flows failed", flows["failed"])]
    if primary:
        cards += [("latency p50", f"{primary.get('p50_s')} s"),
                  ("latency p95", f"{primary.get('p95_s')} s"),
                  ("latency p99", f"{primary.get('p99_s')} s")]
    if result["scenario"] == "fakes":
        cards = _fakes_cards(result)
    else:
        cards += [("oracle violations", result["oracle"]["violations"]),
                  ("peak SUT backlog", result["sut"]["peak_backlog"]),
                  ("429s to the SUT", sum(v["throttled_429"]
                                          for v in result["vendors"].values()))]
    return '<div class="cards">' + "".join(
        f'<div class="card"><div class="v">{_e(v)}</div><div class="k">{_e(k)}</div></div>'
        for k, v in cards) + "</div>"


def _fit(result: Mapping[str, Any]) -> str:
    fit = result["limits"]["fit"]
    rows = [[_e(VENDOR_NAMES[r["vendor"]]), _e(r["what"]), f"{r['measured']:,.0f}",
             f"{r['limit']:,}", f'<span class="{"okc" if r["ok"] else "badc"}">'
             f'{_pct(r["headroom"])}</span>', _e(r["note"]), _e(r["source"])]
            for r in fit["rows"]]
    table = _table(["vendor", "production limit", "measured", "limit", "headroom", "how",
                    "source"], rows, numeric=(2, 3))
    ceiling = fit.get("ceiling") or {}
    lines = []
    if ceiling.get("binding"):
        per = result["flows"].get("per_min") or 0
        top = ceiling["binding"]["flows_per_min"]
        calls = ", ".join(f"{VENDOR_NAMES[v]} {n}" for v, n in ceiling["calls_per_flow"].items())
        lines.append(f"Ceiling these limits allow with the SUT's calls per flow ({_e(calls)}): "
                     f"<b>{top:,} flows/min</b> "
                     f"(bound by {_e(VENDOR_NAMES[ceiling['binding']['vendor']])}); this run's "
                     f"{per} flows/min is {per / top * 100 if top else 0:.1f} % of it.")
    if ceiling.get("crm_daily_flows_per_min") is not None:
        lines.append(f"Over a whole day the Salesforce allocation allows "
                     f"{ceiling['crm_daily_flows_per_min']} flows/min on average.")
    if "erp" in (ceiling.get("per_vendor") or {}):
        lines.append("The ERP ceiling uses the fake's request latency "
                     f"({result['vendors']['erp']['mean_duration_ms']} ms); NetSuite's own "
                     "is longer, so its real ceiling is lower.")
    return table + "".join(f'<p class="note">{line}</p>' for line in lines)


def _vendors(result: Mapping[str, Any]) -> str:
    who = "requests" if result["scenario"] == "fakes" else "SUT requests"
    rows = []
    for vendor, v in result["vendors"].items():
        extra = f"peak {v['peak_concurrency']} in flight" if vendor == "erp" else ""
        if v["journal_truncated"]:
            extra += f" (journal full for {', '.join(v['journal_truncated'])}: oldest dropped)"
        rows.append([_e(VENDOR_NAMES[vendor]), v["requests"], v["throttled_429"], v["retries"],
                     _e(v.get("retries_sut_metrics")), v["mean_rps"], v["peak_rps_per_tenant"],
                     _e(v["mean_duration_ms"]), _e(extra)])
    return _table(["vendor", who, "429s", "retries (journal)", "retries (SUT)",
                   "mean req/s", "peak req/s (tenant)", "mean ms", ""], rows,
                  numeric=(1, 2, 3, 4, 5, 6, 7))


def _flow_table(result: Mapping[str, Any]) -> str:
    rows = []
    for name, f in result["flows"]["names"].items():
        errors = "; ".join(f"{n}x {e}" for e, n in f["errors"].items())
        rows.append([_e(name), f["count"], f["ok"], f["failed"], _e(f["p50_s"]),
                     _e(f["p95_s"]), _e(f["p99_s"]), _e(f["max_s"]), _e(errors)])
    return _table(["flow (Locust type FLOW)", "count", "through", "failed", "p50 s", "p95 s",
                   "p99 s", "max s", "failures"], rows, numeric=(1, 2, 3, 4, 5, 6, 7))


def _oracle(result: Mapping[str, Any]) -> str:
    rows = []
    for t in result["oracle"]["per_tenant"]:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(t["counts"].items()))
        found = "; ".join(f"{v['code']}: {v['message'][:120]}" for v in t["violations"][:5])
        rows.append([_e(t["tenant"]), f'<span class="{"okc" if t["ok"] else "badc"}">'
                     f'{t["violation_count"]}</span>', _e(counts), _e(found)])
    return _table(["tenant", "violations", "objects checked", "violations found"], rows)


def _locust(result: Mapping[str, Any]) -> str:
    totals = (result.get("locust") or {}).get("totals") or {}
    rows = [[_e(t["type"]), _e(t["name"]), t["requests"], t["failures"], _e(t["median_ms"]),
             _e(t["p95_ms"]), t["rps"]] for t in sorted(
                 totals.values(), key=lambda t: (t["type"] != "FLOW", t["type"], t["name"]))]
    return _table(["type", "name", "requests", "failures", "median ms", "p95 ms", "req/s"],
                  rows, numeric=(2, 3, 4, 5, 6))


def render_html(result: Mapping[str, Any]) -> str:
    verdict = result["verdict"]
    ok = verdict["ok"]
    checks = "".join(f'<li>{"✔" if c["ok"] else "✘"} <b>{_e(c["name"])}</b>: '
                     f'{_e(c["detail"])}</li>' for c in verdict["checks"])
    fit = result["limits"]["fit"]
    worst = min(fit["rows"], key=lambda r: r["headroom"]) if fit["rows"] else None
    fit_line = ("Fits the production limits" if fit["ok"] else
                "Does NOT fit the production limits") + (
        f" (least headroom: {_e(VENDOR_NAMES[worst['vendor']])} {_e(worst['kind'])}, "
        f"{_pct(worst['headroom'])})" if worst else "")
    opts = result["options"]
    me = result.get("month_end")
    sub = (f"scenario <b>{_e(result['scenario'])}</b> · {opts['users']} users · "
           f"{opts['tenants']} tenant(s) · limits <b>{_e(opts['limits'])}</b> · "
           f"{opts['workers'] or 'no'} Locust workers · seed {opts['seed']} · epoch "
           f"{_e(opts.get('epoch'))}")
    backlog_note = "" if result["sut"]["publishes_backlog"] else \
        '<p class="note">The SUT has no idle probe: no backlog series.</p>'
    fakes = result["scenario"] == "fakes"
    fit_box = "" if fakes else (
        f'<div class="fit {"ok" if fit["ok"] else "bad"}"><b>{fit_line}.</b> '
        f'Measured against {_e(fit["profile"]["description"])}; this run enforced '
        f'<b>{_e(result["limits"]["enforced"]["name"])}</b>.</div>')
    fit_section = [] if fakes else ["<h2>Production limits: fit and headroom</h2>", _fit(result)]
    vendors_title = ("What each fake served (from its journal, which keeps the last 20,000 "
                     "requests per tenant)" if fakes else "The SUT's calls to each vendor")
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>fintwin cutover report"
        f" · {_e(result['scenario'])}</title><style>{CSS}</style></head><body><main>",
        f"<h1>Cutover load test: {_e(result['scenario'])}</h1><p class='sub'>{sub}</p>",
        f'<div class="verdict {"ok" if ok else "bad"}"><div class="big">'
        f'{_e(verdict["headline"])}</div><ul class="checks">{checks}</ul></div>',
        fit_box, _cards(result), "<h2>Over time</h2>", '<div class="charts">',
        *_charts(result), "</div>", "" if fakes else backlog_note, *fit_section,
        f"<h2>{_e(vendors_title)}</h2>", _vendors(result),
        *([] if fakes else ["<h2>Business flows</h2>", _flow_table(result)]),
    ]
    if me:
        parts += ["<h2>Month-end</h2>", _table(
            ["tenant", "subscriptions", "deals not sold", "renew at", "clocks advanced to"],
            [[_e(b["tenant"]), b["subscriptions"], b.get("unsold", 0),
              _e(epochs.name(b["renews_at"])), _e(epochs.name(b["advanced_to"]))]
             for b in me["books"]], numeric=(1, 2)),
            f'<p class="note">The book was sold through the SUT before the load in '
            f'{me["setup_s"]} s (not measured). Every renewal invoice is drafted, finalized '
            "and charged in one advance of the billing clock, past Stripe's draft hour: a "
            "harsher burst than production, where the hour spreads them out. The billing "
            f"fake's renewal run (the advance request) took {_e(me.get('renewal_run_s'))} s "
            "of the time to drain.</p>"]
    if not fakes:
        parts += ["<h2>Oracle after the load</h2>", _oracle(result)]
    parts += ["<h2>Locust requests</h2>", _locust(result),
              '<p class="note">Locust\'s own report: <a href="locust-report.html">'
              "locust-report.html</a>; CSV: locust_stats.csv, locust_stats_history.csv; flow "
              "samples: flows.jsonl. Latencies are observed by polling the fakes (every "
              "0.2 s for deals, 0.5 s for renewals), so they carry up to that much "
              f"observation delay.</p><p class='note'>Rerun: <code>{_e(result['rerun'])}"
              "</code></p></main></body></html>"]
    return "".join(parts)


def write_report(out: Path, result: dict[str, Any]) -> dict[str, str]:
    json_path, html_path = out / JSON_NAME, out / HTML_NAME
    files = {"json": str(json_path), "html": str(html_path),
             "locust_html": str(out / "locust-report.html"),
             "csv": str(out / "locust_stats.csv"), "flows": str(out / "flows.jsonl")}
    json_path.write_text(json.dumps({**result, "files": files}, indent=1, default=str))
    html_path.write_text(render_html(result), encoding="utf-8")
    return files


def format_summary(result: Mapping[str, Any]) -> str:
    verdict, flows = result["verdict"], result["flows"]
    lines = [f"\nfintwin load: {result['scenario']}", f"  {verdict['headline']}"]
    lines += [f"  {'ok  ' if c['ok'] else 'FAIL'} {c['name']}: {c['detail']}"
              for c in verdict["checks"]]
    for name, f in flows["names"].items():
        lines.append(f"  flow {name}: {f['ok']}/{f['count']} through, p50 {f['p50_s']} s, "
                     f"p95 {f['p95_s']} s, p99 {f['p99_s']} s")
    for vendor, v in result["vendors"].items():
        lines.append(f"  {vendor:8} SUT requests {v['requests']}, 429s {v['throttled_429']}, "
                     f"retries {v['retries']}, peak {v['peak_rps_per_tenant']} req/s"
                     + (f", peak in flight {v['peak_concurrency']}" if vendor == "erp" else ""))
    fit = result["limits"]["fit"]
    lines.append(f"  production limits: {'fit' if fit['ok'] else 'DO NOT fit'} ("
                 + ", ".join(f"{r['vendor']} {r['kind']} {_pct(r['headroom'])}"
                             + (" headroom" if r["headroom"] >= 0 else "")
                             for r in fit["rows"]) + ")")
    ceiling = fit.get("ceiling") or {}
    if ceiling.get("binding") and flows.get("per_min") is not None:
        top = ceiling["binding"]["flows_per_min"]
        lines.append(f"  production ceiling {top} flows/min ({ceiling['binding']['vendor']}); "
                     f"this run {flows['per_min']} = {flows['per_min'] / top * 100:.1f} %")
    files = result.get("files") or {}
    lines.append(f"\n{'PASS' if verdict['ok'] else 'FAIL'}. rerun: {result['rerun']}")
    if files:
        lines.append(f"cutover report: {files['html']}")
        if Path(files["locust_html"]).is_file():
            lines.append(f"Locust report:  {files['locust_html']}")
    return "\n".join(lines)
