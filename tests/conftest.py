"""Shared fixtures. Async tests use anyio's pytest plugin on the asyncio backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ml_connector._redact import isolated_secrets
from ml_connector.testing import VirtualClock


@pytest.fixture(autouse=True)
def _forget_test_secrets() -> Iterator[None]:
    """Each test's credentials are masked in its own texts only (the scrubber remembers every
    secret process-wide; a test key such as ``ShipStation`` must not mask later tests' words)."""
    with isolated_secrets():
        yield


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> VirtualClock:
    """A virtual clock: sleeps advance time instantly and are recorded in ``clock.sleeps``."""
    return VirtualClock()


# -- Postgres (issue "Outgrowing one machine") ------------------------------------------------
# Tests that need a server read its URL from ML_CONNECTOR_TEST_POSTGRES (CI starts one on
# 127.0.0.1); without it they, and only they, are skipped, with that reason.

POSTGRES_ENV = "ML_CONNECTOR_TEST_POSTGRES"


def pytest_report_header() -> str:
    import os

    if os.environ.get(POSTGRES_ENV):
        return f"postgres: tests run against the server in {POSTGRES_ENV}"
    return f"postgres: {POSTGRES_ENV} is not set, so the Postgres tests are skipped"


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The test server's URL, or a skip saying which variable to set."""
    import os

    url = os.environ.get(POSTGRES_ENV, "").strip()
    if not url:
        pytest.skip(
            f"{POSTGRES_ENV} is not set (a Postgres URL on loopback); Postgres tests skipped"
        )
    return url


@pytest.fixture
def postgres_schema(postgres_url: str) -> Iterator[str]:
    """A fresh, empty Postgres schema name for one test; dropped afterwards."""
    import uuid

    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    yield name
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
