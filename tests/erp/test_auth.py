"""OAuth 2.0 client credentials: secrets (Basic and form), JWT-bearer assertions, expiry."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from simulators.erp.auth import account_for_client, clients, register
from tests.erp.support import ACCOUNT, BASE, RECORDS, TOKEN, Erp, assert_error

AUD = f"{BASE}{TOKEN}"
ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def pem(key: Any) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def register_key(erp: Erp, client_id: str, key: Any, kid: str) -> None:
    response = erp.run(
        erp.client.post(
            f"/_sim/erp/clients?tenant={ACCOUNT}",
            json={"client_id": client_id, "kid": kid, "public_key": pem(key)},
        )
    )
    assert response.status_code == 201, response.text


def assertion(
    key: Any,
    *,
    alg: str = "PS256",
    kid: str = "cert-1",
    iss: str = "m2m",
    lifetime: int = 300,
    **claims: Any,
) -> str:
    now = int(time.time())
    payload = {
        "iss": iss,
        "scope": ["rest_webservices"],
        "aud": AUD,
        "iat": now,
        "exp": now + lifetime,
        **claims,
    }
    return jwt.encode(payload, key, algorithm=alg, headers={"kid": kid, "typ": "JWT"})


def token_request(erp: Erp, form: dict[str, str], **kwargs: Any) -> Any:
    return erp.run(erp.client.post(TOKEN, data=form, **kwargs))


def test_secret_as_basic_and_as_form(erp: Erp) -> None:
    basic = token_request(
        erp, {"grant_type": "client_credentials"}, auth=("fintwin-tests", "s3cret")
    )
    form = token_request(
        erp,
        {
            "grant_type": "client_credentials",
            "client_id": "fintwin-tests",
            "client_secret": "s3cret",
        },
    )
    for response in (basic, form):
        assert response.status_code == 200
        body = response.json()
        assert body["token_type"] == "bearer" and body["expires_in"] == "3600"
        assert response.headers["cache-control"] == "no-store"
    assert basic.json()["access_token"] != form.json()["access_token"]


@pytest.mark.parametrize(
    ("form", "auth", "error", "status"),
    [
        ({"grant_type": "client_credentials"}, ("fintwin-tests", "wrong"), "invalid_client", 401),
        ({"grant_type": "password"}, ("fintwin-tests", "s3cret"), "unsupported_grant_type", 400),
        ({"grant_type": "client_credentials"}, None, "invalid_client", 401),
    ],
)
def test_bad_client_credentials(
    erp: Erp, form: dict[str, str], auth: Any, error: str, status: int
) -> None:
    response = token_request(erp, form, auth=auth)
    assert response.status_code == status
    assert response.json()["error"] == error


def test_unknown_client_gets_a_default_account_of_its_own(erp: Erp) -> None:
    first = token_request(erp, {"grant_type": "client_credentials"}, auth=("new-app", "pw"))
    assert first.status_code == 200
    account = clients(erp.sim)["new-app"]["account"]
    assert len(account) == 7 and account.isdigit()
    assert erp.sim.tenants.get(account) is not None
    # The first secret sticks.
    again = token_request(erp, {"grant_type": "client_credentials"}, auth=("new-app", "other"))
    assert again.status_code == 401
    # Accounts are apart: the new account does not see this one's customers.
    erp.customer()
    other = {"Authorization": f"Bearer {first.json()['access_token']}"}
    listing = erp.run(erp.client.get(f"{RECORDS}/customer", headers=other)).json()
    assert listing["totalResults"] == 0


@pytest.mark.parametrize("alg", ["PS256", "ES256"])
def test_jwt_bearer_assertion(erp: Erp, alg: str) -> None:
    key: Any = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if alg.startswith("PS")
        else ec.generate_private_key(ec.SECP256R1())
    )
    register_key(erp, "m2m", key, "cert-1")
    response = token_request(
        erp,
        {
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION,
            "client_assertion": assertion(key, alg=alg),
        },
    )
    assert response.status_code == 200, response.text
    headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
    assert erp.run(erp.client.get(f"{RECORDS}/customer", headers=headers)).status_code == 200


@pytest.fixture
def rsa_key() -> Any:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (
            lambda k: assertion(rsa.generate_private_key(public_exponent=65537, key_size=2048)),
            "invalid_grant",
        ),
        (lambda k: assertion(k, kid="other"), "invalid_client"),
        (lambda k: assertion(k, alg="RS256"), "invalid_request"),
        (lambda k: assertion(k, lifetime=-10), "invalid_grant"),
        (lambda k: assertion(k, lifetime=7200), "invalid_grant"),
        (lambda k: assertion(k, aud="https://elsewhere.test/token"), "invalid_grant"),
        (lambda k: assertion(k, scope=["restlets"]), "invalid_scope"),
        (lambda k: "not-a-jwt", "invalid_request"),
    ],
)
def test_bad_assertions_are_refused(erp: Erp, rsa_key: Any, make: Any, error: str) -> None:
    register_key(erp, "m2m", rsa_key, "cert-1")
    response = token_request(
        erp,
        {
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION,
            "client_assertion": make(rsa_key),
        },
    )
    assert response.status_code in (400, 401)
    assert response.json()["error"] == error


def test_token_expires_after_an_hour_of_business_time(erp: Erp) -> None:
    assert erp.get(f"{RECORDS}/customer").status_code == 200
    advance = erp.run(
        erp.client.post(f"/_sim/clock/advance?tenant={ACCOUNT}", json={"seconds": 3599})
    )
    assert advance.status_code == 200
    assert erp.get(f"{RECORDS}/customer").status_code == 200
    erp.run(erp.client.post(f"/_sim/clock/advance?tenant={ACCOUNT}", json={"seconds": 2}))
    body = assert_error(erp.get(f"{RECORDS}/customer"), 401, "INVALID_LOGIN")
    assert body["o:errorDetails"][0]["detail"].startswith("Invalid login attempt.")
    erp.headers = {"Authorization": f"Bearer {erp.fetch_token()}"}
    assert erp.get(f"{RECORDS}/customer").status_code == 200


@pytest.mark.parametrize("header", [None, "Bearer nope", "Basic Zm9vOmJhcg=="])
def test_missing_or_unknown_token_is_invalid_login(erp: Erp, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = erp.run(erp.client.get(f"{RECORDS}/customer", headers=headers))
    assert_error(response, 401, "INVALID_LOGIN")


def test_no_two_clients_share_an_account_in_100000() -> None:
    # Issue 18: 7 digits of a hash alone collide with probability ~N^2/1.8e7.
    from simulators.engine.settings import SimSettings
    from simulators.erp.app import create_app

    sim = create_app(SimSettings(seed=7)).sim
    accounts = set()
    for n in range(100_000):
        client_id = f"ci-job-{n}"
        account = account_for_client(sim, client_id)
        register(sim, account, client_id, secret="s")
        accounts.add(account)
    assert len(accounts) == 100_000


def test_a_client_id_chosen_to_hash_onto_an_account_gets_its_own(erp: Erp) -> None:
    # A victim's account is the number an attacker's chosen client id hashes to (what
    # a search over client ids finds): the attacker must get an account of its own.
    victim = _hashed("attacker")
    register(erp.sim, victim, "victim-app", secret="victim-secret")
    erp.sim.tenant(victim)
    response = token_request(erp, {"grant_type": "client_credentials"},
                             auth=("attacker", "pw"))
    assert response.status_code == 200
    assert clients(erp.sim)["attacker"]["account"] != victim


def _hashed(client_id: str) -> str:
    import hashlib

    digest = int(hashlib.sha256(client_id.encode()).hexdigest()[:12], 16)
    return str(1_000_000 + digest % 9_000_000)
