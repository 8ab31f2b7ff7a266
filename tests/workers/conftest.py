"""Fixtures for the workers tests: a fresh Postgres store per test (skipped without a server)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ml_connector.audit import PostgresDatabase


@pytest.fixture
def pg_db(postgres_url: str, postgres_schema: str) -> Iterator[PostgresDatabase]:
    db = PostgresDatabase(postgres_url, schema=postgres_schema)
    yield db
    db.close()
