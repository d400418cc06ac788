"""The containers mode: the fakes in fintwin's image, the SUT in its manifest's image, on a
private network published on 127.0.0.1 or on the host's network; removed at the end.

Tests marked by the ``docker`` fixture need a Docker engine and the ``fintwin:latest``
image (containers/prove.sh builds both); they skip without them, unless
FINTWIN_REQUIRE_DOCKER=1 (the proof sets it) makes that a failure.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import tarfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from harness import epoch
from harness.cli import build_parser
from harness.manifest import load_manifest, parse_manifest, reference_manifest_path
from harness.stack import StackConfig, StackError, create_stack, fake_arguments
from harness.stack.containers import (
    DEFAULT_IMAGE,
    LABEL_HOST,
    LABEL_PID,
    LABEL_STACK,
    ContainersStack,
    docker_client,
    ensure_image,
    read_single_file,
    remove_orphans,
)
from harness.waiting import eventually
from tests.harness.test_stack import create_customer, echo_manifest, exercise

REFERENCE = load_manifest(reference_manifest_path())


@pytest.fixture(scope="module")
def docker() -> Iterator[Any]:
    """A docker-py client, when an engine answers and fintwin's image is there."""
    reason = None
    try:
        client = docker_client()
    except StackError as exc:
        reason = str(exc)
    else:
        try:
            client.images.get(DEFAULT_IMAGE)
        except Exception:
            reason = f"no {DEFAULT_IMAGE} image (containers/prove.sh builds it)"
    if reason is not None:
        if os.environ.get("FINTWIN_REQUIRE_DOCKER"):
            pytest.fail(f"FINTWIN_REQUIRE_DOCKER is set: {reason}")
        pytest.skip(reason)
    yield client
    client.close()


@pytest.fixture(autouse=True)
def no_ryuk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ryuk's image cannot be pulled everywhere; the stack removes its containers itself."""
    from testcontainers.core.config import testcontainers_config

    monkeypatch.setattr(testcontainers_config, "ryuk_disabled", True)


def labelled(client: Any, run_id: str) -> list[Any]:
    return client.containers.list(all=True, filters={"label": f"{LABEL_STACK}={run_id}"})


# -- without an engine ----------------------------------------------------------------------


def test_the_network_follows_where_the_sut_runs() -> None:
    assert ContainersStack(REFERENCE, environ={}).network == "bridge"  # the SUT has an image
    assert ContainersStack(echo_manifest(), environ={}).network == "host"  # a process
    stack = ContainersStack(REFERENCE, environ={"FINTWIN_CONTAINER_NETWORK": "host",
                                                "FINTWIN_IMAGE": "fintwin:dev",
                                                "FINTWIN_SUT_IMAGE": "acme/sut:2"})
    assert (stack.network, stack.image, stack.sut_image) == ("host", "fintwin:dev", "acme/sut:2")
    with pytest.raises(StackError, match="containers on a bridge network cannot reach"):
        ContainersStack(echo_manifest(), network="bridge", environ={})
    with pytest.raises(StackError, match="'overlay' is not one of bridge, host"):
        ContainersStack(REFERENCE, network="overlay", environ={})
    url_only = parse_manifest({"name": "x", "start": {"url": "http://127.0.0.1:9"},
                               "env": {"crm_base_url": "A", "billing_base_url": "B",
                                       "erp_base_url": "C"}, "webhooks": {"billing": "/b"}})
    with pytest.raises(StackError, match=r"no \[container\]\.image and no \[start\]\.command"):
        create_stack("containers", url_only)


def test_fake_arguments_are_one_command_line_for_processes_and_containers() -> None:
    config = StackConfig(seed=5, delivery_time_scale=0.002, limits=False,
                         epoch=epoch.argument("2027-03-01"))
    assert fake_arguments(config, "crm", port=8001, host="0.0.0.0", tls=True,
                          tls_hostnames=("crm",)) == [
        "sim", "crm", "--host", "0.0.0.0", "--port", "8001", "--seed", "5",
        "--epoch", "2027-03-01T00:00:00Z", "--freeze-clock", "--delivery-time-scale", "0.002",
        "--tls", "--tls-hostname", "crm", "--no-limits"]
    default = StackConfig()
    assert fake_arguments(default, "erp", port=7) == [
        "sim", "erp", "--host", "127.0.0.1", "--port", "7", "--seed", "0",
        "--epoch", epoch.name(default.epoch), "--freeze-clock", "--delivery-time-scale", "0.01"]
    # ... and `fintwin sim` takes every one of them.
    build_parser().parse_args(fake_arguments(config, "crm", port=1, tls=True,
                                             tls_hostnames=("crm",)))


def test_read_single_file_from_an_archive() -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo("ca.pem")
        info.size = 5
        archive.addfile(info, io.BytesIO(b"-----"))
    assert read_single_file(buffer.getvalue()) == b"-----"
    empty = io.BytesIO()
    tarfile.open(fileobj=empty, mode="w").close()
    with pytest.raises(StackError, match="no file"):
        read_single_file(empty.getvalue())


