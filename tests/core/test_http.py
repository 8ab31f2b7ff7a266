"""The one sender, exercised at the transport with pytest-httpx, sync and async alike."""

from __future__ import annotations

import asyncio
import gc
import logging
import weakref
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock

from ml_connector import (
    AuthenticationError,
    ClientError,
    ConflictError,
    HttpSettings,
    NotFoundError,
    PermissionDeniedError,
    RateLimiter,
    RateLimitError,
    Request,
    RequestTimeoutError,
    ResponseDecodeError,
    RetryPolicy,
    ServerError,
    TransportError,
    UnsafeUrlError,
    no_jitter,
)
from ml_connector._http import AsyncSender, SyncSender, read_json
from ml_connector.testing import VirtualClock

BASE = "https://ssapi.shipstation.com"
CANARY = "canary-Secret-5f1d2e"


def make_settings(**kwargs: Any) -> HttpSettings:
    kwargs.setdefault("retry", RetryPolicy(max_attempts=4, base=1.0, cap=30.0, jitter=no_jitter))
    return HttpSettings(BASE, **kwargs)


class Runner:
    """Runs the same request through the sync or the async sender."""

    def __init__(self, kind: str, clock: VirtualClock, **kwargs: Any) -> None:
        self.kind = kind
        settings = kwargs.pop("settings", None) or make_settings()
        if kind == "sync":
            self.sender: SyncSender | AsyncSender = SyncSender(settings, clock=clock, **kwargs)
        else:
            self.sender = AsyncSender(settings, clock=clock, **kwargs)

    def send(self, request: Request) -> httpx.Response:
        if isinstance(self.sender, SyncSender):
            return self.sender.send(request)
        sender = self.sender
        return asyncio.run(sender.send(request))


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


GET = Request("GET", "/orders")


