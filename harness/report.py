"""Run reports: a JSON result file and a self-contained HTML report.

The plugin collects one record per test (outcome, the seed, the tenant, each fake's fault
log, webhook delivery attempts and request journal for that tenant, flows and oracle
violations a test recorded) and calls :func:`write_report`. The HTML has no external
resources: CSS, JS and SVG charts are inline. JUnit XML comes from pytest itself
(``--junitxml``); the plugin adds ``fintwin_seed`` and ``fintwin_scenario`` properties.
"""

from __future__ import annotations

import html
import json
import math
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, is_dataclass
from pathlib import Path
from typing import Any

FORMAT_VERSION = 1
SYSTEMS = ("crm", "billing", "erp", "sut")
SYSTEM_NAMES = {"crm": "CRM", "billing": "Billing", "erp": "ERP", "sut": "Webhooks → SUT"}
SEVERITIES = ("revenue", "compliance", "cosmetic")
TEMPLATE = Path(__file__).with_name("report_template.html")
JSON_NAME = "fintwin-results.json"
HTML_NAME = "fintwin-report.html"
MAX_BARS = 40  # flows in the latency chart; more: a histogram
_VENDOR_COLOURS = {"crm": "#2563eb", "billing": "#7c3aed", "erp": "#0d9488", "sut": "#64748b"}


def json_safe(value: Any) -> Any:
    """Round-trip through JSON (decimals, sets and other objects become strings)."""
    return json.loads(json.dumps(value, default=str))


def violation_to_dict(violation: Any) -> dict[str, Any]:
    """An oracle violation as data: ``to_dict()``, a dataclass, or a mapping."""
    if hasattr(violation, "to_dict"):
        data = violation.to_dict()
    elif is_dataclass(violation) and not isinstance(violation, type):
        data = asdict(violation)
    elif isinstance(violation, Mapping):
        data = dict(violation)
    else:
        data = {"message": str(violation)}
    data.setdefault("severity", "cosmetic")
    data.setdefault("code", "UNSPECIFIED")
    data.setdefault("message", "")
    data.setdefault("objects", {})
    out: dict[str, Any] = json_safe(data)
    return out


# -- collecting ----------------------------------------------------------------------------


@dataclass
class ResultCollector:
    """Per-test results, fed with pytest reports (on the xdist controller too)."""

    tests: dict[str, dict[str, Any]] = field(default_factory=dict)
    started: float = field(default_factory=time.time)

    def add(self, report: Any, data: Mapping[str, Any]) -> None:
        nodeid = str(report.nodeid)
        entry = self.tests.setdefault(nodeid, {"nodeid": nodeid, "outcome": "passed",
                                               "duration_s": 0.0, "phases": {}})
        when = str(report.when)
        entry["duration_s"] = round(entry["duration_s"] + float(report.duration or 0.0), 4)
        entry["phases"][when] = report.outcome
        if report.failed:
            entry["outcome"] = "failed" if when == "call" else (
                entry["outcome"] if entry["outcome"] == "failed" else "error")
        elif getattr(report, "wasxfail", None) is not None:
            entry["outcome"] = "xfailed"  # the manifest's expected failure, as expected
        elif report.outcome == "skipped" and when in ("setup", "call"):
            entry["outcome"] = "skipped"
        text = getattr(report, "longreprtext", "") or ""
        if (report.failed or getattr(report, "wasxfail", None) is not None) and text:
            entry["longrepr"] = (entry.get("longrepr", "") + text)[-20000:]
        for key in ("scenario", "seed", "epoch", "stack", "chaos", "sut"):
            if key in data:
                entry[key] = data[key]
        for key in ("tenant", "faults", "deliveries", "journal", "webhooks", "flows",
                    "violations", "notes", "collect_error", "expected_failure"):
            if key in data:
                entry[key] = data[key]
        for section, content in getattr(report, "sections", ()):
            if section == "fintwin rerun":
                entry["rerun"] = content

    def fault_total(self) -> int:
        return sum(len(v) for t in self.tests.values()
                   for v in (t.get("faults") or {}).values())

    def result(self, run: Mapping[str, Any]) -> dict[str, Any]:
        return build_result(run, list(self.tests.values()), started=self.started,
                            finished=time.time())


