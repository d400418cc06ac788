"""``fintwin sim erp`` as a process: --tls with the local CA, --seed, --state-dir,
--admin-token and --no-limits, driven over HTTPS with a plain httpx client."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from harness.processes import SimProcess
from tests.erp.support import ACCOUNT, CLIENT_ID, RECORDS, SECRET, TOKEN


def test_fintwin_sim_erp_over_tls(tmp_path: Path, sim_process: Callable[..., SimProcess]
                                  ) -> None:
    state = tmp_path / "state"
    sim = sim_process("erp", "--tls", "--seed", "11", "--admin-token", "adm", "--no-limits",
                      "--state-dir", str(state))
    with sim.client() as c:
        assert c.get("/_sim/erp/clients").status_code == 401  # admin token required
        admin = {"X-Sim-Admin-Token": "adm"}
        registered = c.post(
            f"/_sim/erp/clients?tenant={ACCOUNT}",
            json={"client_id": CLIENT_ID, "client_secret": SECRET},
            headers=admin,
        )
        assert registered.status_code == 201, registered.text
        token = c.post(
            TOKEN, data={"grant_type": "client_credentials"}, auth=(CLIENT_ID, SECRET)
        )
        assert token.status_code == 200, token.text
        bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
        created = c.post(
            f"{RECORDS}/customer",
            json={"companyName": "TLS Co", "subsidiary": {"id": "2"}, "externalId": "c-1"},
            headers=bearer,
        )
        assert created.status_code == 204
        assert created.headers["location"].endswith(f"{RECORDS}/customer/1")
        sub = c.get(f"{RECORDS}/subsidiary/2", headers=bearer).json()
        assert sub["country"] == {"id": "GB", "refName": "United Kingdom"}
        limits = c.get("/services/rest/system/v1/governanceLimits", headers=bearer)
        assert limits.status_code == 200
    assert (state / "tls" / "ca.pem").exists()
    assert any(state.iterdir())
