"""A virtual clock: sleeping advances time instantly, so a simulated hour takes milliseconds."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

__all__ = ["VirtualClock"]


class VirtualClock:
    """A :class:`~ml_connector.Clock` whose time moves only when someone sleeps or calls
    :meth:`advance`.

    Args:
        start: The wall-clock time at monotonic zero (aware; default 2026-01-15 17:00 UTC).
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._start = start or datetime(2026, 1, 15, 17, 0, tzinfo=UTC)
        if self._start.tzinfo is None:
            raise ValueError("VirtualClock start must be timezone-aware")
        self._elapsed = 0.0
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    def __repr__(self) -> str:
        return f"VirtualClock(now={self.now().isoformat()})"

    def monotonic(self) -> float:
        with self._lock:
            return self._elapsed

    def now(self) -> datetime:
        with self._lock:
            return self._start + timedelta(seconds=self._elapsed)

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds`` (negative values are refused)."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        with self._lock:
            self._elapsed += seconds

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.sleeps.append(seconds)
            self.advance(seconds)

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)
