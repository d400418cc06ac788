"""Fixtures of the service tests: a PostgreSQL server (see pgcluster.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.integration_layer.service import pgcluster


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A PostgreSQL server URL: ``FINTWIN_TEST_DATABASE_URL``, else a private cluster
    started here (initdb/pg_ctl on PATH), else skip (fail when ``FINTWIN_REQUIRE_PG=1``)."""
    url = os.environ.get(pgcluster.URL_ENV)
    if url:
        yield url
        return
    if not pgcluster.available():
        if os.environ.get(pgcluster.REQUIRE_ENV) == "1":
            pytest.fail("PostgreSQL is required (FINTWIN_REQUIRE_PG=1) but initdb is missing")
        pytest.skip(f"no PostgreSQL: set {pgcluster.URL_ENV} or put initdb/pg_ctl on PATH")
    cluster = pgcluster.start_cluster()
    try:
        yield cluster.url
    finally:
        cluster.stop()


@pytest.fixture
def pg_url(pg_server: str) -> str:
    """A fresh, empty database on the PostgreSQL server, for one test."""
    return pgcluster.fresh_database(pg_server)