def test_no_engine_and_a_missing_image_are_clear_errors(monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    import docker.errors

    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    with pytest.raises(StackError, match="no Docker engine answers"):
        docker_client()

    class Images:
        def get(self, name: str) -> None:
            raise docker.errors.ImageNotFound(name)

        def pull(self, name: str) -> None:
            raise docker.errors.APIError("pull access denied")

    class Client:
        images = Images()

    with pytest.raises(StackError, match=r"'fintwin:latest' is not here.*docker build -t "
                                         r"fintwin:latest .*FINTWIN_IMAGE"):
        ensure_image(Client(), "fintwin:latest", "FINTWIN_IMAGE")


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    assert proc.wait() == 0
    return proc.pid


def test_orphans_of_a_gone_process_are_removed_and_live_ones_kept() -> None:
    host = socket.gethostname()

    class Thing:
        def __init__(self, name: str, pid: str) -> None:
            self.name = name
            self.labels = {LABEL_HOST: host, LABEL_PID: pid}
            self.attrs = {"Labels": self.labels}
            self.removed = False

        def remove(self, **kwargs: Any) -> None:
            self.removed = True

    alive, dead = Thing("alive", str(os.getpid())), Thing("dead", str(_dead_pid()))
    net = Thing("net-dead", str(_dead_pid()))

    class Client:
        class containers:  # docker-py's attribute names
            @staticmethod
            def list(**kwargs: Any) -> list[Thing]:
                assert kwargs["filters"] == {"label": [f"{LABEL_HOST}={host}"]}
                return [alive, dead]

        class networks:
            @staticmethod
            def list(**kwargs: Any) -> list[Thing]:
                return [net]

    assert remove_orphans(Client()) == ["dead", "net-dead"]
    assert (alive.removed, dead.removed, net.removed) == (False, True, True)


# -- with an engine ---------------------------------------------------------------------


def test_bridge_network_published_on_loopback_and_removed_at_the_end(
        docker: Any, tmp_path: Path) -> None:
    config = StackConfig(seed=11, lock_fakes=True, run_dir=tmp_path, startup_timeout=60)
    stack = ContainersStack(REFERENCE, config, environ={})
    with stack:
        assert stack.network_urls == {"crm": "https://crm:8001", "billing": "http://billing:8002",
                                      "erp": "http://erp:8003", "sut": "http://sut:8000"}
        assert all(url.startswith(("http://127.0.0.1:", "https://127.0.0.1:"))
                   for url in stack.urls.values())
        containers = labelled(docker, stack.run_id)
        assert len(containers) == 4
        for container in containers:
            bindings = [b for ports in container.attrs["NetworkSettings"]["Ports"].values()
                        for b in ports or ()]
            assert bindings and {b["HostIp"] for b in bindings} == {"127.0.0.1"}
            assert container.exec_run(["id", "-u"]).output.strip() == b"10001"
        # The fakes' control planes are locked, and only the harness has the token.
        with stack.client("crm") as crm:
            assert crm.get("/_sim/faults").status_code == 401
        tenant = stack.new_tenant("bridge")
        create_customer(stack, tenant, "ap@acme.test")
        hook = f"http://sut:8000/webhooks/billing/{tenant.connection}"

        def delivered() -> bool:
            return any(d["url"] == hook and 200 <= (d.get("status") or 0) < 300
                       for d in stack.deliveries("billing", tenant))

        eventually(delivered, timeout=20, what="a billing webhook delivered to the SUT")
        network = stack._network.name
    assert labelled(docker, stack.run_id) == []
    assert docker.networks.list(names=[network]) == []
    assert "serving on https://0.0.0.0:8001" in (tmp_path / "crm.log").read_text()


def test_host_network_with_the_sut_as_a_process(docker: Any) -> None:
    stack = ContainersStack(echo_manifest(), StackConfig(seed=12, startup_timeout=60),
                            environ={})
    with stack:
        assert stack.network == "host" and stack.network_urls == {}
        assert stack.sut_process is not None  # the echo SUT runs from its [start].command
        exercise(stack)  # webhooks both ways, the SUT calling the billing fake back
        run_id = stack.run_id
    assert labelled(docker, run_id) == []


def test_a_sut_container_that_exits_fails_the_start_with_its_log(docker: Any) -> None:
    assert REFERENCE.container is not None
    broken = replace(REFERENCE, container=replace(
        REFERENCE.container, command=(*REFERENCE.container.command, "--variant", "nonsense")))
    stack = ContainersStack(broken, StackConfig(seed=13, startup_timeout=60), environ={})
    with pytest.raises(StackError, match=r"(?s)exited before it was healthy: exit code 2.*"
                                         r"nonsense"):
        stack.start()
    assert labelled(docker, stack.run_id) == []  # a failed start removes what it started


def test_leftovers_of_a_killed_harness_are_removed(docker: Any) -> None:
    labels = {LABEL_STACK: "orphan", LABEL_HOST: socket.gethostname(),
              LABEL_PID: str(_dead_pid())}
    container = docker.containers.create(DEFAULT_IMAGE, ["--help"], labels=labels)
    try:
        assert container.name in remove_orphans(docker)
        assert labelled(docker, "orphan") == []
    finally:
        with pytest.raises(Exception):  # noqa: B017 - gone already
            container.remove(force=True)

