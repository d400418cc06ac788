"""The Node.js SUT's CI step: install it, run its own tests, then run fintwin's scenario
suites against it through its manifest, twice:

- ``--fintwin-stack local``: the harness starts the fakes and the service (the manifest's
  ``[start].command``) itself, every suite, two xdist workers;
- ``--fintwin-stack external``: the fakes (``fintwin sim``) and the service are started
  first, as a team's own CI or a staging host would run them, and the harness is pointed
  at them through the variables the manifest names (a few suites, one after another: the
  workers would share the fakes and their fault plans).

The manifest's ``[expected_failures]`` make pytest report the suites the service lacks the
feature for as xfailed; a pass or another kind of failure fails the run. At the end the
figures are printed (suites, passed, expected failures, time).

    .venv/bin/python examples/node-sut/check.py [--skip-local] [--skip-external] [--out DIR]

Without Node.js 20+ it says so and exits 0, unless FINTWIN_REQUIRE_NODE=1 (CI).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
MANIFEST = HERE / "fintwin-sut.toml"
SEED = "1"
EXTERNAL_SUITES = ("test_quote_to_cash.py", "test_duplicate_delivery.py", "test_rate_limits.py",
                   "test_dlq_replay.py")
NODE_MAJOR = 20


def node_version() -> tuple[int, ...] | None:
    node = shutil.which("node")
    if node is None:
        return None
    out = subprocess.run([node, "--version"], capture_output=True, text=True, check=False)
    try:
        return tuple(int(p) for p in out.stdout.strip().lstrip("v").split("."))
    except ValueError:
        return None


def run(argv: list[str], *, cwd: Path = ROOT, env: Mapping[str, str] | None = None) -> int:
    print("$", " ".join(argv), flush=True)
    return subprocess.run(argv, cwd=cwd, env=None if env is None else dict(env),
                          check=False).returncode


def install() -> float:
    """``npm ci`` when node_modules is missing or older than the lockfile."""
    started = time.monotonic()
    marker = HERE / "node_modules" / ".package-lock.json"
    lock = HERE / "package-lock.json"
    stale = not marker.exists() or marker.stat().st_mtime < lock.stat().st_mtime
    if stale and run(["npm", "ci", "--no-audit", "--no-fund"], cwd=HERE) != 0:
        raise SystemExit("node-sut: npm ci failed")
    return time.monotonic() - started


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path, *, ca: Path | None = None,
                 timeout: float = 60.0) -> None:
    from harness.stack import StackError, ssl_context
    from harness.stack import wait_healthy as wait

    def died() -> str | None:
        if proc.poll() is None:
            return None
        return f"exit {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}"

    try:
        wait(url, deadline=time.monotonic() + timeout, alive=died,
             verify=ssl_context(ca) if ca else True, what=url)
    except StackError as exc:
        raise SystemExit(f"node-sut: {exc}") from exc


@contextmanager
def started(argv: list[str], *, cwd: Path, env: Mapping[str, str], log: Path
            ) -> Iterator[subprocess.Popen[bytes]]:
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, cwd=cwd, env=dict(env), stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def pytest(files: list[str], mode: str, out: Path, env: Mapping[str, str], *, workers: int
           ) -> tuple[int, float]:
    argv = [sys.executable, "-m", "pytest", *files, "-q", "-p", "no:cacheprovider",
            "--fintwin-sut", str(MANIFEST.relative_to(ROOT)), "--fintwin-stack", mode,
            "--fintwin-seed", SEED, "--fintwin-report", str(out),
            "--junitxml", str(out / "junit.xml")]
    argv += ["-n", str(workers)] if workers else ["-p", "no:xdist"]
    started_at = time.monotonic()
    code = run(argv, env=env)
    return code, time.monotonic() - started_at


def start_fake(stack: ExitStack, fake: str, tmp: Path, out: Path, env: Mapping[str, str]
               ) -> str:
    """``fintwin sim <fake>`` on a free port, as the harness's own would run (frozen clocks
    at the run's epoch, webhook retries at 1/100 of the vendor's schedule); its URL."""
    from harness import epoch
    from harness.waiting import eventually

    port = free_port()
    argv = [sys.executable, "-m", "harness.cli", "sim", fake, "--port", str(port),
            "--seed", SEED, "--epoch", epoch.name(epoch.resolve()), "--freeze-clock",
            "--delivery-time-scale", "0.01"]
    tls = fake == "crm"  # Salesforce clients speak https only
    if tls:
        argv.append("--tls")
    log = out / f"{fake}.log"
    proc = stack.enter_context(started(argv, cwd=tmp, env=env, log=log))
    url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    ca = tmp / ".fintwin" / "tls" / "ca.pem" if tls else None
    if ca is not None:  # written as the fake starts
        eventually(lambda: ca.exists() or proc.poll() is not None, timeout=30,
                   what=f"the CRM fake's CA at {ca}")
    wait_healthy(url + "/_sim/health", proc, log, ca=ca)
    return url


def external(out: Path, env: dict[str, str]) -> tuple[int, float]:
    """The fakes and the service started first, then the suites pointed at them."""
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="nodesut-ext-")))
        urls = {fake: start_fake(stack, fake, tmp, out, env) for fake in ("crm", "billing", "erp")}
        ca_pem = tmp / ".fintwin" / "tls" / "ca.pem"
        admin = secrets.token_hex(16)
        sut_url = "http://127.0.0.1:8090"  # the manifest's [start].url
        sut_env = {**env, "NODE_EXTRA_CA_CERTS": str(ca_pem), "SUT_ADMIN_TOKEN": admin,
                   "SUT_DATABASE_URL": f"sqlite:///{tmp / 'sut.db'}"}
        log = out / "sut.log"
        proc = stack.enter_context(started(["node", "src/server.js", "--port", "8090"],
                                           cwd=HERE, env=sut_env, log=log))
        wait_healthy(sut_url + "/health", proc, log)
        harness_env = {**env, "CRM_URL": urls["crm"], "BILLING_URL": urls["billing"],
                       "ERP_URL": urls["erp"], "NODE_EXTRA_CA_CERTS": str(ca_pem),
                       "SUT_ADMIN_TOKEN": admin}
        files = [f"scenarios/{name}" for name in EXTERNAL_SUITES]
        return pytest(files, "external", out, harness_env, workers=0)


def figures(out: Path, seconds: float) -> dict[str, object]:
    result = json.loads((out / "fintwin-results.json").read_text())
    outcomes = result["summary"]["outcomes"]
    return {"tests": result["summary"]["tests"], "passed": outcomes.get("passed", 0),
            "expected_failures": outcomes.get("xfailed", 0),
            "unexpected": sum(v for k, v in outcomes.items() if k not in ("passed", "xfailed")),
            "seconds": round(seconds, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-local", action="store_true")
    parser.add_argument("--skip-external", action="store_true")
    parser.add_argument("--out", default=str(ROOT / ".fintwin" / "node-sut"),
                        help="reports and logs (default .fintwin/node-sut)")
    args = parser.parse_args()
    version = node_version()
    if version is None or version[0] < NODE_MAJOR:
        found = "no node on PATH" if version is None else "node " + ".".join(map(str, version))
        message = f"node-sut: Node.js {NODE_MAJOR}+ is needed ({found})"
        if os.environ.get("FINTWIN_REQUIRE_NODE") == "1":
            raise SystemExit(message)
        print(f"WARNING: {message}; the Node.js SUT suites are SKIPPED", file=sys.stderr)
        return 0
    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "SUT_QUIET": "1"}
    install_s = install()
    if run(["npm", "test", "--silent"], cwd=HERE) != 0:
        raise SystemExit("node-sut: its own tests (npm test) failed")
    rows: dict[str, dict[str, object]] = {}
    codes = []
    if not args.skip_local:
        (out / "local").mkdir(parents=True)
        code, seconds = pytest(["scenarios"], "local", out / "local", env, workers=2)
        codes.append(code)
        rows["local (every suite, -n 2)"] = figures(out / "local", seconds)
    if not args.skip_external:
        (out / "external").mkdir(parents=True)
        code, seconds = external(out / "external", env)
        codes.append(code)
        rows["external (4 suites, serial)"] = figures(out / "external", seconds)
    print(f"\nnode-sut: node {'.'.join(map(str, version))}, npm ci {install_s:.0f} s")
    print(f"{'run':<30} {'tests':>5} {'passed':>6} {'expected failures':>17} "
          f"{'unexpected':>10} {'time':>8}")
    for name, row in rows.items():
        print(f"{name:<30} {row['tests']:>5} {row['passed']:>6} {row['expected_failures']:>17} "
              f"{row['unexpected']:>10} {row['seconds']:>7}s")
    print(f"reports: {out}/*/fintwin-report.html")
    return 0 if all(c == 0 for c in codes) else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
