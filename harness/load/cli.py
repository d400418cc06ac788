"""The ``fintwin load`` arguments (registered by harness/cli.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness import epoch
from harness.load.profiles import ERP_TIERS, PROFILES


def duration(text: str) -> float:
    """``60s``, ``2m``, ``1h``, ``90`` (seconds) or ``0`` (until the users stop)."""
    value = text.strip().lower()
    factor = {"s": 1, "m": 60, "h": 3600}.get(value[-1:])
    number = value[:-1] if factor else value
    try:
        seconds = float(number) * (factor or 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (e.g. 60s, 2m)") from None
    if seconds < 0:
        raise argparse.ArgumentTypeError("a duration cannot be negative")
    return seconds


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("load", help="Locust load test of the SUT through the fakes, and a "
                                    "cutover report")
    p.add_argument("--scenario", choices=["q2c", "month-end", "fakes"], default="q2c")
    p.add_argument("--users", type=int, default=10, help="Locust users (default 10)")
    p.add_argument("--spawn-rate", type=float, default=5.0, help="users started per second")
    p.add_argument("--duration", type=duration, default=None,
                   help="load time, e.g. 60s or 2m (default 60s; month-end: 0, until every "
                        "renewal is posted and paid)")
    p.add_argument("--target-flows-per-min", type=float, default=None,
                   help="q2c: the business throughput to hold; users pace themselves to "
                        "it and the verdict checks it")
    p.add_argument("--limits", choices=PROFILES, default=None,
                   help="vendor limits on the fakes: sandbox (the fakes' own; the default), "
                        "production (Stripe live, Salesforce Enterprise, NetSuite by tier) or "
                        "none (the default of the fakes scenario)")
    p.add_argument("--erp-tier", choices=sorted(ERP_TIERS), default="premium",
                   help="production profile: NetSuite service tier (default premium)")
    p.add_argument("--suitecloud-plus", type=int, default=0,
                   help="production profile: SuiteCloud Plus licences (+10 each)")
    p.add_argument("--crm-licences", type=int, default=0,
                   help="production profile: Salesforce licences (+1,000 requests/day each)")
    p.add_argument("--service-time", type=float, default=0.0,
                   help="the fakes' modelled service time per operation (1: the vendors' "
                        "pace, e.g. NetSuite's requests then overlap and meet its "
                        "concurrency limit; default 0: the fakes answer at once)")
    p.add_argument("--workers", type=int, default=0,
                   help="run Locust distributed: a master and N local worker processes")
    p.add_argument("--remote-workers", type=int, default=0,
                   help="more workers the master waits for, started on other machines "
                        "(docs/load.md, 'Distributed load')")
    p.add_argument("--master-port", type=int, default=0, help="Locust master port (default: "
                                                              "a free one)")
    p.add_argument("--tenants", type=int, default=1,
                   help="companies (CRM org, billing and ERP accounts) sharing the SUT")
    p.add_argument("--renewals", type=int, default=2000,
                   help="month-end: subscriptions per tenant renewing at once (default 2000)")
    p.add_argument("--deals-per-user", type=int, default=None,
                   help="q2c: each user closes this many deals, then stops (a fixed load)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--epoch", type=epoch.argument, default=None, help=epoch.HELP)
    p.add_argument("--sut", type=Path, default=None,
                   help="SUT manifest (default: the reference integration layer's)")
    p.add_argument("--serve", action="store_true",
                   help="start the stack and wait: run `locust -f loadtests/...` yourself "
                        "(web UI); Ctrl-C drains, checks and writes the report")
    p.add_argument("--out", type=Path, default=None,
                   help="report directory (default .fintwin/load/<scenario>)")
    p.set_defaults(func=_command)


def _command(args: argparse.Namespace) -> int:
    from harness.load.run import DEFAULT_OUT, LoadOptions, main

    month_end = args.scenario == "month-end"
    default_duration = 0.0 if month_end else 60.0
    if args.scenario == "q2c" and args.deals_per_user:
        default_duration = 0.0
    opts = LoadOptions(
        scenario=args.scenario, users=args.users if not month_end else max(args.tenants, 1),
        spawn_rate=args.spawn_rate,
        duration=args.duration if args.duration is not None else default_duration,
        target_flows_per_min=args.target_flows_per_min,
        limits=args.limits or ("none" if args.scenario == "fakes" else "sandbox"),
        erp_tier=args.erp_tier, suitecloud_plus=args.suitecloud_plus,
        crm_licences=args.crm_licences, workers=args.workers,
        remote_workers=args.remote_workers, master_port=args.master_port,
        out=args.out or DEFAULT_OUT / args.scenario, seed=args.seed, tenants=args.tenants,
        renewals=args.renewals, deals_per_user=args.deals_per_user, sut=args.sut,
        serve=args.serve, service_time=args.service_time,
        epoch=args.epoch if args.epoch is not None else epoch.resolve())
    return main(opts)
