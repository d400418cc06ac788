"""A resilient client for the Salesforce REST API (and the CRM fake that speaks it).

Facts from the Salesforce REST API Developer Guide ("Status Codes and Error
Responses", https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/
errorcodes.htm) unless noted:

* Errors are a JSON array of ``{message, errorCode, fields}``.
* 401: the session id / OAuth token expired or is invalid (``INVALID_SESSION_ID``); the
  client fetches a new token and repeats the call once.
* 403 ``REQUEST_LIMIT_EXCEEDED``: the org's API request allocation is exhausted. It is
  transient, but on the scale of hours, so it carries a long ``retry_after`` and is
  handed back to the caller instead of being slept on in-process.
* 300 from an upsert: the external id matches more than one record.
* ``UNABLE_TO_LOCK_ROW`` is record-lock contention and worth retrying (Salesforce
  knowledge articles on record locking; the HTTP status it comes with is unverified).
* Every response carries ``Sforce-Limit-Info: api-usage=N/M``.

Creates (POST) are not retried after a timeout, reset or 5xx: they raise
:class:`AmbiguousOutcome` at once. Prefer :meth:`CrmClient.upsert` by external id, which
is safe to repeat.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from integration_layer.clients.base import json_body, segment
from integration_layer.clients.caller import CallSpec
from integration_layer.clients.errors import (
    PermanentError,
    SessionExpired,
    TransientError,
    VendorError,
)
from integration_layer.clients.oauth import BearerClient
from integration_layer.clients.options import DEFAULTS, ClientOptions
from integration_layer.clients.policy import ErrorKind, classify_status

SObject = dict[str, Any]
"""A Salesforce record (or response body) as decoded JSON."""

TRANSIENT_CODES = frozenset({"UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE"})
_API_USAGE = re.compile(r"api-usage=(\d+)/(\d+)")
_READ_ONLY = frozenset({"GET", "HEAD"})
_IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class ApiUsage:
    """The org's API usage from ``Sforce-Limit-Info`` (``used`` of ``limit``)."""

    used: int
    limit: int


@dataclass(frozen=True)
class UpsertResult:
    """The outcome of an upsert by external id; ``id`` may be ``None`` on an update
    answered with 204 (API versions before 46.0 send no body)."""

    id: str | None
    created: bool


def parse_salesforce_error(
    response: httpx.Response, *, limit_retry_after: float = 3600.0
) -> VendorError:
    """Turn a Salesforce error response into the matching client error."""
    body = json_body(response)
    first: Mapping[str, Any] = {}
    if isinstance(body, list) and body and isinstance(body[0], Mapping):
        first = body[0]
    elif isinstance(body, Mapping):
        first = body
    code = first.get("errorCode")
    message = str(first.get("message") or response.reason_phrase or "Salesforce error")
    status = response.status_code
    error: VendorError
    if status == 401:
        error = SessionExpired(code or "INVALID_SESSION_ID", message, status)
    elif code == "REQUEST_LIMIT_EXCEEDED":
        # The daily allocation (403) says nothing about when to come back, so wait the
        # configured time; a rate refusal that carries Retry-After is trusted instead.
        has_header = response.headers.get("retry-after") is not None
        error = TransientError(
            message, status=status, vendor_code=code,
            retry_after=None if has_header else limit_retry_after,
        )
    elif status == 300:
        error = PermanentError("MULTIPLE_CHOICES", "external id matches several records", 300)
    elif (
        classify_status(
            status,
            response.headers,
            vendor_code=code,
            transient_codes=TRANSIENT_CODES,
            conflict_is_transient=False,
        )
        is ErrorKind.TRANSIENT
    ):
        error = TransientError(message, status=status, vendor_code=code)
    else:
        error = PermanentError(code, message, status)
    if first:
        error.details = dict(first)
    return error


