"""Input the CRM fake once answered 500 (issue 18) is Salesforce's 400, naming what is
wrong, and nothing is committed: the same with and without --state-dir."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulators.crm.app import create_app
from tests.crm.conftest import DATA, open_org, run, settings


@pytest.mark.parametrize("durable", [False, True], ids=["memory", "state-dir"])
def test_a_lone_surrogate_is_refused_and_nothing_committed(tmp_path: Path,
                                                           durable: bool) -> None:
    async def main() -> None:
        app = create_app(settings(state_dir=tmp_path if durable else None))
        org = await open_org(app)
        r = await org.client.post(DATA + "/sobjects/Account", content=b'{"Name": "\\ud800"}',
                                  headers={**org.auth, "content-type": "application/json"})
        assert r.status_code == 400, r.text
        assert r.json()[0]["errorCode"] == "JSON_PARSER_ERROR"
        body = await org.query("SELECT Id, Name FROM Account")
        assert body["totalSize"] == 0
        changes = await org.control("GET", "/_sim/state")
        assert changes.status_code == 200
        await org.client.aclose()
        app.sim.close()
    run(main())


def test_a_paired_surrogate_escape_is_a_character() -> None:
    async def main() -> None:
        org = await open_org()
        r = await org.client.post(DATA + "/sobjects/Account",
                                  content=b'{"Name": "\\ud83d\\ude00 Smile"}',
                                  headers={**org.auth, "content-type": "application/json"})
        assert r.status_code == 201, r.text
        assert (await org.record("Account", r.json()["id"]))["Name"] == "\U0001f600 Smile"
        await org.client.aclose()
    run(main())


def test_json_nested_too_deep_is_a_parser_error() -> None:
    async def main() -> None:
        org = await open_org()
        deep = b'{"Name": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
        r = await org.client.post(DATA + "/sobjects/Account", content=deep,
                                  headers={**org.auth, "content-type": "application/json"})
        assert r.status_code == 400 and r.json()[0]["errorCode"] == "JSON_PARSER_ERROR"
        await org.client.aclose()
    run(main())


def test_an_empty_required_name_is_missing() -> None:
    async def main() -> None:
        org = await open_org()
        r = await org.post("/sobjects/Account", {"Name": ""})
        assert r.status_code == 400
        assert r.json() == [{"message": "Required fields are missing: [Name]",
                             "errorCode": "REQUIRED_FIELD_MISSING", "fields": ["Name"]}]
        account = await org.create("Account", {"Name": "Acme", "Industry": "Technology"})
        r = await org.patch(f"/sobjects/Account/{account}", {"Industry": ""})
        assert r.status_code == 204  # an optional field given "" is cleared
        assert (await org.record("Account", account))["Industry"] is None
        assert (await org.query("SELECT Id FROM Account"))["totalSize"] == 1
        await org.client.aclose()
    run(main())
