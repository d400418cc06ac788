"""Events, webhook endpoints and test clocks (Stripe API reference, "Events",
"Webhook Endpoints", "Test Clocks")."""

from __future__ import annotations

from typing import Any

from simulators.billing import events, test_clocks
from simulators.billing.api.listing import deleted, filtered, listing
from simulators.billing.context import Ctx
from simulators.billing.errors import InvalidRequest
from simulators.billing.params import (
    EXPAND,
    LIST,
    LIST_PARAMS,
    ONLY_EXPAND,
    Bool,
    Int,
    ListOf,
    Metadata,
    Param,
    Str,
)
from simulators.billing.render import render
from simulators.billing.versions import parse_version
from simulators.engine.delivery import control_plane_url
from simulators.engine.operation import Operations
from simulators.engine.store import Record

ops = Operations(tags=("Events",))
webhooks = Operations(tags=("Webhooks",))
clocks = Operations(tags=("Test clocks",))

WE_CREATE: dict[str, Param] = {
    "url": Str(required=True, max_length=5000),
    "enabled_events": ListOf(Str(max_length=100), max_items=500, required=True),
    "api_version": Str(max_length=64), "description": Str(max_length=5000),
    "metadata": Metadata(), "expand": EXPAND,
}
WE_UPDATE: dict[str, Param] = {
    "url": Str(max_length=5000), "enabled_events": ListOf(Str(max_length=100), max_items=500),
    "description": Str(max_length=5000), "disabled": Bool(), "metadata": Metadata(),
    "expand": EXPAND,
}
# A unix timestamp Stripe and every client can turn into a date: 0001..9999 years span
# what datetime represents; Stripe's own bounds are unverified (issue 18: 2**40 was
# accepted, a year past 36,000).
FROZEN_TIME = Int(required=True, minimum=0, maximum=253_402_300_799)


@ops.operation(method="GET", path="/v1/events", id="GetEvents", summary="List events",
               params=dict(LIST, type=Str(max_length=5000),
                           types=ListOf(Str(max_length=5000), max_items=20)))
