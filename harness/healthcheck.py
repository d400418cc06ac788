"""The container health check (the image's HEALTHCHECK): does the component this
container runs answer on its health URL?

One image runs every component, chosen by its command (``fintwin sim crm``, ``fintwin
serve integration-layer``), so the check reads the command of the container's main
process (PID 1) to find where to ask: a fake's ``/_sim/health``, the integration layer's
``/health``, on the port, address and scheme that command serves. A fake served with
``--tls`` is verified against its own local CA (``<state-dir or cwd>/.fintwin/tls``).
``FINTWIN_HEALTH_URL`` overrides all of it. Exit status 0: healthy; 1: not (the reason on
stderr, which Docker keeps in the container's health log).

Only the standard library is imported: Docker runs this every few seconds.
"""

from __future__ import annotations

import argparse
import os
import ssl
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

SUT_PORT = 8000  # `fintwin serve integration-layer` default
HEALTH_PATHS = {"sim": "/_sim/health", "serve": "/health"}
WILDCARDS = {"", "0.0.0.0", "::", "[::]"}


class NotFintwin(Exception):
    """The main process is not a fintwin server this check knows how to probe."""


def health_target(argv: Sequence[str], cwd: Path) -> tuple[str, Path | None]:
    """The health URL of the server ``argv`` runs, and the CA to verify it with (None:
    plain HTTP)."""
    command = next((i for i, arg in enumerate(argv) if arg in HEALTH_PATHS), None)
    if command is None:
        raise NotFintwin(f"not a 'fintwin sim' or 'fintwin serve' command: {list(argv)!r}")
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("component", nargs="?")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tls", action="store_true")
    parser.add_argument("--state-dir")
    args, _ = parser.parse_known_args(list(argv[command + 1:]))
    kind = argv[command]
    port = args.port or _default_port(kind, args.component)
    host = "127.0.0.1" if args.host in WILDCARDS else args.host
    if ":" in host:
        host = f"[{host}]"
    ca = None
    if kind == "sim" and args.tls:
        state = Path(args.state_dir) if args.state_dir else Path(".fintwin")
        ca = (state if state.is_absolute() else cwd / state) / "tls" / "ca.pem"
    scheme = "https" if ca is not None else "http"
    return f"{scheme}://{host}:{port}{HEALTH_PATHS[kind]}", ca


def _default_port(kind: str, component: str | None) -> int:
    if kind == "serve":
        return SUT_PORT
    from harness.cli import FAKES  # only when the command left the port to its default

    if component not in FAKES:
        raise NotFintwin(f"unknown fake {component!r}")
    return FAKES[component][1]


def probe(url: str, ca: Path | None, timeout: float = 4.0) -> str | None:
    """None when ``url`` answers 2xx, else why not."""
    context = ssl.create_default_context(cafile=str(ca)) if ca is not None else None
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context) as response:
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        return f"{url}: HTTP {exc.code}"
    except (OSError, ssl.SSLError) as exc:
        return f"{url}: {exc}"
    return None if 200 <= status < 300 else f"{url}: HTTP {status}"


def main(environ: dict[str, str] | None = None, proc: Path = Path("/proc/1")) -> int:
    env = dict(os.environ if environ is None else environ)
    try:
        if env.get("FINTWIN_HEALTH_URL"):
            url, ca = env["FINTWIN_HEALTH_URL"], None
            if env.get("FINTWIN_HEALTH_CA"):
                ca = Path(env["FINTWIN_HEALTH_CA"])
        else:
            argv = (proc / "cmdline").read_bytes().rstrip(b"\0").split(b"\0")
            url, ca = health_target([a.decode() for a in argv], (proc / "cwd").resolve())
    except (OSError, NotFintwin) as exc:
        print(f"fintwin healthcheck: {exc}", file=sys.stderr)
        return 1
    problem = probe(url, ca)
    if problem is not None:
        print(f"fintwin healthcheck: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
