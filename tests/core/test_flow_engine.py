"""The one flow engine: a generator driven by a trampoline, blocking and awaited."""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from typing import Any

import pytest

from ml_connector import ApiError, ConnectorError
from ml_connector._flow import adrive, drive


def _flow() -> Generator[int, Any, list[Any]]:
    seen: list[Any] = [(yield 1)]
    try:
        seen.append((yield -1))
    except ConnectorError as exc:
        seen.append(f"caught {exc.message}")
    seen.append((yield 2))
    return seen


def _perform(step: int) -> int:
    if step < 0:
        raise ApiError("refused", status=400)
    return step * 10


async def _aperform(step: int) -> int:
    await asyncio.sleep(0)
    return _perform(step)


def test_results_go_in_and_a_connector_error_is_thrown_into_the_flow() -> None:
    assert drive(_flow(), _perform) == [10, "caught refused", 20]


def test_the_awaited_driver_makes_the_same_decisions() -> None:
    assert asyncio.run(adrive(_flow(), _aperform)) == drive(_flow(), _perform)


def test_any_other_exception_ends_the_flow() -> None:
    def broken(step: int) -> int:
        raise KeyError(step)

    with pytest.raises(KeyError):
        drive(_flow(), broken)


def test_an_unhandled_connector_error_comes_out_of_the_driver() -> None:
    def flow() -> Generator[int, Any, None]:
        yield -1

    with pytest.raises(ApiError, match="refused"):
        drive(flow(), _perform)
