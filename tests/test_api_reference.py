"""docs/api/*.md say what the fakes' operations declare (``fintwin docs`` writes them)."""

from __future__ import annotations

from harness import api_docs
from simulators.billing.api import OPERATIONS


def test_the_reference_pages_match_the_declarations() -> None:
    assert api_docs.stale() == [], "a declaration changed: run `fintwin docs`"


def test_a_page_lists_every_operation() -> None:
    page = api_docs.page("billing")
    for op in OPERATIONS:
        assert f"`{op.method} {op.path}` (`{op.operation_id}`)" in page
