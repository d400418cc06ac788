"""Where the month-end book is sold: the first 1st at or after the epoch."""

from __future__ import annotations

from harness.epoch import resolve
from harness.load.setup import Book, first_of_month


def test_the_book_is_sold_on_the_first_1st_from_the_epoch() -> None:
    assert first_of_month(resolve("2026-01-15T09:00:00Z")) == resolve("2026-02-01")
    assert first_of_month(resolve("2026-12-31T23:59:30Z")) == resolve("2027-01-01")
    assert first_of_month(resolve("2027-03-01T00:00:00Z")) == resolve("2027-03-01")


def test_the_clock_goes_past_stripes_draft_hour() -> None:
    book = Book("t", 10, renews_at=resolve("2026-03-01"), setup_s=1.0)
    assert book.advance_to == resolve("2026-03-01T01:01:00Z")