def build_result(run: Mapping[str, Any], tests: Sequence[Mapping[str, Any]], *,
                 started: float | None = None, finished: float | None = None
                 ) -> dict[str, Any]:
    """The JSON result document: run settings, a summary, and each test with its flows."""
    finished = time.time() if finished is None else finished
    started = finished if started is None else started
    out_tests = []
    for test in tests:
        entry = dict(test)
        entry["flows"] = flows_of(test)
        entry.setdefault("violations", [])
        out_tests.append(entry)
    return json_safe({
        "fintwin_report": FORMAT_VERSION,
        "run": {**run, "started": started, "finished": finished,
                "duration_s": round(finished - started, 3)},
        "summary": summarise(out_tests),
        "tests": out_tests,
    })


def summarise(tests: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    outcomes = Counter(str(t.get("outcome", "passed")) for t in tests)
    kinds: Counter[str] = Counter()
    by_vendor: dict[str, Counter[str]] = {}
    attempts = failed_attempts = duplicates = 0
    severities: Counter[str] = Counter()
    latencies = []
    for test in tests:
        for vendor, entries in (test.get("faults") or {}).items():
            for e in entries:
                kinds[str(e.get("kind"))] += 1
                by_vendor.setdefault(str(e.get("kind")), Counter())[vendor] += 1
        for entries in (test.get("deliveries") or {}).values():
            attempts += len(entries)
            failed_attempts += sum(1 for e in entries if not e.get("ok"))
            duplicates += sum(1 for e in entries if int(e.get("copy") or 0) > 0)
        # An expected failure's violations are the gap its manifest documents.
        for v in [] if test.get("outcome") == "xfailed" else test.get("violations") or []:
            severities[str(v.get("severity"))] += 1
        for flow in test.get("flows") or []:
            if flow.get("latency_s") is not None:
                latencies.append(float(flow["latency_s"]))
    return {
        "tests": len(tests), "outcomes": dict(outcomes),
        "faults_by_kind": dict(kinds.most_common()),
        "faults_by_kind_and_vendor": {k: dict(v) for k, v in by_vendor.items()},
        "faults": sum(kinds.values()),
        "deliveries": {"attempts": attempts, "failed": failed_attempts,
                       "duplicates": duplicates},
        "violations_by_severity": {s: severities.get(s, 0) for s in SEVERITIES},
        "flows": len(latencies),
        "flow_latency_s": _percentiles(latencies),
    }


def _percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None, "max": None}
    ordered = sorted(values)

    def pick(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)], 4)

    return {"p50": pick(0.5), "p95": pick(0.95), "max": round(ordered[-1], 4)}


