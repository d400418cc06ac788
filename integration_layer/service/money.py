"""Money between the systems: billing speaks integer minor units, the CRM and the ERP
decimals. The exponent is ISO 4217's (2 for USD/GBP/EUR, 0 for JPY, 3 for BHD/KWD...).
"""

from __future__ import annotations

from decimal import Decimal

_EXPONENTS = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "HUF": 2,
              "BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3, "TND": 3}


def exponent(currency: str) -> int:
    return _EXPONENTS.get(currency.upper(), 2)


class ExactMoney:
    """The reference: exact Decimal arithmetic, amounts rendered with the currency's
    exponent."""

    name = "decimal"

    def major(self, minor: int, currency: str) -> str:
        return str(Decimal(minor).scaleb(-exponent(currency)))

    def minor(self, major: str | int | Decimal, currency: str) -> int:
        value = Decimal(str(major)).scaleb(exponent(currency))
        if value != value.to_integral_value():
            raise ValueError(f"{major} {currency} has more precision than the currency")
        return int(value)

    def unit_price(self, amount_minor: int, quantity: int, currency: str) -> str:
        """The per-unit rate of a line, exact (a line's amount is always rate x qty)."""
        if quantity <= 0:
            return self.major(amount_minor, currency)
        return str(Decimal(amount_minor).scaleb(-exponent(currency)) / Decimal(quantity))


class FloatMoney(ExactMoney):
    """FAULTY: converts through binary floats and truncates to cents, the classic
    ``int(x * 100) / 100`` bug: amounts such as 0.29 come out a cent short (caught by the
    reconciliation invariants: ERP amounts differ from billing by a cent)."""

    name = "float"

    def major(self, minor: int, currency: str) -> str:
        scale = 10 ** exponent(currency)
        as_float = minor * (1.0 / scale)
        return f"{int(as_float * scale) / scale:.{exponent(currency)}f}"

    def unit_price(self, amount_minor: int, quantity: int, currency: str) -> str:
        scale = 10 ** exponent(currency)
        rate = amount_minor / scale / max(quantity, 1)
        return f"{int(rate * scale) / scale:.{exponent(currency)}f}"
