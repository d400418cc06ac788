"""Record writes in the CRM fake: the write path and the rules it applies.

- ``write``: the transaction every write runs in (create, update, delete, undelete),
  uniqueness, and the one step that puts a record into every index (``Org.put``);
- ``rules``: per-object rules, derived fields and roll-ups;
- ``coerce``: input values by field type, Salesforce's errors for bad ones;
- ``lookups``: finding records by id, and a parent's children;
- ``seed``: what every new org has.
"""

from __future__ import annotations

from simulators.crm.records.coerce import coerce, parse_fields
from simulators.crm.records.lookups import children, find, get_record, live
from simulators.crm.records.seed import seed_org
from simulators.crm.records.write import (
    Change,
    Txn,
    apply_update,
    begin,
    create,
    delete,
    insert,
    undelete,
    update,
)

__all__ = ["Change", "Txn", "apply_update", "begin", "children", "coerce", "create", "delete",
           "find", "get_record", "insert", "live", "parse_fields", "seed_org", "undelete",
           "update"]
