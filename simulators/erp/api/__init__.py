"""The ERP fake's operations: the record service, SuiteQL, governance, async jobs and the
token endpoint. Each is declared on its handler; this list is their order in the route
table and the OpenAPI document."""

from __future__ import annotations

from simulators.engine.operation import Operations, join
from simulators.erp.api import auth, jobs, query, records

OPERATIONS: Operations = join(auth.ops, records.ops, query.ops, jobs.ops)
