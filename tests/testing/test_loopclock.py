"""LoopClock: overlapping async sleeps overlap, blocking sleeps add, nothing waits for real."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from ml_connector.testing import LoopClock, OracleFusionSimulator, VirtualClock

START = datetime(2026, 1, 15, 8, tzinfo=UTC)


def test_overlapping_async_sleeps_take_the_longest_not_the_sum() -> None:
    clock = LoopClock(START)

    async def main() -> float:
        await asyncio.gather(*(clock.async_sleep(0.05) for _ in range(8)))
        return clock.monotonic()

    assert clock.run(main()) == pytest.approx(0.05)
    # The clock a VirtualClock would have given: every sleep added.
    virtual = VirtualClock(START)
    for _ in range(8):
        virtual.sleep(0.05)
    assert virtual.monotonic() == pytest.approx(0.4)


def test_sequential_and_blocking_sleeps_add_up() -> None:
    clock = LoopClock(START)

    async def main() -> None:
        await clock.async_sleep(1.5)
        clock.sleep(2.0)
        await asyncio.gather(clock.async_sleep(3.0), clock.async_sleep(1.0))
        await clock.async_sleep(-1)  # never backwards

    clock.run(main())
    assert clock.monotonic() == pytest.approx(6.5)
    assert clock.now() == START + timedelta(seconds=clock.monotonic())


def test_an_hour_of_waits_costs_no_real_time() -> None:
    clock = LoopClock(START)
    started = time.perf_counter()

    async def main() -> None:
        for _ in range(60):
            await asyncio.gather(*(clock.async_sleep(60.0) for _ in range(4)))

    clock.run(main())
    assert clock.monotonic() == pytest.approx(3600.0)
    assert time.perf_counter() - started < 2.0


def test_the_loop_time_is_the_clock_and_advance_brings_timers_due() -> None:
    clock = LoopClock(START)
    loop = clock.new_loop()
    try:
        fired: list[float] = []
        loop.call_later(10.0, lambda: fired.append(loop.time()))
        clock.advance(4.0)
        assert loop.time() == 4.0

        async def wait() -> None:
            await asyncio.sleep(7.0)

        loop.run_until_complete(wait())
        assert fired == [pytest.approx(10.0)]
        assert clock.monotonic() == pytest.approx(11.0)
    finally:
        loop.close()
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-1)


def test_a_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        LoopClock(datetime(2026, 1, 15, 8))
    assert LoopClock().now().tzinfo is not None


def test_concurrent_requests_to_a_simulator_overlap_their_latency() -> None:
    clock = LoopClock(START)
    oracle = OracleFusionSimulator(clock=clock, latency=0.05)

    async def main() -> list[int]:
        async with httpx.AsyncClient(transport=oracle.async_transport()) as client:
            url = oracle.pod_url + "/fscmRestApi/resources/11.13.18.05/receivablesInvoices"
            answers = await asyncio.gather(*(client.get(url) for _ in range(8)))
        return [answer.status_code for answer in answers]

    statuses = clock.run(main())
    assert len(statuses) == 8
    assert clock.monotonic() == pytest.approx(0.05)
    assert len(oracle.requests) == 8
