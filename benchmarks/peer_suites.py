"""Other Stripe fakes' own test suites, run against the billing fake (issue 19).

stripe-stateful-mock ships a mocha suite (stripe-node) whose tests run one script twice,
against the mock and against live Stripe, and compare the two answers. There is no live
Stripe here: this script fetches the published package (``npm pack``, never vendored into
fintwin), replaces the suite's two harness files with its own (``stripeUtils.ts``: a
stripe-node client on the billing fake; ``buildStripeParityTest.ts``: the script run once,
on the fake, passing when it completes and its own assertions hold), points the suite's
``../src`` imports at the package's compiled ``dist``, installs the suite's dev
dependencies with npm, starts ``fintwin sim billing --no-limits`` and runs mocha. A pass
therefore means "the fake answered what the script needed", not "equal to live Stripe";
a script that expects an error passes only when the fake's error is not an unknown route or
parameter (the fake lacking the feature).

    python -m benchmarks.peer_suites [--fake-root DIR]   # DIR: another fintwin checkout

localstripe's curl script (``test.sh``) is in its repository only, not in the PyPI sdist
this script may fetch, so it is not run (README, "Peer suites").
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from harness.processes import ServerProcess, fintwin_argv, free_port

PACKAGE = "stripe-stateful-mock@0.0.16"
DEV_DEPENDENCIES = ("mocha@8", "ts-node@9", "typescript@4", "stripe@8", "chai@4",
                    "chai-exclude@2", "chai-as-promised@7", "dotenv-safe@8", "loglevel@1",
                    "@types/node@14", "@types/mocha@8", "@types/chai@4")
# The suite's tests of the mock itself (its own auth and verify helpers), not of Stripe.
SKIPPED_FILES = ("auth.ts", "verify.ts", "requireDotEnv.ts", "stripeAssert.ts",
                 "stripeUtils.ts", "buildStripeParityTest.ts")

STRIPE_UTILS = """import Stripe from "stripe";
let client: Stripe;
export function getLocalStripeClient(): Stripe {
    if (!client) {
        const url = new URL(process.env["FINTWIN_BILLING_URL"] as string);
        client = new Stripe(process.env["FINTWIN_KEY"] as string, {
            apiVersion: "2020-08-27", host: url.hostname, port: Number(url.port),
            protocol: "http", maxNetworkRetries: 0} as any);
    }
    return client;
}
export function getLiveStripeClient(): Stripe { return getLocalStripeClient(); }
"""
PARITY = """import Stripe from "stripe";
import {getLocalStripeClient} from "./stripeUtils";
export function buildStripeParityTest(script: (c: Stripe, mode: "local" | "live") =>
        Promise<any[]>): () => Promise<void> {
    return async () => {
        const results = await script(getLocalStripeClient(), "live");
        for (const r of results) {
            // Without live Stripe to compare with, an error the script expected only
            // counts when it is not the fake failing to know the route or a parameter.
            if (r instanceof Error) {
                const e = r as any;
                const unknown = /Unrecognized request URL|unknown parameter/i.test(e.message || "");
                if (unknown) throw new Error("the fake lacks this: " + e.message);
            }
        }
    };
}
"""


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode and cmd[0] != "npx":  # mocha exits non-zero when a test fails
        sys.stderr.write(done.stdout[-2000:] + done.stderr[-2000:])
        raise SystemExit(f"{' '.join(cmd[:3])} failed ({done.returncode})")
    return done.stdout


def prepare(work: Path) -> Path:
    _run(["npm", "pack", PACKAGE, "--silent"], work)
    tgz = next(work.glob("stripe-stateful-mock-*.tgz"))
    with tarfile.open(tgz) as tar:
        tar.extractall(work, filter="data")
    pkg = work / "package"
    (pkg / "test" / "stripeUtils.ts").write_text(STRIPE_UTILS)
    (pkg / "test" / "buildStripeParityTest.ts").write_text(PARITY)
    for name in ("auth.ts", "verify.ts"):
        (pkg / "test" / name).unlink(missing_ok=True)
    src = pkg / "src" / "api"
    src.mkdir(parents=True, exist_ok=True)
    for module in ("utils", "RestError", "verify"):
        (src / f"{module}.ts").write_text(f'export * from "../../dist/api/{module}";\n')
    (pkg / "src" / "autoStart.ts").write_text("export const port = 0;\n")
    (pkg / "test" / "requireDotEnv.ts").write_text("")
    _run(["npm", "install", "--no-save", "--no-audit", "--no-fund", "--silent",
          *DEV_DEPENDENCIES], pkg)
    return pkg


def run_suite(pkg: Path, url: str) -> dict[str, object]:
    env = {**os.environ, "FINTWIN_BILLING_URL": url, "FINTWIN_KEY": "sk_test_peer_suite_0001",
           "TS_NODE_TRANSPILE_ONLY": "true", "LOG_LEVEL": "silent"}
    out = _run(["npx", "mocha", "--timeout", "10000", "--require", "ts-node/register",
                "--reporter", "json", "--exit", "test/**/*.ts"], pkg, env)
    report = json.loads(out[out.index("{"):])
    return {"passes": len(report["passes"]), "failures": len(report["failures"]),
            "tests": report["stats"]["tests"],
            "passed": sorted(t["fullTitle"] for t in report["passes"]),
            "failed": sorted(f"{t['fullTitle']}: {str(t['err'].get('message'))[:160]}"
                             for t in report["failures"])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fake-root", type=Path, default=None,
                        help="run `fintwin sim` from this checkout (e.g. an older commit)")
    parser.add_argument("--list", action="store_true",
                        help="list the tests that pass, and why the others fail")
    args = parser.parse_args(argv)
    root = (args.fake_root or Path(__file__).resolve().parent.parent).resolve()
    with tempfile.TemporaryDirectory(prefix="fintwin-peers-") as tmp:
        pkg = prepare(Path(tmp))
        port = free_port()
        sim = ServerProcess("billing", fintwin_argv("sim", "billing", "--port", str(port),
                                                    "--no-limits"),
                            url=f"http://127.0.0.1:{port}", log=Path(tmp) / "sim.log",
                            env={**os.environ, "PYTHONPATH": str(root)}, cwd=root)
        with sim:
            sim.ready()
            result = run_suite(pkg, sim.url)
    print(f"stripe-stateful-mock ({PACKAGE}) mocha suite against the billing fake"
          f"{' at ' + str(args.fake_root) if args.fake_root else ''}: "
          f"{result['passes']} of {result['tests']} pass")
    if args.list:
        for title in result["passed"]:  # type: ignore[attr-defined]
            print("  pass:", title)
        for line in result["failed"]:  # type: ignore[attr-defined]
            print("  fail:", line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
