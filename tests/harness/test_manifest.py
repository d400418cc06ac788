"""The SUT manifest: the reference's loads; every bad key is named in the error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.manifest import (
    AdminSpec,
    ManifestError,
    load_manifest,
    parse_manifest,
    reference_manifest_path,
)


def minimal(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "sut",
        "start": {"command": ["my-sut", "--port", "{port}"], "health": "/healthz"},
        "env": {"crm_base_url": "CRM_URL", "billing_base_url": "BILLING_URL",
                "erp_base_url": "ERP_URL"},
        "webhooks": {"billing": "/hooks/billing"},
    }
    data.update(changes)
    return data


def test_the_reference_manifest_follows_the_documented_contract() -> None:
    m = load_manifest(reference_manifest_path())
    assert m.name == "reference" and m.multi_tenant
    assert m.start.argv(8123) == ["fintwin", "serve", "integration-layer", "--port", "8123"]
    assert m.start.health == "/health"
    assert {m.env[k] for k in ("crm_base_url", "billing_base_url", "erp_base_url",
                               "ca_bundle", "database_url", "admin_token")} == {
        "FINTWIN_CRM_URL", "FINTWIN_BILLING_URL", "FINTWIN_ERP_URL", "FINTWIN_CA_BUNDLE",
        "FINTWIN_DATABASE_URL", "FINTWIN_ADMIN_TOKEN"}
    assert m.webhook_path("billing", "t-1") == "/webhooks/billing/t-1"
    assert m.webhook_path("crm", "t-1") == "/webhooks/crm/t-1"
    assert m.webhook_path("erp", "t-1") is None
    assert (m.admin.connections, m.admin.replay, m.admin.dlq) == (
        "/admin/connections", "/admin/replay", "/admin/dlq")
    assert m.factory == "integration_layer.service.app:create_inprocess_app"


def test_a_minimal_single_tenant_manifest_and_its_helpers(tmp_path: Path) -> None:
    m = parse_manifest(minimal(start={"command": ["sut", "{port}"], "cwd": "sub"}),
                       path=tmp_path / "m.toml")
    assert not m.multi_tenant and m.factory is None
    assert m.start.cwd == (tmp_path / "sub").resolve() and m.start.timeout == 60.0
    assert m.environment({"crm_base_url": "http://x", "seed": "1", "ca_bundle": None}) == {
        "CRM_URL": "http://x"}  # unnamed (seed) and unset (ca_bundle) settings are skipped
    assert m.settings_from_environment({"BILLING_URL": "http://b", "OTHER": "1"}) == {
        "billing_base_url": "http://b"}
    with pytest.raises(ManifestError, match=r"m\.toml: no \[inprocess\]\.factory"):
        m.load_factory()


def test_idle_probe_and_quiet_window() -> None:
    probe = parse_manifest(minimal(admin={"idle": "/status/pending"}, settle={"quiet": 12}))
    assert probe.admin.idle == "/status/pending" and probe.settle.quiet == 12.0
    assert parse_manifest(minimal()).settle.quiet == 4.0  # the documented default


def test_the_reference_runs_in_fintwins_image_in_the_containers_mode() -> None:
    spec = load_manifest(reference_manifest_path()).container
    assert spec is not None and spec.image == "fintwin:latest"
    assert spec.argv("0.0.0.0", 8000) == ["serve", "integration-layer", "--host", "0.0.0.0",
                                          "--port", "8000"]
    assert spec.ca_bundle == "/etc/fintwin/fakes-ca.pem"


def test_a_running_estate_is_described_by_fakes_and_network(tmp_path: Path) -> None:
    m = parse_manifest(minimal(
        fakes={"crm": "https://127.0.0.1:8001/", "billing": "http://127.0.0.1:8002",
               "erp": "http://127.0.0.1:8003", "ca_bundle": "../ca/ca.pem"},
        network={"crm": "https://crm:8001", "sut": "http://sut:8000/"},
        container={"image": "acme/sut:1", "command": ["--listen", "{host}:{port}"],
                   "env": {"MODE": "test"}, "ca_bundle": "/run/ca.pem"}),
        path=tmp_path / "m" / "sut.toml")
    assert m.fakes == {"crm": "https://127.0.0.1:8001", "billing": "http://127.0.0.1:8002",
                       "erp": "http://127.0.0.1:8003"}
    assert m.fakes_ca_bundle == (tmp_path / "ca" / "ca.pem").resolve()
    assert m.network == {"crm": "https://crm:8001", "sut": "http://sut:8000"}
    assert m.container is not None and m.container.argv("127.0.0.1", 9) == [
        "--listen", "127.0.0.1:9"]
    assert (m.container.env, m.container.ca_bundle) == ({"MODE": "test"}, "/run/ca.pem")
    # A SUT that only runs as a container needs no [start] command or URL.
    only = parse_manifest(minimal(start={"health": "/healthz"}, container={"image": "a:1"}))
    assert only.container is not None and only.start.command is None
    plain = parse_manifest(minimal())
    assert (plain.fakes, plain.network, plain.container) == ({}, {}, None)


def test_the_compose_manifests_describe_the_compose_estates() -> None:
    root = reference_manifest_path().parent.parent
    bridge = load_manifest(root / "containers" / "compose-sut.toml")
    host = load_manifest(root / "containers" / "compose-host-sut.toml")
    for m in (bridge, host):
        assert m.multi_tenant and m.start.url == "http://127.0.0.1:8000"
        assert m.fakes["crm"] == "https://127.0.0.1:8001"
        assert m.fakes_ca_bundle == root / ".fintwin" / "compose" / "ca.pem"
    # docker-compose.yml's service names; the host network needs no second view.
    assert bridge.network == {"crm": "https://crm:8001", "billing": "http://billing:8002",
                              "erp": "http://erp:8003", "sut": "http://integration-layer:8000"}
    assert host.network == {}


def test_admin_token_header() -> None:
    assert AdminSpec().headers("t") == {"Authorization": "Bearer t"}
    assert AdminSpec(token_header="X-Admin").headers("t") == {"X-Admin": "t"}
    assert AdminSpec().headers(None) == {}


def test_load_from_a_file_and_the_factory_resolves(tmp_path: Path) -> None:
    path = tmp_path / "sut.toml"
    path.write_text('name = "echo"\n[start]\nurl = "http://127.0.0.1:9000"\n'
                    '[env]\ncrm_base_url = "A"\nbilling_base_url = "B"\nerp_base_url = "C"\n'
                    '[webhooks]\nbilling = "/b/{connection}"\n'
                    '[inprocess]\nfactory = "harness.manifest:parse_manifest"\n')
    m = load_manifest(path)
    assert m.start.url == "http://127.0.0.1:9000" and m.start.command is None
    assert m.load_factory() is parse_manifest
    with pytest.raises(ManifestError, match=r"no \[start\]\.command to run"):
        m.start.argv(1)


@pytest.mark.parametrize(("data", "message"), [
    (minimal(colour="red"), "colour: unknown key"),
    (minimal(name=""), "name: required"),
    ({k: v for k, v in minimal().items() if k != "start"}, "start: required table"),
    (minimal(start={"health": "/h"}), "start: give 'command'"),
    (minimal(start={"command": "my-sut --port {port}"}), "start.command: must be a list"),
    (minimal(start={"command": ["my-sut"]}), "start.command: needs a {port} placeholder"),
    (minimal(start={"url": "ftp://x"}), "start.url: must be an http"),
    (minimal(start={"url": "http://x", "health": "health"}), "start.health: must be a path"),
    (minimal(start={"url": "http://x", "timeout": 0}), "start.timeout: must be a positive"),
    (minimal(start={"url": "http://x", "retries": 3}), "start.retries: unknown key"),
    (minimal(start={"url": "http://x", "env": {"A": 1}}), "start.env: must be a table"),
    (minimal(env={"crm_base_url": "A", "billing_base_url": "B", "erp_base_url": "C",
                  "crm_token": "T"}), "env.crm_token: unknown setting"),
    (minimal(env={"crm_base_url": "A", "billing_base_url": "B", "erp_base_url": "not a var"}),
     "env.erp_base_url: must be an environment variable name"),
    (minimal(env={"crm_base_url": "A", "billing_base_url": "B"}), "env.erp_base_url: required"),
    (minimal(webhooks={"billing": "/b", "slack": "/s"}), "webhooks.slack: unknown vendor"),
    (minimal(webhooks={"crm": "/c"}), "webhooks.billing: required"),
    (minimal(webhooks={"billing": "/b"}, admin={"connections": "/c"}),
     "webhooks.billing: a multi-tenant SUT"),
    (minimal(admin={"replay": "replay"}), "admin.replay: must be a path"),
    (minimal(admin={"purge": "/p"}), "admin.purge: unknown key"),
    (minimal(admin={"token_header": ""}), "admin.token_header: must be a header name"),
    (minimal(inprocess={"factory": "no-colon"}), "inprocess.factory: must be 'module:callable'"),
    (minimal(inprocess={"factory": "a:b", "workers": 2}), "inprocess.workers: unknown key"),
    (minimal(env="X"), "env: must be a table"),
    (minimal(admin={"idle": "idle"}), "admin.idle: must be a path"),
    (minimal(settle={"quiet": 0}), "settle.quiet: must be a number of seconds"),
    (minimal(settle={"quiet": True}), "settle.quiet: must be a number of seconds"),
    (minimal(settle={"calm": 1}), "settle.calm: unknown key"),
    (minimal(container={"command": ["x", "{port}"]}), "container.image: required"),
    (minimal(container={"image": "a", "command": "serve {port}"}),
     "container.command: must be a list"),
    (minimal(container={"image": "a", "command": ["serve"]}),
     "container.command: needs a {port} placeholder"),
    (minimal(container={"image": "a", "env": {"A": 1}}), "container.env: must be a table"),
    (minimal(container={"image": "a", "ca_bundle": "ca.pem"}),
     "container.ca_bundle: must be an absolute path"),
    (minimal(container={"image": "a", "ports": [1]}), "container.ports: unknown key"),
    (minimal(fakes={"crm": "http://a", "billing": "http://b"}), "fakes.erp: give every"),
    (minimal(fakes={"crm": "a:1", "billing": "http://b", "erp": "http://c"}),
     "fakes.crm: must be an http(s) URL"),
    (minimal(fakes={"ledger": "http://a"}), "fakes.ledger: unknown key"),
    (minimal(fakes={"crm": "http://a", "billing": "http://b", "erp": "http://c",
                    "ca_bundle": 3}), "fakes.ca_bundle: must be a path"),
    (minimal(network={"postgres": "http://pg"}), "network.postgres: unknown member"),
    (minimal(network={"sut": "sut:8000"}), "network.sut: must be an http(s) URL"),
])
def test_errors_name_the_bad_key(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ManifestError, match=r"^manifest: ") as info:
        parse_manifest(data)
    assert message in str(info.value)


def test_file_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="no such SUT manifest"):
        load_manifest(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("name = \n")
    with pytest.raises(ManifestError, match=r"bad\.toml: not valid TOML"):
        load_manifest(bad)
    typo = tmp_path / "typo.toml"
    typo.write_text('name = "x"\n[start]\nurl = "http://x"\n[env]\ncrm_base_url = "A"\n')
    with pytest.raises(ManifestError, match=r"typo\.toml: env\.billing_base_url: required"):
        load_manifest(typo)


def test_factory_attribute_errors_are_named() -> None:
    m = parse_manifest(minimal(inprocess={"factory": "harness.manifest:nothing_here"}))
    with pytest.raises(ManifestError, match="has no attribute 'nothing_here'"):
        m.load_factory()
    m = parse_manifest(minimal(inprocess={"factory": "harness.manifest:VENDORS"}))
    with pytest.raises(ManifestError, match="is not callable"):
        m.load_factory()


def test_expected_failures_name_a_suite_or_a_test_why_and_codes() -> None:
    m = parse_manifest(minimal(expected_failures={
        "test_dlq_replay.py": {"why": "no DLQ", "codes": ["SUT_FEATURE_MISSING"]},
        "test_amendments.py::test_one": {"why": " no amendments ",
                                         "codes": ["SUBSCRIPTION_ITEMS_MISMATCH", "NOT_HAPPENED"]},
        "test_amendments.py": {"why": "the suite", "codes": ["NOT_HAPPENED"]},
    }))
    dlq = m.expected_failure("test_dlq_replay.py", "test_anything")
    assert dlq is not None and dlq.why == "no DLQ" and dlq.codes == {"SUT_FEATURE_MISSING"}
    one = m.expected_failure("test_amendments.py", "test_one")
    assert one is not None and one.why == "no amendments", "a test's own entry wins"
    other = m.expected_failure("test_amendments.py", "test_two")
    assert other is not None and other.why == "the suite"
    assert m.expected_failure("test_quote_to_cash.py", "test_one") is None
    assert parse_manifest(minimal()).expected_failures == ()


@pytest.mark.parametrize(("table", "message"), [
    ({"dlq": {"why": "x", "codes": ["A_B"]}}, "name a suite file"),
    ({"test_x.py::": {"why": "x", "codes": ["A_B"]}}, "name a suite file"),
    ({"test_x.py": "no DLQ"}, "must be a table"),
    ({"test_x.py": {"codes": ["A_B"]}}, ".why: required"),
    ({"test_x.py": {"why": "x"}}, ".codes: required"),
    ({"test_x.py": {"why": "x", "codes": []}}, ".codes: required"),
    ({"test_x.py": {"why": "x", "codes": ["lowercase"]}}, ".codes: required"),
    ({"test_x.py": {"why": "x", "codes": ["A_B"], "strict": False}}, ".strict: unknown key"),
])
def test_expected_failure_errors_name_the_entry(table: dict[str, Any], message: str) -> None:
    with pytest.raises(ManifestError, match=r"^manifest: expected_failures\.") as info:
        parse_manifest(minimal(expected_failures=table))
    assert message in str(info.value)
