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
