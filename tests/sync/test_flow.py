"""The flow drivers, with no HTTP at all; and the package's public names."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import ml_connector.sync as sync_package
from ml_connector import ConnectorError, NotFoundError
from ml_connector.sync._flow import Call, Fanout, arun_flow, run_flow


class Blocking:
    def get(self, value: int) -> int:
        if value < 0:
            raise NotFoundError("no such value")
        return value * 2

    def items(self) -> Any:
        return iter([1, 2, 3])


class Async:
    def __init__(self) -> None:
        self.in_flight = 0
        self.peak = 0

    async def get(self, value: int) -> int:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        await asyncio.sleep(0)
        self.in_flight -= 1
        if value < 0:
            raise NotFoundError("no such value")
        return value * 2

    async def _gen(self) -> Any:
        for n in (1, 2, 3):
            yield n

    def items(self) -> Any:
        return self._gen()


def one(value: int) -> Any:
    try:
        result = yield Call("c", Blocking.get, (value,))
    except ConnectorError as exc:
        return f"error: {exc.message}"
    return result


def job() -> Any:
    listed = yield Call("c", Blocking.items, collect=True)
    results = yield Fanout(tuple(one(n) for n in [*listed, -1]))
    return results


def test_blocking_driver_sends_results_and_throws_errors() -> None:
    assert run_flow(job(), {"c": Blocking()}) == [2, 4, 6, "error: no such value"]


@pytest.mark.anyio
async def test_async_driver_gives_the_same_and_bounds_concurrency() -> None:
    client = Async()
    limit = asyncio.Semaphore(2)
    assert await arun_flow(job(), {"c": client}, limit) == [2, 4, 6, "error: no such value"]
    assert client.peak <= 2


def answered(value: int) -> Any:
    """A sub-flow whose answer is at hand: it ends without a step."""
    return value * 10
    yield  # pragma: no cover - makes this a generator


def mixed() -> Any:
    return (yield Fanout((answered(1), one(2), answered(3), one(-1), answered(5))))


@pytest.mark.anyio
async def test_async_fanout_makes_tasks_only_for_sub_flows_that_take_a_step() -> None:
    loop = asyncio.get_running_loop()
    made: list[object] = []
    factory = loop.get_task_factory()

    def counting(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        made.append(coro)
        return asyncio.Task(coro, loop=loop, **kwargs)

    loop.set_task_factory(counting)
    try:
        result = await arun_flow(mixed(), {"c": Async()})
    finally:
        loop.set_task_factory(factory)
    # The results in order, as the blocking driver gives them; two tasks, not five.
    assert result == [10, 4, 30, "error: no such value", 50]
    assert result == run_flow(mixed(), {"c": Blocking()})
    assert len(made) == 2


def test_async_fanout_stops_started_siblings_when_one_raises_before_its_first_step() -> None:
    closed: list[int] = []

    def started(value: int) -> Any:
        try:
            yield Call("c", Blocking.get, (value,))
        finally:
            closed.append(value)

    def broken() -> Any:
        raise RuntimeError("a bug in a sub-flow")
        yield  # pragma: no cover

    def outer() -> Any:
        return (yield Fanout((started(1), broken(), started(3))))

    with pytest.raises(RuntimeError, match="a bug"):
        asyncio.run(arun_flow(outer(), {"c": Async()}))
    # The sibling started before it is closed at once (as a TaskGroup cancels it); the one
    # after it never started.
    assert closed == [1]


def test_sync_all_is_sorted_and_importable() -> None:
    names = list(sync_package.__all__)
    assert names == sorted(names)
    for name in names:
        assert hasattr(sync_package, name), name
