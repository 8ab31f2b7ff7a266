"""Requests are built without httpx's header merge, and are the requests httpx would build.

The reference is ``client.build_request``, which the sender used before: method, URL, every
header in order (the client's defaults, ours overriding them in any case), the timeout and
the body must be the same. A client holding cookies (or params) goes through httpx itself.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ml_connector import HttpSettings, Request
from ml_connector._http import SyncSender, _build_fast_path
from ml_connector.testing import VirtualClock

BASE = "https://pod.example.com"


def test_this_httpx_takes_the_fast_path() -> None:
    assert _build_fast_path()


def _reference(sender: SyncSender, request: Request) -> httpx.Request:
    headers = {"User-Agent": sender.settings.user_agent, "Accept": "application/json"}
    headers.update(sender.default_headers)
    headers.update(request.headers or {})
    url = httpx.URL(sender.resolve_url(request.url))
    if request.params:
        url = url.copy_merge_params({k: v for k, v in request.params.items() if v is not None})
    return sender.client.build_request(
        request.method.upper(),
        url,
        json=request.json,
        content=request.content,
        headers=headers,
        timeout=sender.settings.timeout,
    )


def _shape(request: httpx.Request) -> tuple[Any, ...]:
    return (
        request.method,
        str(request.url),
        request.headers.raw,
        request.extensions,
        request.read(),
    )


REQUESTS = [
    Request("GET", "/fscmRestApi/resources/11.13.18.05/receivablesInvoices"),
    Request("GET", "/orders", params={"page": 2, "pageSize": 500, "skip": None}),
    Request(
        "POST",
        "/fscmRestApi/resources/11.13.18.05/receivablesInvoices",
        content=b'{"BusinessUnit":"US1"}',
        headers={"content-type": "application/vnd.oracle.adf.resourceitem+json"},
    ),
    Request("post", "/batch", json={"parts": [{"id": "1"}]}),
    Request("GET", "/x", headers={"ACCEPT": "text/plain", "user-agent": "mine", "X-A": "1"}),
    Request("GET", f"{BASE}/absolute/path?kept=1", params={"added": "yes"}),
]


@pytest.mark.parametrize("request_", REQUESTS, ids=range(len(REQUESTS)))
def test_a_built_request_is_the_one_httpx_builds(request_: Request, clock: VirtualClock) -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(200))
    sender = SyncSender(
        HttpSettings(BASE, timeout=12.5),
        clock=clock,
        transport=transport,
        default_headers={"REST-Framework-Version": "4", "accept-encoding": "identity"},
    )
    built = sender.build(sender.client, request_)
    assert _shape(built) == _shape(_reference(sender, request_))
    assert built.headers["REST-Framework-Version"] == "4"
    assert built.headers["Accept-Encoding"] == "identity"  # ours, not the client's default


def test_a_client_with_cookies_gets_them_on_the_request(clock: VirtualClock) -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(200))
    sender = SyncSender(HttpSettings(BASE), clock=clock, transport=transport)
    sender.client.cookies.set("lb", "node-3", domain="pod.example.com")
    built = sender.build(sender.client, Request("GET", "/orders"))
    assert built.headers["cookie"] == "lb=node-3"
    assert _shape(built) == _shape(_reference(sender, Request("GET", "/orders")))
