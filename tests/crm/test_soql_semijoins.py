"""SOQL semi-joins and anti-joins with simple-salesforce (SOQL and SOSL Reference,
"Comparison Operators", "Semi-Joins with IN and Anti-Joins with NOT IN"), and the
restrictions Salesforce puts on them."""

from __future__ import annotations

import pytest
from simple_salesforce import Salesforce, SalesforceMalformedRequest

from simulators.crm.soql import parse
from simulators.crm.soql.serialise import to_soql
from tests.crm.conftest import Server


@pytest.fixture(scope="module")
def sf(server: Server) -> Salesforce:
    client = server.salesforce()[0]
    accounts = {name: client.Account.create({"Name": name})["id"]
                for name in ("Won Co", "Lost Co", "Open Co", "Quiet Co")}
    for name, stage in (("Won Co", "Closed Won"), ("Lost Co", "Closed Lost"),
                        ("Open Co", "Prospecting")):
        client.Opportunity.create({"Name": f"{name} deal", "StageName": stage,
                                   "CloseDate": "2024-03-01", "AccountId": accounts[name]})
    client.Contact.create({"LastName": "Apple", "AccountId": accounts["Open Co"]})
    client.Contact.create({"LastName": "Nobody"})  # no account
    return client


def _names(sf: Salesforce, soql: str) -> list[str]:
    return sorted(r["Name"] for r in sf.query_all(soql)["records"])


def test_semi_join_keeps_accounts_with_a_matching_child(sf: Salesforce) -> None:
    assert _names(sf, "SELECT Name FROM Account WHERE Id IN "
                      "(SELECT AccountId FROM Opportunity WHERE StageName = 'Closed Won')"
                  ) == ["Won Co"]
    assert _names(sf, "SELECT Name FROM Account WHERE Id IN "
                      "(SELECT AccountId FROM Opportunity WHERE IsClosed = false)") == ["Open Co"]


def test_anti_join_keeps_accounts_without_one(sf: Salesforce) -> None:
    assert _names(sf, "SELECT Name FROM Account WHERE Id NOT IN "
                      "(SELECT AccountId FROM Opportunity)") == ["Quiet Co"]
    assert _names(sf, "SELECT Name FROM Account WHERE Id NOT IN "
                      "(SELECT AccountId FROM Opportunity WHERE IsClosed = true)"
                  ) == ["Open Co", "Quiet Co"]


def test_two_joins_with_and_and_a_reference_field_on_the_left(sf: Salesforce) -> None:
    assert _names(sf, "SELECT Name FROM Account WHERE Id IN "
                      "(SELECT AccountId FROM Contact WHERE LastName LIKE 'App%') "
                      "AND Id IN (SELECT AccountId FROM Opportunity WHERE IsClosed = false)"
                  ) == ["Open Co"]
    # Child to child on a reference field: opportunities of accounts that have contacts.
    rows = sf.query_all("SELECT Name FROM Opportunity WHERE AccountId IN "
                        "(SELECT AccountId FROM Contact)")["records"]
    assert [r["Name"] for r in rows] == ["Open Co deal"]


@pytest.mark.parametrize(
    ("soql", "code"),
    [
        ("SELECT Name FROM Account WHERE Name = 'x' OR Id IN (SELECT AccountId FROM Contact)",
         "MALFORMED_QUERY"),
        ("SELECT Name FROM Account WHERE NOT Id IN (SELECT AccountId FROM Contact)",
         "MALFORMED_QUERY"),
        ("SELECT Name FROM Account WHERE Id IN (SELECT AccountId FROM Contact) AND Id IN "
         "(SELECT AccountId FROM Opportunity) AND Id NOT IN (SELECT AccountId FROM Case__x)",
         "MALFORMED_QUERY"),
        ("SELECT Name FROM Account WHERE Name IN (SELECT AccountId FROM Contact)",
         "INVALID_FIELD"),
        ("SELECT Name FROM Account WHERE Id IN (SELECT LastName FROM Contact)", "INVALID_FIELD"),
        ("SELECT Name FROM Account WHERE Id IN (SELECT Id FROM Account)", "INVALID_TYPE"),
        ("SELECT Name FROM Account WHERE Id IN (SELECT AccountId, Id FROM Contact)",
         "MALFORMED_QUERY"),
        ("SELECT Name FROM Account WHERE Id IN (SELECT AccountId FROM Contact LIMIT 5)",
         "MALFORMED_QUERY"),
        ("SELECT Name FROM Account WHERE Id IN (SELECT AccountId FROM Contact WHERE "
         "AccountId IN (SELECT AccountId FROM Opportunity))", "MALFORMED_QUERY"),
    ],
)
def test_salesforces_restrictions(sf: Salesforce, soql: str, code: str) -> None:
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.query(soql)
    assert refused.value.content[0]["errorCode"] == code


def test_a_semi_join_round_trips_through_the_serialiser() -> None:
    text = ("SELECT Name FROM Account WHERE Id NOT IN (SELECT AccountId FROM Opportunity "
            "WHERE StageName = 'Closed Won') AND Name != null")
    query = parse(text)
    assert parse(to_soql(query)).where == query.where
