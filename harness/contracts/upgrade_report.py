"""The upgrade rehearsal's report: printed, and as a self-contained HTML page."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: upgrade imports this module to write its report
    from harness.contracts.upgrade import FieldChange, InteractionDiff, UpgradeReport


def _mark(ok: bool) -> str:
    return "ok" if ok else "FAIL"


def _named(fields: list[FieldChange]) -> str:
    return "; ".join(f"{f.label} ({f.change})" for f in fields)


def verdict(report: UpgradeReport) -> str:
    if report.safe:
        what = " and ".join(w for w, done in (("contract", report.interactions),
                                              ("scenarios", report.scenarios)) if done)
        return (f"SAFE: the SUT's {what or 'nothing (no contract, no scenarios)'} pass"
                f"{'es' if what == 'contract' else ''} on both {report.vendor} versions "
                f"({report.version_from} and {report.version_to})")
    said = [f"BREAKS on {report.version_to}:"]
    if report.fields_read():
        said.append(f"the SUT reads what the upgrade moves or removes: "
                    f"{_named(report.fields_read())}.")
    others = [d for d in report.breaks("declared") if not any(f.is_field for f in d.fields)]
    if others:
        said.append(f"{len(others)} interactions of its contract fail: " + "; ".join(
            f"{d.description} ({d.fields[0].change if d.fields else 'failed'})"
            for d in others[:3]) + ("; ..." if len(others) > 3 else "") + ".")
    if report.changed_scenarios:
        said.append("Suites whose verdict changes: " + ", ".join(
            f"{s.scenario} ({', '.join(s.codes_after) or s.after})"
            for s in report.changed_scenarios) + ".")
        if report.fields_sent() and not report.fields_read():
            said.append(f"It was sent these fields that the upgrade moves or removes (its "
                        f"recorded contract; it reads some of them): "
                        f"{_named(report.fields_sent())}.")
    return " ".join(said)


def _interaction_lines(diffs: list[InteractionDiff]) -> list[str]:
    lines = []
    for d in sorted(diffs, key=lambda d: (not d.breaks, d.covered_by is None, d.description)):
        if d.before and d.after and not d.fields:
            continue
        pin = f" [pinned to {d.pinned}]" if d.pinned else ""
        state = ("BREAKS" if d.breaks else f"handled: also reads {d.covered_by!r}"
                 if d.covered_by else f"{_mark(d.before)} -> {_mark(d.after)}")
        lines.append(f"  {d.description}{pin}: {state}")
        lines += [f"      {f.path}: {f.change}" for f in d.fields]
    return lines


def text(report: UpgradeReport) -> str:
    out = [f"fintwin upgrade-check: {report.vendor} {report.version_from} -> "
           f"{report.version_to}; SUT {report.sut}"]
    for source, title in (("declared", "contract"), ("observed", "observed contract "
                                                                 "(recorded in the "
                                                                 f"{report.version_from} run)")):
        diffs = [d for d in report.interactions if d.source == source]
        if not diffs:
            continue
        stayed = sum(1 for d in diffs if d.before and d.after)
        out.append(f"{title}: {len(diffs)} interactions, {stayed} pass at both versions, "
                   f"{len(report.breaks(source))} break")
        out += _interaction_lines(diffs)
    if report.scenarios:
        out.append(f"scenarios: {len(report.scenarios)} suites, "
                   f"{len(report.changed_scenarios)} change verdict")
        for s in report.scenarios:
            change = ("   <- verdict changes" if s.changed else
                      "   (unstable: the change did not come back when run again)"
                      if s.unstable else "")
            codes = f" ({', '.join(s.codes_after)})" if s.codes_after else ""
            out.append(f"  {s.scenario:24} {s.before} -> {s.after}{codes}{change}")
    if report.breaks("observed") and not report.changed_scenarios:
        out.append("  (the observed contract names fields the upgrade moves, but no scenario's "
                   "verdict changes: the SUT does not depend on them, as far as the suites "
                   "reach)")
    out += [f"note: {n}" for n in report.notes]
    out.append(verdict(report))
    return "\n".join(out)


_STYLE = """body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}
h1{font-size:20px}h2{font-size:16px;margin-top:1.6em}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4}.ok{color:#17702a}.bad{color:#b00020;font-weight:600}
.note{color:#666}.verdict{padding:10px 14px;border-radius:6px;margin:1em 0}
.safe{background:#e6f4ea}.breaks{background:#fde7ea}code{font-size:13px}"""


def _cell(ok: bool) -> str:
    return f'<span class="{"ok" if ok else "bad"}">{"pass" if ok else "fail"}</span>'


def html(report: UpgradeReport) -> str:
    rows = []
    order = sorted(report.interactions, key=lambda d: (d.source, not d.breaks,
                                                       d.covered_by is None,
                                                       d.before and d.after, d.description))
    for d in order:
        fields = "<br>".join(f"<code>{escape(f.path)}</code>: {escape(f.change)}"
                             for f in d.fields)
        status = ('<span class="bad">breaks</span>' if d.breaks else
                  f"handled (also reads <i>{escape(d.covered_by)}</i>)" if d.covered_by else "")
        rows.append(f"<tr><td>{escape(d.source)}</td><td>{escape(d.description)}"
                    f"{' [pinned to ' + escape(d.pinned) + ']' if d.pinned else ''}</td>"
                    f"<td>{_cell(d.before)}</td><td>{_cell(d.after)}</td><td>{status}</td>"
                    f"<td>{fields}</td></tr>")
    scenarios = "".join(
        f"<tr><td>{escape(s.scenario)}</td><td>{_cell(s.before == 'passed')} "
        f"{escape(', '.join(s.codes_before))}</td><td>{_cell(s.after == 'passed')} "
        f"{escape(', '.join(s.codes_after))}</td>"
        f"<td>{'<span class=bad>changes</span>' if s.changed else ''}</td></tr>"
        for s in report.scenarios)
    fields = "".join(f"<li><code>{escape(f.label)}</code>: {escape(f.change)}</li>"
                     for f in report.fields_read())
    sent = "".join(f"<li><code>{escape(f.label)}</code>: {escape(f.change)}</li>"
                   for f in report.fields_sent())
    notes = "".join(f'<p class="note">{escape(n)}</p>' for n in report.notes)
    return f"""<!doctype html><html><head><meta charset="utf-8">
<title>fintwin upgrade-check {escape(report.vendor)} {escape(report.version_from)} to
{escape(report.version_to)}</title><style>{_STYLE}</style></head><body>
<h1>Upgrade rehearsal: {escape(report.vendor)} {escape(report.version_from)} &rarr;
{escape(report.version_to)}</h1>
<p>SUT: <code>{escape(report.sut)}</code><br>pacts: {escape(', '.join(report.pacts) or '-')}</p>
<div class="verdict {'safe' if report.safe else 'breaks'}">{escape(verdict(report))}</div>
{'<h2>Fields the SUT reads that the upgrade moves or removes</h2><ul>' + fields + '</ul>'
 if fields else ''}
{'<h2>Fields the SUT was sent that the upgrade moves or removes (recorded)</h2><ul>'
 + sent + '</ul>' if sent else ''}
<h2>Interactions (verified at {escape(report.version_from)} and at
{escape(report.version_to)})</h2>
<table><tr><th>contract</th><th>interaction</th><th>{escape(report.version_from)}</th>
<th>{escape(report.version_to)}</th><th></th><th>fields</th></tr>{''.join(rows)}</table>
<h2>Scenarios (the SUT on each version)</h2>
<table><tr><th>suite</th><th>{escape(report.version_from)}</th>
<th>{escape(report.version_to)}</th><th></th></tr>{scenarios}</table>
{notes}</body></html>
"""
