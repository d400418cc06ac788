"""Salesforce record ids: 15-character case-sensitive ids and their 18-character form.

The 18-character id appends a 3-character checksum of the capitalisation of the first 15
(SOAP API Developer Guide, "ID Field Type"): each 5-character chunk gives a 5-bit mask of
which characters are upper-case letters, indexing into A-Z0-5. Filters accept either form.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulators.engine.tenancy import Tenant

_CHECKSUM_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ID_SHAPE = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-5]{3})?$")


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


def normalise(record_id: str) -> str | None:
    """The canonical 18-character id for a 15- or 18-character id; None if malformed.

    The checksum of an 18-character id is compared case-insensitively (it encodes the case
    of the first 15 characters, so an id that went through a case-insensitive system still
    resolves); a suffix that does not match the first 15 characters is malformed.
    """
    if not _ID_SHAPE.match(record_id):
        return None
    canonical = to_18(record_id[:15])
    if len(record_id) == 18 and record_id[15:].upper() != canonical[15:]:
        return None
    return canonical


def new_record_id(tenant: Tenant, key_prefix: str) -> str:
    """A new 18-character id with the object's key prefix, from the tenant's seeded stream.

    Real ids are the 3-character key prefix, a pod identifier and a base-62 counter; here
    the 12 characters after the prefix come from ``tenant.new_id`` so that the same seed
    and the same requests give the same ids.
    """
    return to_18(tenant.new_id(key_prefix, 12))
