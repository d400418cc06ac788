"""SOQL date literals read the org's business clock, so they flip at the org's New Year,
not the machine's: a record created thirty seconds before midnight on 31 December is
THIS_YEAR, then LAST_YEAR a minute later (Salesforce, "Date Formats and Date Literals":
literals are relative to the current date, boundaries at midnight; the fake's orgs are
on UTC)."""

from __future__ import annotations

from simulators.crm.app import create_app
from simulators.engine.clock import parse_instant
from tests.crm.conftest import Org, in_org, settings

EVE = parse_instant("2026-12-31T23:59:30Z")
LITERALS = ("TODAY", "YESTERDAY", "THIS_YEAR", "LAST_YEAR", "LAST_N_DAYS:1", "THIS_MONTH",
            "LAST_MONTH", "THIS_QUARTER", "LAST_QUARTER")


async def _matches(org: Org) -> set[str]:
    found = set()
    for literal in LITERALS:
        result = await org.query(f"SELECT Id FROM Account WHERE CreatedDate = {literal}")
        if result["totalSize"]:
            found.add(literal)
    return found


def test_date_literals_flip_at_the_orgs_new_year() -> None:
    async def test(org: Org) -> None:
        await org.create("Account", {"Name": "Late signer"})
        before = await _matches(org)
        advanced = await org.control("POST", "/_sim/clock/advance", {"seconds": 60})
        assert advanced.status_code == 200
        after = await _matches(org)
        assert before == {"TODAY", "THIS_YEAR", "LAST_N_DAYS:1", "THIS_MONTH", "THIS_QUARTER"}
        assert after == {"YESTERDAY", "LAST_YEAR", "LAST_N_DAYS:1", "LAST_MONTH",
                         "LAST_QUARTER"}

    in_org(test, create_app(settings(epoch=EVE)))
