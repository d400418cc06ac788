"""``containers``: the fakes, and the SUT when its manifest names an image, as Docker
containers started through testcontainers-python.

The fakes run fintwin's image (``FINTWIN_IMAGE``, default ``fintwin:latest``, built from
the Dockerfile), one container each. The SUT runs its manifest's ``[container]`` image
(``FINTWIN_SUT_IMAGE`` overrides it) with the ``[container].command`` arguments, configured
through its environment exactly as the manifest's ``[env]`` names the settings, and trusts
the fakes' CA, copied into it at ``[container].ca_bundle``. A manifest without an image
runs the SUT as a process of its ``[start].command``, as the local mode does.

Networking (``FINTWIN_CONTAINER_NETWORK``):

- ``bridge`` (the default when the SUT is a container): a private Docker network; the
  members reach each other by name (``crm``, ``billing``, ``erp``, ``sut``), the CRM's
  certificate names ``crm``; each container's port is published on 127.0.0.1 only, at a
  port Docker picks, which is where the harness reaches it.
- ``host`` (the default when the SUT is a process): every container on the host's
  network, each server bound to 127.0.0.1 on a free port, so that everything, the
  harness included, meets at the same addresses.

Each server is ready when its health URL answers (the harness probes it through the
published port; a container that exits first fails the start with its log). At the end
every container and the network are removed, their logs kept in the run directory. Ryuk,
testcontainers' reaper, is used unless ``TESTCONTAINERS_RYUK_DISABLED=true`` (a machine
that cannot pull its image); either way the containers are labelled with the harness's
host and process id, and a later start removes those whose process is gone.
"""

from __future__ import annotations

import contextlib
import io
import os
import secrets
import socket
import tarfile
import time
from collections.abc import Mapping
from typing import Any, cast

from harness.manifest import VENDORS, ContainerSpec, Manifest
from harness.processes import free_port
from harness.stack.config import SIM_ADMIN_TOKEN_ENV, SUT, StackConfig, StackError
from harness.stack.fakes import fake_arguments
from harness.stack.local import LocalStack
from harness.stack.processes import wait_healthy
from harness.waiting import NotYet, eventually

DEFAULT_IMAGE = "fintwin:latest"
IMAGE_ENV = "FINTWIN_IMAGE"
SUT_IMAGE_ENV = "FINTWIN_SUT_IMAGE"
NETWORK_ENV = "FINTWIN_CONTAINER_NETWORK"
NETWORKS = ("bridge", "host")
# Ports inside a container network (published on 127.0.0.1 at ports Docker picks).
FAKE_PORTS = {"crm": 8001, "billing": 8002, "erp": 8003}
SUT_PORT = 8000
SUT_ALIAS = "sut"
# Where `fintwin sim --tls` keeps its local CA in fintwin's image (its working directory).
IMAGE_TLS_DIR = "/var/lib/fintwin/.fintwin/tls"
LABEL_STACK = "io.fintwin.stack"
LABEL_HOST = "io.fintwin.host"
LABEL_PID = "io.fintwin.pid"


