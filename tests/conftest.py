"""Shared fixtures. Async tests use anyio's pytest plugin on the asyncio backend."""

from __future__ import annotations

import pytest

from ml_connector.testing import VirtualClock


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> VirtualClock:
    """A virtual clock: sleeps advance time instantly and are recorded in ``clock.sleeps``."""
    return VirtualClock()
