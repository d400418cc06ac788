"""The ERP fake's double-entry posting model.

The record layer builds a :class:`Posting` with one of the builders, then
calls :func:`write_posting` to write the transaction header, its lines and
its accounting lines into the SuiteQL engine in one transaction.
"""

from .builders import credit_memo, customer_payment, invoice, journal_entry, ref_id
from .errors import LedgerError
from .money import Money, exponent, quantize
from .posting import GLLine, Posting
from .rows import ledger_rows, write_posting

__all__ = [
    "GLLine",
    "LedgerError",
    "Money",
    "Posting",
    "credit_memo",
    "customer_payment",
    "exponent",
    "invoice",
    "journal_entry",
    "ledger_rows",
    "quantize",
    "ref_id",
    "write_posting",
]
