from __future__ import annotations

import re

from integration_layer.clients.idempotency import derive_key
from integration_layer.clients.tracing import (
    correlation,
    current_correlation_id,
    make_traceparent,
    trace_id_for,
)

TRACEPARENT = re.compile(r"^00-[0-9a-f]{32}-[0-9a-f]{16}-01$")


def test_traceparent_format_and_stable_trace_id() -> None:
    first = make_traceparent("evt_123")
    second = make_traceparent("evt_123")
    assert TRACEPARENT.match(first)
    assert first.split("-")[1] == second.split("-")[1]
    assert first.split("-")[2] != second.split("-")[2]  # a new span per call
    assert trace_id_for("evt_123") != trace_id_for("evt_124")


def test_existing_trace_ids_are_kept() -> None:
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    assert trace_id_for(trace) == trace
    assert trace_id_for(f"00-{trace}-00f067aa0ba902b7-01") == trace
    assert trace_id_for("0" * 32) != "0" * 32


def test_correlation_context_is_scoped() -> None:
    assert current_correlation_id.get() is None
    with correlation("flow-1"):
        assert current_correlation_id.get() == "flow-1"
    assert current_correlation_id.get() is None


def test_idempotency_keys_are_stable_per_event_and_step() -> None:
    assert derive_key("evt_1", "create_customer") == derive_key("evt_1", "create_customer")
    assert derive_key("evt_1", "create_customer") != derive_key("evt_1", "create_sub")
    assert derive_key("evt_2", "create_customer") != derive_key("evt_1", "create_customer")
    long_key = derive_key("e" * 300, "step")
    assert len(long_key) <= 255
    assert long_key == derive_key("e" * 300, "step")
