"""``local``: each fake on its own loopback port (a ``fintwin sim`` process or a
server thread), the SUT as a process of the manifest's command."""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from harness.manifest import VENDORS, Manifest
from harness.processes import ServerProcess, fintwin_argv, free_port
from harness.stack.base import Stack
from harness.stack.config import SUT, StackConfig, StackError
from harness.stack.fakes import create_fake, fake_arguments, fake_settings
from harness.stack.processes import wait_healthy
from simulators.engine.tls import ensure_local_ca


class LocalStack(Stack):
    """Each fake on its own loopback port, the SUT as a subprocess of the manifest's
    command."""

    mode = "local"

    def __init__(self, manifest: Manifest, config: StackConfig | None = None) -> None:
        super().__init__(manifest, config)
        self._procs: list[ServerProcess] = []
        self._threads: list[Any] = []
        self.sut_process: ServerProcess | None = None

    def _start(self) -> None:
        deadline = time.monotonic() + self.config.startup_timeout
        self._start_fakes(deadline)
        self._start_sut()

    def _child_env(self) -> dict[str, str]:
        env = dict(os.environ)
        bindir = str(Path(sys.executable).parent)
        env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
        env.setdefault("PYTHONUNBUFFERED", "1")
        return env

    def _start_fakes(self, deadline: float) -> None:
        tls = set(self.config.tls)
        if tls:
            self.ca_bundle = ensure_local_ca(self.run_dir / ".fintwin").ca_pem
        for vendor in VENDORS:
            scheme = "https" if vendor in tls else "http"
            if self.config.fakes == "thread":
                self._start_fake_thread(vendor, scheme)
            else:
                self._start_fake_process(vendor, scheme)
        for vendor in VENDORS:
            proc = next((p for p in self._procs if p.name == vendor), None)
            wait_healthy(self.urls[vendor] + "/_sim/health", deadline=deadline,
                         verify=self.verify(),
                         alive=None if proc is None else proc.died, what=f"{vendor} fake")

    def _start_fake_process(self, vendor: str, scheme: str) -> None:
        port = free_port()
        argv = fintwin_argv(*fake_arguments(self.config, vendor, port=port,
                                            tls=scheme == "https"))
        if self.sim_admin_token:
            argv += ["--admin-token", self.sim_admin_token]
        # cwd is the run dir: without --state-dir, --tls keeps its CA in ./.fintwin/tls,
        # which is where the CA made above already is.
        self.urls[vendor] = f"{scheme}://127.0.0.1:{port}"
        self._procs.append(ServerProcess(vendor, argv, url=self.urls[vendor],
                                         log=self.run_dir / f"{vendor}.log",
                                         env=self._child_env(), cwd=self.run_dir).start())

    def _start_fake_thread(self, vendor: str, scheme: str) -> None:
        from harness.servers import ServerThread

        tls_files = ensure_local_ca(self.run_dir / ".fintwin") if scheme == "https" else None
        # The port is chosen first: the fake's settings (its base URL) are final at start.
        port = free_port()
        url = f"{scheme}://127.0.0.1:{port}"
        app = create_fake(vendor, fake_settings(self.config, admin_token=self.sim_admin_token,
                                                base_url=url))
        server = ServerThread(app, port=port,
                              ssl_certfile=str(tls_files.cert_pem) if tls_files else None,
                              ssl_keyfile=str(tls_files.key_pem) if tls_files else None)
        server.start(self.config.startup_timeout)
        self._threads.append(server)
        self.urls[vendor] = url

    def _start_sut(self) -> None:
        start = self.manifest.start
        port = free_port()
        self.urls[SUT] = f"http://127.0.0.1:{port}"
        primary = None
        if not self.manifest.multi_tenant:
            primary = self.new_tenant("primary")
        settings = self.sut_settings(primary)
        env = {**self._child_env(), **start.env, **self.config.sut_env,
               **self.sut_option_env(), **self.manifest.environment(settings)}
        cwd = start.cwd or (self.manifest.path.parent if self.manifest.path else Path.cwd())
        argv = start.argv(port)
        if shutil.which(argv[0], path=env["PATH"]) is None and not Path(argv[0]).exists():
            raise StackError(f"SUT command not found: {argv[0]!r} (manifest [start].command)")
        self.sut_process = ServerProcess(SUT, argv, url=self.urls[SUT],
                                         log=self.run_dir / "sut.log", env=env,
                                         cwd=cwd).start()
        self._procs.append(self.sut_process)
        wait_healthy(self.urls[SUT] + start.health,
                     deadline=time.monotonic() + start.timeout,
                     alive=self.sut_process.died, what=f"SUT {self.manifest.name!r}")

    def sut_option_env(self) -> dict[str, str]:
        """``config.sut_options`` as the SUT's environment: under the manifest's [env]
        names, or as FINTWIN_<KEY> when the manifest names no variable for the key."""
        return {(self.manifest.env.get(k) or f"FINTWIN_{k.upper()}"): str(v)
                for k, v in self.config.sut_options.items()}

    def _stop(self) -> None:
        for proc in reversed(self._procs):
            proc.stop()
        self._procs.clear()
        for server in reversed(self._threads):
            server.stop()
        self._threads.clear()

