"""The ``fintwin`` command line."""

from __future__ import annotations

import argparse
import importlib
import ipaddress
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from harness import epoch
from harness.contracts import cli as contracts_cli
from harness.load import cli as load_cli
from simulators.engine.server import DEFAULT_HOST, serve
from simulators.engine.settings import SimSettings

FAKES = {
    "billing": ("simulators.billing.app", 8002),
    "crm": ("simulators.crm.app", 8001),
    "erp": ("simulators.erp.app", 8003),
}


def loopback(host: str) -> bool:
    """Whether ``host`` only takes connections from this machine."""
    if host in ("localhost", ""):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name: it may resolve to any interface


def warn_unlocked(what: str, host: str, token: str | None, why: str) -> None:
    """A clear warning on stderr when ``what`` listens beyond loopback without a token."""
    if token or loopback(host):
        return
    print(f"fintwin: WARNING: {what} listens on {host or 'every address'} without an admin "
          f"token: {why}.", file=sys.stderr, flush=True)


def _sim_command(args: argparse.Namespace) -> int:
    module_name, default_port = FAKES[args.fake]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        print(f"fintwin: the {args.fake} fake is not available ({exc})", file=sys.stderr)
        return 2
    given = {"seed": args.seed, "faults": args.faults, "state_dir": args.state_dir,
             "admin_token": args.admin_token, "delivery_time_scale": args.delivery_time_scale,
             "service_time": args.service_time,
             "delivery_verify": args.delivery_ca, "epoch": args.epoch,
             "limits": False if args.no_limits else None,
             "frozen_clock": True if args.freeze_clock else None,
             "max_tenants": args.max_tenants, "tenant_ttl": args.tenant_ttl}
    try:
        settings = SimSettings.load(file=args.config, env=os.environ,
                                    overrides={k: v for k, v in given.items() if v is not None})
    except (OSError, ValueError) as exc:
        print(f"fintwin: {exc}", file=sys.stderr)
        return 2
    if settings.faults in ("", "none"):  # no plan, whichever layer said so
        settings = replace(settings, faults=None)
    app = module.create_app(settings)
    warn_unlocked(f"the {args.fake} fake", args.host, settings.admin_token,
                  "its control plane (/_sim/: reset, state, faults, clients) is open to "
                  "anyone who reaches it; give --admin-token or FINTWIN_SIM_ADMIN_TOKEN")
    serve(app, host=args.host, port=args.port or default_port, tls=args.tls,
          state_dir=settings.state_dir, log_level=args.log_level,
          proxy_headers=args.proxy_headers, tls_hostnames=tuple(args.tls_hostname))
    return 0


