"""Flow 3 (credits): a billing credit note becomes an ERP credit memo, applied to its
invoice while that is still open."""

from __future__ import annotations

import pytest
from pact import match

from simulators.billing.versions import BASIL, PRE_BASIL
from tests.contracts.consumer import billing_calls, crm_calls, erp_calls, events, ids
from tests.contracts.consumer.pacts import Contract

CREDITED = ("a credit note {credit_note} was issued for invoice {invoice}",
            {**billing_calls.SUBSCRIPTION_PARAMS, "credit_note": ids.CREDIT_NOTE, "amount": 1000})


def subscription_of(version: str) -> dict[str, object]:
    """Where an invoice names its subscription, in each API version's shapes."""
    sub = match.regex(ids.SUBSCRIPTION, regex=r"^sub_\w+$")
    return {"parent": {"subscription_details": {"subscription": sub}}} if version == BASIL \
        else {"subscription": sub}


@pytest.mark.parametrize("version", [PRE_BASIL, BASIL])
def test_a_credit_note_is_posted_as_an_erp_credit_memo(contract: Contract, version: str) -> None:
    billing, crm, erp = (contract.http(p) for p in ("billing", "crm", "erp"))
    billing_calls.retrieve_invoice(
        billing, f"a read of a credited invoice ({events.shapes(version)})", CREDITED, version,
        subscription_of(version))
    crm_calls.token(crm)
    crm_calls.account_for_posting(crm)
    erp_calls.token(erp)
    erp_calls.subsidiaries(erp)
    erp_calls.currencies(erp)
    erp_calls.get_invoice(erp)
    erp_calls.create_credit_memo(erp)
    for kind, key, value in (("subscription_account", ids.SUBSCRIPTION, ids.ACCOUNT),
                             ("erp_customer", ids.ACCOUNT, ids.ERP_CUSTOMER),
                             ("erp_invoice", ids.INVOICE, ids.ERP_INVOICE)):
        contract.link(kind, key, value)  # what the earlier flows mapped
    events.credit_note_created(contract.message("billing"))
    assert contract.run(source="billing") == [None]
