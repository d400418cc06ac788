"""Every fault kind, observed by a real HTTP client over a real socket."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from harness.servers import ServerThread
from harness.waiting import eventually
from simulators.billing.app import create_app
from simulators.billing.vendor import account_id_for_key
from simulators.engine.app import SimApp
from simulators.engine.settings import SimSettings


@pytest.fixture
def fake() -> Iterator[tuple[SimApp, str]]:
    app = create_app(SimSettings(seed=3, limits=False, delivery_time_scale=0.0001))
    with ServerThread(app) as server:
        yield app, server.url


def _plan(url: str, plan: dict[str, object]) -> None:
    r = httpx.put(url + "/_sim/faults", json=plan)
    assert r.status_code == 200, r.text


def test_reset_drops_the_connection(fake: tuple[SimApp, str], api_key: str) -> None:
    _, url = fake
    _plan(url, {"rules": [{"match": {"method": "GET", "path": "/v1/customers"},
                           "fault": "reset"}]})
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        httpx.get(url + "/v1/customers", headers={"Authorization": f"Bearer {api_key}"})
    log = httpx.get(url + "/_sim/faults/log").json()["data"]
    assert [e["kind"] for e in log] == ["reset"]


def test_hang_outlasts_the_client_timeout(fake: tuple[SimApp, str], api_key: str) -> None:
    _, url = fake
    _plan(url, {"rules": [{"match": {"path": "/v1/customers"}, "fault": {"hang": {"for": "20s"}}}]})
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(url + "/v1/customers", headers={"Authorization": f"Bearer {api_key}"},
                  timeout=0.3)


def test_commit_then_fail_applies_the_write_and_replays_on_retry(fake: tuple[SimApp, str],
                                                                 api_key: str) -> None:
    _, url = fake
    auth = {"Authorization": f"Bearer {api_key}", "Idempotency-Key": "k-ctf"}
    _plan(url, {"rules": [{"match": {"method": "POST", "path": "/v1/customers", "nth": [1]},
                           "fault": "commit_then_fail"}]})
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        httpx.post(url + "/v1/customers", data={"name": "Lost response"}, headers=auth)
    listed = httpx.get(url + "/v1/customers", headers=auth).json()["data"]
    assert [c["name"] for c in listed] == ["Lost response"]
    retry = httpx.post(url + "/v1/customers", data={"name": "Lost response"}, headers=auth)
    assert retry.status_code == 200 and retry.json()["id"] == listed[0]["id"]
    assert retry.headers["idempotent-replayed"] == "true"


def test_commit_then_fail_with_502(fake: tuple[SimApp, str], api_key: str) -> None:
    _, url = fake
    _plan(url, {"rules": [{"match": {"method": "POST"},
                           "fault": {"commit_then_fail": {"mode": "502"}}}]})
    r = httpx.post(url + "/v1/customers", data={"name": "x"},
                   headers={"Authorization": f"Bearer {api_key}"})
    assert r.status_code == 502 and r.json()["error"]["type"] == "api_error"
    httpx.delete(url + "/_sim/faults")
    assert len(httpx.get(url + "/v1/customers",
                         headers={"Authorization": f"Bearer {api_key}"}).json()["data"]) == 1


def test_outage_until_cleared(fake: tuple[SimApp, str], api_key: str) -> None:
    _, url = fake
    auth = {"Authorization": f"Bearer {api_key}"}
    _plan(url, {"rules": [{"match": {"path": "/v1/*"}, "fault": {"outage": {}}}]})
    assert httpx.get(url + "/v1/customers", headers=auth).status_code == 503
    assert httpx.get(url + "/v1/products", headers=auth).status_code == 503
    assert httpx.get(url + "/_sim/health").status_code == 200
    httpx.post(url + "/_sim/faults/clear-outages")
    assert httpx.get(url + "/v1/customers", headers=auth).status_code == 200


def test_rate_limit_is_vendor_shaped_with_retry_after(fake: tuple[SimApp, str],
                                                       api_key: str) -> None:
    _, url = fake
    _plan(url, {"rules": [{"match": {"every": 2}, "fault": {"rate_limit": {"retry_after": 2}}}]})
    auth = {"Authorization": f"Bearer {api_key}"}
    statuses = [httpx.get(url + "/v1/customers", headers=auth) for _ in range(4)]
    assert [r.status_code for r in statuses] == [200, 429, 200, 429]
    assert statuses[1].headers["retry-after"] == "2"
    assert statuses[1].json()["error"]["code"] == "rate_limit"


def test_error_latency_quota_and_probability(fake: tuple[SimApp, str], api_key: str) -> None:
    app, url = fake
    auth = {"Authorization": f"Bearer {api_key}"}
    _plan(url, {"seed": 11, "rules": [
        {"name": "slow", "match": {"path": "/v1/products"}, "fault": {"latency": "50ms"}},
        {"name": "quota", "match": {"path": "/v1/prices"}, "fault": {"quota": {"daily": 2}}},
        {"name": "boom", "match": {"path": "/v1/events", "first": 1},
         "fault": {"error": {"status": 500}}},
    ]})
    httpx.get(url + "/v1/products", headers=auth)
    # The server thread journals a request just after answering it: the client can
    # read the journal first, so wait for the entry (this read is not over HTTP).
    tenant = account_id_for_key(api_key)
    entry = eventually(lambda: [e for e in app.sim.journal.entries(tenant)
                                if e.path == "/v1/products"], what="the journal entry")[-1]
    assert entry.duration_ms >= 50 and entry.faults == ("slow:latency",)
    assert [httpx.get(url + "/v1/prices", headers=auth).status_code for _ in range(3)] == \
        [200, 200, 403]
    assert httpx.get(url + "/v1/events", headers=auth).status_code == 500
    assert httpx.get(url + "/v1/events", headers=auth).status_code == 200


def test_lock_timeout_on_concurrent_writes_to_one_object(api_key: str) -> None:
    app = create_app(SimSettings(limits=False))
    app.sim.faults.install(__import__("simulators.engine.faults.plan", fromlist=["FaultPlan"])
                           .FaultPlan.parse({"rules": [{"match": {"method": "POST",
                                                                  "path": "/v1/customers/*"},
                                                        "fault": {"latency": "200ms"}}]}))
    with ServerThread(app) as server:
        auth = {"Authorization": f"Bearer {api_key}"}
        cust = httpx.post(server.url + "/v1/customers", data={"name": "x"}, headers=auth).json()

        async def both() -> list[int]:
            import asyncio

            async with httpx.AsyncClient(base_url=server.url, headers=auth) as client:
                rs = await asyncio.gather(*(client.post(f"/v1/customers/{cust['id']}",
                                                        data={"name": n}) for n in "ab"))
            return sorted(r.status_code for r in rs)

        import asyncio
        assert asyncio.run(both()) == [200, 429]


def test_admin_token_locks_the_control_plane(api_key: str) -> None:
    app = create_app(SimSettings(admin_token="s3cret"))
    with ServerThread(app) as server:
        assert httpx.get(server.url + "/_sim/faults").status_code == 401
        assert httpx.get(server.url + "/_sim/faults",
                         headers={"X-Sim-Admin-Token": "s3cret"}).status_code == 200
        assert httpx.get(server.url + "/_sim/health").status_code == 200


def test_bad_plans_are_refused_naming_the_field(fake: tuple[SimApp, str]) -> None:
    _, url = fake
    for plan, needle in [({"rules": [{"fault": "explode"}]}, "rules[0].fault"),
                         ({"rules": [{"match": {"probability": 3}, "fault": "reset"}]},
                          "rules[0].match.probability"),
                         ({"deliveries": {"duplicate": {"copies": 99}}}, "copies"),
                         ({"rules": [{"fault": {"latency": "fast"}}]}, "latency")]:
        r = httpx.put(url + "/_sim/faults", json=plan)
        assert r.status_code == 400 and needle in r.json()["error"]["message"], r.text