class ContainersStack(LocalStack):
    """The fakes (and a SUT with an image) as containers; see the module docstring."""

    mode = "containers"

    def __init__(self, manifest: Manifest, config: StackConfig | None = None, *,
                 image: str | None = None, sut_image: str | None = None,
                 network: str | None = None, environ: Mapping[str, str] | None = None
                 ) -> None:
        super().__init__(manifest, config)
        env = os.environ if environ is None else environ
        self.image = image or env.get(IMAGE_ENV) or DEFAULT_IMAGE
        spec = manifest.container
        self.sut_image = sut_image or env.get(SUT_IMAGE_ENV) or (spec.image if spec else None)
        if self.sut_image is None and manifest.start.command is None:
            raise StackError("containers mode: the SUT manifest names no [container].image "
                             "and no [start].command to run")
        # A SUT process on the host cannot be reached from a container network.
        self.network = network or env.get(NETWORK_ENV) or (
            "bridge" if self.sut_image else "host")
        if self.network not in NETWORKS:
            raise StackError(f"{NETWORK_ENV}: {self.network!r} is not one of "
                             f"{', '.join(NETWORKS)}")
        if self.network == "bridge" and self.sut_image is None:
            raise StackError("containers mode: a SUT without an image runs on the host, "
                             "which containers on a bridge network cannot reach; use "
                             f"{NETWORK_ENV}=host")
        self.run_id = secrets.token_hex(4)
        self.containers: dict[str, Any] = {}  # name -> testcontainers DockerContainer
        self._network: Any = None  # testcontainers Network (bridge)
        self._client: Any = None  # docker-py client

    # -- lifecycle -------------------------------------------------------------------

    def _start(self) -> None:
        deadline = time.monotonic() + self.config.startup_timeout
        self._client = docker_client()
        remove_orphans(self._client)
        ensure_image(self._client, self.image, IMAGE_ENV)
        if self.network == "bridge":
            from testcontainers.core.network import Network

            self._network = Network(docker_network_kw={"labels": self._docker_labels()}).create()
        for vendor in VENDORS:
            self._start_fake_container(vendor)
        for vendor in VENDORS:
            self._await_fake(vendor, deadline)
        if self.sut_image is not None:
            ensure_image(self._client, self.sut_image, SUT_IMAGE_ENV)
            self._start_sut_container(self.sut_image, self.manifest.container)
        else:
            self._start_sut()

    def _stop(self) -> None:
        try:
            super()._stop()  # a SUT process, if there is one
        finally:
            for name, container in reversed(list(self.containers.items())):
                self._keep_log(name, container)
                with contextlib.suppress(Exception):
                    container.stop(force=True, delete_volume=True)
            self.containers.clear()
            if self._network is not None:
                with contextlib.suppress(Exception):
                    self._network.remove()
                self._network = None
            if self._client is not None:
                self._client.close()
                self._client = None

    def _keep_log(self, name: str, container: Any) -> None:
        with contextlib.suppress(Exception):
            logs = container.get_wrapped_container().logs(stdout=True, stderr=True)
            (self.run_dir / f"{name}.log").write_bytes(logs)

    # -- the fakes -------------------------------------------------------------------

    def _start_fake_container(self, vendor: str) -> None:
        bridge = self.network == "bridge"
        port = FAKE_PORTS[vendor] if bridge else free_port()
        tls = vendor in self.config.tls
        args = fake_arguments(self.config, vendor, host="0.0.0.0" if bridge else "127.0.0.1",
                              port=port, tls=tls, tls_hostnames=(vendor,) if bridge else ())
        env = {SIM_ADMIN_TOKEN_ENV: self.sim_admin_token} if self.sim_admin_token else {}
        container = self._container(vendor, self.image, args, env, port, alias=vendor)
        scheme = "https" if tls else "http"
        self.urls[vendor] = f"{scheme}://127.0.0.1:{self._host_port(container, port)}"
        if bridge:
            self.network_urls[vendor] = f"{scheme}://{vendor}:{port}"

    def _await_fake(self, vendor: str, deadline: float) -> None:
        container = self.containers[vendor]
        if vendor in self.config.tls and self.ca_bundle is None:
            # The fake makes its CA as it starts; the harness and the SUT trust that one.
            pem = self._eventually_file(container, f"{IMAGE_TLS_DIR}/ca.pem", deadline,
                                        what=f"{vendor} fake's CA")
            self.ca_bundle = self.run_dir / "fakes-ca.pem"
            self.ca_bundle.write_bytes(pem)
        wait_healthy(self.urls[vendor] + "/_sim/health", deadline=deadline,
                     verify=self.verify(), alive=lambda: self._exited(container),
                     what=f"{vendor} fake (container)")

    # -- the SUT ---------------------------------------------------------------------

    def _start_sut_container(self, image: str, spec: ContainerSpec | None) -> None:
        bridge = self.network == "bridge"
        port = SUT_PORT if bridge else free_port()
        if bridge:
            self.network_urls[SUT] = f"http://{SUT_ALIAS}:{port}"
        else:
            self.urls[SUT] = f"http://127.0.0.1:{port}"
        # A single-tenant SUT is configured with its one tenant, provisioned first.
        primary = None if self.manifest.multi_tenant else self.new_tenant("primary")
        settings = self.sut_settings(primary)
        env = {**(spec.env if spec else {}), **self.config.sut_env, **self.sut_option_env(),
               **self.manifest.environment(settings)}
        args = spec.argv("0.0.0.0" if bridge else "127.0.0.1", port) if spec else []
        copies = []
        if self.ca_bundle is not None:
            copies.append((self.ca_bundle.read_bytes(), self.sut_ca_bundle() or ""))
        container = self._container(SUT, image, args, env, port, alias=SUT_ALIAS,
                                    copies=copies)
        self.urls[SUT] = f"http://127.0.0.1:{self._host_port(container, port)}"
        start = self.manifest.start
        wait_healthy(self.urls[SUT] + start.health, deadline=time.monotonic() + start.timeout,
                     alive=lambda: self._exited(container),
                     what=f"SUT {self.manifest.name!r} (container {image})")

    def sut_ca_bundle(self) -> str | None:
        if self.sut_image is None or self.ca_bundle is None:
            return super().sut_ca_bundle()
        return self.manifest.container.ca_bundle if self.manifest.container else \
            ContainerSpec(image=self.sut_image).ca_bundle

    def sut_settings(self, primary: Any) -> dict[str, str]:
        values = super().sut_settings(primary)
        if self.sut_image is not None:
            # The harness's run directory is not in the container: the SUT keeps its own
            # default database unless [container].env names one.
            values.pop("database_url", None)
        return values

    # -- containers ------------------------------------------------------------------

    def _docker_labels(self) -> dict[str, str]:
        return {LABEL_STACK: self.run_id, LABEL_HOST: socket.gethostname(),
                LABEL_PID: str(os.getpid())}

    def _container(self, name: str, image: str, args: list[str], env: Mapping[str, str],
                   port: int, *, alias: str, copies: list[tuple[bytes, str]] | None = None
                   ) -> Any:
        from testcontainers.core.container import DockerContainer

        container = DockerContainer(image).with_name(f"fintwin-{self.run_id}-{name}")
        if args:
            container.with_command(args)
        container.with_envs(**env)
        for data, path in copies or ():
            container.with_copy_into_container(data, path, 0o644)
        if self.network == "bridge":
            container.with_network(self._network).with_network_aliases(alias)
            # Published on loopback only, at a port Docker picks (testcontainers' own
            # with_exposed_ports would publish on every interface).
            cast(dict[str, Any], container.ports)[f"{port}/tcp"] = ("127.0.0.1", None)
            container.with_kwargs(labels=self._docker_labels())
        else:
            container.with_kwargs(labels=self._docker_labels(), network_mode="host", network=None)
        self.containers[name] = container
        try:
            container.start()
        except Exception as exc:
            raise StackError(f"{name}: container {image} did not start: {exc}") from exc
        return container

    def _host_port(self, container: Any, port: int) -> int:
        if self.network == "host":
            return port
        bound = self._client.api.port(container.get_wrapped_container().id, port) or []
        for binding in bound:
            if binding.get("HostIp") in ("127.0.0.1", "") and binding.get("HostPort"):
                return int(binding["HostPort"])
        raise StackError(f"{container.image}: port {port} was not published: {bound!r}")

    def _exited(self, container: Any) -> str | None:
        wrapped = container.get_wrapped_container()
        try:
            wrapped.reload()
        except Exception as exc:  # removed under us
            return f"container gone: {exc}"
        if wrapped.status not in ("exited", "dead"):
            return None
        code = wrapped.attrs.get("State", {}).get("ExitCode")
        tail = wrapped.logs(tail=60).decode("utf-8", "replace")
        return f"exit code {code}; log tail:\n{tail}"

    def _eventually_file(self, container: Any, path: str, deadline: float, *, what: str
                         ) -> bytes:
        import docker.errors

        def present() -> bytes | None:
            died = self._exited(container)
            if died is not None:
                raise StackError(f"{what}: the container exited: {died}")
            try:
                stream, _ = container.get_wrapped_container().get_archive(path)
            except docker.errors.NotFound:
                return None
            return read_single_file(b"".join(stream))

        try:
            data = eventually(present, timeout=max(0.0, deadline - time.monotonic()),
                              interval=0.05, what=f"{what} at {path}")
        except NotYet:
            raise StackError(f"{what}: {path} did not appear in time") from None
        assert data is not None
        return data

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "image": self.image, "sut_image": self.sut_image,
                "network": self.network}


