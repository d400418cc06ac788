"""The vendor-upgrade rehearsal: a consumer's contract and the scenario suites at API
version N and N+1 of a fake, diffed.

- Contract: the pacts are verified with the fake at ``from`` (billing interactions pinned
  to a version by the state "the billing account is on API version V" keep it) and at
  ``to`` (every interaction at ``to``: after the upgrade the consumer gets ``to``'s shapes
  whatever it assumed). An interaction that passes before and fails after breaks, unless
  the consumer also has an interaction for the same message or request, pinned to ``to``,
  that passes: it reads both shapes. The fields each break names are mapped to where the
  vendor moved them (billing: ``BASIL_CHANGES``).
- Observed contract (``record``): the SUT's traffic in the ``from`` run recorded as pacts
  and verified the same way. A recording holds what the SUT was sent, not what it reads:
  its breaks count only when a scenario's verdict changes too.
- Scenarios: the suites run with new tenants on ``from``, then on ``to`` (the billing
  account's default version; the Salesforce API version the SUT is registered with); a
  scenario whose verdict changes is named with the violation codes it showed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.contracts.messages import expected_contents
from harness.contracts.pactfiles import PactFile, for_provider, pinned_version, states_of
from harness.contracts.shapes import path_template
from harness.contracts.upgrade_report import html
from harness.contracts.verify import Check, Target, verify_provider
from simulators.billing.versions import BASIL_CHANGES, is_basil

_MISSING = re.compile(r"missing the following keys: (.+)$")


@dataclass
class FieldChange:
    path: str  # where the interaction expected it
    change: str  # "moved to ...", "removed", or the mismatch
    name: str = ""  # the vendor object's field ("invoice line.price"), when known

    @property
    def label(self) -> str:
        return self.name or _generic(self.path)

    @property
    def is_field(self) -> bool:
        """A field of a body (not the status, a header, or the whole body's type)."""
        return bool(self.name) or (self.path.startswith("$.") and
                                   not self.change.startswith("Type mismatch"))


@dataclass
class InteractionDiff:
    source: str  # "declared" (the pacts given) or "observed" (recorded from the run)
    consumer: str
    description: str
    kind: str
    pinned: str | None
    before: bool
    after: bool
    fields: list[FieldChange] = field(default_factory=list)
    covered_by: str | None = None

    @property
    def breaks(self) -> bool:
        return self.before and not self.after and self.covered_by is None


@dataclass
class ScenarioDiff:
    scenario: str
    before: str
    after: str
    codes_before: list[str]
    codes_after: list[str]
    unstable: bool = False  # its change did not come back when run again

    @property
    def changed(self) -> bool:
        return self.before != self.after and not self.unstable


@dataclass
class UpgradeReport:
    vendor: str
    version_from: str
    version_to: str
    sut: str
    pacts: list[str]
    interactions: list[InteractionDiff] = field(default_factory=list)
    scenarios: list[ScenarioDiff] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def breaks(self, source: str) -> list[InteractionDiff]:
        return [i for i in self.interactions if i.source == source and i.breaks]

    @property
    def changed_scenarios(self) -> list[ScenarioDiff]:
        return [s for s in self.scenarios if s.changed]

    @property
    def safe(self) -> bool:
        return not self.breaks("declared") and not self.changed_scenarios

    def fields_read(self) -> list[FieldChange]:
        """The moved or removed fields the consumer reads: what its declared contract's
        breaks name."""
        return _distinct(f for i in self.breaks("declared") for f in i.fields if f.is_field)

    def fields_sent(self) -> list[FieldChange]:
        """The moved or removed fields the SUT was sent (its observed contract's breaks):
        a recording cannot tell which of them it reads."""
        return _distinct(f for i in self.breaks("observed") for f in i.fields if f.is_field)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["safe"] = self.safe
        out["fields_read"] = [asdict(f) for f in self.fields_read()]
        out["fields_sent"] = [asdict(f) for f in self.fields_sent()]
        for item, diff in zip(out["interactions"], self.interactions, strict=True):
            item["breaks"] = diff.breaks
        return out


def _generic(path: str) -> str:
    return re.sub(r"\[\d+\]", "[]", path)


def _distinct(changes: Iterable[FieldChange]) -> list[FieldChange]:
    out: dict[str, FieldChange] = {}
    for change in changes:
        out.setdefault(change.label, change)
    return sorted(out.values(), key=lambda c: c.label)


# -- the contract ------------------------------------------------------------------------

def _subject(pact: PactFile, interaction: Mapping[str, Any]) -> tuple[str, ...]:
    """What an interaction is about: a message's event type (CRM: entity and change), or a
    request's method and path template."""
    if "request" in interaction:
        request = interaction["request"]
        return ("http", str(request.get("method")),
                path_template(pact.provider, str(request.get("path"))))
    example = expected_contents(interaction) or {}
    head = ((example.get("payload") or {}).get("ChangeEventHeader") or {}) \
        if isinstance(example, dict) else {}
    return ("message", str(example.get("type") if isinstance(example, dict) else ""),
            str(head.get("entityName") or ""), str(head.get("changeType") or ""))


def _situation(interaction: Mapping[str, Any]) -> list[str]:
    """An interaction's provider states other than the API version pin."""
    return sorted(json.dumps(state, sort_keys=True) for state in states_of(interaction)
                  if pinned_version({"providerStates": [state]}) is None)


def _example_at(example: Any, path: str) -> Any:
    node = example
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path.removeprefix("$")):
        if part.startswith("["):
            index = int(part[1:-1])
            node = node[index] if isinstance(node, list) and len(node) > index else None
        else:
            node = node.get(part) if isinstance(node, dict) else None
    return node