def list_events(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
    """``type`` and ``types`` take a trailing ``*`` (``invoice.*``)."""
    types = set(p.get("types") or []) | ({p["type"]} if p.get("type") else set())

    def keep(rec: Record) -> bool:
        if not types:
            return True
        t = rec["type"]
        return any(t == want or (want.endswith("*") and t.startswith(want[:-1]))
                   for want in types)

    return listing(ctx, "event", p, "/v1/events", keep=keep)


@ops.operation(method="GET", path="/v1/events/{id}", id="GetEventsId",
               summary="Retrieve an event", params=ONLY_EXPAND, returns="event")
def retrieve_event(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    return ctx.get("event", path["id"])


def check_url(url: str) -> None:
    if not url.startswith(("http://", "https://")):
        raise InvalidRequest("Invalid URL: URL must be publicly accessible http(s).",
                             param="url", code="url_invalid")
    if control_plane_url(url):
        # Not a Stripe rule: the fakes' control plane is not a webhook receiver.
        raise InvalidRequest("Invalid URL: a webhook endpoint cannot be a fintwin fake's "
                             "control plane (/_sim/...).", param="url", code="url_invalid")


@webhooks.operation(method="POST", path="/v1/webhook_endpoints", id="PostWebhookEndpoints",
                    summary="Create a webhook endpoint", params=WE_CREATE)
def create_webhook_endpoint(ctx: Ctx, p: dict[str, Any], path: dict[str, str]
                            ) -> dict[str, Any]:
    """The answer holds the signing ``secret`` (``whsec_...``), shown only here."""
    check_url(p["url"])
    if p.get("api_version"):
        parse_version(p["api_version"])
    we = events.create_webhook_endpoint(ctx, p)
    out = render(ctx, "webhook_endpoint", we)
    out["secret"] = we["_secret"]
    return out


@webhooks.operation(method="GET", path="/v1/webhook_endpoints", id="GetWebhookEndpoints",
                    summary="List webhook endpoints", params=LIST_PARAMS)
def list_webhook_endpoints(ctx: Ctx, p: dict[str, Any], path: dict[str, str]
                           ) -> dict[str, Any]:
    return filtered(ctx, "webhook_endpoint", p, "/v1/webhook_endpoints")


@webhooks.operation(method="GET", path="/v1/webhook_endpoints/{we}",
                    id="GetWebhookEndpointsWebhookEndpoint",
                    summary="Retrieve a webhook endpoint", params=ONLY_EXPAND,
                    returns="webhook_endpoint")
def retrieve_webhook_endpoint(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    return ctx.get("webhook_endpoint", path["we"])


@webhooks.operation(method="POST", path="/v1/webhook_endpoints/{we}",
                    id="PostWebhookEndpointsWebhookEndpoint",
                    summary="Update a webhook endpoint", params=WE_UPDATE,
                    returns="webhook_endpoint")
def update_webhook_endpoint(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    if p.get("url") is not None:
        check_url(p["url"])
    return events.update_webhook_endpoint(ctx, ctx.get("webhook_endpoint", path["we"]), p)


@webhooks.operation(method="DELETE", path="/v1/webhook_endpoints/{we}",
                    id="DeleteWebhookEndpointsWebhookEndpoint",
                    summary="Delete a webhook endpoint")
def delete_webhook_endpoint(ctx: Ctx, p: dict[str, Any], path: dict[str, str]
                            ) -> dict[str, Any]:
    we = ctx.get("webhook_endpoint", path["we"])
    ctx.store.delete("webhook_endpoint", we["id"])
    return deleted("webhook_endpoint", we["id"])


@clocks.operation(method="POST", path="/v1/test_helpers/test_clocks",
                  id="PostTestHelpersTestClocks", summary="Create a test clock",
                  params={"frozen_time": FROZEN_TIME, "name": Str(max_length=300),
                          "expand": EXPAND},
                  returns=test_clocks.KIND)
def create_test_clock(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    """Customers created with ``test_clock`` live in its time."""
    return test_clocks.create_clock(ctx, p)


@clocks.operation(method="GET", path="/v1/test_helpers/test_clocks",
                  id="GetTestHelpersTestClocks", summary="List test clocks", params=LIST_PARAMS)
def list_test_clocks(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
    return filtered(ctx, test_clocks.KIND, p, "/v1/test_helpers/test_clocks")


@clocks.operation(method="GET", path="/v1/test_helpers/test_clocks/{clock}",
                  id="GetTestHelpersTestClocksTestClock", summary="Retrieve a test clock",
                  params=ONLY_EXPAND, returns=test_clocks.KIND)
def retrieve_test_clock(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    return ctx.get(test_clocks.KIND, path["clock"])


@clocks.operation(method="POST", path="/v1/test_helpers/test_clocks/{clock}/advance",
                  id="PostTestHelpersTestClocksTestClockAdvance",
                  summary="Advance a test clock",
                  params={"frozen_time": FROZEN_TIME, "expand": EXPAND},
                  returns=test_clocks.KIND)
def advance_test_clock(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    """Forward only. Every renewal, invoice and dunning retry due for the clock's
    customers runs in time order, within the request (Stripe advances asynchronously);
    the answer is ``ready``."""
    return test_clocks.advance_clock(ctx, ctx.get(test_clocks.KIND, path["clock"]),
                                     p["frozen_time"])


@clocks.operation(method="DELETE", path="/v1/test_helpers/test_clocks/{clock}",
                  id="DeleteTestHelpersTestClocksTestClock", summary="Delete a test clock")
def delete_test_clock(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
    return test_clocks.delete_clock(ctx, ctx.get(test_clocks.KIND, path["clock"]))
