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


def test_sync_all_is_sorted_and_importable() -> None:
    names = list(sync_package.__all__)
    assert names == sorted(names)
    for name in names:
        assert hasattr(sync_package, name), name