def _moved(vendor: str, version_to: str, example: Any, path: str, key: str
           ) -> tuple[str, str]:
    """(what happened to the field, its name as the vendor's object's) for a field the
    provider no longer sends; ("missing", "") when the vendor's changes do not say."""
    if vendor != "billing" or not is_basil(version_to):
        return "missing", ""
    node = _example_at(example, path)
    kind = str(node.get("object")) if isinstance(node, dict) and node.get("object") else ""
    if not kind or kind in ("line_item", "list"):
        kind = ("invoice line" if re.search(r"lines\.data\[\d+\]$", path) else
                "subscription item" if re.search(r"items\.data\[\d+\]$", path) else "")
    kind = {"subscription_item": "subscription item"}.get(kind, kind)
    for obj, before, after in BASIL_CHANGES:
        if before == key and (obj == kind or not kind):
            return (f"moved to {after}" if after else "removed"), f"{obj}.{key}"
    return "missing", ""


def _fields(check: Check, example: Any, vendor: str, version_to: str) -> list[FieldChange]:
    out = []
    for mismatch in check.mismatches:
        path = str(mismatch.get("path") or "")
        text = str(mismatch.get("mismatch") or "")
        missing = _MISSING.search(text)
        if missing and path.startswith("$"):
            for key in (k.strip() for k in missing.group(1).split(",")):
                change, name = _moved(vendor, version_to, example, path, key)
                out.append(FieldChange(f"{path}.{key}", change, name))
        elif path.startswith("$") and "." in path:
            parent, key = path.rsplit(".", 1)
            change, name = _moved(vendor, version_to, example, parent, key)
            out.append(FieldChange(path, change if name else text, name))
        elif text:
            out.append(FieldChange(path or str(mismatch.get("type") or ""), text))
    return out


def contract_diff(vendor: str, version_from: str, version_to: str, pacts: Sequence[PactFile],
                  source: str) -> list[InteractionDiff]:
    pacts = for_provider(pacts, vendor)
    if not pacts:
        return []
    before = verify_provider(Target(vendor, api_version=version_from), pacts)
    after = verify_provider(Target(vendor, api_version=version_to, override_pins=True), pacts)
    found = {(p.consumer, str(i.get("description"))): (p, i) for p in pacts
             for i in p.interactions}
    after_ok = {(c.consumer, c.description): c.ok for c in after.checks}
    out = []
    for check in before.checks:
        key = (check.consumer, check.description)
        pact, interaction = found[key]
        then = next((c for c in after.checks if (c.consumer, c.description) == key), None)
        diff = InteractionDiff(source, check.consumer, check.description, check.kind,
                               check.pinned, check.ok, bool(then and then.ok))
        if then is not None and not then.ok:
            diff.fields = _fields(then, expected_contents(interaction) or
                                  ((interaction.get("response") or {}).get("body") or {}
                                   ).get("content"), vendor, version_to)
            subject = _subject(pact, interaction)
            candidates = [other for other_key, (other_pact, other) in found.items()
                          if other_key != key and other_key[0] == check.consumer
                          and pinned_version(other) == version_to and after_ok.get(other_key)
                          and _subject(other_pact, other) == subject]
            # The counterpart in the same business situation first (its other states).
            candidates.sort(key=lambda other: _situation(other) != _situation(interaction))
            diff.covered_by = str(candidates[0].get("description")) if candidates else None
        out.append(diff)
    return out


# -- the scenarios -----------------------------------------------------------------------

