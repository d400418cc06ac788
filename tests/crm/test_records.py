"""Record writes in-process: required fields, types, picklists, ids, uniqueness, derived
fields and roll-ups, all in Salesforce's error array."""

from __future__ import annotations

from decimal import Decimal

from tests.crm.conftest import Org, in_org, seed_catalogue


def test_required_picklist_type_and_unknown_field_errors() -> None:
    async def check(org: Org) -> None:
        r = await org.post("/sobjects/Account/", {})
        assert r.status_code == 400
        assert r.json() == [
            {
                "message": "Required fields are missing: [Name]",
                "errorCode": "REQUIRED_FIELD_MISSING",
                "fields": ["Name"],
            }
        ]
        r = await org.post("/sobjects/Account/", {"Name": "x", "Bogus__c": 1})
        assert r.status_code == 400 and r.json()[0]["errorCode"] == "INVALID_FIELD"
        assert "Bogus__c" in r.json()[0]["message"]
        r = await org.post("/sobjects/Account/", {"Name": "x", "Industry": "Piracy"})
        assert r.json()[0]["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
        r = await org.post(
            "/sobjects/Opportunity/",
            {"Name": "x", "StageName": "Prospecting", "CloseDate": "31/01/2024"},
        )
        assert r.json()[0]["errorCode"] == "JSON_PARSER_ERROR"
        assert r.json()[0]["fields"] == ["CloseDate"]
        r = await org.post("/sobjects/Account/", {"Name": "x" * 256})
        assert r.json()[0]["errorCode"] == "STRING_TOO_LONG"
        r = await org.post(
            "/sobjects/Opportunity/",
            {"Name": "x", "StageName": "Prospecting", "CloseDate": "2024-01-31", "IsWon": True},
        )
        assert r.json()[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
        r = await org.client.post(
            "/services/data/v59.0/sobjects/Account/", content=b"{nope", headers=org.auth
        )
        assert r.status_code == 400 and r.json()[0]["errorCode"] == "JSON_PARSER_ERROR"

    in_org(check)


def test_ids_malformed_wrong_type_and_missing() -> None:
    async def check(org: Org) -> None:
        account = await org.create("Account", {"Name": "Acme"})
        r = await org.get("/sobjects/Account/not-an-id")
        assert r.status_code == 404 and r.json()[0]["errorCode"] == "NOT_FOUND"
        contact = await org.create("Contact", {"LastName": "Hopper"})
        r = await org.get(f"/sobjects/Account/{contact}")
        assert r.status_code == 400 and r.json()[0]["errorCode"] == "MALFORMED_ID"
        r = await org.post("/sobjects/Contact/", {"LastName": "x", "AccountId": "001abc"})
        assert r.json()[0]["errorCode"] == "MALFORMED_ID"
        assert r.json()[0]["fields"] == ["AccountId"]
        r = await org.post("/sobjects/Contact/", {"LastName": "x", "AccountId": contact})
        assert r.json()[0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
        gone = account[:3] + "000000000000"
        r = await org.post("/sobjects/Contact/", {"LastName": "x", "AccountId": gone})
        assert r.json()[0]["errorCode"] == "INVALID_CROSS_REFERENCE_KEY"
        # A wrong checksum suffix is malformed; the lower-cased suffix is accepted.
        assert (await org.get(f"/sobjects/Account/{account[:15]}ZZZ")).status_code == 404
        assert (
            await org.get(f"/sobjects/Account/{account[:15]}{account[15:].lower()}")
        ).status_code == 200

    in_org(check)


def test_duplicate_external_id_is_refused() -> None:
    async def check(org: Org) -> None:
        first = await org.create("Account", {"Name": "A", "External_Id__c": "X-1"})
        r = await org.post("/sobjects/Account/", {"Name": "B", "External_Id__c": "x-1"})
        assert r.status_code == 400
        assert r.json() == [
            {
                "message": "duplicate value found: External_Id__c duplicates "
                f"value on record with id: {first}",
                "errorCode": "DUPLICATE_VALUE",
                "fields": ["External_Id__c"],
            }
        ]

    in_org(check)


def test_opportunity_stage_drives_derived_fields() -> None:
    async def check(org: Org) -> None:
        opp = await org.create(
            "Opportunity",
            {"Name": "x", "StageName": "Prospecting", "CloseDate": "2024-05-20", "Amount": 1000},
        )
        rec = await org.record("Opportunity", opp)
        assert (rec["IsClosed"], rec["IsWon"], rec["Probability"]) == (False, False, 10)
        assert rec["ForecastCategoryName"] == "Pipeline"
        assert rec["ExpectedRevenue"] == 100 and (rec["FiscalYear"], rec["FiscalQuarter"]) == (
            2024,
            2,
        )
        assert (
            await org.patch(f"/sobjects/Opportunity/{opp}", {"StageName": "Closed Lost"})
        ).status_code == 204
        rec = await org.record("Opportunity", opp)
        assert (rec["IsClosed"], rec["IsWon"], rec["Probability"]) == (True, False, 0)
        await org.patch(f"/sobjects/Opportunity/{opp}", {"StageName": "Closed Won"})
        rec = await org.record("Opportunity", opp)
        assert (rec["IsClosed"], rec["IsWon"], rec["ForecastCategoryName"]) == (
            True,
            True,
            "Closed",
        )

    in_org(check)


def test_line_items_price_and_roll_up_exactly() -> None:
    async def check(org: Org) -> None:
        ids = await seed_catalogue(org)
        line = await org.create(
            "OpportunityLineItem",
            {
                "OpportunityId": ids["opportunity"],
                "PricebookEntryId": ids["entry"],
                "Quantity": 3,
                "UnitPrice": "0.10",
            },
        )
        await org.create(
            "OpportunityLineItem",
            {
                "OpportunityId": ids["opportunity"],
                "PricebookEntryId": ids["entry"],
                "Quantity": 1,
                "TotalPrice": 0.2,
            },
        )
        raw = await org.get(f"/sobjects/Opportunity/{ids['opportunity']}")
        # Exact decimals on the wire: 3 x 0.10 + 0.20 is 0.50, not 0.5000000000000001.
        assert b'"Amount":0.50' in raw.content
        opp = raw.json()
        assert opp["HasOpportunityLineItem"] is True and opp["Pricebook2Id"] == ids["book"]
        item = await org.record("OpportunityLineItem", line)
        assert item["ListPrice"] == 100 and item["TotalPrice"] == 0.3
        assert item["Product2Id"] == ids["product"] and item["Name"] == "Big deal Widget"
        both = await org.post(
            "/sobjects/OpportunityLineItem/",
            {
                "OpportunityId": ids["opportunity"],
                "PricebookEntryId": ids["entry"],
                "Quantity": 1,
                "UnitPrice": 1,
                "TotalPrice": 1,
            },
        )
        assert both.json()[0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
        assert (await org.delete(f"/sobjects/OpportunityLineItem/{line}")).status_code == 204
        assert (await org.record("Opportunity", ids["opportunity"]))["Amount"] == 0.2

    in_org(check)


def test_quote_and_order_totals() -> None:
    async def check(org: Org) -> None:
        ids = await seed_catalogue(org)
        quote = await org.create(
            "Quote",
            {
                "Name": "Q1",
                "OpportunityId": ids["opportunity"],
                "Pricebook2Id": ids["book"],
                "Tax": 8.25,
                "ShippingHandling": 5,
            },
        )
        await org.create(
            "QuoteLineItem",
            {
                "QuoteId": quote,
                "PricebookEntryId": ids["entry"],
                "Quantity": 2,
                "UnitPrice": 100,
                "Discount": 10,
            },
        )
        q = await org.record("Quote", quote)
        assert (q["Subtotal"], q["TotalPrice"], q["GrandTotal"]) == (200, 180, 193.25)
        assert q["LineItemCount"] == 1 and q["AccountId"] == ids["account"]
        assert q["QuoteNumber"] == "00000001"

        order = await org.create(
            "Order", {"AccountId": ids["account"], "Status": "Draft", "EffectiveDate": "2024-02-01"}
        )
        await org.create(
            "OrderItem",
            {"OrderId": order, "PricebookEntryId": ids["entry"], "Quantity": 4, "UnitPrice": 99.99},
        )
        o = await org.record("Order", order)
        assert o["TotalAmount"] == 399.96 and o["Pricebook2Id"] == ids["book"]

        contract = await org.create(
            "Contract",
            {
                "AccountId": ids["account"],
                "Status": "Draft",
                "StartDate": "2024-01-31",
                "ContractTerm": 1,
            },
        )
        c = await org.record("Contract", contract)
        assert c["EndDate"] == "2024-02-28" and c["StatusCode"] == "Draft"

    in_org(check)


def test_custom_price_needs_a_standard_price() -> None:
    async def check(org: Org) -> None:
        book = await org.create("Pricebook2", {"Name": "Partners", "IsActive": True})
        product = await org.create("Product2", {"Name": "Gadget", "IsActive": True})
        r = await org.post(
            "/sobjects/PricebookEntry/",
            {"Pricebook2Id": book, "Product2Id": product, "UnitPrice": 5},
        )
        assert r.json()[0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
        assert "standard price" in r.json()[0]["message"]

    in_org(check)


def test_delete_cascades_and_query_all_sees_the_recycle_bin() -> None:
    async def check(org: Org) -> None:
        ids = await seed_catalogue(org)
        await org.create(
            "OpportunityLineItem",
            {
                "OpportunityId": ids["opportunity"],
                "PricebookEntryId": ids["entry"],
                "Quantity": 1,
                "UnitPrice": 1,
            },
        )
        assert (await org.delete(f"/sobjects/Opportunity/{ids['opportunity']}")).status_code == 204
        live = await org.query("SELECT COUNT() FROM OpportunityLineItem")
        assert live["totalSize"] == 0
        r = await org.get(
            "/queryAll", params={"q": "SELECT Id, IsDeleted FROM OpportunityLineItem"}
        )
        assert [row["IsDeleted"] for row in r.json()["records"]] == [True]
        r = await org.get(f"/sobjects/Opportunity/{ids['opportunity']}")
        assert r.status_code == 404
        r = await org.get(
            "/sobjects/Opportunity/deleted/",
            params={"start": "2024-01-30T00:00:00+00:00", "end": "2024-02-01T00:00:00+00:00"},
        )
        assert [d["id"] for d in r.json()["deletedRecords"]] == [ids["opportunity"]]
        r = await org.get(
            "/sobjects/Account/updated/",
            params={"start": "2024-01-30T00:00:00Z", "end": "2024-02-01T00:00:00Z"},
        )
        assert ids["account"] in r.json()["ids"]

    in_org(check)


def test_money_is_decimal_in_the_store() -> None:
    async def check(org: Org) -> None:
        opp = await org.create(
            "Opportunity",
            {"Name": "x", "StageName": "Prospecting", "CloseDate": "2024-05-20", "Amount": 0.1},
        )
        tenant = next(iter(org.app.sim.tenants))
        stored = tenant.store.get("Opportunity", opp)
        assert stored is not None and stored["Amount"] == Decimal("0.10")

    in_org(check)
