"""The CRM fake's operations, one module per group of REST resources.

Each operation is declared on its handler (``@ops.operation(...)``); this list is their
order in the route table and the OpenAPI document.
"""

from __future__ import annotations

from simulators.crm.api import (
    bulk,
    collections,
    composite,
    oauth,
    query,
    rest,
    sobjects,
    tree,
)
from simulators.engine.operation import Operations, join

OPERATIONS: Operations = join(oauth.ops, rest.ops, sobjects.ops, query.ops, composite.ops,
                              collections.ops, tree.ops, bulk.ops)
