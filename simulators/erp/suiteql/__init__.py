"""SuiteQL for the ERP fake: NetSuite's analytics tables in SQLite.

The record layer writes rows with :meth:`SuiteQLEngine.upsert` (inside
:meth:`SuiteQLEngine.transaction` for a transaction and its lines); the route
for ``POST /services/rest/query/v1/suiteql`` calls :meth:`SuiteQLEngine.query`
and wraps the page with :func:`paging_envelope`, or renders
:meth:`SuiteQLError.to_body` with status 400.
"""

from .engine import DEFAULT_LIMIT, MAX_LIMIT, SuiteQLEngine, SuiteQLPage, query_budget
from .errors import SuiteQLError
from .paging import paging_envelope

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "SuiteQLEngine",
    "SuiteQLError",
    "SuiteQLPage",
    "paging_envelope",
    "query_budget",
]
