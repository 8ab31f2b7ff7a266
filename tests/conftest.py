"""Shared fixtures. Async tests use anyio's pytest plugin on the asyncio backend."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator

import pytest

import ml_connector
from ml_connector._redact import isolated_secrets
from ml_connector.testing import VirtualClock


@pytest.fixture(autouse=True)
def _forget_test_secrets() -> Iterator[None]:
    """Each test's credentials are masked in its own texts only (the scrubber remembers every
    secret process-wide; a test key such as ``ShipStation`` must not mask later tests' words)."""
    with isolated_secrets():
        yield


@pytest.fixture
def collections() -> Iterator[list[set[str]]]:
    """For each garbage collection while the test runs, the functions on the stack that
    triggered it (``module.qualname``); a collection is due at every new container, so any
    step that allocates with the collector on shows up here (see tests/core/test_collector.py).
    """
    collected: list[set[str]] = []

    def seen(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            names: set[str] = set()
            frame = sys._getframe(1)
            while frame is not None:
                names.add(f"{frame.f_globals.get('__name__')}.{frame.f_code.co_qualname}")
                frame = frame.f_back
            collected.append(names)

    thresholds = gc.get_threshold()
    was_enabled = gc.isenabled()
    gc.enable()
    gc.set_threshold(1, 1_000_000, 1_000_000)  # young collections only: cheap
    gc.callbacks.append(seen)
    try:
        yield collected
    finally:
        gc.callbacks.remove(seen)
        gc.set_threshold(*thresholds)
        if was_enabled:
            gc.enable()  # a test may have turned it off
        else:
            gc.disable()
        ml_connector.set_collector_pauses(True)


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