def docker_client() -> Any:
    """A docker-py client from the environment (DOCKER_HOST or the local socket)."""
    import docker
    import docker.errors

    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as exc:
        raise StackError(f"containers mode: no Docker engine answers ({exc}); start dockerd "
                         "or set DOCKER_HOST") from exc
    return client


def ensure_image(client: Any, image: str, variable: str) -> None:
    """``image`` present locally, pulled if not; a clear error when neither works."""
    import docker.errors

    try:
        client.images.get(image)
        return
    except docker.errors.ImageNotFound:
        pass
    try:
        client.images.pull(image)
    except docker.errors.DockerException as exc:
        hint = (" (build it: docker build -t fintwin:latest .)"
                if image.startswith("fintwin:") else "")
        raise StackError(f"image {image!r} is not here and could not be pulled{hint}; "
                         f"{variable} names another: {exc}") from exc


def remove_orphans(client: Any) -> list[str]:
    """Remove containers and networks an earlier harness process on this host left
    behind (it was killed before it could): those whose process is gone."""
    removed: list[str] = []
    mine = {"label": [f"{LABEL_HOST}={socket.gethostname()}"]}
    for container in client.containers.list(all=True, filters=mine):
        if not _alive(container.labels.get(LABEL_PID, "")):
            with contextlib.suppress(Exception):
                container.remove(force=True, v=True)
                removed.append(container.name)
    for network in client.networks.list(filters=mine):
        if not _alive(network.attrs.get("Labels", {}).get(LABEL_PID, "")):
            with contextlib.suppress(Exception):
                network.remove()
                removed.append(network.name)
    return removed


def _alive(pid: str) -> bool:
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_single_file(tar_bytes: bytes) -> bytes:
    """The content of the one regular file in a tar archive (docker's get_archive)."""
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as archive:
        for member in archive.getmembers():
            if member.isfile():
                extracted = archive.extractfile(member)
                if extracted is not None:
                    return extracted.read()
    raise StackError("the archive holds no file")
