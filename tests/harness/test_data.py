"""Seeded test data: deterministic, realistic, multi-currency, exact money."""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal

from harness.data import (
    INDUSTRIES,
    LEGAL_ENTITIES,
    DataFactory,
    derive_seed,
    from_minor,
    to_minor,
)


def _dump(factory: DataFactory) -> list[dict[str, object]]:
    return [asdict(d) for d in factory.deals(9, ("US", "GB", "DE", "FR"))]


def test_same_seed_and_scope_give_the_same_data() -> None:
    assert _dump(DataFactory(42, "test_a")) == _dump(DataFactory(42, "test_a"))


def test_other_seed_or_scope_give_other_data() -> None:
    first = _dump(DataFactory(42, "test_a"))
    assert _dump(DataFactory(43, "test_a")) != first
    assert _dump(DataFactory(42, "test_b")) != first
    assert derive_seed(42, "a", "b") != derive_seed(42, "ab")


def test_global_random_state_does_not_change_the_data() -> None:
    import random

    random.seed(1)
    first = _dump(DataFactory(5, "x"))
    random.seed(2)
    assert _dump(DataFactory(5, "x")) == first


def test_deals_span_entities_and_currencies_with_one_to_three_lines() -> None:
    factory = DataFactory(7, "spread")
    deals = factory.deals(12)
    assert {d.entity.country for d in deals} == {"US", "GB", "DE"}
    assert {d.currency for d in deals} == {"USD", "GBP", "EUR"}
    for deal in deals:
        assert 1 <= len(deal.lines) <= 3
        assert len({line.product.code for line in deal.lines}) == len(deal.lines)
        assert all(line.quantity >= 1 for line in deal.lines)
        assert deal.company.industry in INDUSTRIES
        assert deal.company.address.country == deal.entity.country
        assert deal.contacts and all("@" in c.email for c in deal.contacts)
        total = sum((line.product.price(deal.currency) * line.quantity for line in deal.lines),
                    Decimal(0))
        assert deal.monthly_total() == total
        assert deal.monthly_total_minor() == to_minor(total, deal.currency)
    assert len({d.company.name for d in deals}) == len(deals)


def test_unmapped_entity_for_compensation() -> None:
    deal = DataFactory(7, "fr").deal("FR")
    assert deal.entity == LEGAL_ENTITIES["FR"] and not deal.entity.mapped
    assert deal.currency == "EUR"


def test_catalog_codes_prices_and_lookup_keys() -> None:
    catalog = DataFactory(7, "cat").catalog()
    assert catalog == DataFactory(7, "cat").catalog()
    assert len({p.code for p in catalog}) == len(catalog)
    for product in catalog:
        assert product.code.startswith("SKU-")
        assert set(product.prices) == {"USD", "GBP", "EUR"}
        for currency, price in product.prices.items():
            assert isinstance(price, Decimal) and price > 0
            assert price == price.quantize(Decimal("0.01"))
            assert product.lookup_key(currency.lower()) == f"{product.code}:{currency}"


def test_minor_units_round_trip_exactly() -> None:
    assert to_minor(Decimal("12.34"), "EUR") == 1234
    assert from_minor(1234, "GBP") == Decimal("12.34")
    assert from_minor(500, "JPY") == Decimal(500)
    assert str(from_minor(100, "USD")) == "1.00"
    try:
        to_minor(Decimal("0.001"), "USD")
    except ValueError:
        pass
    else:
        raise AssertionError("a third decimal must not be rounded away")