def flows_of(test: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The test's flows: the ones it recorded, else one flow built from what the fakes
    recorded for its tenant (requests, webhook deliveries and faults, in wall time)."""
    recorded = test.get("flows")
    if recorded:
        flows = []
        for flow in recorded:
            events = sorted((dict(e) for e in flow.get("events", [])),
                            key=lambda e: float(e.get("t", 0)))
            latency = flow.get("latency_s")
            if latency is None and events:
                latency = float(events[-1]["t"]) - float(events[0]["t"])
            flows.append({"name": flow.get("name", "flow"), "events": events,
                          "latency_s": latency})
        return flows
    events = timeline_events(test)
    if not events:
        return []
    return [{"name": str(test.get("nodeid", "flow")), "events": events,
             "latency_s": round(events[-1]["t"] - events[0]["t"], 4)}]


def timeline_events(test: Mapping[str, Any]) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for vendor, entries in (test.get("journal") or {}).items():
        for e in entries:
            faults = list(e.get("faults") or [])
            events.append({"system": vendor, "t": float(e["wall"]), "kind": "request",
                           "status": e.get("status"), "faults": faults,
                           "label": f"{e.get('method')} {e.get('path')} → {e.get('status')}"
                                    + (f" [{', '.join(faults)}]" if faults else "")})
    for vendor, entries in (test.get("deliveries") or {}).items():
        for e in entries:
            fault = e.get("fault")
            copy = int(e.get("copy") or 0)
            events.append({"system": "sut", "source": vendor, "t": float(e["wall"]),
                           "kind": "delivery", "ok": bool(e.get("ok")), "fault": fault,
                           "label": f"{vendor} {e.get('event_type')} → SUT {e.get('status')}"
                                    f" (attempt {e.get('attempt')}"
                                    + (f", copy {copy}" if copy else "")
                                    + (f", {fault}" if fault else "") + ")"})
    for vendor, entries in (test.get("faults") or {}).items():
        for e in entries:
            events.append({"system": vendor, "t": float(e["wall"]), "kind": "fault",
                           "fault": e.get("kind"),
                           "label": f"fault {e.get('kind')} ({e.get('rule')}) on "
                                    f"{e.get('method')} {e.get('path')} #{e.get('ordinal')}"})
    events.sort(key=lambda e: e["t"])
    return events


# -- writing -------------------------------------------------------------------------------


def write_report(directory: Path, result: Mapping[str, Any]) -> tuple[Path, Path]:
    """Write ``fintwin-results.json`` and ``fintwin-report.html``; returns both paths."""
    directory.mkdir(parents=True, exist_ok=True)
    json_path = directory / JSON_NAME
    html_path = directory / HTML_NAME
    json_path.write_text(json.dumps(result, indent=1, sort_keys=False), encoding="utf-8")
    html_path.write_text(render_html(result), encoding="utf-8")
    return json_path, html_path


def load_result(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def render_html(result: Mapping[str, Any]) -> str:
    """The self-contained HTML report for a result document."""
    run = result.get("run", {})
    summary = result.get("summary", {})
    tests = list(result.get("tests", []))
    demo = run.get("kind") == "demo"
    body = "\n".join([
        _header(run, summary),
        _section("Violations by severity", _violations_table(tests)),
        _section("Charts", '<div class="charts">'
                 + _card("Flow latency (s)", _latency_chart(tests))
                 + _card("Faults injected by kind", _faults_chart(summary)) + "</div>"),
        _section("Flows" if demo else "Tests", _tests_table(tests)),
        _section("Timelines" if demo else "Flows",
                 "\n".join(_flow_block(t, i) for i, t in enumerate(tests))
                 or '<p class="muted">No flows recorded.</p>'),
    ])
    title = f"fintwin {'demo' if demo else 'report'} — seed {run.get('seed')}"
    page = TEMPLATE.read_text(encoding="utf-8")
    return page.replace("{{title}}", _e(title)).replace("{{body}}", body)


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _section(title: str, content: str) -> str:
    anchor = title.lower().replace(" ", "-")
    return f'<section id="{anchor}"><h2>{_e(title)}</h2>{content}</section>'


def _card(title: str, content: str) -> str:
    return f'<div class="card"><h3>{_e(title)}</h3>{content}</div>'


def _header(run: Mapping[str, Any], summary: Mapping[str, Any]) -> str:
    outcomes = summary.get("outcomes", {})
    sev = summary.get("violations_by_severity", {})
    deliveries = summary.get("deliveries", {})
    lat = summary.get("flow_latency_s", {})
    started = run.get("started")
    when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(started)) if started else "?"
    demo = run.get("kind") == "demo"
    tiles = [
        ("Seed", run.get("seed"), "rerun with --seed" if demo else "rerun with --fintwin-seed"),
        ("Business epoch", run.get("epoch", "?"),
         "every clock starts here (--epoch)" if demo else "--fintwin-epoch"),
        ("Stack", run.get("stack"), f"chaos: {run.get('chaos')}"),
        ("Flows" if demo else "Tests", summary.get("tests", 0),
         ", ".join(f"{v} {k}" for k, v in sorted(outcomes.items())) or "none"),
        ("Faults injected", summary.get("faults", 0),
         f"{deliveries.get('duplicates', 0)} duplicate deliveries"),
        ("Violations", sum(sev.values()) if sev else 0,
         " · ".join(f"{v} {k}" for k, v in sev.items())),
        ("Flow latency p50", _fmt_s(lat.get("p50")), f"p95 {_fmt_s(lat.get('p95'))}"),
    ]
    bad = outcomes.get("failed", 0) + outcomes.get("error", 0) + (sum(sev.values()) if sev
                                                                  else 0)
    status = "fail" if bad else "pass"
    html_tiles = "".join(
        f'<div class="tile"><div class="k">{_e(k)}</div><div class="v">{_e(v)}</div>'
        f'<div class="s">{_e(s)}</div></div>' for k, v, s in tiles)
    title = "fintwin demo" if demo else "fintwin report"
    variant = f" ({run['variant']})" if run.get("variant") else ""
    rerun = (f'<p class="rerun">Same seed and epoch, same faults — rerun: '
             f'<code>{_e(run["rerun"])}'
             '</code></p>') if run.get("rerun") else ""
    return (f'<header class="{status}"><h1>{_e(title)}</h1>'
            f'<p class="muted">SUT manifest {_e(run.get("sut"))}{_e(variant)} · started '
            f'{_e(when)} · {_e(run.get("duration_s", "?"))} s</p>{rerun}'
            f'<div class="tiles">{html_tiles}</div></header>')


def _fmt_s(value: Any) -> str:
    if value is None:
        return "-"
    v = float(value)
    return f"{v * 1000:.0f} ms" if v < 1 else f"{v:.2f} s"


def _violations_table(tests: Sequence[Mapping[str, Any]]) -> str:
    rows = [(t, v) for t in tests for v in t.get("violations") or []]
    if not rows:
        return '<p class="ok">No oracle violations recorded.</p>'
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    rows.sort(key=lambda tv: (rank.get(str(tv[1].get("severity")), 9), str(tv[1].get("code"))))

    def objects(v: Mapping[str, Any], system: str) -> str:
        ids = (v.get("objects") or {}).get(system) or []
        return "<br>".join(f"<code>{_e(i)}</code>" for i in ids)

    body = "".join(
        f'<tr><td><span class="sev {_e(v.get("severity"))}">{_e(v.get("severity"))}</span></td>'
        f'<td><code>{_e(v.get("code"))}</code></td><td>{_e(v.get("message"))}</td>'
        f'<td>{objects(v, "crm")}</td><td>{objects(v, "billing")}</td>'
        f'<td>{objects(v, "erp")}</td><td class="nodeid">{_e(t.get("nodeid"))}</td></tr>'
        for t, v in rows)
    return ('<table class="grid"><thead><tr><th>Severity</th><th>Code</th><th>Message</th>'
            '<th>CRM</th><th>Billing</th><th>ERP</th><th>Scenario</th></tr></thead>'
            f'<tbody>{body}</tbody></table>')


def _tests_table(tests: Sequence[Mapping[str, Any]]) -> str:
    if not tests:
        return '<p class="muted">No fintwin tests ran.</p>'
    rows = []
    for i, t in enumerate(tests):
        faults = sum(len(v) for v in (t.get("faults") or {}).values())
        deliveries = sum(len(v) for v in (t.get("deliveries") or {}).values())
        outcome = str(t.get("outcome", "passed"))
        detail = ""
        if t.get("longrepr") or t.get("rerun"):
            detail = ('<details><summary>details</summary>'
                      + (f'<p>Rerun: <code>{_e(t["rerun"])}</code></p>' if t.get("rerun") else "")
                      + (f'<pre>{_e(t["longrepr"])}</pre>' if t.get("longrepr") else "")
                      + '</details>')
        rows.append(
            f'<tr data-outcome="{_e(outcome)}"><td><span class="badge {_e(outcome)}">'
            f'{_e(outcome)}</span></td><td class="nodeid"><a href="#flow-{i}">'
            f'{_e(t.get("nodeid"))}</a>{detail}</td><td class="num">'
            f'{float(t.get("duration_s", 0)):.2f}</td><td class="num">{faults}</td>'
            f'<td class="num">{deliveries}</td>'
            f'<td class="num">{len(t.get("violations") or [])}</td></tr>')
    return ('<div class="filters"><input id="filter" placeholder="filter scenarios"> '
            '<label><input type="checkbox" id="only-failed"> only failures</label></div>'
            '<table class="grid" id="tests"><thead><tr><th>Outcome</th><th>Scenario</th>'
            '<th>Time (s)</th><th>Faults</th><th>Deliveries</th><th>Violations</th></tr>'
            f'</thead><tbody>{"".join(rows)}</tbody></table>')


# -- SVG -------------------------------------------------------------------------------------


def _latency_chart(tests: Sequence[Mapping[str, Any]]) -> str:
    bars = [(str(f.get("name")), float(f["latency_s"])) for t in tests
            for f in t.get("flows") or [] if f.get("latency_s") is not None]
    if len(bars) > MAX_BARS:
        return _latency_histogram([v for _, v in bars])
    if not bars:
        return '<p class="muted">No flows.</p>'
    width, label_w, row = 520, 200, 18
    top = max(v for _, v in bars) or 1.0
    height = row * len(bars) + 24
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" '
             f'role="img" aria-label="flow latency">']
    for i, (name, value) in enumerate(bars):
        y = 4 + i * row
        w = max(1.0, (width - label_w - 60) * value / top)
        short = name if len(name) <= 32 else "…" + name[-31:]
        parts.append(f'<text x="{label_w - 6}" y="{y + 12}" text-anchor="end" '
                     f'class="lbl">{_e(short)}</text>'
                     f'<rect x="{label_w}" y="{y + 2}" width="{w:.1f}" height="{row - 6}" '
                     f'class="bar"><title>{_e(name)}: {_fmt_s(value)}</title></rect>'
                     f'<text x="{label_w + w + 4:.1f}" y="{y + 12}" class="val">'
                     f'{_e(_fmt_s(value))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _latency_histogram(values: Sequence[float], bins: int = 12) -> str:
    """Flows per latency band (when there are too many flows for a bar each)."""
    low, high = min(values), max(values)
    step = (high - low) / bins or 1.0
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int((v - low) / step))] += 1
    width, label_w, row = 520, 130, 18
    top = max(counts) or 1
    height = row * bins + 24
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" '
             f'role="img" aria-label="flow latency histogram">']
    for i, n in enumerate(counts):
        y = 4 + i * row
        a, b = low + i * step, low + (i + 1) * step
        band = f"{_fmt_s(a)} to {_fmt_s(b)}"
        w = (width - label_w - 60) * n / top
        parts.append(f'<text x="{label_w - 6}" y="{y + 12}" text-anchor="end" '
                     f'class="lbl">{_e(band)}</text>'
                     f'<rect x="{label_w}" y="{y + 2}" width="{w:.1f}" height="{row - 6}" '
                     f'class="bar"><title>{n} flows took {_e(band)}</title></rect>'
                     f'<text x="{label_w + w + 4:.1f}" y="{y + 12}" class="val">{n}</text>')
    parts.append(f'<text x="{label_w}" y="{height - 4}" class="lbl">{len(values)} flows; '
                 f'bars: flows per latency band</text></svg>')
    return "".join(parts)


def _faults_chart(summary: Mapping[str, Any]) -> str:
    per = summary.get("faults_by_kind_and_vendor") or {}
    if not per:
        return '<p class="ok">No faults injected.</p>'
    kinds = sorted(per, key=lambda k: -sum(per[k].values()))
    width, label_w, row = 520, 130, 22
    top = max(sum(per[k].values()) for k in kinds) or 1
    height = row * len(kinds) + 30
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" '
             f'role="img" aria-label="faults by kind">']
    for i, kind in enumerate(kinds):
        y = 4 + i * row
        x = float(label_w)
        parts.append(f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end" '
                     f'class="lbl">{_e(kind)}</text>')
        for vendor in ("crm", "billing", "erp"):
            n = int(per[kind].get(vendor, 0))
            if not n:
                continue
            w = (width - label_w - 50) * n / top
            parts.append(f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" '
                         f'fill="{_VENDOR_COLOURS[vendor]}"><title>{_e(kind)} in '
                         f'{SYSTEM_NAMES[vendor]}: {n}</title></rect>')
            x += w
        parts.append(f'<text x="{x + 4:.1f}" y="{y + 14}" class="val">'
                     f'{sum(per[kind].values())}</text>')
    legend_y = height - 8
    lx = float(label_w)
    for vendor in ("crm", "billing", "erp"):
        parts.append(f'<rect x="{lx}" y="{legend_y - 9}" width="10" height="10" '
                     f'fill="{_VENDOR_COLOURS[vendor]}"/><text x="{lx + 14}" y="{legend_y}" '
                     f'class="lbl">{SYSTEM_NAMES[vendor]}</text>')
        lx += 80
    parts.append("</svg>")
    return "".join(parts)


def _flow_block(test: Mapping[str, Any], index: int) -> str:
    flows = test.get("flows") or []
    outcome = str(test.get("outcome", "passed"))
    head = (f'<h3 id="flow-{index}"><span class="badge {_e(outcome)}">{_e(outcome)}</span> '
            f'{_e(test.get("nodeid"))}</h3>')
    tenant = test.get("tenant") or {}
    meta = ""
    if tenant:
        ids = tenant.get("ids") or {}
        meta = ('<p class="muted">tenant ' + _e(tenant.get("connection")) + " · "
                + " · ".join(f"{SYSTEM_NAMES.get(k, k)} <code>{_e(v)}</code>"
                             for k, v in ids.items()) + "</p>")
    if test.get("collect_error"):
        meta += f'<p class="warn">could not read the fakes: {_e(test["collect_error"])}</p>'
    if not flows:
        return head + meta + '<p class="muted">No events recorded.</p>'
    return head + meta + "".join(_timeline(f) for f in flows)


def timeline_svg(flow: Mapping[str, Any]) -> str:
    """One flow's timeline: a lane per system, requests, deliveries and faults on it."""
    return _timeline(flow)


def _timeline(flow: Mapping[str, Any]) -> str:
    events = [e for e in flow.get("events") or [] if "t" in e]
    if not events:
        return ""
    lanes = [s for s in SYSTEMS if any(e.get("system") == s for e in events)]
    t0 = min(float(e["t"]) for e in events)
    span = max(float(e["t"]) for e in events) - t0 or 0.001
    width, left, right, lane_h, top = 900, 120, 44, 34, 22
    height = top + lane_h * len(lanes) + 26
    plot = width - left - right

    def x(t: float) -> float:
        return left + plot * (t - t0) / span

    parts = [f'<div class="flow"><div class="flow-head">{_e(flow.get("name"))} · '
             f'{len(events)} events · {_fmt_s(flow.get("latency_s"))}</div>'
             f'<svg class="timeline" viewBox="0 0 {width} {height}" width="100%" '
             f'role="img" aria-label="timeline">']
    for i, name in enumerate(lanes):
        y = top + i * lane_h
        parts.append(f'<rect x="0" y="{y}" width="{width}" height="{lane_h}" '
                     f'class="lane{i % 2}"/><text x="8" y="{y + lane_h / 2 + 4}" '
                     f'class="lane-name">{_e(SYSTEM_NAMES.get(name, name))}</text>')
    for k in range(5):
        t = t0 + span * k / 4
        tx = x(t)
        parts.append(f'<line x1="{tx:.1f}" y1="{top}" x2="{tx:.1f}" '
                     f'y2="{height - 22}" class="tick"/><text x="{tx:.1f}" y="{height - 8}" '
                     f'text-anchor="middle" class="val">+{_e(_fmt_s(t - t0))}</text>')
    for e in events:
        lane = lanes.index(str(e.get("system"))) if e.get("system") in lanes else 0
        cy = top + lane * lane_h + lane_h / 2
        cx = x(float(e["t"]))
        tip = f'<title>+{_fmt_s(float(e["t"]) - t0)} {e.get("label", "")}</title>'
        kind = e.get("kind", "note")
        if kind == "fault":
            parts.append(f'<path d="M{cx - 5:.1f},{cy - 13} l10,0 l-5,8 z" class="fault">'
                         f'{_e_tip(tip)}</path>')
        elif kind == "delivery":
            cls = "ok" if e.get("ok") else "bad"
            colour = _VENDOR_COLOURS.get(str(e.get("source")), "#64748b")
            parts.append(f'<path d="M{cx - 5:.1f},{cy + 5} l5,-10 l5,10 z" class="dlv {cls}" '
                         f'style="stroke:{colour}">{_e_tip(tip)}</path>')
        else:
            status = e.get("status")
            faults = [str(f) for f in e.get("faults") or []]
            gated = [f for f in faults if not f.endswith(":latency")]
            cls = "ok"
            if (isinstance(status, int) and status >= 500) or gated:
                cls = "bad"
            elif (isinstance(status, int) and status >= 400) or faults:
                cls = "warn"  # a 4xx, or only slowed down by a latency fault
            parts.append(f'<circle cx="{cx:.1f}" cy="{cy}" r="4" class="req {cls}">'
                         f'{_e_tip(tip)}</circle>')
    parts.append("</svg></div>")
    return "".join(parts)


def _e_tip(tip: str) -> str:
    # The <title> element is built here; only its text needs escaping.
    inner = tip[len("<title>"):-len("</title>")]
    return f"<title>{_e(inner)}</title>"


def fault_kinds(tests: Iterable[Mapping[str, Any]]) -> Counter[str]:
    """Faults injected by kind across ``tests`` (for summaries such as ``fintwin demo``)."""
    counts: Counter[str] = Counter()
    for t in tests:
        for entries in (t.get("faults") or {}).values():
            counts.update(str(e.get("kind")) for e in entries)
    return counts
