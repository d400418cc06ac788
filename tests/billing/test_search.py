"""The Search API with the official stripe SDK (Stripe API reference, "Search"; Stripe
docs, "Search query language")."""

from __future__ import annotations

import pytest
import stripe


def test_search_customers_by_fields_metadata_and_pages(client: stripe.StripeClient) -> None:
    made = [client.v1.customers.create({"name": f"Acme {i}", "email": f"ap{i}@acme.test",
                                        "metadata": {"tier": "gold" if i % 2 else "free"}})
            for i in range(5)]
    client.v1.customers.create({"name": "Other", "email": "x@other.test"})
    found = client.v1.customers.search({"query": "email~'acme.test'"})
    assert [c.id for c in found.data] == [c.id for c in reversed(made)]
    gold = client.v1.customers.search({"query": "metadata['tier']:'gold' AND name~\"acme\""})
    assert {c.id for c in gold.data} == {made[1].id, made[3].id}
    either = client.v1.customers.search({"query": 'email:"AP0@ACME.TEST" OR name:"Other"'})
    assert len(either.data) == 2
    neg = client.v1.customers.search({"query": "-metadata['tier']:'gold' AND email~'acme'"})
    assert {c.id for c in neg.data} == {made[0].id, made[2].id, made[4].id}
    first = client.v1.customers.search({"query": "email~'acme'", "limit": 2})
    assert first.has_more and first.next_page
    seen = [c.id for c in client.v1.customers.search(
        {"query": "email~'acme'", "limit": 2}).auto_paging_iter()]
    assert seen == [c.id for c in reversed(made)]


def test_search_numbers_and_other_resources(client: stripe.StripeClient) -> None:
    product = client.v1.products.create({"name": "Analytics", "metadata": {"line": "core"}})
    price = client.v1.prices.create({"product": product.id, "unit_amount": 1500,
                                     "currency": "usd", "lookup_key": "analytics:USD"})
    assert [p.id for p in client.v1.prices.search(
        {"query": "lookup_key:'analytics:USD' AND active:'true'"}).data] == [price.id]
    assert [p.id for p in client.v1.products.search(
        {"query": "metadata['line']:'core'"}).data] == [product.id]
    cust = client.v1.customers.create({"payment_method": "pm_card_visa"})
    for amount in (500, 1500, 2500):
        client.v1.payment_intents.create({"amount": amount, "currency": "usd",
                                          "customer": cust.id,
                                          "payment_method": "pm_card_visa", "confirm": True})
    big = client.v1.payment_intents.search({"query": f"amount>=1500 AND customer:'{cust.id}'"})
    assert sorted(p.amount for p in big.data) == [1500, 2500]
    created = big.data[0].created
    assert len(client.v1.charges.search({"query": f"created<={created}"}).data) == 3
    assert client.v1.charges.search({"query": f"created>{created}"}).data == []


@pytest.mark.parametrize(("query", "why"), [
    ("colour:'red'", "unsupported search field"),
    ("name~'ab'", "at least 3 characters"),
    ("name:'a' AND email:'b' OR phone:'c'", "cannot mix AND and OR"),
    ("name:'a' AND", "ends with AND"),
    ("created>'yesterday'", "compares numbers only"),
])
def test_bad_queries_are_400_naming_the_query(client: stripe.StripeClient, query: str,
                                              why: str) -> None:
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.customers.search({"query": query})
    assert err.value.param == "query" and why in str(err.value.user_message)