def _serve_command(args: argparse.Namespace) -> int:
    import uvicorn

    from integration_layer.service.app import create_app as il_app
    from integration_layer.service.config import ServiceConfig
    from integration_layer.service.observability import configure_logging
    from integration_layer.service.variants import VARIANTS

    if args.list_variants:
        for v in VARIANTS.values():
            print(f"{v.name:24} {v.defect}\n{'':24} caught by {v.caught_by}")
        return 0
    flags = {"variant": args.variant, "database_url": args.database_url,
             "workers": args.workers}
    cfg = ServiceConfig.load(file=args.config,
                             overrides={k: v for k, v in flags.items() if v is not None})
    configure_logging(args.log_level.upper())
    try:
        app = il_app(cfg)
    except ValueError as exc:
        print(f"fintwin: {exc}", file=sys.stderr)
        return 2
    warn_unlocked("the integration layer", args.host, cfg.admin_token,
                  "its admin API (connections and their webhook secrets, replay) is open to "
                  "anyone who reaches it; set FINTWIN_ADMIN_TOKEN")
    print(f"fintwin integration layer ({cfg.variant}) on http://{args.host}:{args.port}",
          flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", lifespan="on")
    return 0


def _docs_command(args: argparse.Namespace) -> int:
    from harness import docsite

    return docsite.main(build_parser(), check=args.check)


def _demo_command(args: argparse.Namespace) -> int:
    from pathlib import Path

    from harness.demo import DemoOptions
    from harness.demo import main as demo

    chaos = None if args.chaos == "none" else args.chaos
    return demo(DemoOptions(deals=args.deals, seed=args.seed, epoch=args.epoch, chaos=chaos,
                            variant=args.variant, stack=args.stack,
                            manifest=Path(args.manifest) if args.manifest else None,
                            out=Path(args.out), concurrency=args.concurrency,
                            progress=not args.no_progress, traffic=args.traffic))


def _mutation_command(args: argparse.Namespace) -> int:
    from harness.mutation import main as mutation

    return mutation(modules=args.modules, sample=args.sample, seed=args.seed,
                    workers=args.workers, deadline=args.deadline, workdir=Path(args.workdir),
                    json_path=Path(args.json) if args.json else None,
                    fail_under=args.fail_under,
                    only=[m.strip() for m in args.mutants.split(",") if m.strip()])


def _verify_command(args: argparse.Namespace) -> int:
    from harness.verify import main as verify

    def names(value: str | None) -> list[str] | None:
        return [n.strip() for n in value.split(",") if n.strip()] if value else None

    return verify(names=names(args.variants), scenarios=names(args.scenarios),
                  quick=args.quick, seed=args.seed, jobs=args.jobs, out=args.out,
                  as_json=args.json, epoch=args.epoch)


def _soak_command(args: argparse.Namespace) -> int:
    from harness.soak import main as soak

    return soak(runs=args.runs, seed=args.seed, epoch_spec=args.epochs, load=not args.no_load,
                matrix=not args.no_matrix, workers=args.workers, max_minutes=args.max_minutes,
                paths=args.paths or ["scenarios"], out=args.out)


def _init_command(args: argparse.Namespace) -> int:
    from harness.starter import main as init

    return init(args.dir, args.language, args.name, args.force)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fintwin", description=(
        "Vendor-exact fakes of CRM, billing and ERP, and the harness that drives an "
        "integration layer through them."))
    sub = parser.add_subparsers(dest="command", required=True)
    sim = sub.add_parser("sim", help="serve one fake (billing, crm or erp)")
    sim.add_argument("fake", choices=sorted(FAKES), help="which fake to serve")
    sim.add_argument("--host", default=DEFAULT_HOST,
                     help="address to bind (default 127.0.0.1: loopback only)")
    sim.add_argument("--port", type=int, default=0, help="port (billing 8002, crm 8001, erp 8003)")
    sim.add_argument("--tls", action="store_true",
                     help="serve HTTPS with a local CA kept in <state-dir or .fintwin>/tls")
    sim.add_argument("--tls-hostname", action="append", default=[], metavar="NAME",
                     help="a name the certificate is also valid for besides loopback "
                          "(repeatable), e.g. the fake's network alias in a container")
    sim.add_argument("--proxy-headers", action="store_true",
                     help="trust X-Forwarded-For/-Proto from 127.0.0.1 (uvicorn's "
                          "FORWARDED_ALLOW_IPS widens it), e.g. behind a TLS-terminating proxy")
    sim.add_argument("--config", help="a TOML file of settings (SimSettings' fields); "
                     "FINTWIN_SIM_<SETTING> variables and these flags win over it")
    sim.add_argument("--seed", type=int, help="run seed for ids and fault decisions (default 0)")
    sim.add_argument("--faults", help="fault plan file (YAML/JSON), chaos profile name, or "
                                      "none")
    sim.add_argument("--state-dir", help="persist state and webhook outbox here")
    sim.add_argument("--admin-token", default=os.environ.get("FINTWIN_SIM_ADMIN_TOKEN") or None,
                     help="require X-Sim-Admin-Token on /_sim/ routes (default: "
                          "$FINTWIN_SIM_ADMIN_TOKEN, kept out of the process list)")
    sim.add_argument("--no-limits", action="store_true",
                     help="switch off the vendor's default rate/concurrency limits")
    sim.add_argument("--delivery-time-scale", type=float,
                     help="multiplier for the vendor's webhook retry schedule (default 0.01)")
    sim.add_argument("--service-time", type=float,
                     help="multiplier for the vendor's modelled service time per operation "
                          "(1: the vendor's pace; default 0: answer at once)")
    sim.add_argument("--delivery-ca", help="CA bundle to verify HTTPS webhook receivers")
    sim.add_argument("--epoch", type=epoch.argument, default=None,
                     help="every new tenant's business clock starts here (ISO 8601, unix "
                          "seconds or 'now'; default: now, as a vendor account does)")
    sim.add_argument("--freeze-clock", action="store_true",
                     help="business clocks stand still until advanced (like Stripe test "
                          "clocks) instead of running with wall time")
    sim.add_argument("--max-tenants", type=int,
                     help="forget the least recently used idle tenants beyond this many "
                          "(default 0: no cap; not with --state-dir)")
    sim.add_argument("--tenant-ttl", type=float,
                     help="forget tenants idle for this many seconds (default 0: never; not "
                          "with --state-dir)")
    sim.add_argument("--log-level", default="warning", help="uvicorn's log level")
    sim.set_defaults(func=_sim_command)
    docs = sub.add_parser("docs", help="write the documentation's generated pages: each "
                          "fake's API reference (docs/api/) from its operation declarations, "
                          "the CLI, the control plane, endpoint tables, oracle codes, chaos "
                          "profiles")
    docs.add_argument("--check", action="store_true",
                      help="only name the pages that differ from the code (exit 1)")
    docs.set_defaults(func=_docs_command)
    srv = sub.add_parser("serve", help="run the reference integration layer (the SUT)")
    srv.add_argument("service", choices=["integration-layer"], help="what to serve")
    srv.add_argument("--host", default=DEFAULT_HOST,
                     help="address to bind (default 127.0.0.1: loopback only)")
    srv.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    srv.add_argument("--variant", help="a faulty variant (see --list-variants)")
    srv.add_argument("--list-variants", action="store_true",
                     help="print each faulty variant, its defect and the suite that catches it")
    srv.add_argument("--database-url", help="sqlite:///file.db (default) or postgresql://...")
    srv.add_argument("--workers", type=int, help="worker tasks in this process (default 4)")
    srv.add_argument("--config", help="a TOML file of settings (else $FINTWIN_IL_CONFIG); "
                     "then FINTWIN_<SETTING> variables, then these flags, win")
    srv.add_argument("--log-level", default="info", help="the service's log level")
    srv.set_defaults(func=_serve_command)
    demo = sub.add_parser("demo", help="the main job: quote-to-cash under chaos, checked")
    demo.add_argument("--deals", type=int, default=100, help="flows to run (default 100)")
    demo.add_argument("--seed", type=int, default=1,
                      help="run seed: data, tenants and faults (same seed, same faults)")
    demo.add_argument("--epoch", type=epoch.argument, default=epoch.resolve(),
                      help=epoch.HELP)
    demo.add_argument("--chaos", default="default-chaos",
                      help="a chaos profile (default-chaos), a plan file, or none")
    demo.add_argument("--variant", default="reference", help="the SUT variant to run")
    demo.add_argument("--stack", choices=["inprocess", "local", "external", "containers"],
                      default="inprocess",
                      help="inprocess (one process), local (processes over loopback "
                           "sockets, the CRM over TLS), external (a running estate, e.g. "
                           "docker-compose.yml) or containers (Docker, via testcontainers)")
    demo.add_argument("--manifest", help="the SUT's manifest (default: the reference's)")
    demo.add_argument("--concurrency", type=int, default=8, help="flows in flight at once")
    demo.add_argument("--out", default=".fintwin/demo",
                      help="directory for fintwin-results.json and fintwin-report.html")
    demo.add_argument("--no-progress", action="store_true", help="no progress bar")
    demo.add_argument("--traffic", action="store_true",
                      help="keep the SUT's request and webhook bodies in the results (for "
                           "fintwin contracts record --results)")
    demo.set_defaults(func=_demo_command)
    ver = sub.add_parser("verify-harness", help=(
        "run the scenario suites against the reference SUT and every faulty variant; "
        "print the detection matrix"))
    ver.add_argument("--variants", help="comma-separated variant names (default: all)")
    ver.add_argument("--scenarios", help="comma-separated scenario names, e.g. dunning,"
                                         "quote_to_cash (default: all in scenarios/)")
    ver.add_argument("--quick", action="store_true",
                     help="each variant runs only the scenario its caught_by names")
    ver.add_argument("--seed", type=int, default=1,
                     help="run seed of every pytest run (same seed, same faults)")
    ver.add_argument("--epoch", type=epoch.argument, default=epoch.resolve(), help=epoch.HELP)
    ver.add_argument("--jobs", type=int, default=2, help="variants run at once (default 2)")
    ver.add_argument("--out", help="keep each run's pytest log and report here")
    ver.add_argument("--json", help="write the matrix as JSON to this file")
    ver.set_defaults(func=_verify_command)
    soak = sub.add_parser("soak", help=(
        "the flake hunt: the scenario suites and the quick matrix many times, under CPU "
        "load and at calendar-edge epochs; every failure with its rerun command"))
    soak.add_argument("paths", nargs="*", help="suites to run (default: scenarios)")
    soak.add_argument("--runs", type=int, default=20, help="how many runs (default 20)")
    soak.add_argument("--seed", type=int, default=1000,
                      help="run i uses seed SEED+i (default 1000)")
    soak.add_argument("--epochs", default="all",
                      help="epochs taken in turn: all (default and every edge), default, "
                           "edges, or a comma list of instants or edge names")
    soak.add_argument("--no-load", action="store_true",
                      help="no CPU load (by default one spinning process per core)")
    soak.add_argument("--no-matrix", action="store_true", help="suites only, no matrix")
    soak.add_argument("--workers", type=int, default=2, help="pytest-xdist workers (2)")
    soak.add_argument("--max-minutes", type=float, default=240.0,
                      help="the load stops after this long at the latest (default 240)")
    soak.add_argument("--out", help="keep each run's logs and reports here")
    soak.set_defaults(func=_soak_command)
    mut = sub.add_parser("mutation", help=(
        "the mutation score of the scenario suites over the reference's flow modules "
        "(mutmut); print the score, the time and every surviving mutant"))
    mut.add_argument("--modules", default="main",
                     help="main (invoices, books, deals, accounts; default), all (the flow "
                          "package), or comma-separated paths")
    mut.add_argument("--sample", type=int, default=None,
                     help="judge a seeded sample of N mutants per module (default: all)")
    mut.add_argument("--seed", type=int, default=1, help="the sample's and the suites' seed")
    mut.add_argument("--workers", type=int, default=2, help="mutants judged at once (2)")
    mut.add_argument("--deadline", type=float, default=20.0,
                     help="a scenario's deadline for each wait (default 20 s)")
    mut.add_argument("--workdir", default=".fintwin/mutation",
                     help="where the project is copied and mutmut works")
    mut.add_argument("--mutants", default="",
                     help="judge only these mutants (comma-separated names, as the report "
                          "lists them), e.g. the survivors of the last run")
    mut.add_argument("--json", help="write the verdicts as JSON to this file")
    mut.add_argument("--fail-under", type=float, default=None, metavar="PERCENT",
                     help="exit 1 when the score is below this")
    mut.set_defaults(func=_mutation_command)
    contracts_cli.register(sub)
    load_cli.add_parser(sub)
    drift = sub.add_parser("drift", help=(
        "compare every billing object, in each served API version, with the stripe SDK's "
        "typed classes (missing, invented, nullability, enum)"))
    drift.add_argument("--verbose", action="store_true", help="list explained differences")
    drift.add_argument("--strict", action="store_true",
                       help="exit 1 when any difference is unexplained")
    drift.set_defaults(func=_drift_command)
    init = sub.add_parser("init", help=(
        "write a starter manifest, a conftest and one scenario into your repository, to "
        "test your own integration layer"))
    init.add_argument("--language", choices=["python", "node", "other"], default="python",
                      help="what your service runs on: how it is started and trusts the "
                           "fakes' local CA (default python)")
    init.add_argument("--dir", default=".", help="your repository (default: here)")
    init.add_argument("--name", help="the SUT's name in the manifest (default: the "
                                     "directory's name)")
    init.add_argument("--force", action="store_true", help="overwrite files that exist")
    init.set_defaults(func=_init_command)
    return parser


def _drift_command(args: argparse.Namespace) -> int:
    from harness import drift  # the stripe SDK and a billing fake: only for this command
    return drift.command(args)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
