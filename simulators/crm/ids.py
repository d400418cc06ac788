"""Salesforce record ids: 15-character case-sensitive ids and their 18-character form.

The 18-character id appends a 3-character checksum of the capitalisation of the first 15
(SOAP API Developer Guide, "ID Field Type"): each 5-character chunk gives a 5-bit mask of
which characters are upper-case letters, indexing into A-Z0-5. Filters accept either form.
"""

from __future__ import annotations

_CHECKSUM_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def to_18(record_id: str) -> str:
    """The 18-character form of a 15-character id (other ids are returned unchanged)."""
    if len(record_id) != 15:
        return record_id
    suffix = ""
    for start in range(0, 15, 5):
        mask = sum(1 << i for i, ch in enumerate(record_id[start : start + 5]) if "A" <= ch <= "Z")
        suffix += _CHECKSUM_ALPHABET[mask]
    return record_id + suffix


def id_key(record_id: str) -> str:
    """What two ids are compared by: the case-sensitive 15-character part."""
    return record_id[:15] if len(record_id) in (15, 18) else record_id