def scenario_diff(vendor: str, version_from: str, version_to: str, files: Sequence[Path], *,
                  options: Sequence[str], seed: int, out: Path, jobs: int, traffic: bool
                  ) -> list[ScenarioDiff]:
    from harness.verify import Cell, run_suites

    def both(chosen: Sequence[Path], where: str, record: bool) -> dict[str, dict[str, Cell]]:
        runs = {}
        for name, version in (("from", version_from), ("to", version_to)):
            argv = [*options, "--fintwin-vendor-version", f"{vendor}={version}"]
            if record and name == "from":
                argv.append("--fintwin-traffic")
            runs[name], _ = run_suites(chosen, argv, seed=seed, out=out / where / name,
                                       workers=jobs)
        return runs

    runs = both(files, "", traffic)
    changed = [f for f in files if runs["from"][f.stem].outcome != runs["to"][f.stem].outcome]
    # A verdict that changes must change again: the suites that did are run once more at
    # both versions, and a change that does not come back is unstable, not a break.
    again = both(changed, "again", False) if changed else {"from": {}, "to": {}}
    out_diffs = []
    for stem in sorted(runs["from"]):
        before, after = runs["from"][stem], runs["to"][stem]
        diff = ScenarioDiff(stem.removeprefix("test_"), before.outcome, after.outcome,
                            before.codes, after.codes)
        if stem in again["from"] and (again["from"][stem].outcome,
                                      again["to"][stem].outcome) != (before.outcome,
                                                                     after.outcome):
            diff.unstable = True
        out_diffs.append(diff)
    return out_diffs


def write(report: UpgradeReport, out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    json_path, html_path = out / "upgrade-check.json", out / "upgrade-check.html"
    json_path.write_text(json.dumps(report.to_json(), indent=2))
    html_path.write_text(html(report))
    return json_path, html_path


@dataclass
class Rehearsal:
    """What ``fintwin upgrade-check`` was asked to do."""

    vendor: str
    version_from: str
    version_to: str
    pacts: list[PactFile]
    pact_sources: list[str]
    sut: str | None = None  # a manifest; None: the reference integration layer
    sut_options: Mapping[str, str] = field(default_factory=dict)
    scenarios: list[Path] = field(default_factory=list)
    record: bool = False
    seed: int = 1
    jobs: int = 2
    out: Path = Path(".fintwin/upgrade-check")


def rehearse(plan: Rehearsal) -> UpgradeReport:
    from harness.manifest import reference_manifest_path

    manifest = Path(plan.sut or reference_manifest_path()).resolve()
    shown = manifest.relative_to(Path.cwd()) if manifest.is_relative_to(Path.cwd()) \
        else manifest
    report = UpgradeReport(plan.vendor, plan.version_from, plan.version_to,
                           str(shown) + (
                               f" ({', '.join(f'{k}={v}' for k, v in plan.sut_options.items())})"
                               if plan.sut_options else ""),
                           plan.pact_sources)
    if plan.pacts:
        report.interactions += contract_diff(plan.vendor, plan.version_from, plan.version_to,
                                             plan.pacts, "declared")
    else:
        report.notes.append("no declared contract: no --pacts for this SUT")
    if plan.scenarios:
        options = ["--fintwin-sut", plan.sut] if plan.sut else []
        for key, value in plan.sut_options.items():
            options += ["--fintwin-sut-option", f"{key}={value}"]
        report.scenarios = scenario_diff(plan.vendor, plan.version_from, plan.version_to,
                                         plan.scenarios, options=options, seed=plan.seed,
                                         out=plan.out / "runs", jobs=plan.jobs,
                                         traffic=plan.record)
        if plan.record:
            report.interactions += _observed(plan)
    else:
        report.notes.append("no scenarios were run")
    if plan.vendor == "crm" and not any(not i.before or not i.after or i.fields
                                        for i in report.interactions) and \
            not report.changed_scenarios:
        report.notes.append(f"the CRM fake serves the same shapes at v{plan.version_from} "
                            f"and v{plan.version_to}")
    return report


def _observed(plan: Rehearsal) -> list[InteractionDiff]:
    from harness.contracts.pactfiles import find
    from harness.contracts.record import record
    from harness.contracts.traffic import from_results
    from harness.report import JSON_NAME

    results = plan.out / "runs" / "from" / JSON_NAME
    if not results.exists():
        return []
    recorded = record(from_results(results), "observed-sut", plan.out / "observed-pacts")
    if not recorded.files:
        return []
    return contract_diff(plan.vendor, plan.version_from, plan.version_to,
                         find([plan.out / "observed-pacts"]), "observed")
