"""A resilient client for Stripe's v1 API (and the billing fake that speaks it).

Wire format as stripe-python sends it: form-encoded parameters (see ``stripe_form``),
``Authorization: Bearer <key>``, an optional ``Stripe-Version`` header, and an
``Idempotency-Key`` on every POST.

Idempotency (https://docs.stripe.com/api/idempotent_requests): Stripe stores the status
and body of the first request made with a key once the endpoint starts executing and
replays them for retries with the same key (500s included); the same key with other
parameters is a 400 ``idempotency_error``; a key whose first request is still running is
a 409. Keys are up to 255 characters and may be pruned after 24 hours. Because every POST
carries a caller-derived key (see ``idempotency.derive_key``), POSTs are retried with the
same key; GET and DELETE do not take keys and are retried as they are.

Errors (https://docs.stripe.com/error-low-level): the body is ``{"error": {type, code,
message, param, decline_code, ...}}``. ``Stripe-Should-Retry`` decides first (as in
stripe-python's ``HTTPClient._should_retry``); then 409, 429 and 5xx are transient;
card errors (402), ``idempotency_error`` and other 4xx are permanent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

import httpx

from integration_layer.clients.base import VendorClient, json_body, segment
from integration_layer.clients.caller import CallSpec
from integration_layer.clients.errors import (
    MissingIdempotencyKey,
    PermanentError,
    TransientError,
    VendorError,
)
from integration_layer.clients.options import DEFAULTS, ClientOptions
from integration_layer.clients.policy import ErrorKind, classify_status
from integration_layer.clients.stripe_form import encode_body, encode_params

StripeObject = dict[str, Any]
"""A Stripe API object as decoded JSON."""

# Error codes that mean "try again" even where the status alone would not say so.
# lock_timeout: Stripe's lock contention error (https://docs.stripe.com/error-codes);
# idempotency_key_in_use: the first request with this key is still running.
TRANSIENT_CODES = frozenset({"lock_timeout", "idempotency_key_in_use", "rate_limit"})

MAX_IDEMPOTENCY_KEY_LENGTH = 255  # https://docs.stripe.com/api/idempotent_requests


def parse_stripe_error(response: httpx.Response) -> VendorError:
    """Turn a Stripe error response into a :class:`TransientError` or
    :class:`PermanentError` carrying the error ``code`` (or ``type``) and message."""
    body = json_body(response)
    error: Mapping[str, Any] = {}
    if isinstance(body, Mapping) and isinstance(body.get("error"), Mapping):
        error = body["error"]
    error_type = error.get("type")
    code = error.get("code") or error_type
    message = str(error.get("message") or response.reason_phrase or "Stripe error")
    status = response.status_code
    if error_type == "idempotency_error" and code != "idempotency_key_in_use":
        # Same key, different request: repeating it can only fail again.
        kind = ErrorKind.PERMANENT
    else:
        kind = classify_status(
            status, response.headers, vendor_code=code, transient_codes=TRANSIENT_CODES
        )
    result: VendorError
    if kind is ErrorKind.TRANSIENT:
        result = TransientError(message, status=status, vendor_code=code)
    else:
        result = PermanentError(code, message, status)
    result.details = dict(error)
    return result


def _expand(expand: Sequence[str] | None) -> dict[str, Any]:
    return {"expand": list(expand)} if expand else {}


class BillingClient(VendorClient):
    """Stripe v1 client: a generic :meth:`request` core and thin typed methods."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        stripe_version: str | None = None,
        options: ClientOptions = DEFAULTS,
        require_idempotency_key: bool = True,
        retry_keyed_writes: bool = True,
    ) -> None:
        super().__init__(options.caller(base_url, "stripe"))
        self._api_key = api_key
        self.stripe_version = stripe_version
        # Both are True in the reference; the faulty variants of the integration layer
        # turn them off to show what a missing key or a blind retry costs.
        self._require_key = require_idempotency_key
        self._retry_keyed = retry_keyed_writes

    # -- core -----------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        path_template: str | None = None,
    ) -> StripeObject:
        """Call ``method path`` with Stripe-encoded ``params`` and return the JSON body.

        Every POST must carry ``idempotency_key`` (derived by the caller from the inbound
        event and the step); without one the call is refused before anything is sent.
        """
        method = method.upper()
        if method == "POST":
            if not idempotency_key and self._require_key:
                raise MissingIdempotencyKey(f"POST {path} needs an idempotency key")
            if idempotency_key and len(idempotency_key) > MAX_IDEMPOTENCY_KEY_LENGTH:
                raise ValueError("Stripe idempotency keys are at most 255 characters")
        elif idempotency_key is not None:
            raise ValueError(f"{method} requests take no idempotency key")
        query = urlencode(encode_params(params or {}))
        headers = {"Authorization": f"Bearer {self._api_key}"}
        if self.stripe_version:
            headers["Stripe-Version"] = self.stripe_version
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key

        async def build() -> httpx.Request:
            if method == "POST":
                return self._http.build_request(
                    method,
                    path,
                    content=encode_body(params or {}),
                    headers={
                        **headers,
                        "Content-Type": "application/x-www-form-urlencoded",
                    },
                )
            return self._http.build_request(method, path, params=query, headers=headers)

        spec = CallSpec(
            method=method,
            path_template=path_template or path,
            mutates=method != "GET",
            # Reads, DELETE, and POSTs with a key are all safe to repeat.
            retry_safe=method != "POST" or (bool(idempotency_key) and self._retry_keyed),
            idempotency_key=idempotency_key,
        )
        response = await self._caller.call(spec, build, parse_stripe_error)
        body = json_body(response)
        if not isinstance(body, dict):
            raise PermanentError(None, "Stripe returned a non-object body", response.status_code)
        return body

    async def auto_paginate(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        path_template: str | None = None,
    ) -> AsyncIterator[StripeObject]:
        """Yield every object of a list endpoint, following ``has_more`` with
        ``starting_after`` set to the last id of each page."""
        query = dict(params or {})
        while True:
            page = await self.request("GET", path, query, path_template=path_template)
            data = page.get("data") or []
            for item in data:
                yield item
            if not page.get("has_more") or not data:
                return
            query["starting_after"] = data[-1]["id"]

    # -- customers ------------------------------------------------------------------

    async def create_customer(
        self, params: Mapping[str, Any], *, idempotency_key: str
    ) -> StripeObject:
        """``POST /v1/customers``."""
        return await self.request("POST", "/v1/customers", params, idempotency_key=idempotency_key)

    async def retrieve_customer(
        self, customer_id: str, *, expand: Sequence[str] | None = None
    ) -> StripeObject:
        """``GET /v1/customers/{id}``."""
        return await self.request(
            "GET",
            f"/v1/customers/{segment(customer_id)}",
            _expand(expand),
            path_template="/v1/customers/{id}",
        )

    async def update_customer(
        self, customer_id: str, params: Mapping[str, Any], *, idempotency_key: str
    ) -> StripeObject:
        """``POST /v1/customers/{id}``."""
        return await self.request(
            "POST",
            f"/v1/customers/{segment(customer_id)}",
            params,
            idempotency_key=idempotency_key,
            path_template="/v1/customers/{id}",
        )

    async def list_customers(self, params: Mapping[str, Any] | None = None) -> StripeObject:
        """One page of ``GET /v1/customers``; use :meth:`auto_paginate` for all."""
        return await self.request("GET", "/v1/customers", params)

    # -- prices ---------------------------------------------------------------------

    async def list_prices(
        self,
        *,
        lookup_keys: Sequence[str],
        active: bool | None = None,
        expand: Sequence[str] | None = None,
    ) -> list[StripeObject]:
        """Every price whose ``lookup_key`` is in ``lookup_keys`` (all pages)."""
        params: dict[str, Any] = {"lookup_keys": list(lookup_keys), "limit": 100}
        if active is not None:
            params["active"] = active
        params.update(_expand(expand))
        return [price async for price in self.auto_paginate("/v1/prices", params)]

    # -- subscriptions --------------------------------------------------------------

    async def create_subscription(
        self, params: Mapping[str, Any], *, idempotency_key: str
    ) -> StripeObject:
        """``POST /v1/subscriptions`` (``customer``, ``items[n][price|quantity]``, ...)."""
        return await self.request(
            "POST", "/v1/subscriptions", params, idempotency_key=idempotency_key
        )

    async def retrieve_subscription(
        self, subscription_id: str, *, expand: Sequence[str] | None = None
    ) -> StripeObject:
        """``GET /v1/subscriptions/{id}``."""
        return await self.request(
            "GET",
            f"/v1/subscriptions/{segment(subscription_id)}",
            _expand(expand),
            path_template="/v1/subscriptions/{id}",
        )

    async def update_subscription(
        self, subscription_id: str, params: Mapping[str, Any], *, idempotency_key: str
    ) -> StripeObject:
        """``POST /v1/subscriptions/{id}``: items (``items[n][id|price|quantity|deleted]``),
        ``proration_behavior``, ``cancel_at_period_end``, metadata, ..."""
        return await self.request(
            "POST",
            f"/v1/subscriptions/{segment(subscription_id)}",
            params,
            idempotency_key=idempotency_key,
            path_template="/v1/subscriptions/{id}",
        )

    async def cancel_subscription(
        self,
        subscription_id: str,
        *,
        at_period_end: bool = False,
        idempotency_key: str | None = None,
        invoice_now: bool | None = None,
        prorate: bool | None = None,
    ) -> StripeObject:
        """Cancel a subscription.

        ``at_period_end=True`` sets ``cancel_at_period_end`` (a POST update, so it needs
        ``idempotency_key``); otherwise ``DELETE /v1/subscriptions/{id}`` cancels now.
        """
        if at_period_end:
            if idempotency_key is None:
                raise MissingIdempotencyKey("cancel at period end is a POST and needs a key")
            return await self.update_subscription(
                subscription_id,
                {"cancel_at_period_end": True},
                idempotency_key=idempotency_key,
            )
        return await self.request(
            "DELETE",
            f"/v1/subscriptions/{segment(subscription_id)}",
            {"invoice_now": invoice_now, "prorate": prorate},
            path_template="/v1/subscriptions/{id}",
        )

    # -- invoices -------------------------------------------------------------------

    async def retrieve_invoice(
        self, invoice_id: str, *, expand: Sequence[str] | None = None
    ) -> StripeObject:
        """``GET /v1/invoices/{id}``."""
        return await self.request(
            "GET",
            f"/v1/invoices/{segment(invoice_id)}",
            _expand(expand),
            path_template="/v1/invoices/{id}",
        )

    async def list_invoices(self, params: Mapping[str, Any] | None = None) -> StripeObject:
        """One page of ``GET /v1/invoices`` (filter by ``customer``, ``subscription``,
        ``status``, ...); use :meth:`auto_paginate` for all."""
        return await self.request("GET", "/v1/invoices", params)

    async def void_invoice(self, invoice_id: str, *, idempotency_key: str) -> StripeObject:
        """``POST /v1/invoices/{id}/void``."""
        return await self.request(
            "POST",
            f"/v1/invoices/{segment(invoice_id)}/void",
            idempotency_key=idempotency_key,
            path_template="/v1/invoices/{id}/void",
        )

    async def pay_invoice(
        self,
        invoice_id: str,
        params: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str,
    ) -> StripeObject:
        """``POST /v1/invoices/{id}/pay`` (e.g. ``paid_out_of_band=true``)."""
        return await self.request(
            "POST",
            f"/v1/invoices/{segment(invoice_id)}/pay",
            params,
            idempotency_key=idempotency_key,
            path_template="/v1/invoices/{id}/pay",
        )

    # -- credit notes, charges, refunds ---------------------------------------------

    async def retrieve_credit_note(
        self, credit_note_id: str, *, expand: Sequence[str] | None = None
    ) -> StripeObject:
        """``GET /v1/credit_notes/{id}``."""
        return await self.request(
            "GET",
            f"/v1/credit_notes/{segment(credit_note_id)}",
            _expand(expand),
            path_template="/v1/credit_notes/{id}",
        )

    async def retrieve_charge(
        self, charge_id: str, *, expand: Sequence[str] | None = None
    ) -> StripeObject:
        """``GET /v1/charges/{id}``."""
        return await self.request(
            "GET",
            f"/v1/charges/{segment(charge_id)}",
            _expand(expand),
            path_template="/v1/charges/{id}",
        )

    async def create_refund(
        self, params: Mapping[str, Any], *, idempotency_key: str
    ) -> StripeObject:
        """``POST /v1/refunds`` (``charge`` or ``payment_intent``, ``amount``, ...)."""
        return await self.request("POST", "/v1/refunds", params, idempotency_key=idempotency_key)
