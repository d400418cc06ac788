"""One SOQL query cannot stall the fake (issue 18): it runs off the event loop over the
org's records as they were when it arrived, within a budget of rows and time, and a query
over its budget is Salesforce's QUERY_TIMEOUT."""

from __future__ import annotations

import asyncio

import httpx

from simulators.crm.app import create_app
from simulators.crm.auth import org_id_for
from simulators.crm.org import org_of
from tests.crm.conftest import DATA, Org, open_org, run, settings


def accounts(org: Org, names: list[str]) -> None:
    # Many records straight into the org (the API path is tested elsewhere).
    crm = org_of(org.app.sim.tenant(org_id_for(org.app.sim, org.client_id)))
    for n, name in enumerate(names):
        record_id = f"001{n:012d}AAA"
        crm.put("Account", {"id": record_id, "Id": record_id, "Name": name, "IsDeleted": False})


def test_the_finding_like_pattern_answers_at_once() -> None:
    async def main() -> None:
        org = await open_org()
        accounts(org, ["a" * n for n in range(20, 81)])
        body = await org.query("SELECT Id FROM Account WHERE Name LIKE '%a%a%a%a%a%a%b'")
        assert body["totalSize"] == 0
        body = await org.query("SELECT Id FROM Account WHERE Name LIKE '%a%a%a%a%a%a%'")
        assert body["totalSize"] == 61
        await org.client.aclose()
    run(main())


def test_a_query_over_its_row_budget_is_query_timeout() -> None:
    async def main() -> None:
        org = await open_org(create_app(settings(extra={"query_rows": 1000})))
        accounts(org, [f"acct {n}" for n in range(3000)])
        r = await org.get("/query", params={"q": "SELECT Id FROM Account WHERE Name LIKE '%7%'"})
        assert r.status_code == 400, r.text
        assert r.json() == [{"errorCode": "QUERY_TIMEOUT",
                             "message": "Your query request was running for too long."}]
        # Within the budget (an indexed lookup) the org still answers.
        small = await org.query("SELECT Id FROM Account WHERE Id = '001000000000007AAA'")
        assert small["totalSize"] == 1
        await org.client.aclose()
    run(main())


def test_another_org_is_answered_while_a_heavy_query_runs() -> None:
    async def main() -> None:
        app = create_app(settings())
        heavy_org = await open_org(app)
        light_org = await open_org(app)
        accounts(heavy_org, [f"account number {n}" for n in range(100_000)])
        account = await light_org.create("Account", {"Name": "Canary"})
        order: list[str] = []

        async def heavy() -> httpx.Response:
            r = await heavy_org.get("/query", params={
                "q": "SELECT Id, Name FROM Account WHERE Name LIKE '%9%9%9%' ORDER BY Name"})
            order.append("heavy")
            return r

        async def light() -> httpx.Response:
            r = await light_org.get(f"/sobjects/Account/{account}")
            order.append("light")
            return r

        first = asyncio.ensure_future(heavy())
        quick = await light()
        slow = await first
        assert quick.status_code == 200 and order == ["light", "heavy"]
        assert slow.status_code == 200 and slow.json()["totalSize"] > 100
        for org in (heavy_org, light_org):
            await org.client.aclose()
    run(main())


def test_a_query_reads_the_records_as_they_were_when_it_arrived() -> None:
    async def main() -> None:
        org = await open_org()
        await org.create("Account", {"Name": "First"})
        before = await org.query("SELECT Id FROM Account WHERE Name = 'First'")
        await org.create("Account", {"Name": "First"})
        after = await org.query("SELECT Id FROM Account WHERE Name = 'First'")
        assert (before["totalSize"], after["totalSize"]) == (1, 2)
        await org.client.aclose()
    run(main())


def test_composite_query_subrequests_run_in_place() -> None:
    async def main() -> None:
        org = await open_org()
        await org.create("Account", {"Name": "Composite"})
        r = await org.post("/composite", {"compositeRequest": [{
            "method": "GET", "referenceId": "q",
            "url": f"{DATA}/query?q=SELECT+Id+FROM+Account+WHERE+Name='Composite'"}]})
        assert r.status_code == 200, r.text
        assert r.json()["compositeResponse"][0]["body"]["totalSize"] == 1
        await org.client.aclose()
    run(main())


def test_composite_queries_share_a_small_allowance_in_place() -> None:
    # In place (on the event loop) all of one request's queries share 50 ms: the later
    # heavy ones answer QUERY_TIMEOUT rather than hold up every other org.
    async def main() -> None:
        org = await open_org()
        accounts(org, [f"account number {n}" for n in range(30_000)])
        q = "SELECT+Id+FROM+Account+WHERE+Name+LIKE+'%25123%25'+ORDER+BY+Name"
        subrequests = [{"method": "GET", "referenceId": f"q{n}",
                        "url": f"{DATA}/query?q={q}"} for n in range(5)]
        r = await org.post("/composite", {"compositeRequest": subrequests})
        assert r.status_code == 200, r.text
        codes = [sub["body"][0]["errorCode"] for sub in r.json()["compositeResponse"]
                 if sub["httpStatusCode"] == 400]
        assert codes and set(codes) == {"QUERY_TIMEOUT"}
        await org.client.aclose()
    run(main())