class CrmClient(BearerClient):
    """Salesforce REST client with OAuth client-credentials and one re-auth on 401."""

    def __init__(
        self,
        instance_url: str,
        *,
        token_url: str,
        client_id: str,
        client_secret: str,
        api_version: str = "59.0",
        options: ClientOptions = DEFAULTS,
        limit_exceeded_retry_after: float = 3600.0,
    ) -> None:
        # OAuth 2.0 client credentials flow (Salesforce Help, "OAuth 2.0 Client
        # Credentials Flow for Server-to-Server Integration"): credentials in the form.
        super().__init__(options.caller(instance_url, "salesforce"), token_url,
                         client_id=client_id, client_secret=client_secret, client_auth="post")
        self._limit_retry_after = limit_exceeded_retry_after
        self.api_version = api_version
        self.data_path = f"/services/data/v{api_version}"
        self.limit_info: str | None = None
        """The last ``Sforce-Limit-Info`` header seen."""
        self.api_usage: ApiUsage | None = None
        """The last API usage parsed from ``Sforce-Limit-Info``."""

    # -- core -----------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        path_template: str,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        retry_safe: bool | None = None,
    ) -> httpx.Response:
        """Call ``method path`` (a path on the instance) with a bearer token.

        ``retry_safe`` defaults to true for GET/HEAD/PUT/PATCH/DELETE and false for POST.
        """
        method = method.upper()
        spec = CallSpec(
            method=method,
            path_template=path_template,
            mutates=method not in _READ_ONLY,
            retry_safe=method in _IDEMPOTENT if retry_safe is None else retry_safe,
        )
        response = await self._auth.call(spec, path, self._parse_error, json=json,
                                         params=params)
        self._note_limits(response)
        return response

    def _parse_error(self, response: httpx.Response) -> VendorError:
        self._note_limits(response)
        return parse_salesforce_error(response, limit_retry_after=self._limit_retry_after)

    def _note_limits(self, response: httpx.Response) -> None:
        info = response.headers.get("sforce-limit-info")
        if info is None:
            return
        self.limit_info = info
        match = _API_USAGE.search(info)
        if match:
            self.api_usage = ApiUsage(used=int(match.group(1)), limit=int(match.group(2)))

    def _json(self, response: httpx.Response) -> Any:
        return json_body(response)

    # -- query ----------------------------------------------------------------------

    async def iter_query(self, soql: str) -> AsyncIterator[SObject]:
        """Yield every record of a SOQL query, following ``nextRecordsUrl``."""
        response = await self.request(
            "GET",
            f"{self.data_path}/query",
            params={"q": soql},
            path_template="/services/data/v{version}/query",
        )
        while True:
            page = self._json(response) or {}
            for record in page.get("records") or []:
                yield record
            next_url = page.get("nextRecordsUrl")
            if page.get("done", True) or not next_url:
                return
            # nextRecordsUrl is a path on the instance, starting with "/".
            response = await self.request(
                "GET", next_url, path_template="/services/data/v{version}/query/{locator}"
            )

    async def query(self, soql: str) -> list[SObject]:
        """Every record of a SOQL query (all batches)."""
        return [record async for record in self.iter_query(soql)]

    # -- sObjects -------------------------------------------------------------------

    async def get(
        self, sobject: str, record_id: str, *, fields: Sequence[str] | None = None
    ) -> SObject:
        """``GET /sobjects/{Obj}/{id}``."""
        response = await self.request(
            "GET",
            f"{self.data_path}/sobjects/{segment(sobject)}/{segment(record_id)}",
            params={"fields": ",".join(fields)} if fields else None,
            path_template=f"/services/data/v{{version}}/sobjects/{sobject}/{{id}}",
        )
        return dict(self._json(response) or {})

    async def create(self, sobject: str, body: Mapping[str, Any]) -> str:
        """``POST /sobjects/{Obj}/`` and return the new id. Not retried after a timeout,
        reset or 5xx (raises :class:`AmbiguousOutcome`): prefer :meth:`upsert`."""
        response = await self.request(
            "POST",
            f"{self.data_path}/sobjects/{segment(sobject)}/",
            json=dict(body),
            path_template=f"/services/data/v{{version}}/sobjects/{sobject}",
        )
        result = self._json(response)
        if not isinstance(result, Mapping) or not isinstance(result.get("id"), str):
            raise PermanentError(None, "create response has no id", response.status_code)
        return str(result["id"])

    async def update(self, sobject: str, record_id: str, body: Mapping[str, Any]) -> None:
        """``PATCH /sobjects/{Obj}/{id}`` (204)."""
        await self.request(
            "PATCH",
            f"{self.data_path}/sobjects/{segment(sobject)}/{segment(record_id)}",
            json=dict(body),
            path_template=f"/services/data/v{{version}}/sobjects/{sobject}/{{id}}",
        )

    async def upsert(
        self, sobject: str, external_id_field: str, value: str, body: Mapping[str, Any]
    ) -> UpsertResult:
        """``PATCH /sobjects/{Obj}/{Field}/{value}``: 201 created, 200/204 updated,
        300 (several matches) raises :class:`PermanentError` ``MULTIPLE_CHOICES``."""
        response = await self.request(
            "PATCH",
            f"{self.data_path}/sobjects/{segment(sobject)}/{segment(external_id_field)}/"
            f"{segment(value)}",
            json=dict(body),
            path_template=(
                f"/services/data/v{{version}}/sobjects/{sobject}/{external_id_field}/{{value}}"
            ),
        )
        result = self._json(response)
        record_id = result.get("id") if isinstance(result, Mapping) else None
        return UpsertResult(
            id=str(record_id) if record_id else None, created=response.status_code == 201
        )

    async def composite(
        self, subrequests: Sequence[Mapping[str, Any]], *, all_or_none: bool = False
    ) -> SObject:
        """``POST /composite`` with up to 25 subrequests ``{method, url, referenceId,
        body}``; returns ``{"compositeResponse": [...]}`` (check each ``httpStatusCode``).
        Retried only when no subrequest is a POST."""
        if len(subrequests) > 25:
            raise ValueError("a composite request holds at most 25 subrequests")
        safe = all(str(sub.get("method", "")).upper() in _IDEMPOTENT for sub in subrequests)
        response = await self.request(
            "POST",
            f"{self.data_path}/composite",
            json={"allOrNone": all_or_none, "compositeRequest": [dict(s) for s in subrequests]},
            path_template="/services/data/v{version}/composite",
            retry_safe=safe,
        )
        return dict(self._json(response) or {})
