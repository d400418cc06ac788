"""A resilient client for NetSuite REST web services (and the ERP fake that speaks it).

Facts from the NetSuite Help Center (SuiteTalk REST Web Services):

* "Creating a Record Instance": POST answers 204 with no body; the new record's URL is
  in the ``Location`` header (``.../services/rest/record/v1/customer/647``).
* "Using the Upsert Operation" / "Using External IDs": ``PUT .../{type}/eid:{externalId}``
  creates or updates by external id; it is safe to repeat, so the integration layer
  should use it for every create. A plain POST create is never retried after a timeout,
  reset or 5xx: it raises :class:`AmbiguousOutcome`, to be resolved by external id.
* "Error Handling in REST Web Services": errors are ``{type, title, status,
  "o:errorDetails": [{detail, "o:errorCode", "o:errorPath"}]}``.
* "Executing SuiteQL Queries Through REST Web Services": ``POST
  /services/rest/query/v1/suiteql`` with ``Prefer: transient`` and ``{"q": ...}``;
  paged with ``limit``/``offset`` (at most 1000 rows a page) and a ``links`` list.
* "Concurrency Governance": one account-wide limit on simultaneous requests; REST
  requests over it are refused with 429 (the error code is unverified) - transient.

Authentication is OAuth 2.0 client credentials at ``/services/rest/auth/oauth2/v1/token``.
Real NetSuite's client-credentials flow signs a JWT assertion with a certificate; the
fake (and this client) use a client id and secret instead, sent as HTTP Basic
(``client_auth="basic"``, RFC 6749 section 2.3.1) or in the form (``"post"``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, Literal
from urllib.parse import unquote

import httpx

from integration_layer.clients.base import json_body, segment
from integration_layer.clients.caller import CallSpec
from integration_layer.clients.errors import (
    AmbiguousOutcome,
    PermanentError,
    SessionExpired,
    TransientError,
    VendorError,
)
from integration_layer.clients.oauth import BearerClient
from integration_layer.clients.options import DEFAULTS, ClientOptions
from integration_layer.clients.policy import ErrorKind, classify_status

Record = dict[str, Any]
"""A NetSuite record (or response body) as decoded JSON."""

TOKEN_PATH = "/services/rest/auth/oauth2/v1/token"
RECORD_PATH = "/services/rest/record/v1"
SUITEQL_PATH = "/services/rest/query/v1/suiteql"
SUITEQL_MAX_PAGE = 1000


def parse_netsuite_error(response: httpx.Response) -> VendorError:
    """Turn a NetSuite error response into the matching client error."""
    body = json_body(response)
    envelope: Mapping[str, Any] = body if isinstance(body, Mapping) else {}
    details = envelope.get("o:errorDetails")
    first: Mapping[str, Any] = {}
    if isinstance(details, list) and details and isinstance(details[0], Mapping):
        first = details[0]
    code = first.get("o:errorCode")
    message = str(first.get("detail") or envelope.get("title") or response.reason_phrase or "error")
    status = response.status_code
    error: VendorError
    if status == 401:
        error = SessionExpired(code or "INVALID_LOGIN", message, status)
    elif (
        classify_status(status, response.headers, vendor_code=code, conflict_is_transient=False)
        is ErrorKind.TRANSIENT
    ):
        error = TransientError(message, status=status, vendor_code=code)
    else:
        error = PermanentError(code, message, status)
    error.details = dict(envelope)
    return error


def parse_location_id(location: str, record_type: str) -> str:
    """The internal id at the end of a record ``Location`` URL.

    ``https://.../services/rest/record/v1/customer/647`` -> ``"647"``. Raises
    :class:`ValueError` when the URL does not name a ``record_type`` record.
    """
    segments = [unquote(s) for s in httpx.URL(location).path.split("/") if s]
    if len(segments) < 2 or segments[-2].lower() != record_type.lower() or not segments[-1]:
        raise ValueError(f"Location {location!r} does not name a {record_type} record")
    return segments[-1]


class ErpClient(BearerClient):
    """NetSuite REST record and SuiteQL client with OAuth 2.0 client credentials."""

    def __init__(
        self,
        base_url: str,
        account_id: str,
        *,
        client_id: str,
        client_secret: str,
        client_auth: Literal["basic", "post"] = "basic",
        options: ClientOptions = DEFAULTS,
    ) -> None:
        super().__init__(options.caller(base_url, "netsuite"), TOKEN_PATH, client_id=client_id,
                         client_secret=client_secret, client_auth=client_auth)
        self.account_id = account_id

    # -- core -----------------------------------------------------------------------

    async def request(
        self,
        method: str,
        url: str,
        *,
        path_template: str,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        mutates: bool | None = None,
        retry_safe: bool | None = None,
    ) -> httpx.Response:
        """Call ``method url`` (a path, or an absolute URL from a ``links`` entry).

        By default POST is a non-repeatable write and every other method is safe to
        repeat (GET, PATCH by id, PUT by external id, DELETE).
        """
        method = method.upper()
        spec = CallSpec(
            method=method,
            path_template=path_template,
            mutates=method != "GET" if mutates is None else mutates,
            retry_safe=method != "POST" if retry_safe is None else retry_safe,
        )
        return await self._auth.call(spec, url, parse_netsuite_error, json=json, params=params,
                                     headers=headers)

    # -- records --------------------------------------------------------------------

    async def create(self, record_type: str, body: Mapping[str, Any]) -> str:
        """``POST /record/v1/{type}`` and return the new internal id from ``Location``.

        Not retried after a timeout, reset or 5xx (raises :class:`AmbiguousOutcome`):
        prefer :meth:`upsert`.
        """
        template = f"{RECORD_PATH}/{record_type}"
        response = await self.request(
            "POST",
            f"{RECORD_PATH}/{segment(record_type)}",
            json=dict(body),
            path_template=template,
        )
        location = response.headers.get("location")
        try:
            if location is None:
                raise ValueError("no Location header")
            return parse_location_id(location, record_type)
        except ValueError as exc:
            # The record exists but we cannot tell which one it is.
            raise AmbiguousOutcome(
                f"POST {template} succeeded without a usable Location ({exc})",
                vendor=self._caller.vendor,
                method="POST",
                path=template,
                status=response.status_code,
            ) from exc

    async def get(
        self,
        record_type: str,
        record_id: str,
        *,
        expand_sub_resources: bool = False,
        fields: Sequence[str] | None = None,
    ) -> Record:
        """``GET /record/v1/{type}/{id}``."""
        params: dict[str, str] = {}
        if expand_sub_resources:
            params["expandSubResources"] = "true"
        if fields:
            params["fields"] = ",".join(fields)
        response = await self.request(
            "GET",
            f"{RECORD_PATH}/{segment(record_type)}/{segment(record_id)}",
            params=params or None,
            path_template=f"{RECORD_PATH}/{record_type}/{{id}}",
        )
        return dict(json_body(response) or {})

    async def get_by_external_id(self, record_type: str, external_id: str) -> Record | None:
        """``GET /record/v1/{type}/eid:{externalId}``, or ``None`` when there is none
        (how an ambiguous create is resolved)."""
        try:
            response = await self.request(
                "GET",
                f"{RECORD_PATH}/{segment(record_type)}/eid:{segment(external_id)}",
                path_template=f"{RECORD_PATH}/{record_type}/eid:{{externalId}}",
            )
        except PermanentError as exc:
            if exc.status == 404:
                return None
            raise
        return dict(json_body(response) or {})

    async def patch(self, record_type: str, record_id: str, body: Mapping[str, Any]) -> None:
        """``PATCH /record/v1/{type}/{id}`` (204)."""
        await self.request(
            "PATCH",
            f"{RECORD_PATH}/{segment(record_type)}/{segment(record_id)}",
            json=dict(body),
            path_template=f"{RECORD_PATH}/{record_type}/{{id}}",
        )

    async def upsert(
        self, record_type: str, external_id: str, body: Mapping[str, Any]
    ) -> str | None:
        """``PUT /record/v1/{type}/eid:{externalId}``: create or update by external id,
        safe to repeat. Returns the internal id when the answer carries a ``Location``."""
        response = await self.request(
            "PUT",
            f"{RECORD_PATH}/{segment(record_type)}/eid:{segment(external_id)}",
            json=dict(body),
            path_template=f"{RECORD_PATH}/{record_type}/eid:{{externalId}}",
        )
        location = response.headers.get("location")
        if location is None:
            return None
        try:
            return parse_location_id(location, record_type)
        except ValueError:
            return None

    # -- SuiteQL --------------------------------------------------------------------

    async def suiteql(
        self, query: str, *, page_size: int = SUITEQL_MAX_PAGE
    ) -> AsyncIterator[Record]:
        """Yield every row of a SuiteQL query, following the ``next`` link while
        ``hasMore`` (or stepping ``offset`` when no link is given)."""
        if not 1 <= page_size <= SUITEQL_MAX_PAGE:
            raise ValueError(f"page_size must be within 1..{SUITEQL_MAX_PAGE}")
        url: str = SUITEQL_PATH
        params: dict[str, str] | None = {"limit": str(page_size), "offset": "0"}
        while True:
            response = await self.request(
                "POST",
                url,
                params=params,
                json={"q": query},
                headers={"Prefer": "transient"},
                path_template=SUITEQL_PATH,
                mutates=False,
                retry_safe=True,
            )
            page = json_body(response) or {}
            items = page.get("items") or []
            for row in items:
                yield row
            if not page.get("hasMore") or not items:
                return
            next_link = next(
                (
                    link.get("href")
                    for link in page.get("links") or []
                    if isinstance(link, Mapping) and link.get("rel") == "next"
                ),
                None,
            )
            if next_link:
                # Keep our base URL: only the link's path and query are used, so a fake
                # that reports another host name (0.0.0.0, a proxy) still works.
                url, params = httpx.URL(str(next_link)).raw_path.decode("ascii"), None
            else:
                offset = int(page.get("offset") or 0) + len(items)
                url, params = SUITEQL_PATH, {"limit": str(page_size), "offset": str(offset)}
