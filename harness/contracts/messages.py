"""Producing the messages a pact's message interactions expect, from the fake itself.

The provider state has just made the business situation happen, so the fake holds the
event it sent: billing (Stripe) the newest event of the type the pact's example names, read
back through ``GET /v1/events`` (rendered, as a webhook is, in the event's API version);
the CRM the newest change event of the entity and change type (and changed fields) the
example names, read from the control plane's change-event log. That event, as the SUT would
receive it, is what the pact is verified against.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx
import orjson
from pact.types import Message

from harness.contracts.pactfiles import PactFile, states_of


class MessageError(Exception):
    pass


def expected_contents(interaction: Mapping[str, Any]) -> Any:
    """The example body of a message interaction (V4 ``contents.content``, V3 ``contents``)."""
    contents = interaction.get("contents")
    if isinstance(contents, dict) and "content" in contents:
        return contents["content"]
    return contents


def _find(pacts: list[PactFile], name: str, metadata: Mapping[str, Any] | None
          ) -> Mapping[str, Any]:
    wanted = [s.get("name") for s in (metadata or {}).get("providerStates") or []]
    candidates = [i for p in pacts for i in p.interactions
                  if i.get("description") == name and "request" not in i]
    for interaction in candidates:
        if [s.get("name") for s in states_of(interaction)] == wanted:
            return interaction
    if candidates:
        return candidates[0]
    raise MessageError(f"no message interaction {name!r} in the pacts")


def _message(body: bytes) -> Message:
    return Message(contents=body, metadata={"contentType": "application/json"},
                   content_type="application/json")


def billing_event(client: httpx.Client, api_key: str, example: Any) -> Message:
    event_type = example.get("type") if isinstance(example, dict) else None
    if not isinstance(event_type, str):
        raise MessageError("a billing message's example must name its event 'type'")
    response = client.get("/v1/events", params={"type": event_type, "limit": "1"},
                          headers={"Authorization": f"Bearer {api_key}"})
    response.raise_for_status()
    found = response.json().get("data") or []
    if not found:
        raise MessageError(f"the provider state sent no {event_type} event")
    return _message(orjson.dumps(found[0]))


def crm_event(client: httpx.Client, tenant: str, headers: Mapping[str, str],
              example: Any) -> Message:
    header = ((example or {}).get("payload") or {}).get("ChangeEventHeader") or {}
    entity, change = header.get("entityName"), header.get("changeType")
    if not isinstance(entity, str):
        raise MessageError("a CRM message's example must name payload.ChangeEventHeader."
                           "entityName")
    changed = [f for f in header.get("changedFields") or [] if isinstance(f, str)]
    response = client.get("/_sim/crm/events", headers=dict(headers),
                          params={"tenant": tenant, "replayId": "-2", "entity": entity})
    response.raise_for_status()
    for event in reversed(response.json().get("events") or []):
        got = event["payload"]["ChangeEventHeader"]
        if (change is None or got.get("changeType") == change) and \
                set(changed) <= set(got.get("changedFields") or []):
            return _message(orjson.dumps(event))
    raise MessageError(f"the provider state published no {entity} {change or ''} change "
                       f"event{' changing ' + ', '.join(changed) if changed else ''}")


def producer(provider: str, pacts: list[PactFile], client: httpx.Client, tenant: str,
             control_headers: Mapping[str, str], errors: dict[str, str]
             ) -> Callable[[str, Any], Message]:
    """The message handler for pact_verifier: (description, metadata) -> the message. Why
    a message could not be produced is kept in ``errors`` by description (the verifier
    itself only sees a failed relay)."""
    def produce(name: str, metadata: Any) -> Message:
        try:
            example = expected_contents(_find(pacts, name, metadata))
            if provider == "billing":
                return billing_event(client, tenant, example)
            if provider == "crm":
                return crm_event(client, tenant, control_headers, example)
            raise MessageError(f"the {provider} fake sends no messages")
        except (MessageError, httpx.HTTPError) as exc:
            errors[name] = str(exc)
            raise
    return produce
