"""``fintwin contracts verify|record`` and ``fintwin upgrade-check``: registered by the main
CLI (``harness.cli``), implemented in this package."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from harness import epoch
from harness.contracts.pactfiles import PROVIDERS, PactFileError

DEFAULT_PACTS = "pacts"


def _per_vendor(values: Sequence[str] | None, option: str, providers: Sequence[str]
                ) -> dict[str, str]:
    """``V`` (for the one provider) or ``VENDOR=V`` values as a mapping."""
    out: dict[str, str] = {}
    for value in values or ():
        vendor, sep, rest = value.partition("=")
        if sep and vendor in PROVIDERS:
            out[vendor] = rest
        elif len(providers) == 1:
            out[providers[0]] = value
        else:
            raise SystemExit(f"fintwin: {option} {value!r}: name the vendor "
                             f"({option} billing={value}) when verifying several providers")
    return out


def _verify_command(args: argparse.Namespace) -> int:
    from harness.contracts.pactfiles import find
    from harness.contracts.verify import Target, VerifyError, providers_of, render, verify

    try:
        pacts = find(args.pacts or [DEFAULT_PACTS])
        providers = providers_of(pacts, args.provider)
    except (PactFileError, VerifyError) as exc:
        print(f"fintwin: {exc}", file=sys.stderr)
        return 2
    urls = _per_vendor(args.url, "--url", providers)
    versions = _per_vendor(args.api_version, "--api-version", providers)
    if "erp" in versions:
        print("fintwin: the ERP (NetSuite REST record service v1) has one API version",
              file=sys.stderr)
        return 2
    targets = [Target(p, url=urls.get(p), api_version=versions.get(p),
                      admin_token=args.admin_token, epoch=args.epoch) for p in providers]
    try:
        results = verify(pacts, targets)
    except VerifyError as exc:
        print(f"fintwin: {exc}", file=sys.stderr)
        return 2
    print(render(results, verbose=args.verbose))
    if args.json:
        Path(args.json).write_text(json.dumps([r.to_json() for r in results], indent=2))
    return 0 if all(r.ok for r in results) else 1


def _diff_command(args: argparse.Namespace) -> int:
    from harness.contracts.diff import compare_paths

    try:
        lines = compare_paths([args.old], [args.new])
    except PactFileError as exc:
        print(f"fintwin: {exc}", file=sys.stderr)
        return 2
    if not lines:
        print(f"the same contracts: {args.old} and {args.new}")
        return 0
    print(f"the contracts differ ({args.old} -> {args.new}):")
    print("\n".join(lines))
    return 1


def _record_command(args: argparse.Namespace) -> int:
    from harness.contracts.record import record
    from harness.contracts.traffic import from_fakes, from_results

    if bool(args.results) == bool(args.url):
        print("fintwin: give --results RESULTS.json or the running fakes' --url VENDOR=URL",
              file=sys.stderr)
        return 2
    if args.results:
        traffic = from_results(args.results)
    else:
        urls = _per_vendor(args.url, "--url", [])
        tenants: dict[str, list[str]] = {}
        for vendor, ref in _per_vendor(args.tenant, "--tenant", []).items():
            tenants.setdefault(vendor, []).append(ref)
        traffic = from_fakes(urls, tenants, args.admin_token)
    if not traffic.exchanges and not traffic.delivered:
        print("fintwin: no traffic with bodies to record (run with --fintwin-traffic, "
              "fintwin demo --traffic, or PUT /_sim/journal/detail before the run)",
              file=sys.stderr)
        return 1
    result = record(traffic, args.consumer, Path(args.out))
    print(result.summary())
    return 0


def _upgrade_command(args: argparse.Namespace) -> int:
    from harness.contracts.pactfiles import find
    from harness.contracts.upgrade import Rehearsal, rehearse, write
    from harness.contracts.upgrade_report import text
    from harness.verify import scenario_files

    options: dict[str, str] = {}
    for item in args.sut_option or ():
        key, sep, value = item.partition("=")
        if not sep:
            print(f"fintwin: --sut-option expects KEY=VALUE, not {item!r}", file=sys.stderr)
            return 2
        options[key] = value
    reference = args.sut is None and not options
    sources = args.pacts or ([DEFAULT_PACTS] if reference and Path(DEFAULT_PACTS).is_dir()
                             else [])
    try:
        pacts = find(sources) if sources else []
    except PactFileError as exc:
        print(f"fintwin: {exc}", file=sys.stderr)
        return 2
    names = [n.strip() for n in args.scenarios.split(",") if n.strip()] \
        if args.scenarios and args.scenarios != "none" else None
    files = [] if args.scenarios == "none" else scenario_files(only=names)
    plan = Rehearsal(args.vendor, args.version_from, args.version_to, pacts, sources,
                     sut=args.sut, sut_options=options, scenarios=files,
                     record=args.record or (not pacts and bool(files)), seed=args.seed,
                     jobs=args.jobs, out=Path(args.out))
    report = rehearse(plan)
    print(text(report))
    json_path, html_path = write(report, plan.out)
    print(f"HTML: {html_path}\nJSON: {json_path}")
    return 0 if report.safe else 1


def vocabulary_markdown(providers: Sequence[str] = PROVIDERS) -> str:
    """The fakes' provider states as Markdown (what docs/contracts.md lists)."""
    import importlib

    lines: list[str] = []
    for provider in providers:
        vocabulary = importlib.import_module(f"simulators.{provider}.states").VOCABULARY
        lines += [f"### {provider}", "", "| state | what it sets up | parameters |",
                  "|---|---|---|"]
        for state in vocabulary.states:
            params = "<br>".join(
                f"`{p.name}`{'' if p.required else ' (optional)'}: {p.summary}, "
                f"e.g. `{json.dumps(p.example)}`" for p in state.params) or "-"
            lines.append(f"| {state.name} | {state.summary} | {params} |")
        lines.append("")
    return "\n".join(lines)


