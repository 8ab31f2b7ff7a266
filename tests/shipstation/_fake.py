"""Helpers to run the same scenario against the sync and the async client."""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx

Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """An httpx transport handler that records requests and answers from a function."""

    def __init__(self, answer: Handler) -> None:
        self.answer = answer
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answer(request)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


def refuse(request: httpx.Request) -> httpx.Response:
    """A handler for tests in which no request may be sent at all."""
    raise AssertionError(f"no request expected, got {request.method} {request.url}")


def json_response(body: Any, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(
        status,
        content=json.dumps(body).encode(),
        headers={"content-type": "application/json", **headers},
    )


async def _collect(items: AsyncIterator[Any]) -> list[Any]:
    return [item async for item in items]


async def _close_async(client: Any) -> None:
    await client.aclose()


def call(client: Any, name: str, *args: Any, **kwargs: Any) -> Any:
    """Call ``client.name(...)`` and give the plain result for either twin.

    Iterators (sync or async) are drained into lists.
    """
    result = getattr(client, name)(*args, **kwargs)
    if inspect.isawaitable(result):
        return asyncio.run(_await(result))
    if hasattr(result, "__aiter__"):
        return asyncio.run(_collect(result))
    if isinstance(result, Iterator):
        return list(result)
    return result


async def _await(result: Any) -> Any:
    return await result


def close(client: Any) -> None:
    if hasattr(client, "aclose"):
        asyncio.run(_close_async(client))
    else:
        client.close()
