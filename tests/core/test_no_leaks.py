"""Nothing leaks: servers that echo every credential they receive, for every client and twin.

Each echo server repeats the request's credentials back in every way a real server or proxy
does (the header line, the bare value, the decoded Basic pair, inside JSON and plain text), and
each test looks for the secrets in every text the library makes of the answer: the exception's
str/repr/evidence/traceback, log lines at DEBUG, and each audit sink's stored bytes.
"""

from __future__ import annotations

import base64
import json
import logging
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from ml_connector import (
    AsyncOracleFusionClient,
    AsyncShipStationV1Client,
    AsyncShipStationV2Client,
    AuthenticationError,
    BasicCredentials,
    ConnectorError,
    HttpSettings,
    JsonlAuditSink,
    MemoryAuditSink,
    OAuthClientCredentials,
    OracleFusionClient,
    OracleFusionSettings,
    RetryPolicy,
    Secret,
    ShipStationV1Client,
    ShipStationV1Settings,
    ShipStationV2Client,
    ShipStationV2Settings,
    SqliteAuditSink,
    TransportError,
)
from ml_connector._errors import truncate_body
from ml_connector._redact import MASK, excerpt, scrub, scrub_text
from ml_connector.audit import AuditEvent, RecordRef, Stage, new_correlation_id, new_event
from ml_connector.testing import VirtualClock

V1_KEY = "v1key-7f3a9c2e5b8d4f61"
V1_SECRET = "v1secret-2c4e6a8b0d1f3e5a"
V2_KEY = "v2key-TEST-9b8a7c6d5e4f"
CLIENT_ID = "integration-client"
CLIENT_SECRET = "oracle-client-secret-4f5e6d7c"
TOKEN = "tok-3b1f9e7d5c3a1f2e4d6c8b0a"
USERNAME = "integration.user"
PASSWORD = "basic-password-8e7d6c5b"

POD = "https://pod-test.fa.us2.oraclecloud.com"
TOKEN_HOST = "idcs-0ddba11.identity.oraclecloud.com"
TOKEN_URL = f"https://{TOKEN_HOST}/oauth2/v1/token"
NO_RETRY = RetryPolicy(max_attempts=1)


