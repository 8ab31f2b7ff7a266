"""A virtual clock for asyncio code whose waits overlap: the event loop's own time, virtual."""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

__all__ = ["LoopClock"]

T = TypeVar("T")


class LoopClock:
    """A :class:`~ml_connector.Clock` for async runs: concurrent sleeps overlap, as they do
    for real, and none of them waits for real.

    :class:`VirtualClock` adds every sleep to one shared time, so eight concurrent 50 ms
    requests cost 400 ms: right for a blocking client, wrong for an async job with eight
    requests in flight. Here :meth:`async_sleep` is a real ``asyncio.sleep`` on an event loop
    (from :meth:`new_loop` or :meth:`run`) whose time is this clock, and which jumps straight
    to its next timer whenever every task is waiting (the technique of aiotools'
    ``VirtualClock``). So eight overlapping 50 ms waits take 50 ms of this clock's time and
    microseconds of real time. Blocking :meth:`sleep` adds, as on a ``VirtualClock``.

    Async sleeps only work on a loop of this clock; run everything of one test or benchmark
    on it (simulators included: give them the same clock)::

        clock = LoopClock()
        simulator = OracleFusionSimulator(clock=clock, latency=0.05)
        summary = clock.run(job.run(window))   # job built with clock=clock
        clock.monotonic()                      # simulated seconds the run took

    Args:
        start: The wall-clock time at monotonic zero (aware; default 2026-01-15 17:00 UTC).
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._start = start or datetime(2026, 1, 15, 17, 0, tzinfo=UTC)
        if self._start.tzinfo is None:
            raise ValueError("LoopClock start must be timezone-aware")
        self._elapsed = 0.0

    def __repr__(self) -> str:
        return f"LoopClock(now={self.now().isoformat()})"

    def monotonic(self) -> float:
        """Seconds since the start; also the time of this clock's event loops."""
        return self._elapsed

    def now(self) -> datetime:
        """The start plus :meth:`monotonic` seconds."""
        return self._start + timedelta(seconds=self._elapsed)

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds`` (negative values are refused); timers that fall
        due on a loop of this clock run at its next turn."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        self._elapsed += seconds

    def sleep(self, seconds: float) -> None:
        """Blocking sleep: time moves on by ``seconds`` at once."""
        self._elapsed += max(0.0, seconds)

    async def async_sleep(self, seconds: float) -> None:
        """Sleep on the running loop, which must be one of this clock's."""
        await asyncio.sleep(max(0.0, seconds))

    def new_loop(self) -> asyncio.AbstractEventLoop:
        """An event loop whose ``time()`` is this clock and which never waits for a timer.

        When nothing is ready before the loop's next timer, time jumps to that timer instead
        of waiting. Waiting for I/O with no timer due still waits for real (a thread or a
        socket must finish it). The caller closes the loop; :meth:`run` does all of this.
        """
        selector = _JumpingSelector(self)
        loop = asyncio.SelectorEventLoop(selector)
        loop.time = self.monotonic  # type: ignore[method-assign]
        return loop

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` to completion on a new loop of this clock, then close the loop."""
        loop = self.new_loop()
        try:
            return loop.run_until_complete(coroutine)
        finally:
            loop.close()


class _JumpingSelector(selectors.DefaultSelector):
    """The platform's selector, except that waiting for a timer moves the clock instead."""

    def __init__(self, clock: LoopClock) -> None:
        super().__init__()
        self._clock = clock

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if timeout is not None and timeout > 0:
            # asyncio asks to wait until its next timer: nothing can be ready before it, so
            # jump there, then only poll.
            self._clock.advance(timeout)
            timeout = 0
        result: list[tuple[selectors.SelectorKey, int]] = super().select(timeout)
        return result
