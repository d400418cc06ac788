"""Money as Decimal with the currency's precision.

Precision: JPY (and the other zero-decimal currencies listed) have no minor
unit, every other currency two (ISO 4217). Rounding is half up, which is what
NetSuite is commonly described to do for currency amounts (unverified: no
primary source found).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from .errors import LedgerError

ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "VND", "CLP", "ISK"})


def exponent(currency: str) -> int:
    """Number of decimals for ``currency`` (ISO code)."""
    return 0 if currency.upper() in ZERO_DECIMAL_CURRENCIES else 2


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round ``amount`` half up to ``currency``'s precision."""
    return amount.quantize(Decimal(1).scaleb(-exponent(currency)), rounding=ROUND_HALF_UP)


def to_decimal(value: Any, path: str = "amount") -> Decimal:
    """Parse a JSON-ish amount exactly; floats go through their shortest repr."""
    if isinstance(value, bool) or value is None:
        raise LedgerError("INVALID_CONTENT", f"Invalid amount {value!r}.", path)
    try:
        amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))
    except InvalidOperation:
        raise LedgerError("INVALID_CONTENT", f"Invalid amount {value!r}.", path) from None
    if not amount.is_finite():
        raise LedgerError("INVALID_CONTENT", f"Invalid amount {value!r}.", path)
    return amount


@dataclass(frozen=True)
class Money:
    """An amount in one currency, always at that currency's precision."""

    amount: Decimal
    currency: str

    @classmethod
    def of(cls, value: Any, currency: str) -> Money:
        return cls(quantize(to_decimal(value), currency), currency.upper())

    def __post_init__(self) -> None:
        if self.amount != quantize(self.amount, self.currency):
            raise ValueError(f"{self.amount} has too many decimals for {self.currency}")

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot mix {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    @property
    def minor_units(self) -> int:
        return int(self.amount.scaleb(exponent(self.currency)))

    def is_zero(self) -> bool:
        return self.amount == 0
