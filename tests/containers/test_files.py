"""The container files agree with each other and with the manifests: one image with a
non-root user and a health check, the compose estates published on 127.0.0.1 only (or on
the host's network bound to 127.0.0.1), the SUT configured by the variables its manifest
names, the fakes' CA shared through a volume. (containers/prove.sh runs them for real.)"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.manifest import load_manifest, reference_manifest_path

ROOT = Path(__file__).resolve().parents[2]
FAKES = {"crm": 8001, "billing": 8002, "erp": 8003}
SUT = "integration-layer"


def compose(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / name).read_text())
    return data


def option(command: list[str], flag: str) -> str | None:
    return command[command.index(flag) + 1] if flag in command else None


def test_the_dockerfile_builds_one_image_run_by_an_unprivileged_user() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^ARG BASE_IMAGE=python:3\.11-slim$", text, re.M)
    assert re.findall(r"^FROM \$\{BASE_IMAGE\} AS (\w+)$", text, re.M) == ["build", "runtime"]
    runtime = text.split("AS runtime", 1)[1]
    assert re.search(r"^USER 10001:10001$", runtime, re.M)
    assert 'CMD ["python3", "-m", "harness.healthcheck"]' in runtime
    assert re.search(r'^ENTRYPOINT \["fintwin"\]$', runtime, re.M)
    assert "COPY --from=build /opt/fintwin /opt/fintwin" in runtime  # no sources, no wheels
    ignore = [line for line in (ROOT / ".dockerignore").read_text().splitlines()
              if line and not line.startswith("#")]
    assert ignore[0] == "*" and "!build/wheelhouse" in ignore


@pytest.mark.parametrize("name", ["docker-compose.yml", "docker-compose.host.yml"])
def test_every_service_is_health_checked_and_the_sut_waits_for_them(name: str) -> None:
    services = compose(name)["services"]
    assert set(services) == {*FAKES, SUT, "postgres"}
    for service in services.values():
        assert service["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL")
    assert services[SUT]["depends_on"] == {
        s: {"condition": "service_healthy"} for s in (*FAKES, "postgres")}


def test_the_bridge_estate_publishes_on_loopback_only() -> None:
    services = compose("docker-compose.yml")["services"]
    assert "ports" not in services["postgres"]
    for name, port in {**FAKES, SUT: 8000}.items():
        [published] = services[name]["ports"]
        host_ip, _, container_port = published.rpartition(":")
        assert host_ip.startswith("127.0.0.1:") and container_port == str(port)
        assert option(services[name]["command"], "--port") == str(port)
        assert option(services[name]["command"], "--host") == "0.0.0.0"


def test_the_host_estate_binds_loopback_only() -> None:
    services = compose("docker-compose.host.yml")["services"]
    for name, service in services.items():
        assert service["network_mode"] == "host" and "ports" not in service
        command = service["command"]
        if name == "postgres":
            assert "listen_addresses=127.0.0.1" in command
        else:
            assert option(command, "--host") == "127.0.0.1"


@pytest.mark.parametrize(("name", "manifest"), [
    ("docker-compose.yml", "containers/compose-sut.toml"),
    ("docker-compose.host.yml", "containers/compose-host-sut.toml")])
def test_the_sut_is_configured_as_its_manifest_names_and_trusts_the_fakes_ca(
        name: str, manifest: str) -> None:
    services = compose(name)["services"]
    sut = services[SUT]
    names = set(load_manifest(reference_manifest_path()).env.values())
    assert set(sut["environment"]) <= names
    assert set(load_manifest(ROOT / manifest).env.values()) <= names
    # The CRM keeps its CA in its working directory's .fintwin (the image's WORKDIR); the
    # SUT mounts the same volume read-only and is pointed at the CA in it.
    [crm_volume] = services["crm"]["volumes"]
    assert crm_volume == "fakes-tls:/var/lib/fintwin/.fintwin"
    [sut_volume] = sut["volumes"]
    volume, mount, mode = sut_volume.split(":")
    assert (volume, mode) == ("fakes-tls", "ro")
    assert sut["environment"]["FINTWIN_CA_BUNDLE"] == f"{mount}/tls/ca.pem"
    assert "--tls" in services["crm"]["command"]
    # Seed and chaos are variables of every fake.
    for fake in FAKES:
        command = services[fake]["command"]
        assert option(command, "--seed") == "${FINTWIN_SEED:-0}"
        assert option(command, "--faults") == "${FINTWIN_CHAOS:-none}"


def test_the_compose_manifest_names_the_services_of_the_bridge_estate() -> None:
    services = compose("docker-compose.yml")["services"]
    network = load_manifest(ROOT / "containers/compose-sut.toml").network
    assert network["sut"] == f"http://{SUT}:8000"
    for fake, port in FAKES.items():
        scheme = "https" if "--tls" in services[fake]["command"] else "http"
        assert network[fake] == f"{scheme}://{fake}:{port}"
    assert option(services["crm"]["command"], "--tls-hostname") == "crm"
