"""Bulk API 2.0 with simple-salesforce's bulk2 client (Bulk API 2.0 and Bulk API Developer
Guide: ingest jobs, their states and results; query jobs with Sforce-Locator pages).
``wait=0``: the client polls the job at once, and the fake has processed it by then."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce

from tests.crm.conftest import Server


@pytest.fixture
def sf(server: Server) -> Salesforce:
    return server.salesforce()[0]


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _raw(sf: Salesforce, method: str, path: str, **kw: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {sf.session_id}", **kw.pop("headers", {})}
    return sf.session.request(method, f"{sf.base_url}{path}", headers=headers, **kw)


def test_insert_job_saves_good_rows_and_lists_the_bad_ones(sf: Salesforce) -> None:
    records = [{"Name": f"Bulk {n}", "NumberOfEmployees": str(n)} for n in range(5)]
    records.append({"Name": "", "NumberOfEmployees": "7"})  # Name is required
    [result] = sf.bulk2.Account.insert(records=records, wait=0)
    assert result["numberRecordsProcessed"] == 6 and result["numberRecordsFailed"] == 1
    job = result["job_id"]
    ok = _rows(sf.bulk2.Account.get_successful_records(job))
    assert len(ok) == 5 and {r["sf__Created"] for r in ok} == {"true"}
    assert all(r["sf__Id"].startswith("001") for r in ok)
    failed = _rows(sf.bulk2.Account.get_failed_records(job))
    assert len(failed) == 1 and failed[0]["sf__Error"].startswith("REQUIRED_FIELD_MISSING")
    assert failed[0]["NumberOfEmployees"] == "7"
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 5
    info = _raw(sf, "GET", f"jobs/ingest/{job}").json()
    assert info["state"] == "JobComplete" and info["object"] == "Account"


def test_upsert_update_and_delete_jobs(sf: Salesforce) -> None:
    sf.bulk2.Account.insert(records=[{"Name": "Acme", "External_Id__c": "acme"}], wait=0)
    [up] = sf.bulk2.Account.upsert(
        records=[{"External_Id__c": "acme", "Name": "Acme Corp"},
                 {"External_Id__c": "globex", "Name": "Globex"}],
        external_id_field="External_Id__c", wait=0)
    ok = _rows(sf.bulk2.Account.get_successful_records(up["job_id"]))
    assert sorted(r["sf__Created"] for r in ok) == ["false", "true"]
    names = {r["Name"] for r in sf.query("SELECT Name FROM Account")["records"]}
    assert names == {"Acme Corp", "Globex"}
    ids = [r["sf__Id"] for r in ok]
    sf.bulk2.Account.update(records=[{"Id": ids[0], "Industry": "Technology"}], wait=0)
    assert sf.Account.get(ids[0])["Industry"] == "Technology"
    sf.bulk2.Account.delete(records=[{"Id": i} for i in ids], wait=0)
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 0


def test_the_state_machine_one_upload_abort_and_unprocessed_records(sf: Salesforce) -> None:
    job = _raw(sf, "POST", "jobs/ingest", json={"object": "Contact",
                                                 "operation": "insert"}).json()
    assert job["state"] == "Open" and job["contentUrl"].endswith("/batches")
    upload = _raw(sf, "PUT", f"jobs/ingest/{job['id']}/batches", data=b"LastName\nNg\nLee\n",
                  headers={"Content-Type": "text/csv"})
    assert upload.status_code == 201
    again = _raw(sf, "PUT", f"jobs/ingest/{job['id']}/batches", data=b"LastName\nX\n",
                 headers={"Content-Type": "text/csv"})
    assert again.status_code == 400 and "multiple contents" in again.json()[0]["message"]
    aborted = _raw(sf, "PATCH", f"jobs/ingest/{job['id']}", json={"state": "Aborted"})
    assert aborted.json()["state"] == "Aborted"
    rows = _raw(sf, "GET", f"jobs/ingest/{job['id']}/unprocessedrecords").text
    assert [r["LastName"] for r in _rows(rows)] == ["Ng", "Lee"]
    late = _raw(sf, "PATCH", f"jobs/ingest/{job['id']}", json={"state": "UploadComplete"})
    assert late.status_code == 400
    assert sf.query("SELECT COUNT() FROM Contact")["totalSize"] == 0
    assert _raw(sf, "DELETE", f"jobs/ingest/{job['id']}").status_code == 204
    assert _raw(sf, "GET", f"jobs/ingest/{job['id']}").status_code == 404


def test_an_unknown_column_fails_the_job(sf: Salesforce) -> None:
    job = _raw(sf, "POST", "jobs/ingest", json={"object": "Account",
                                                 "operation": "insert"}).json()
    _raw(sf, "PUT", f"jobs/ingest/{job['id']}/batches", data=b"Name,Bogus__c\nA,1\n",
         headers={"Content-Type": "text/csv"})
    _raw(sf, "PATCH", f"jobs/ingest/{job['id']}", json={"state": "UploadComplete"})
    info = _raw(sf, "GET", f"jobs/ingest/{job['id']}").json()
    assert info["state"] == "Failed" and "Bogus__c" in info["errorMessage"]


def test_query_job_pages_with_the_locator(sf: Salesforce) -> None:
    sf.bulk2.Account.insert(records=[{"Name": f"Q{n:02d}"} for n in range(25)], wait=0)
    pages = list(sf.bulk2.Account.query("SELECT Id, Name FROM Account ORDER BY Name",
                                        max_records=10, wait=0))
    assert len(pages) == 3
    names = [r["Name"] for page in pages for r in _rows(str(page))]
    assert names == [f"Q{n:02d}" for n in range(25)]
    job = _raw(sf, "POST", "jobs/query", json={"operation": "query",
                                                "query": "SELECT Name FROM Account"}).json()
    first = _raw(sf, "GET", f"jobs/query/{job['id']}/results", params={"maxRecords": 20})
    assert first.headers["Sforce-NumberOfRecords"] == "20"
    last = _raw(sf, "GET", f"jobs/query/{job['id']}/results",
                params={"maxRecords": 20, "locator": first.headers["Sforce-Locator"]})
    assert last.headers["Sforce-Locator"] == "null"
    assert last.headers["Sforce-NumberOfRecords"] == "5"


@pytest.mark.parametrize("soql", ["SELECT COUNT() FROM Account",
                                  "SELECT Name, (SELECT LastName FROM Contacts) FROM Account",
                                  "SELECT Name FROM Account OFFSET 5"])
def test_bulk_queries_refuse_what_bulk_api_does_not_support(sf: Salesforce, soql: str) -> None:
    refused = _raw(sf, "POST", "jobs/query", json={"operation": "query", "query": soql})
    assert refused.status_code == 400


def test_bulk_api_needs_version_41(sf: Salesforce) -> None:
    response = sf.session.post(sf.base_url.replace("v59.0", "v40.0") + "jobs/ingest",
                               json={"object": "Account", "operation": "insert"},
                               headers={"Authorization": f"Bearer {sf.session_id}"})
    assert response.status_code == 404
