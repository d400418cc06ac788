"""Async requests: Prefer: respond-async, job polling and X-NetSuite-Idempotency-Key."""

from __future__ import annotations

from typing import Any

import httpx

from harness.waiting import until
from tests.erp.support import (
    BASE,
    CONSULTING,
    RECORDS,
    US_BANK,
    US_SUB,
    Erp,
    assert_error,
)

JOURNAL = {
    "subsidiary": {"id": US_SUB},
    "line": {
        "items": [{"account": {"id": "13"}, "debit": 5}, {"account": {"id": US_BANK}, "credit": 5}]
    },
}


def submit(erp: Erp, body: Any, key: str | None = None) -> httpx.Response:
    headers = {"Prefer": "respond-async"}
    if key:
        headers["X-NetSuite-Idempotency-Key"] = key
    return erp.post(f"{RECORDS}/journalEntry", json=body, headers=headers)


def poll(erp: Erp, location: str) -> dict[str, Any]:
    path = location.removeprefix(BASE)
    found: dict[str, Any] = {}

    async def done() -> bool:
        response = await erp.client.get(path, headers=erp.headers)
        assert response.status_code == 200, response.text
        found.update(response.json())
        return bool(found["completed"])

    erp.run(until(done, timeout=5.0, what="the job to complete"))
    return found


def test_async_create_202_job_then_result(erp: Erp) -> None:
    response = submit(erp, JOURNAL, key="key-1")
    assert response.status_code == 202
    assert response.headers["preference-applied"] == "respond-async"
    location = response.headers["location"]
    assert location.startswith(f"{BASE}/services/rest/async/v1/job/")
    job = poll(erp, location)
    assert job["progress"] == "succeeded"
    assert job["task"]["links"][0]["href"] == f"{location}/task"
    tasks = erp.get(f"{location.removeprefix(BASE)}/task").json()
    task_path = tasks["items"][0]["links"][0]["href"].removeprefix(BASE)
    task = erp.get(task_path).json()
    assert task["completed"] is True and "startTime" in task and "endTime" in task
    result = erp.get(f"{task_path}/result")
    assert result.status_code == 204
    journal_id = result.headers["location"].rsplit("/", 1)[1]
    assert erp.record("journalEntry", journal_id)["subsidiary"]["id"] == US_SUB


def test_duplicate_idempotency_key_points_to_the_first_job(erp: Erp) -> None:
    first = submit(erp, JOURNAL, key="dup-key")
    poll(erp, first.headers["location"])
    second = submit(erp, JOURNAL, key="dup-key")
    body = assert_error(second, 400, "IDEMPOTENCY_ERROR")
    assert body["title"] == "Conflict"
    assert second.headers["location"] == first.headers["location"]
    journals = erp.get(f"{RECORDS}/journalEntry").json()
    assert journals["totalResults"] == 1


def test_failed_job_keeps_the_error(erp: Erp) -> None:
    unbalanced = {
        **JOURNAL,
        "line": {
            "items": [
                {"account": {"id": "13"}, "debit": 5},
                {"account": {"id": US_BANK}, "credit": 4},
            ]
        },
    }
    location = submit(erp, unbalanced, key="bad").headers["location"]
    job = poll(erp, location)
    assert job["progress"] == "failed"
    job_id = location.rsplit("/", 1)[1]
    result = erp.get(f"/services/rest/async/v1/job/{job_id}/task/{job_id}/result")
    assert_error(result, 400, "USER_ERROR", "line.items")


def test_synchronous_requests_ignore_the_key(erp: Erp) -> None:
    headers = {"X-NetSuite-Idempotency-Key": "sync"}
    customer = erp.customer()
    body = {
        "entity": {"id": customer},
        "item": {"items": [{"item": {"id": CONSULTING}, "amount": 1}]},
    }
    for _ in range(2):
        assert erp.post(f"{RECORDS}/invoice", json=body, headers=headers).status_code == 204
    assert erp.get(f"{RECORDS}/invoice").json()["totalResults"] == 2


def test_async_suiteql_and_unknown_job(erp: Erp) -> None:
    response = erp.post(
        "/services/rest/query/v1/suiteql",
        json={"q": "SELECT id FROM currency"},
        headers={"Prefer": "respond-async"},
    )
    assert response.status_code == 202
    location = response.headers["location"]
    poll(erp, location)
    job_id = location.rsplit("/", 1)[1]
    rows = erp.get(f"/services/rest/async/v1/job/{job_id}/task/{job_id}/result").json()
    assert rows["totalResults"] == 4
    assert_error(erp.get("/services/rest/async/v1/job/999"), 404, "NONEXISTENT_ID")
