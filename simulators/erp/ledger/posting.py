"""Double-entry postings: the GL lines one transaction writes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class GLLine:
    """One line of general-ledger impact, in the subsidiary's base currency.

    Exactly one of ``debit``/``credit`` is non-zero. ``foreign_amount`` is the
    same impact in the transaction's currency, debit-positive.
    """

    account_id: int
    debit: Decimal
    credit: Decimal
    subsidiary_id: int
    memo: str | None = None
    entity_id: int | None = None
    item_id: int | None = None
    quantity: Decimal | None = None
    rate: Decimal | None = None
    foreign_amount: Decimal | None = None
    mainline: bool = False
    taxline: bool = False

    @property
    def amount(self) -> Decimal:
        """Debit-positive signed amount, as transactionAccountingLine.amount."""
        return self.debit - self.credit


@dataclass(frozen=True)
class Posting:
    """The GL lines of one transaction, plus what its header needs."""

    lines: tuple[GLLine, ...]
    currency: str  # the transaction's currency (ISO code)
    exchange_rate: Decimal = Decimal(1)
    foreign_total: Decimal = Decimal(0)
    subsidiary_id: int | None = None
    memo: str | None = field(default=None)

    def total_debit(self) -> Decimal:
        return sum((line.debit for line in self.lines), Decimal(0))

    def total_credit(self) -> Decimal:
        return sum((line.credit for line in self.lines), Decimal(0))

    def is_balanced(self) -> bool:
        """Debits equal credits within every subsidiary."""
        return all(total == 0 for total in self.balance_by_subsidiary().values())

    def balance_by_subsidiary(self) -> dict[int, Decimal]:
        totals: dict[int, Decimal] = defaultdict(Decimal)
        for line in self.lines:
            totals[line.subsidiary_id] += line.amount
        return dict(totals)


def lines_of(*groups: Sequence[GLLine]) -> tuple[GLLine, ...]:
    return tuple(line for group in groups for line in group)
