"""Cookies a server sets are kept and sent back, by the sync and the async sender alike; a
response without ``Set-Cookie`` leaves them as they are."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from ml_connector import HttpSettings, Request
from ml_connector._http import AsyncSender, SyncSender
from ml_connector.testing import VirtualClock

BASE = "https://ssapi.shipstation.com"


class Server:
    """Sets a load balancer cookie on the first answer only; records the Cookie headers."""

    def __init__(self) -> None:
        self.seen: list[str | None] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request.headers.get("cookie"))
        headers = {"Set-Cookie": "lb=node-7; Path=/; Secure"} if len(self.seen) == 1 else {}
        return httpx.Response(200, json={"n": len(self.seen)}, headers=headers)

    async def ahandle(self, request: httpx.Request) -> httpx.Response:
        return self(request)


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_cookie_set_by_the_server_is_sent_back(kind: str, clock: VirtualClock) -> None:
    server = Server()
    settings = HttpSettings(BASE)
    get = Request("GET", "/orders")
    if kind == "sync":
        sender = SyncSender(settings, clock=clock, transport=httpx.MockTransport(server))
        for _ in range(3):
            sender.send(get)
        cookies = sender.client.cookies
    else:
        asender = AsyncSender(settings, clock=clock, transport=httpx.MockTransport(server.ahandle))

        async def three() -> None:
            for _ in range(3):
                await asender.send(get)

        asyncio.run(three())
        cookies = asender.client.cookies
    assert server.seen == [None, "lb=node-7", "lb=node-7"]
    assert cookies.get("lb") == "node-7"
