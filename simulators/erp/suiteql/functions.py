"""Oracle functions SuiteQL offers that SQLite lacks, registered as SQLite UDFs.

SuiteQL's supported function list is in Oracle's "SuiteQL Supported and
Unsupported Functions" (docs.oracle.com ... section_158513731864.html). Only a
few common ones are emulated here; the translator maps them by name.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

from .builtins import status_display, type_display

# Oracle format elements -> strftime; longest first so that "MON" wins over "MM".
_ORACLE_TO_STRFTIME = (
    ("YYYY", "%Y"),
    ("HH24", "%H"),
    ("MONTH", "%B"),
    ("MON", "%b"),
    ("MM", "%m"),
    ("DD", "%d"),
    ("MI", "%M"),
    ("SS", "%S"),
    ("YY", "%y"),
)


def oracle_format_to_strftime(fmt: str) -> str:
    out = fmt.upper()
    for oracle, strf in _ORACLE_TO_STRFTIME:
        out = out.replace(oracle, strf)
    return out


def _to_date(value: object, strftime_format: object = None) -> str | None:
    if value is None:
        return None
    text = str(value)
    if strftime_format is None:
        return dt.date.fromisoformat(text[:10]).isoformat()
    return dt.datetime.strptime(text, str(strftime_format)).date().isoformat()


def _to_char(value: object, oracle_format: object = None) -> str | None:
    if value is None:
        return None
    if oracle_format is None:
        return str(value)
    if isinstance(value, str) and len(value) >= 10 and value[4] == "-":
        stamp = dt.datetime.fromisoformat(value)
        return stamp.strftime(oracle_format_to_strftime(str(oracle_format)))
    return str(value)


# The SQLite functions a query may call: what the translation writes for the functions
# Oracle documents for SuiteQL (the page above: numeric ABS, CEIL, FLOOR, MOD, POWER,
# ROUND, SIGN, SQRT, TRUNC; character LOWER, UPPER, LENGTH, LTRIM, RTRIM, TRIM,
# REPLACE, SUBSTR, INSTR, CONCAT; NVL, NVL2, COALESCE, NULLIF, DECODE (CASE); TO_CHAR,
# TO_DATE; the aggregates COUNT, SUM, AVG, MIN, MAX) and nothing else. SQLite's own
# (randomblob, zeroblob, printf, load_extension...) are refused at the SQLite level
# whatever the parser let through (issue 18: randomblob(50000000) over three rows
# added ~890 MiB to the fake).
ALLOWED = frozenset({
    "abs", "ceil", "ceiling", "floor", "mod", "power", "pow", "round", "sign", "sqrt",
    "trunc", "lower", "upper", "length", "ltrim", "rtrim", "trim", "replace", "substr",
    "substring", "instr", "coalesce", "ifnull", "nullif", "iif", "count", "sum", "avg",
    "min", "max", "total", "date", "datetime", "strftime",
})


def allowed(name: str) -> bool:
    """Whether a query may call SQLite function ``name``: one of ALLOWED, or one of the
    fake's own UDFs (``ns_...``, registered below: TO_DATE, TO_CHAR, BUILTIN.DF)."""
    lowered = name.lower()
    return lowered in ALLOWED or lowered.startswith("ns_")


def register(connection: sqlite3.Connection) -> None:
    connection.create_function("ns_to_date", 1, _to_date, deterministic=True)
    connection.create_function("ns_to_date", 2, _to_date, deterministic=True)
    connection.create_function("ns_to_char", 1, _to_char, deterministic=True)
    connection.create_function("ns_to_char", 2, _to_char, deterministic=True)
    # BUILTIN.DF's display of a transaction's type and status (builtins.py).
    connection.create_function("ns_type_display", 1, type_display, deterministic=True)
    connection.create_function("ns_status_display", 2, status_display, deterministic=True)