def b64(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


SECRETS = (
    V1_KEY,
    V1_SECRET,
    b64(V1_KEY, V1_SECRET),
    V2_KEY,
    CLIENT_SECRET,
    b64(CLIENT_ID, CLIENT_SECRET),
    TOKEN,
    PASSWORD,
    b64(USERNAME, PASSWORD),
)


def assert_clean(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, f"{secret!r} leaked in {text[:300]!r}"


def echo_of(request: httpx.Request) -> str:
    """Everything credential-like the request carried, as a careless server would repeat it."""
    parts = []
    for name in ("authorization", "api-key"):
        value = request.headers.get(name)
        if value is None:
            continue
        parts.append(f"{name}: {value}")  # the header line
        bare = value.split(" ", 1)[-1]
        parts.append(f"you sent {bare} which is wrong")  # the bare value
        if value.startswith("Basic "):
            user, _, password = base64.b64decode(bare).decode().partition(":")
            parts.append(f"user {user} with password {password} is locked")  # decoded
    return "; ".join(parts)


def echo_response(request: httpx.Request, status: int) -> httpx.Response:
    text = echo_of(request)
    body = {
        "message": text,
        "title": text,
        "errors": [{"message": text, "error_code": "echo", "error_source": "proxy"}],
        "o:errorDetails": [{"detail": text, "o:errorCode": "ECHO"}],
        "request_id": "req-1",
        "nested": [[[[{"raw": text}]]]],
    }
    return httpx.Response(status, json=body, headers={"x-request-id": "req-1"})


def token_handler(request: httpx.Request, *, fail: bool) -> httpx.Response:
    if fail:
        bare = request.headers["authorization"].split(" ", 1)[1]
        _user, _, secret = base64.b64decode(bare).decode().partition(":")
        return httpx.Response(
            401,
            json={
                "error": "invalid_client",
                "error_description": f"Client authentication failed for secret {secret} "
                f"(Authorization: Basic {bare})",
            },
        )
    return httpx.Response(
        200, json={"access_token": TOKEN, "token_type": "Bearer", "expires_in": 3600}
    )


def handler(status: int, *, token_fails: bool = False) -> Callable[[httpx.Request], httpx.Response]:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.host == TOKEN_HOST:
            return token_handler(request, fail=token_fails)
        return echo_response(request, status)

    return handle


class AsyncHandler(httpx.AsyncBaseTransport):
    def __init__(self, handle: Callable[[httpx.Request], httpx.Response]) -> None:
        self.handle = handle

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        return self.handle(request)


def v1_settings() -> ShipStationV1Settings:
    return ShipStationV1Settings(
        api_key=V1_KEY,
        api_secret=V1_SECRET,
        http=HttpSettings(base_url="https://ssapi.shipstation.com", retry=NO_RETRY),
    )


def v2_settings() -> ShipStationV2Settings:
    return ShipStationV2Settings(
        api_key=V2_KEY, http=HttpSettings(base_url="https://api.shipstation.com", retry=NO_RETRY)
    )


def oauth() -> OAuthClientCredentials:
    return OAuthClientCredentials(
        token_url=TOKEN_URL,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        scope="urn:opc:resource:consumer::all",
    )


def oracle_settings(auth: Any) -> OracleFusionSettings:
    return OracleFusionSettings(pod_url=POD, auth=auth, retry=NO_RETRY)


SYNC_CALLS: dict[str, Callable[[Callable[[httpx.Request], httpx.Response]], Any]] = {
    "v1": lambda h: ShipStationV1Client(
        v1_settings(), transport=httpx.MockTransport(h), clock=VirtualClock()
    ).list_warehouses(),
    "v2": lambda h: ShipStationV2Client(
        v2_settings(), transport=httpx.MockTransport(h), clock=VirtualClock()
    ).list_inventory_warehouses(),
    "oracle-oauth": lambda h: OracleFusionClient(
        oracle_settings(oauth()), transport=httpx.MockTransport(h), clock=VirtualClock()
    ).get_invoice(1),
    "oracle-basic": lambda h: OracleFusionClient(
        oracle_settings(BasicCredentials(username=USERNAME, password=PASSWORD)),
        transport=httpx.MockTransport(h),
        clock=VirtualClock(),
    ).get_invoice(1),
}

ASYNC_CALLS: dict[str, Callable[[Callable[[httpx.Request], httpx.Response]], Any]] = {
    "v1": lambda h: AsyncShipStationV1Client(
        v1_settings(), transport=AsyncHandler(h), clock=VirtualClock()
    ).list_warehouses(),
    "v2": lambda h: AsyncShipStationV2Client(
        v2_settings(), transport=AsyncHandler(h), clock=VirtualClock()
    ).list_inventory_warehouses(),
    "oracle-oauth": lambda h: AsyncOracleFusionClient(
        oracle_settings(oauth()), transport=AsyncHandler(h), clock=VirtualClock()
    ).get_invoice(1),
    "oracle-basic": lambda h: AsyncOracleFusionClient(
        oracle_settings(BasicCredentials(username=USERNAME, password=PASSWORD)),
        transport=AsyncHandler(h),
        clock=VirtualClock(),
    ).get_invoice(1),
}


def texts_of(error: BaseException) -> list[str]:
    """Every text a user or a program gets from an error."""
    texts = [str(error), repr(error), "".join(traceback.format_exception(error))]
    if isinstance(error, ConnectorError):
        texts.append(json.dumps(error.evidence(), default=str))
        texts.append(str(error.body))
        texts.append(json.dumps([dict(d) for d in getattr(error, "details", ())], default=str))
    return texts


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    lines = []
    for record in caplog.records:
        lines.append(record.getMessage())
        if record.exc_text:
            lines.append(record.exc_text)
    lines.append(caplog.text)
    return lines


def sink_bytes(error: BaseException, tmp_path: Path) -> list[str]:
    """Write the error to every shipped sink, as an event's error and detail; read the bytes."""
    clock = VirtualClock()
    record = RecordRef("shipstation", "shipment", "42")
    event = new_event(
        clock,
        correlation_id=new_correlation_id(),
        record=record,
        stage=Stage.FAILED,
        detail=str(error),
        error=error,
    )
    # An event built by hand (not through new_event) is scrubbed too.
    raw = AuditEvent(
        event_id="e-raw",
        correlation_id=event.correlation_id,
        occurred_at=event.occurred_at,
        record=record,
        stage=Stage.FAILED,
        detail=f"{error}",
        error={"message": str(error.args[0]) if error.args else "", "repr": repr(error)},
    )
    memory = MemoryAuditSink()
    jsonl = JsonlAuditSink(tmp_path / "trail.jsonl")
    sqlite = SqliteAuditSink(tmp_path / "trail.sqlite3")
    out = []
    for sink in (memory, jsonl, sqlite):
        sink.write(event)
        sink.write(raw)
        out.extend(json.dumps([repr(e), e.error, e.detail], default=str) for e in sink.events())
    jsonl.close()
    sqlite.close()
    out.append((tmp_path / "trail.jsonl").read_bytes().decode("utf-8", "replace"))
    for path in tmp_path.glob("trail.sqlite3*"):
        out.append(path.read_bytes().decode("latin-1"))
    return out


# -- the clients ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [401, 403, 429, 500])
@pytest.mark.parametrize("client", sorted(SYNC_CALLS))
def test_sync_clients_never_repeat_an_echoed_secret(
    client: str, status: int, debug_logs: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    with pytest.raises(ConnectorError) as info:
        SYNC_CALLS[client](handler(status))
    assert info.value.status == status
    texts = texts_of(info.value)
    assert any(MASK in text for text in texts), "the echo was not recognised"
    assert_clean(*texts, *logged(debug_logs), *sink_bytes(info.value, tmp_path))


@pytest.mark.anyio
@pytest.mark.parametrize("status", [401, 403, 429, 500])
@pytest.mark.parametrize("client", sorted(ASYNC_CALLS))
async def test_async_clients_never_repeat_an_echoed_secret(
    client: str, status: int, debug_logs: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    with pytest.raises(ConnectorError) as info:
        await ASYNC_CALLS[client](handler(status))
    assert info.value.status == status
    assert_clean(*texts_of(info.value), *logged(debug_logs), *sink_bytes(info.value, tmp_path))


def test_token_endpoint_error_description_never_shows_the_client_secret(
    debug_logs: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    with pytest.raises(AuthenticationError) as info:
        SYNC_CALLS["oracle-oauth"](handler(200, token_fails=True))
    error = info.value
    assert error.code == "invalid_client"
    assert "Client authentication failed for secret ***" in error.message
    assert error.url == TOKEN_URL
    assert_clean(*texts_of(error), *logged(debug_logs), *sink_bytes(error, tmp_path))


@pytest.mark.anyio
async def test_async_token_endpoint_error_description_never_shows_the_client_secret(
    tmp_path: Path,
) -> None:
    with pytest.raises(AuthenticationError) as info:
        await ASYNC_CALLS["oracle-oauth"](handler(200, token_fails=True))
    assert info.value.code == "invalid_client"
    assert_clean(*texts_of(info.value), *sink_bytes(info.value, tmp_path))


def test_debug_log_shows_the_token_request_without_the_secret(
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    with pytest.raises(ConnectorError):
        SYNC_CALLS["oracle-oauth"](handler(500))
    lines = [r.getMessage() for r in debug_logs.records]
    token_lines = [line for line in lines if TOKEN_HOST in line]
    assert any("OAuth token request" in line for line in token_lines), lines
    assert any("Basic ***" in line for line in token_lines)
    assert_clean(*lines)


# -- connection errors ----------------------------------------------------------------------------


def refuse_token_host(request: httpx.Request) -> httpx.Response:
    if request.url.host == TOKEN_HOST:
        raise httpx.ConnectError("[Errno -2] Name or service not known", request=request)
    return httpx.Response(200, json={})


def test_a_connection_error_names_the_host_contacted_and_keeps_the_cause() -> None:
    with pytest.raises(TransportError) as info:
        SYNC_CALLS["oracle-oauth"](refuse_token_host)
    error = info.value
    assert TOKEN_HOST in str(error)
    assert "pod-test" not in error.message
    assert "Name or service not known" in error.message
    assert error.host == TOKEN_HOST
    assert error.evidence()["host"] == TOKEN_HOST
    assert isinstance(error.__cause__, httpx.ConnectError)


@pytest.mark.anyio
async def test_async_connection_error_names_the_token_host() -> None:
    with pytest.raises(TransportError) as info:
        await ASYNC_CALLS["oracle-oauth"](refuse_token_host)
    assert info.value.host == TOKEN_HOST
    assert isinstance(info.value.__cause__, httpx.ConnectError)


def test_a_refused_pod_names_the_pod() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    with pytest.raises(TransportError) as info:
        SYNC_CALLS["oracle-basic"](refuse)
    assert info.value.host == "pod-test.fa.us2.oraclecloud.com"
    assert "Connection refused" in str(info.value)


# -- the scrubber itself --------------------------------------------------------------------------


def test_known_secrets_are_masked_in_every_form() -> None:
    secret = Secret('p@ss "word"/with+odd&chars')
    value = secret.reveal()
    for text in (
        value,
        json.dumps({"x": value}),
        httpx.QueryParams({"q": value}).__str__(),
        f"Basic {b64('me', value)}",
    ):
        assert value not in scrub_text(text)
    assert "with+odd" not in scrub_text(json.dumps({"x": value}))


def test_short_values_are_not_searched_for_in_free_text() -> None:
    Secret("abc")
    assert scrub_text("abc def") == "abc def"
    assert scrub_text("password=abc") == "password=***"


def test_scrub_walks_structures_and_stops_at_a_depth() -> None:
    Secret(V2_KEY)
    deep: Any = {"v": V2_KEY}
    for _ in range(200):
        deep = [deep]
    assert V2_KEY not in json.dumps(scrub(deep))
    assert scrub({"client_secret": "x", "note": f"key {V2_KEY}"}) == {
        "client_secret": MASK,
        "note": f"key {MASK}",
    }


@pytest.mark.parametrize("limit", [1, 10, 500])
@pytest.mark.parametrize("offset", [0, 1, 5, 9, 490, 495, 499, 500, 501])
def test_an_excerpt_never_shows_part_of_a_secret_crossing_the_cut(limit: int, offset: int) -> None:
    Secret(CLIENT_SECRET)
    body = "x" * offset + CLIENT_SECRET + "y" * 2000
    for text in (excerpt(body, limit), excerpt(body.encode(), limit), truncate_body(body, limit)):
        assert text is not None
        assert CLIENT_SECRET[:6] not in text


def test_an_excerpt_of_a_huge_body_only_scans_a_window() -> None:
    Secret(CLIENT_SECRET)
    body = ("a" * 1_000_000 + CLIENT_SECRET).encode()
    text = excerpt(body, 100)
    assert text.startswith("a" * 100)
    assert "more bytes" in text


def test_events_built_by_hand_are_scrubbed() -> None:
    Secret(TOKEN)
    event = AuditEvent(
        event_id="e",
        correlation_id="c",
        occurred_at=VirtualClock().now(),
        record=RecordRef("shipstation", "shipment", "1"),
        stage=Stage.FAILED,
        detail=f"got {TOKEN}",
        error={"message": f"Bearer {TOKEN}", "nested": {"token": TOKEN}},
    )
    assert_clean(event.detail or "", json.dumps(event.error))
