"""Ledger errors in NetSuite's REST error-detail shape.

``o:errorCode``/``o:errorPath`` come from Oracle's "Error Handling in REST Web
Services" (docs.oracle.com ... section_156570709583.html), whose example is an
``INVALID_CONTENT`` error with ``"o:errorPath": "item.items[0].item"``. The
codes and wording used for accounting rules (unbalanced journal, ...) are
unverified.
"""

from __future__ import annotations

from typing import Any


class LedgerError(Exception):
    """A posting NetSuite would refuse; ``path`` points into the request body."""

    def __init__(self, code: str, detail: str, path: str | None = None) -> None:
        super().__init__(f"{code}: {detail}" + (f" ({path})" if path else ""))
        self.code = code
        self.detail = detail
        self.path = path

    def to_error_detail(self) -> dict[str, Any]:
        body: dict[str, Any] = {"detail": self.detail, "o:errorCode": self.code}
        if self.path is not None:
            body["o:errorPath"] = self.path
        return body
