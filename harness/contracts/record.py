"""Contracts from observation: a SUT's traffic in a run, written as Pact v4 files.

One interaction per distinct request shape (:mod:`harness.contracts.shapes`) and one
message per distinct webhook (event type; CRM entity, change type and changed fields),
each with the provider states the run implied (:mod:`harness.contracts.implied`). The
example of an interaction is the first exchange of its shape the states can set up; its
answer is described by type matchers over what every exchange of the shape got back. So a
team whose integration layer is written in any language gets consumer contracts by
running the suites once (with ``--fintwin-traffic``, or ``fintwin demo --traffic``).

What is left out, and why, is counted: answers a fault made (not the provider's), error
answers, requests whose situation no provider state sets up, and the OAuth token requests
(the fakes journal them before they know the tenant).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pact import Pact, generate, match
from pact.match.matcher import GenericMatcher

from harness.contracts.implied import Index, State, Unrecordable, states_for, states_for_message
from harness.contracts.shapes import (
    Absent,
    body_of,
    common,
    header,
    key_shape,
    matchers,
    path_template,
    query_pairs,
    query_shape,
    without_literals,
)
from harness.contracts.traffic import Delivered, Exchange, Traffic

FORM = "application/x-www-form-urlencoded"
# The request headers a contract keeps (the rest is transport: user agent, tracing...).
KEPT_HEADERS = ("content-type", "idempotency-key", "stripe-version", "prefer",
                "sforce-query-options")


@dataclass
class Recorded:
    files: list[Path] = field(default_factory=list)
    interactions: Counter[str] = field(default_factory=Counter)
    messages: Counter[str] = field(default_factory=Counter)
    left_out: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        lines = [f"{p}: {self.interactions[p]} HTTP interactions, {self.messages[p]} messages"
                 for p in sorted(set(self.interactions) | set(self.messages))]
        lines += [f"wrote {f}" for f in self.files]
        if self.left_out:
            lines.append("left out:")
            lines += [f"  {n:5d}  {why}" for why, n in self.left_out.most_common()]
        return "\n".join(lines)


def _shape(ex: Exchange) -> tuple[Any, ...]:
    body = body_of(ex.request_body, header(ex.request_headers, "content-type"))
    return (ex.provider, ex.method, path_template(ex.provider, ex.path),
            query_shape(ex.query), key_shape(body if body is not Absent else None))


def _description(ex: Exchange) -> str:
    text = f"{ex.method} {path_template(ex.provider, ex.path)}"
    q = dict(query_pairs(ex.query)).get("q")
    return f"{text} ({without_literals(q)})" if q else text


def _authorization(example: str) -> GenericMatcher[str]:
    return GenericMatcher("regex", example, regex=r"^\S+ \S+$",
                          generator=generate.provider_state("${authorization}"))


def _location(value: str) -> Any:
    """A Location header: any host (or none), the same path, any id at its end."""
    path = re.sub(r"^https?://[^/]+", "", value)
    head, _, _ = path.rpartition("/")
    return match.regex(value, regex=rf"^(https?://[^/]+)?{re.escape(head)}/[^/]+$")


def _promised(ex: Exchange, body: Any) -> Any:
    """What a provider state can promise of an answer. A CRM change-event poll answers
    the events of whatever the org did before it (catalog products, accounts...), which
    depends on when the SUT polled; its state sets up an account, so the recorded events
    keep only the header every change event has (entity, change type, record ids), not
    the fields of the entity that happened to come first."""
    if ex.provider != "crm" or not ex.path.endswith("/changeEvents") \
            or not isinstance(body, dict) or not isinstance(body.get("events"), list):
        return body
    events = []
    for event in body["events"]:
        if isinstance(event, dict) and isinstance(event.get("payload"), dict):
            header_ = event["payload"].get("ChangeEventHeader")
            event = {**event, "payload": {"ChangeEventHeader": header_}
                     if header_ is not None else {}}
        events.append(event)
    return {**body, "events": events}


def _http(pact: Pact, description: str, states: list[State], ex: Exchange,
          answers: list[Exchange]) -> None:
    interaction = pact.upon_receiving(description)
    for name, params in states:
        interaction = interaction.given(name, params)
    interaction = interaction.with_request(ex.method, ex.path)
    for key, value in query_pairs(ex.query):
        interaction = interaction.with_query_parameter(key, value)
    if header(ex.request_headers, "authorization"):
        interaction = interaction.with_header("Authorization",
                                              _authorization("Bearer recorded-credential"))
    for name in KEPT_HEADERS:
        kept = header(ex.request_headers, name)
        if kept is not None:
            interaction = interaction.with_header(name.title(), kept if name != "idempotency-key"
                                                  else match.regex(kept, regex=r"^.+$"))
    content_type = header(ex.request_headers, "content-type")
    body = body_of(ex.request_body, content_type)
    if isinstance(body, dict | list) and FORM not in (content_type or ""):
        interaction = interaction.with_body(matchers(body), "application/json")
    elif body is not Absent:
        interaction = interaction.with_body(ex.request_body, content_type or "text/plain")
    interaction = interaction.will_respond_with(ex.status)
    location = header(ex.response_headers, "location")
    if location:
        interaction = interaction.with_header("Location", _location(location))
    merged = common([_promised(ex, body_of(a.response_body,
                                           header(a.response_headers, "content-type")))
                     for a in answers])
    if merged is not Absent and merged != {}:
        interaction.with_body(matchers(merged), "application/json")


def _message_key(message: Delivered) -> tuple[Any, ...]:
    body = body_of(message.body, "application/json")
    if message.provider == "crm" and isinstance(body, dict):
        head = (body.get("payload") or {}).get("ChangeEventHeader") or {}
        return (message.provider, head.get("entityName"), head.get("changeType"),
                tuple(sorted(head.get("changedFields") or [])))
    return (message.provider, message.event_type)


def _message_description(key: tuple[Any, ...]) -> str:
    if key[0] == "crm":
        changed = f" of {', '.join(key[3])}" if key[3] else ""
        text = f"{key[1]} {key[2]} change event{changed}"
    else:
        text = f"{key[1]} event"
    return f"{'an' if text[:1].lower() in 'aeiou' else 'a'} {text}"


def _message(pact: Pact, description: str, states: list[State], bodies: list[Any]) -> None:
    interaction = pact.upon_receiving(description, "Async")
    for name, params in states:
        interaction = interaction.given(name, params)
    merged = common(bodies)
    if isinstance(merged, dict) and bodies[0].get("object") == "event":
        # An event's "request" is the API call that caused it: a provider state makes the
        # situation without one, and a consumer has no business relying on it.
        merged.pop("request", None)
        merged_body = {**matchers(merged), "type": bodies[0]["type"]}  # the event's kind
    elif isinstance(merged, dict) and "payload" in merged:
        merged_body = matchers(merged)
        head = merged_body["payload"]["ChangeEventHeader"]
        first = bodies[0]["payload"]["ChangeEventHeader"]
        head["entityName"] = first["entityName"]
        head["changeType"] = first["changeType"]
        if first.get("changedFields"):
            head["changedFields"] = match.array_containing(list(first["changedFields"]))
    else:
        merged_body = matchers(merged)
    interaction.with_body(merged_body, "application/json")


def record(traffic: Traffic, consumer: str, out: Path) -> Recorded:
    """Write ``{consumer}-{provider}.json`` in ``out`` for each provider the traffic has."""
    result = Recorded(left_out=Counter(traffic.unrecordable))
    tenants = sorted({e.tenant for e in traffic.exchanges} |
                     {d.tenant for d in traffic.delivered})
    index = {t: Index([e for e in traffic.exchanges if e.tenant == t],
                      [d for d in traffic.delivered if d.tenant == t]) for t in tenants}
    groups: dict[tuple[Any, ...], list[Exchange]] = defaultdict(list)
    for ex in sorted(traffic.exchanges, key=lambda e: (tenants.index(e.tenant), e.seq)):
        if ex.faults:
            result.left_out["answers a fault gave (not the provider's)"] += 1
        elif not 200 <= ex.status < 300:
            result.left_out[f"error answers ({ex.status})"] += 1
        else:
            groups[_shape(ex)].append(ex)
    pacts: dict[str, Pact] = {}
    names: Counter[tuple[str, str]] = Counter()

    def pact_for(provider: str) -> Pact:
        if provider not in pacts:
            pacts[provider] = Pact(consumer, provider).with_specification("V4")
        return pacts[provider]

    def unique(provider: str, text: str) -> str:
        names[(provider, text)] += 1
        n = names[(provider, text)]
        return text if n == 1 else f"{text} #{n}"

    for exchanges in groups.values():
        chosen = _first_recordable(exchanges, index, result.left_out)
        if chosen is None:
            continue
        ex, states = chosen
        _http(pact_for(ex.provider), unique(ex.provider, _description(ex)), states, ex,
              exchanges)
        result.interactions[ex.provider] += 1
    messages: dict[tuple[Any, ...], list[Delivered]] = defaultdict(list)
    for message in sorted(traffic.delivered, key=lambda d: tenants.index(d.tenant)):
        messages[_message_key(message)].append(message)
    for key, delivered in messages.items():
        picked = _first_message(delivered, index, result.left_out)
        if picked is None:
            continue
        states = picked
        bodies = [body_of(d.body, "application/json") for d in delivered]
        _message(pact_for(key[0]), unique(key[0], _message_description(key)), states,
                 [b for b in bodies if isinstance(b, dict)])
        result.messages[key[0]] += 1
    out.mkdir(parents=True, exist_ok=True)
    for provider, pact in sorted(pacts.items()):
        pact.write_file(out, overwrite=True)
        result.files.append(out / f"{consumer}-{provider}.json")
    return result


def _first_recordable(exchanges: list[Exchange], index: Mapping[str, Index],
                      left_out: Counter[str]) -> tuple[Exchange, list[State]] | None:
    reason = ""
    for ex in exchanges:
        try:
            return ex, states_for(ex, index[ex.tenant])
        except Unrecordable as exc:
            reason = str(exc)
    left_out[f"no provider state for it: {reason}"] += len(exchanges)
    return None


def _first_message(delivered: list[Delivered], index: Mapping[str, Index],
                   left_out: Counter[str]) -> list[State] | None:
    reason = ""
    for message in delivered:
        try:
            return states_for_message(message, index[message.tenant])
        except Unrecordable as exc:
            reason = str(exc)
    left_out[f"webhooks: {reason}"] += len(delivered)
    return None