def test_success_returns_the_response_with_user_agent(
    kind: str, clock: VirtualClock, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(url=f"{BASE}/orders?page=1", json={"orders": []})
    response = Runner(kind, clock).send(Request("GET", "/orders", params={"page": 1, "x": None}))
    assert response.json() == {"orders": []}
    sent = httpx_mock.get_request()
    assert sent is not None
    assert sent.headers["User-Agent"].startswith("ml-connector/")
    assert clock.sleeps == []


def test_429_then_200_honours_retry_after(
    kind: str, clock: VirtualClock, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(status_code=429, headers={"Retry-After": "7"}, json={"message": "x"})
    httpx_mock.add_response(json={"ok": True})
    assert Runner(kind, clock).send(GET).json() == {"ok": True}
    assert clock.sleeps == [7.0]
    assert len(httpx_mock.get_requests()) == 2


def test_429_honours_shipstation_reset_header(
    kind: str, clock: VirtualClock, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(
        status_code=429,
        headers={
            "X-Rate-Limit-Limit": "40",
            "X-Rate-Limit-Remaining": "0",
            "X-Rate-Limit-Reset": "13",
        },
        json={"message": "Too Many Requests"},
    )
    httpx_mock.add_response(json={})
    Runner(kind, clock).send(GET)
    # The retry waits for the header's reset; the limiter then sees the window has passed.
    assert clock.sleeps[0] == 13.0
    assert sum(clock.sleeps) == pytest.approx(13.05, abs=0.1)


def test_5xx_exhausts_attempts_then_raises_server_error(
    kind: str, clock: VirtualClock, httpx_mock: HTTPXMock
) -> None:
    for _ in range(4):
        httpx_mock.add_response(status_code=503, text="busy", headers={"x-request-id": "req-9"})
    with pytest.raises(ServerError) as info:
        Runner(kind, clock).send(GET)
    assert info.value.status == 503
    assert info.value.request_id == "req-9"
    assert info.value.method == "GET"
    assert info.value.url == f"{BASE}/orders"
    assert clock.sleeps == [1.0, 2.0, 4.0]
    assert len(httpx_mock.get_requests()) == 4


@pytest.mark.parametrize(
    "exc",
    [httpx.ReadTimeout("slow"), httpx.ConnectError("reset"), httpx.RemoteProtocolError("eof")],
)
def test_transport_errors_are_retried_then_raised(
    kind: str, clock: VirtualClock, httpx_mock: HTTPXMock, exc: Exception
) -> None:
    for _ in range(4):
        httpx_mock.add_exception(exc)
    with pytest.raises(TransportError) as info:
        Runner(kind, clock).send(GET)
    assert isinstance(info.value, RequestTimeoutError) == isinstance(exc, httpx.TimeoutException)
    assert len(httpx_mock.get_requests()) == 4


def test_timeout_then_success(kind: str, clock: VirtualClock, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_exception(httpx.ReadTimeout("slow"))
    httpx_mock.add_response(json={"ok": 1})
    assert Runner(kind, clock).send(GET).json() == {"ok": 1}
    assert clock.sleeps == [1.0]


def test_post_is_not_retried_after_a_5xx_or_read_timeout(
    kind: str, clock: VirtualClock, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(status_code=502)
    runner = Runner(kind, clock)
    with pytest.raises(ServerError):
        runner.send(Request("POST", "/invoices", json={"a": 1}))
    httpx_mock.add_exception(httpx.ReadTimeout("maybe committed"))
    with pytest.raises(RequestTimeoutError):
        runner.send(Request("POST", "/invoices", json={"a": 1}))
    assert len(httpx_mock.get_requests()) == 2


def test_post_is_retried_when_the_server_cannot_have_acted(
    kind: str, clock: VirtualClock, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(status_code=429, headers={"Retry-After": "2"})
    httpx_mock.add_exception(httpx.ConnectError("refused"))
    httpx_mock.add_response(status_code=201, json={"id": 5})
    response = Runner(kind, clock).send(Request("POST", "/invoices", json={"a": 1}))
    assert response.status_code == 201
    assert len(httpx_mock.get_requests()) == 3


def test_post_declared_safe_is_retried(
    kind: str, clock: VirtualClock, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(status_code=500)
    httpx_mock.add_response(status_code=201, json={})
    Runner(kind, clock).send(Request("POST", "/x", json={}, retry_safe=True))
    assert len(httpx_mock.get_requests()) == 2


def test_rate_limit_error_carries_retry_after_when_attempts_run_out(
    kind: str, clock: VirtualClock, httpx_mock: HTTPXMock
) -> None:
    settings = make_settings(retry=RetryPolicy(max_attempts=1))
    httpx_mock.add_response(
        status_code=429, headers={"Retry-After": "11"}, json={"message": "slow"}
    )
    with pytest.raises(RateLimitError) as info:
        Runner(kind, clock, settings=settings).send(GET)
    assert info.value.retry_after == 11.0
    assert info.value.message == "slow"


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, ClientError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, ClientError),
    ],
)
def test_status_maps_to_error_class_without_retry(
    kind: str, clock: VirtualClock, httpx_mock: HTTPXMock, status: int, cls: type[Exception]
) -> None:
    httpx_mock.add_response(status_code=status, json={"message": "Invalid request parameters"})
    with pytest.raises(cls) as info:
        Runner(kind, clock).send(GET)
    assert "Invalid request parameters" in str(info.value)
    assert len(httpx_mock.get_requests()) == 1


def test_proactive_wait_when_remaining_hits_zero(
    kind: str, clock: VirtualClock, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(
        headers={
            "X-Rate-Limit-Limit": "40",
            "X-Rate-Limit-Remaining": "0",
            "X-Rate-Limit-Reset": "20",
        },
        json={},
    )
    httpx_mock.add_response(json={})
    runner = Runner(kind, clock)
    runner.send(GET)
    assert clock.sleeps == []
    runner.send(GET)
    assert clock.sleeps == [pytest.approx(20.05)]
    # No 429 was drawn: exactly two requests went out.
    assert len(httpx_mock.get_requests()) == 2


def test_limiter_is_shared_between_sync_and_async_twins(
    clock: VirtualClock, httpx_mock: HTTPXMock
) -> None:
    limiter = RateLimiter()
    sync = SyncSender(make_settings(), clock=clock, limiter=limiter)
    asynchronous = AsyncSender(make_settings(), clock=clock, limiter=limiter)
    httpx_mock.add_response(
        headers={
            "X-Rate-Limit-Limit": "40",
            "X-Rate-Limit-Remaining": "0",
            "X-Rate-Limit-Reset": "5",
        },
        json={},
    )
    httpx_mock.add_response(json={})
    sync.send(GET)
    assert limiter.state.remaining == 0
    asyncio.run(asynchronous.send(GET))
    assert clock.sleeps == [pytest.approx(5.05)]


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example.com/orders",
        "http://ssapi.shipstation.com/orders",
        "https://user:pw@ssapi.shipstation.com/orders",
        "https://ssapi.shipstation.com:8443/orders",
        "ftp://ssapi.shipstation.com/orders",
        "https://ssapi.shipstation.com.evil.com/orders",
    ],
)
def test_credentials_never_leave_for_other_hosts(
    kind: str, clock: VirtualClock, httpx_mock: HTTPXMock, url: str
) -> None:
    with pytest.raises(UnsafeUrlError):
        Runner(kind, clock).send(Request("GET", url))
    assert httpx_mock.get_requests() == []


def test_extra_hosts_pattern_allows_numbered_hosts(
    kind: str, clock: VirtualClock, httpx_mock: HTTPXMock
) -> None:
    settings = make_settings(extra_hosts=r"ssapi\d*\.shipstation\.com")
    httpx_mock.add_response(url="https://ssapi6.shipstation.com/shipments", json={})
    Runner(kind, clock, settings=settings).send(
        Request("GET", "https://ssapi6.shipstation.com/shipments")
    )


def test_html_body_is_a_decode_error(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        text="<!DOCTYPE html><html><body>Oops</body></html>",
        headers={"content-type": "text/html"},
    )
    response = SyncSender(make_settings()).send(GET)
    with pytest.raises(ResponseDecodeError, match="HTML") as info:
        read_json(response)
    assert info.value.status == 200
    assert info.value.body is not None and "Oops" in info.value.body


def test_json_numbers_with_fractions_become_decimals(httpx_mock: HTTPXMock) -> None:
    from decimal import Decimal

    httpx_mock.add_response(
        content=b'{"amount": 10.10, "n": 3}', headers={"content-type": "application/json"}
    )
    body = read_json(SyncSender(make_settings()).send(GET))
    assert body == {"amount": Decimal("10.10"), "n": 3}
    assert str(body["amount"]) == "10.10"


def test_invalid_and_empty_json_are_decode_errors(httpx_mock: HTTPXMock) -> None:
    sender = SyncSender(make_settings())
    httpx_mock.add_response(content=b"{not json", headers={"content-type": "application/json"})
    with pytest.raises(ResponseDecodeError, match="not valid JSON"):
        read_json(sender.send(GET))
    httpx_mock.add_response(content=b"")
    with pytest.raises(ResponseDecodeError, match="empty"):
        read_json(sender.send(GET))


def test_long_bodies_are_truncated_on_errors(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=400, text="x" * 5000)
    with pytest.raises(ClientError) as info:
        SyncSender(make_settings()).send(GET)
    assert info.value.body is not None
    assert len(info.value.body) < 600


class _CanaryAuth(httpx.Auth):
    def auth_flow(self, request: httpx.Request):  # type: ignore[no-untyped-def]
        request.headers["Authorization"] = f"Bearer {CANARY}"
        request.headers["api-key"] = CANARY
        yield request


def test_canary_secret_never_reaches_logs_errors_or_reprs(
    kind: str, clock: VirtualClock, httpx_mock: HTTPXMock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for _ in range(4):
        httpx_mock.add_response(
            status_code=500,
            json={"message": "boom", "access_token": CANARY, "client_secret": CANARY},
        )
    runner = Runner(kind, clock, auth=_CanaryAuth())
    with pytest.raises(ServerError) as info:
        runner.send(Request("GET", f"/orders?api_key={CANARY}&token={CANARY}"))
    assert httpx_mock.get_requests()[0].headers["api-key"] == CANARY  # it was really sent
    texts = [str(info.value), repr(info.value), repr(runner.sender), str(info.value.evidence())]
    texts += [record.getMessage() for record in caplog.records]
    for text in texts:
        assert CANARY not in text, text
    assert any("retrying" in r.getMessage() for r in caplog.records)
    assert any(r.levelno == logging.INFO and "-> 500" in r.getMessage() for r in caplog.records)


def test_sync_and_async_senders_expose_the_same_methods() -> None:
    def public(cls: type) -> set[str]:
        return {n for n in dir(cls) if not n.startswith("_")}

    assert public(SyncSender) - {"close"} == public(AsyncSender) - {"aclose"}


def test_injected_client_is_used_and_not_closed(clock: VirtualClock) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json={})

    client = httpx.Client(transport=httpx.MockTransport(handler))
    sender = SyncSender(make_settings(), client=client, clock=clock)
    sender.send(GET)
    sender.close()
    assert seen == [f"{BASE}/orders"]
    assert not client.is_closed
    client.close()


def test_params_merge_with_a_query_already_in_the_url(
    kind: str, clock: VirtualClock, httpx_mock: HTTPXMock
) -> None:
    settings = make_settings(extra_hosts=r"ssapi\d*\.shipstation\.com")
    httpx_mock.add_response(
        url="https://ssapi6.shipstation.com/shipments?batchId=9&page=2&pageSize=500", json={}
    )
    Runner(kind, clock, settings=settings).send(
        Request(
            "GET",
            "https://ssapi6.shipstation.com/shipments?batchId=9",
            params={"page": 2, "pageSize": 500},
        )
    )


class _FlakyTokenAuth(httpx.Auth):
    """Fetches a token inside the flow; the token endpoint fails first with a 503."""

    def __init__(self) -> None:
        self.calls = 0

    def auth_flow(self, request: httpx.Request):  # type: ignore[no-untyped-def]
        self.calls += 1
        token = yield httpx.Request("POST", "https://idcs-1.identity.oraclecloud.com/token")
        if token.status_code != 200:
            raise ServerError("token endpoint failed", status=token.status_code, url="https://idcs")
        request.headers["Authorization"] = "Bearer t"
        yield request


def test_a_failed_token_request_is_retried_even_for_a_post(
    kind: str, clock: VirtualClock, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(url="https://idcs-1.identity.oraclecloud.com/token", status_code=503)
    httpx_mock.add_response(url="https://idcs-1.identity.oraclecloud.com/token", json={})
    httpx_mock.add_response(url=f"{BASE}/invoices", status_code=201, json={"id": 1})
    auth = _FlakyTokenAuth()
    response = Runner(kind, clock, auth=auth).send(Request("POST", "/invoices", json={}))
    assert response.status_code == 201
    assert auth.calls == 2
    # The POST itself went out once.
    assert len(httpx_mock.get_requests(url=f"{BASE}/invoices")) == 1


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_json_number_constants_are_decode_errors(httpx_mock: HTTPXMock, constant: str) -> None:
    httpx_mock.add_response(
        content=b'{"shipmentId": 1, "shipmentCost": ' + constant.encode() + b"}",
        headers={"content-type": "application/json"},
    )
    with pytest.raises(ResponseDecodeError, match="not a JSON number"):
        read_json(SyncSender(make_settings()).send(GET))


def test_a_read_response_is_freed_by_reference_counting(kind: str, clock: VirtualClock) -> None:
    # httpx binds a response's stream to the response, a cycle that only a full collection
    # frees (with the body); the sender puts a spent stream in its place once the body is read.
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"orders": [{"orderId": n} for n in range(100)]})

    runner = Runner(kind, clock, transport=httpx.MockTransport(answer))
    collecting = gc.isenabled()
    gc.disable()
    try:
        response = runner.send(GET)
        assert len(response.json()["orders"]) == 100
        assert response.is_closed
        gone = weakref.ref(response)
        del response
        assert gone() is None  # no collection ran: nothing but its one reference held it
    finally:
        if collecting:
            gc.enable()
