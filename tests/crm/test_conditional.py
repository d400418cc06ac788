"""Conditional requests with simple-salesforce (REST API Developer Guide, "Conditional
Request Headers" and "Get Object Metadata Changes"): If-Modified-Since on describes and
records answers 304; an Account record has an ETag for If-None-Match and If-Match;
If-Unmodified-Since guards a PATCH. simple-salesforce raises SalesforceGeneralError for
a 304 (any status of 300 and above but the mapped ones), as it would against Salesforce."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from simple_salesforce import Salesforce, SalesforceGeneralError, SalesforceMalformedRequest

from tests.crm.conftest import Server

# The fixture's business time is frozen at 2024-01-31T10:00:00Z (conftest.T0).
BEFORE = "Wed, 31 Jan 2024 09:00:00 GMT"
AT = "Wed, 31 Jan 2024 10:00:00 GMT"
LATER = "Thu, 01 Feb 2024 10:00:00 GMT"


@pytest.fixture
def org(server: Server) -> tuple[Salesforce, str]:
    return server.salesforce()


def _status(call: Callable[[], object]) -> int:
    """The status of the SalesforceGeneralError ``call`` raises. (A plain except, not
    pytest.raises held in a local: that keeps a frame-traceback cycle alive until a
    garbage collection, which here ran inside a later ast.parse at session end and broke
    Python 3.11's recursion accounting: "AST constructor recursion depth mismatch".)"""
    try:
        call()
    except SalesforceGeneralError as exc:
        return int(exc.status)
    raise AssertionError("no SalesforceGeneralError")


def test_describe_is_not_modified_since_the_orgs_creation_until_a_field_is_added(
        server: Server, org: tuple[Salesforce, str]) -> None:
    sf, tenant = org
    described = sf.Account.describe(headers={"If-Modified-Since": BEFORE})
    assert described["name"] == "Account"
    assert _status(lambda: sf.Account.describe(headers={"If-Modified-Since": AT})) == 304
    assert _status(lambda: sf.describe(headers={"If-Modified-Since": LATER})) == 304
    # A custom field declared an hour later changes Account's metadata (not Contact's).
    server.control("POST", "/_sim/clock/advance", tenant, {"seconds": 3600})
    server.control("POST", "/_sim/crm/fields", tenant,
                   {"sobject": "Account", "name": "Tier__c", "type": "string", "length": 20})
    changed = sf.Account.describe(headers={"If-Modified-Since": AT})
    assert "Tier__c" in {f["name"] for f in changed["fields"]}
    assert _status(lambda: sf.Contact.describe(headers={"If-Modified-Since": AT})) == 304
    response = sf.session.get(f"{sf.base_url}sobjects/Account/describe",
                              headers={"Authorization": f"Bearer {sf.session_id}"})
    assert response.headers["Last-Modified"] == "Wed, 31 Jan 2024 11:00:00 GMT"


def test_a_record_not_modified_since_answers_304(server: Server,
                                                 org: tuple[Salesforce, str]) -> None:
    sf, tenant = org
    record_id = sf.Contact.create({"LastName": "Ng"})["id"]
    assert sf.Contact.get(record_id, headers={"If-Modified-Since": BEFORE})["LastName"] == "Ng"
    assert _status(lambda: sf.Contact.get(record_id,
                                          headers={"If-Modified-Since": AT})) == 304
    server.control("POST", "/_sim/clock/advance", tenant, {"seconds": 3600})
    sf.Contact.update(record_id, {"LastName": "Ngo"})
    assert sf.Contact.get(record_id, headers={"If-Modified-Since": AT})["LastName"] == "Ngo"
    # A date that does not parse is ignored on a GET (HTTP/1.1).
    assert sf.Contact.get(record_id, headers={"If-Modified-Since": "yesterday"})["Id"]


def test_an_account_etag_drives_if_none_match_and_if_match(org: tuple[Salesforce, str]) -> None:
    sf, _ = org
    account = sf.Account.create({"Name": "Acme"})["id"]
    response = sf.session.get(f"{sf.base_url}sobjects/Account/{account}",
                              headers={"Authorization": f"Bearer {sf.session_id}"})
    tag = response.headers["ETag"]
    assert tag.startswith('"') and tag.endswith('--gzip"')
    assert _status(lambda: sf.Account.get(account, headers={"If-None-Match": tag})) == 304
    assert sf.Account.get(account, headers={"If-None-Match": '"other--gzip"'})["Name"] == "Acme"
    # An update with a stale ETag is refused; with the current one it goes through.
    assert sf.Account.update(account, {"Name": "Acme Corp"},
                             headers={"If-Match": tag}) == 204
    assert _status(lambda: sf.Account.update(account, {"Name": "Lost update"},
                                             headers={"If-Match": tag})) == 412
    assert sf.Account.get(account)["Name"] == "Acme Corp"
    with pytest.raises(SalesforceMalformedRequest):
        sf.Account.update(account, {"Name": "X"}, headers={"If-Match": "not-quoted"})


def test_if_unmodified_since_guards_an_update(server: Server,
                                              org: tuple[Salesforce, str]) -> None:
    sf, tenant = org
    record_id = sf.Contact.create({"LastName": "Ng"})["id"]
    server.control("POST", "/_sim/clock/advance", tenant, {"seconds": 3600})
    sf.Contact.update(record_id, {"LastName": "Ngo"})
    assert _status(lambda: sf.Contact.update(record_id, {"LastName": "Stale"},
                                             headers={"If-Unmodified-Since": AT})) == 412
    assert sf.Contact.update(record_id, {"LastName": "Fresh"},
                             headers={"If-Unmodified-Since": LATER}) == 204
    with pytest.raises(SalesforceMalformedRequest):
        sf.Contact.update(record_id, {"LastName": "X"},
                          headers={"If-Unmodified-Since": "someday"})