def _states_command(args: argparse.Namespace) -> int:
    print(vocabulary_markdown([args.provider] if args.provider != "all" else PROVIDERS))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    contracts = sub.add_parser("contracts", help="consumer contracts (Pact): verify the fakes "
                                                 "as providers, record pacts from a run")
    commands = contracts.add_subparsers(dest="contracts_command", required=True)
    ver = commands.add_parser("verify", help=(
        "verify the fakes against pact files (HTTP and message interactions), offline"))
    ver.add_argument("--provider", choices=[*PROVIDERS, "all"], default="all",
                     help="the fake to verify (default: every provider the pacts name)")
    ver.add_argument("--pacts", nargs="+", metavar="DIR-OR-FILE",
                     help=f"pact files, or directories of them (default: {DEFAULT_PACTS}/)")
    ver.add_argument("--api-version", action="append", metavar="[VENDOR=]V",
                     help="billing: the account's API version (interactions pinned by the "
                          "state 'the billing account is on API version V' keep theirs); "
                          "crm: the /services/data/vXX.X version every request uses")
    ver.add_argument("--url", action="append", metavar="[VENDOR=]URL",
                     help="verify a running fake (default: start one in this process)")
    ver.add_argument("--admin-token", help="the running fake's X-Sim-Admin-Token")
    ver.add_argument("--epoch", type=epoch.argument, default=epoch.resolve(),
                     help="the started fakes' business time (default "
                          f"{epoch.DEFAULT_EPOCH}; ISO 8601, unix seconds, 'now' or an edge)")
    ver.add_argument("--json", metavar="FILE", help="write the results as JSON")
    ver.add_argument("--verbose", action="store_true", help="list passing interactions too")
    ver.set_defaults(func=_verify_command)
    states = commands.add_parser("states", help="the fakes' provider-state vocabulary "
                                                "(Markdown)")
    states.add_argument("--provider", choices=[*PROVIDERS, "all"], default="all",
                        help="whose provider states to list (default all)")
    states.set_defaults(func=_states_command)
    rec = commands.add_parser("record", help=(
        "write Pact v4 files of what a SUT sent and received in a run (one interaction per "
        "request shape, type matchers, the provider states the run implied)"))
    rec.add_argument("--results", metavar="RESULTS.json",
                     help="fintwin-results.json of a run with --fintwin-traffic or "
                          "fintwin demo --traffic")
    rec.add_argument("--url", action="append", metavar="VENDOR=URL",
                     help="or read running fakes' journals and outboxes (repeat per vendor)")
    rec.add_argument("--tenant", action="append", metavar="VENDOR=REF",
                     help="with --url: the tenants to read (default: all)")
    rec.add_argument("--admin-token", help="the running fakes' X-Sim-Admin-Token")
    rec.add_argument("--consumer", required=True, help="the consumer's name in the pacts")
    rec.add_argument("--out", required=True, metavar="DIR", help="where to write the pacts")
    rec.set_defaults(func=_record_command)
    diff = commands.add_parser("diff", help="compare two sets of pact files interaction by "
                                            "interaction (exit 1 when they differ)")
    diff.add_argument("old", help="pact file or directory (e.g. the committed pacts/)")
    diff.add_argument("new", help="pact file or directory (e.g. freshly generated ones)")
    diff.set_defaults(func=_diff_command)
    upgrade = sub.add_parser("upgrade-check", help=(
        "rehearse a vendor API upgrade: the consumer's pacts and the scenario suites at "
        "both versions, diffed (exit 1 when the upgrade breaks the SUT)"))
    upgrade.add_argument("--vendor", choices=["billing", "crm"], required=True,
                         help="the vendor whose API version changes")
    upgrade.add_argument("--from", dest="version_from", required=True, metavar="V",
                         help="billing: a Stripe version (2024-06-20); crm: 59.0")
    upgrade.add_argument("--to", dest="version_to", required=True, metavar="V",
                         help="billing: 2025-03-31.basil; crm: 62.0")
    upgrade.add_argument("--pacts", nargs="+", metavar="DIR-OR-FILE",
                         help=f"the consumer's pacts (default: {DEFAULT_PACTS}/ for the "
                              "reference SUT, none for another)")
    upgrade.add_argument("--sut", metavar="MANIFEST", help="the SUT's manifest (default: the "
                                                           "reference integration layer)")
    upgrade.add_argument("--sut-option", action="append", metavar="KEY=VALUE",
                         help="a setting for the SUT, e.g. variant=pre-basil-only")
    upgrade.add_argument("--scenarios", help="comma-separated suites (default: all; none: "
                                             "the contract only)")
    upgrade.add_argument("--record", action="store_true",
                         help="also record the SUT's contract from its run at --from and "
                              "rehearse it (the default when no pacts are given)")
    upgrade.add_argument("--seed", type=int, default=1,
                         help="run seed of the scenario suites (same seed, same faults)")
    upgrade.add_argument("--jobs", type=int, default=2, help="pytest-xdist workers per run")
    upgrade.add_argument("--out", default=".fintwin/upgrade-check",
                         help="where the report (HTML, JSON) and the runs go")
    upgrade.set_defaults(func=_upgrade_command)
