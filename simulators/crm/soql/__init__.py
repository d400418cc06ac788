"""SOQL for the CRM fake: parse, serialise and execute against an org schema.

query = parse("SELECT Id, Account.Name FROM Opportunity WHERE IsWon = true")
result = execute(query, schema, source, now=clock.now(), api_version="59.0")
"""

from .ast import Query
from .errors import INVALID_FIELD, INVALID_TYPE, MALFORMED_QUERY, SoqlError
from .execute import QueryResult, execute
from .parser import parse
from .serialise import to_soql
from .source import DataSource, InMemorySource

__all__ = [
    "INVALID_FIELD",
    "INVALID_TYPE",
    "MALFORMED_QUERY",
    "DataSource",
    "InMemorySource",
    "Query",
    "QueryResult",
    "SoqlError",
    "execute",
    "parse",
    "to_soql",
]
