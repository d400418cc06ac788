from __future__ import annotations

from decimal import Decimal
from urllib.parse import parse_qsl

import pytest

from integration_layer.clients.stripe_form import encode_body, encode_params


def test_nested_hashes_indexed_lists_and_booleans() -> None:
    pairs = encode_params(
        {
            "customer": "cus_1",
            "items": [{"price": "price_a", "quantity": 2}, {"price": "price_b"}],
            "metadata": {"crm_id": "006X", "note": ""},
            "expand": ["latest_invoice", "customer.default_source"],
            "cancel_at_period_end": False,
            "off_session": True,
            "coupon": None,
            "unit_amount_decimal": Decimal("12.345"),
        }
    )
    assert pairs == [
        ("customer", "cus_1"),
        ("items[0][price]", "price_a"),
        ("items[0][quantity]", "2"),
        ("items[1][price]", "price_b"),
        ("metadata[crm_id]", "006X"),
        ("metadata[note]", ""),
        ("expand[0]", "latest_invoice"),
        ("expand[1]", "customer.default_source"),
        ("cancel_at_period_end", "false"),
        ("off_session", "true"),
        ("unit_amount_decimal", "12.345"),
    ]


def test_body_round_trips_through_form_decoding() -> None:
    body = encode_body({"metadata": {"k": "a b&c"}, "lookup_keys": ["x"]})
    assert parse_qsl(body, keep_blank_values=True) == [
        ("metadata[k]", "a b&c"),
        ("lookup_keys[0]", "x"),
    ]


def test_float_money_is_refused() -> None:
    with pytest.raises(TypeError, match="float"):
        encode_params({"amount": 10.5})
