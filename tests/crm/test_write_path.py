"""One write path: every write puts the record into every index the org keeps (the store
that snapshots hold and the SOQL source queries read), and a rollback takes it out of both."""

from __future__ import annotations

from simulators.crm import records as R
from simulators.crm.org import org_of
from tests.crm.conftest import Org, in_org


def test_a_write_and_its_rollback_reach_both_indexes() -> None:
    async def check(org: Org) -> None:
        sim = org.app.sim
        tenant = next(iter(sim.tenants))
        crm = org_of(tenant)
        account = crm.schema.object("Account")
        txn = R.begin(sim, tenant)
        record = R.insert(txn, account, {"Name": "Acme", "External_Id__c": "x-1"})
        assert tenant.store.get("Account", record["Id"]) is record
        assert [r["Id"] for r in crm.source.find_equal("Account", "External_Id__c", "x-1") or []
                ] == [record["Id"]]
        txn.rollback()
        assert tenant.store.get("Account", record["Id"]) is None
        assert not crm.source.find_equal("Account", "External_Id__c", "x-1")

    in_org(check)


def test_a_rule_that_changes_a_parent_writes_it_through_the_same_path() -> None:
    async def check(org: Org) -> None:
        book = (await org.query("SELECT Id FROM Pricebook2 WHERE IsStandard = true"))[
            "records"][0]["Id"]
        product = await org.create("Product2", {"Name": "W", "IsActive": True})
        entry = await org.create("PricebookEntry", {"Pricebook2Id": book, "Product2Id": product,
                                                    "UnitPrice": 10, "IsActive": True})
        account = await org.create("Account", {"Name": "Acme"})
        opp = await org.create("Opportunity", {"Name": "Deal", "StageName": "Prospecting",
                                               "CloseDate": "2024-01-31",
                                               "AccountId": account})
        await org.create("OpportunityLineItem", {"OpportunityId": opp, "Quantity": 3,
                                                 "PricebookEntryId": entry, "UnitPrice": 10})
        # The roll-up reached the store and the source alike: SOQL sees the new Amount.
        row = (await org.query(f"SELECT Amount, Pricebook2Id FROM Opportunity WHERE Id = '{opp}'"
                               ))["records"][0]
        assert (row["Amount"], row["Pricebook2Id"]) == (30, book)

    in_org(check)
