"""Schemathesis over the CRM fake's OpenAPI document, and generated SOQL through /query:
no server errors, ever; errors come back in Salesforce's array."""

from __future__ import annotations

import asyncio

import httpx
import hypothesis
import schemathesis
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance

from simulators.crm.app import create_app
from simulators.engine.transport import InProcessTransport
from tests.crm.conftest import DATA, settings

APP = create_app(settings(seed=11))


async def _bootstrap() -> str:
    async with httpx.AsyncClient(
        transport=InProcessTransport(APP), base_url="https://crm.test"
    ) as c:
        r = await c.post(
            "/services/oauth2/token",
            data={"grant_type": "client_credentials", "client_id": "fuzz", "client_secret": "s"},
        )
        token = str(r.json()["access_token"])
        auth = {"Authorization": f"Bearer {token}"}
        # Something to find: an account with an external id, an opportunity.
        acct = await c.post(
            DATA + "/sobjects/Account/",
            json={"Name": "Fuzz", "External_Id__c": "f-1"},
            headers=auth,
        )
        await c.post(
            DATA + "/sobjects/Opportunity/",
            json={
                "Name": "F",
                "StageName": "Prospecting",
                "CloseDate": "2024-01-01",
                "AccountId": acct.json()["id"],
            },
            headers=auth,
        )
    await APP.sim.deliveries.stop()
    return token


TOKEN = asyncio.run(_bootstrap())
AUTH = {"Authorization": f"Bearer {TOKEN}"}
# The control plane can install fault plans (which inject 5xx on purpose) and reset the
# org; the vendor API is what is fuzzed here.
schema = schemathesis.openapi.from_asgi("/_sim/openapi.json", APP).include(path_regex="^/services/")


@schema.parametrize()
@hypothesis.settings(
    max_examples=25, deadline=None, suppress_health_check=list(hypothesis.HealthCheck)
)
def test_no_server_errors(case: schemathesis.Case) -> None:
    response = case.call(headers=AUTH)
    case.validate_response(response, checks=(not_a_server_error, content_type_conformance))


_WORDS = [
    "SELECT",
    "Id",
    "Name",
    "Amount",
    "Account.Name",
    "Owner.Name",
    ",",
    "FROM",
    "Account",
    "Opportunity",
    "Nope__c",
    "WHERE",
    "=",
    "!=",
    "<",
    ">=",
    "LIKE",
    "IN",
    "NOT",
    "AND",
    "OR",
    "(",
    ")",
    "'x'",
    "'%a_'",
    "null",
    "true",
    "10",
    "-1.5",
    "2024-01-31",
    "2024-01-31T10:00:00Z",
    "TODAY",
    "LAST_N_DAYS:3",
    "ORDER BY",
    "ASC",
    "DESC",
    "NULLS LAST",
    "LIMIT",
    "OFFSET",
    "3000",
    "COUNT()",
    "COUNT(Id)",
    "SUM(Amount)",
    "GROUP BY",
    "StageName",
    "(SELECT Id FROM OpportunityLineItems)",
    "(SELECT Id FROM Contacts)",
    "CloseDate",
    "IsWon",
    "External_Id__c",
]
_SOQL = st.one_of(
    st.lists(st.sampled_from(_WORDS), min_size=1, max_size=14).map(" ".join),
    st.tuples(
        st.sampled_from(
            [
                "SELECT Id FROM Account WHERE ",
                "SELECT Id, (SELECT Id FROM Opportunities) FROM Account ",
                "SELECT COUNT() FROM Opportunity WHERE ",
            ]
        ),
        st.lists(st.sampled_from(_WORDS), max_size=8).map(" ".join),
    ).map("".join),
    st.text(max_size=60),
)


@hypothesis.given(soql=_SOQL)
@hypothesis.settings(max_examples=300, deadline=None)
def test_generated_soql_never_breaks_the_server(soql: str) -> None:
    async def call() -> httpx.Response:
        async with httpx.AsyncClient(
            transport=InProcessTransport(APP), base_url="https://crm.test"
        ) as c:
            return await c.get(DATA + "/query", params={"q": soql}, headers=AUTH)

    response = asyncio.run(call())
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        error = response.json()[0]
        assert error["errorCode"] in (
            "MALFORMED_QUERY",
            "INVALID_FIELD",
            "INVALID_TYPE",
            "NUMBER_OUTSIDE_VALID_RANGE",
        ), error
