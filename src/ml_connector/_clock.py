"""Time sources, injected wherever the library waits or stamps.

The library never calls ``time.sleep`` or ``datetime.now`` directly: it asks a :class:`Clock`.
Tests and the simulators pass a virtual clock so that a simulated hour runs in milliseconds.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "SystemClock", "unix_millis"]


@runtime_checkable
class Clock(Protocol):
    """What the library needs from time."""

    def monotonic(self) -> float:
        """Seconds on a monotonic scale (for waits and elapsed times)."""
        ...

    def now(self) -> datetime:
        """The current wall-clock time, timezone-aware UTC."""
        ...

    def sleep(self, seconds: float) -> None:
        """Block the calling thread for ``seconds``."""
        ...

    async def async_sleep(self, seconds: float) -> None:
        """Suspend the calling task for ``seconds``."""
        ...


class SystemClock:
    """The real clock."""

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    async def async_sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0.0))

    def __repr__(self) -> str:
        return "SystemClock()"


def unix_millis() -> int:
    """Milliseconds since the Unix epoch on the system's wall clock.

    Only for the time prefix of ids (:func:`ml_connector.audit.new_event_id`), which orders
    them as they are made; an event's time is its clock's (``Clock.now``), never this.
    """
    return time.time_ns() // 1_000_000
