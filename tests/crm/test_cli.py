"""``fintwin sim crm --tls`` as a process, used by simple-salesforce unchanged; plain
HTTP stays available without --tls."""

from __future__ import annotations

from collections.abc import Callable

import requests
from simple_salesforce import Salesforce

from harness.processes import SimProcess


def test_fintwin_sim_crm_over_tls_with_simple_salesforce(
        sim_process: Callable[..., SimProcess]) -> None:
    sim = sim_process("crm", "--tls", "--seed", "5", "--admin-token", "adm")
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE must not override the fake's CA
    try:
        session.verify = str(sim.ca)
        token = session.post(
            f"{sim.url}/services/oauth2/token",
            data={"grant_type": "client_credentials", "client_id": "cli-org", "client_secret": "x"},
        )
        assert token.status_code == 200, token.text
        sf = Salesforce(
            instance_url=sim.url, session_id=token.json()["access_token"], session=session
        )
        created = sf.Account.create({"Name": "Over TLS", "External_Id__c": "tls-1"})
        assert created["success"] is True
        assert sf.Account.get_by_custom_id("External_Id__c", "tls-1")["Name"] == "Over TLS"
        assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 1
        assert sf.api_usage["api-usage"].used >= 1
        events = session.get(f"{sim.url}/_sim/crm/events", params={"tenant": "cli-org"})
        assert events.status_code == 401  # --admin-token guards the control plane
    finally:
        session.close()


def test_fintwin_sim_crm_plain_http(sim_process: Callable[..., SimProcess]) -> None:
    sim = sim_process("crm")
    with sim.client() as c:
        assert c.get("/services/data/").status_code == 200
        assert sim.url.startswith("http://")
