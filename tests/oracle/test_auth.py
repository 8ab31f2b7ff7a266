"""OAuth client-credentials flow: token request shape, cache, concurrency, 401s, clear errors."""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qs

import anyio
import anyio.lowlevel
import httpx
import pytest

from ml_connector import (
    AsyncSender,
    AuthenticationError,
    ConfigurationError,
    HttpSettings,
    Request,
    RetryPolicy,
    Secret,
    SyncSender,
)
from ml_connector.oracle._auth import (
    BasicCredentials,
    OAuthClientCredentials,
    OracleOAuth,
    make_auth,
)
from ml_connector.testing import VirtualClock

POD = "https://pod.fa.us2.oraclecloud.com"
TOKEN_URL = "https://idcs-0123456789abcdef.identity.oraclecloud.com/oauth2/v1/token"
SCOPE = "urn:opc:resource:fa:instanceid=1234567urn:opc:resource:consumer::all"
CANARY_SECRET = "canary-secret-7f3a9c"
CANARY_TOKEN = "canary-token-e1d2c3"
FIXTURES = Path(__file__).parent.parent / "fixtures" / "oracle"

Handler = Callable[[httpx.Request], httpx.Response]


def creds(**changes: object) -> OAuthClientCredentials:
    fields: dict[str, object] = {
        "token_url": TOKEN_URL,
        "client_id": "client-1",
        "client_secret": CANARY_SECRET,
        "scope": SCOPE,
    }
    fields.update(changes)
    return OAuthClientCredentials(**fields)  # type: ignore[arg-type]


class FakeOracle:
    """A token endpoint plus one API resource, with programmable answers."""

    def __init__(self) -> None:
        self.token_calls: list[httpx.Request] = []
        self.api_calls: list[httpx.Request] = []
        self.api_auth: list[str] = []  # headers as sent (the flow re-uses the request object)
        self.tokens_issued = 0
        self.token_answer: Callable[[int], httpx.Response] | None = None
        self.rejected_tokens: set[str] = set()
        self.reject_all = False
        self.token_delay = threading.Event()
        self.lock = threading.Lock()

    def issue(self) -> httpx.Response:
        with self.lock:
            self.tokens_issued += 1
            number = self.tokens_issued
        if self.token_answer is not None:
            return self.token_answer(number)
        body = json.loads((FIXTURES / "oauth_token_response_idcs.json").read_text())
        body["access_token"] = f"{CANARY_TOKEN}-{number}"
        return httpx.Response(200, json=body)

    def handle(self, request: httpx.Request) -> httpx.Response:
        if str(request.url) == TOKEN_URL:
            with self.lock:
                self.token_calls.append(request)
            # Hold the token request briefly so that concurrent callers pile up on the lock.
            self.token_delay.wait(0.02)
            return self.issue()
        with self.lock:
            self.api_calls.append(request)
            self.api_auth.append(request.headers.get("Authorization", ""))
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if self.reject_all or bearer in self.rejected_tokens:
            # A careless server that echoes the credential it refused.
            return httpx.Response(401, text=f"Unauthorized: {bearer} / {CANARY_SECRET}")
        return httpx.Response(200, json={"items": [], "hasMore": False})

    async def ahandle(self, request: httpx.Request) -> httpx.Response:
        if str(request.url) == TOKEN_URL:
            self.token_calls.append(request)
            for _ in range(5):
                await anyio.lowlevel.checkpoint()  # let every other task reach the lock
            return self.issue()
        return self.handle(request)


def sync_sender(fake: FakeOracle, auth: httpx.Auth, clock: VirtualClock) -> SyncSender:
    settings = HttpSettings(base_url=POD, retry=RetryPolicy(max_attempts=1))
    return SyncSender(settings, auth=auth, transport=httpx.MockTransport(fake.handle), clock=clock)


def async_sender(fake: FakeOracle, auth: httpx.Auth, clock: VirtualClock) -> AsyncSender:
    settings = HttpSettings(base_url=POD, retry=RetryPolicy(max_attempts=1))
    return AsyncSender(
        settings, auth=auth, transport=httpx.MockTransport(fake.ahandle), clock=clock
    )


def get(path: str = "/fscmRestApi/resources/11.13.18.05/receivablesInvoices") -> Request:
    return Request("GET", path)


def test_token_request_shape_and_bearer_use(clock: VirtualClock) -> None:
    fake = FakeOracle()
    sender = sync_sender(fake, OracleOAuth(creds(), clock=clock), clock)
    sender.send(get())
    (token_request,) = fake.token_calls
    assert token_request.method == "POST"
    assert (
        token_request.headers["Content-Type"] == "application/x-www-form-urlencoded;charset=UTF-8"
    )
    expected = base64.b64encode(f"client-1:{CANARY_SECRET}".encode()).decode()
    assert token_request.headers["Authorization"] == f"Basic {expected}"
    form = parse_qs(token_request.content.decode(), strict_parsing=True)
    assert form == {"grant_type": ["client_credentials"], "scope": [SCOPE]}
    assert fake.api_calls[0].headers["Authorization"] == f"Bearer {CANARY_TOKEN}-1"


def test_token_cached_until_expiry_minus_skew(clock: VirtualClock) -> None:
    fake = FakeOracle()
    auth = OracleOAuth(creds(skew=60), clock=clock)
    sender = sync_sender(fake, auth, clock)
    sender.send(get())
    clock.advance(3600 - 60 - 1)
    sender.send(get())
    assert len(fake.token_calls) == 1
    clock.advance(2)
    sender.send(get())
    assert len(fake.token_calls) == 2
    assert fake.api_auth[-1] == f"Bearer {CANARY_TOKEN}-2"


def test_fifty_threads_share_one_token(clock: VirtualClock) -> None:
    fake = FakeOracle()
    auth = OracleOAuth(creds(), clock=clock)
    sender = sync_sender(fake, auth, clock)
    barrier = threading.Barrier(50)

    def call() -> int:
        barrier.wait()
        return sender.send(get()).status_code

    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(lambda _: call(), range(50)))
    assert statuses == [200] * 50
    assert len(fake.token_calls) == 1
    assert auth.token_requests == 1


@pytest.mark.anyio
async def test_fifty_tasks_share_one_token(clock: VirtualClock) -> None:
    fake = FakeOracle()
    auth = OracleOAuth(creds(), clock=clock)
    sender = async_sender(fake, auth, clock)
    statuses: list[int] = []

    async def call() -> None:
        statuses.append((await sender.send(get())).status_code)

    async with anyio.create_task_group() as group:
        for _ in range(50):
            group.start_soon(call)
    assert statuses == [200] * 50
    assert len(fake.token_calls) == 1


def test_401_drops_token_refreshes_once_and_retries(clock: VirtualClock) -> None:
    fake = FakeOracle()
    sender = sync_sender(fake, OracleOAuth(creds(), clock=clock), clock)
    sender.send(get())
    fake.rejected_tokens.add(f"{CANARY_TOKEN}-1")  # revoked server-side before expiry
    assert sender.send(get()).status_code == 200
    assert len(fake.token_calls) == 2
    assert [header[-2:] for header in fake.api_auth] == ["-1", "-1", "-2"]


def test_concurrent_401s_refresh_only_once(clock: VirtualClock) -> None:
    fake = FakeOracle()
    sender = sync_sender(fake, OracleOAuth(creds(), clock=clock), clock)
    sender.send(get())
    fake.rejected_tokens.add(f"{CANARY_TOKEN}-1")
    barrier = threading.Barrier(20)

    def call() -> int:
        barrier.wait()
        return sender.send(get()).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(lambda _: call(), range(20)))
    assert statuses == [200] * 20
    assert len(fake.token_calls) == 2


def test_second_401_fails_naming_the_step(clock: VirtualClock) -> None:
    fake = FakeOracle()
    fake.reject_all = True
    sender = sync_sender(fake, OracleOAuth(creds(), clock=clock), clock)
    with pytest.raises(AuthenticationError) as info:
        sender.send(get())
    assert "after a fresh OAuth token" in str(info.value)
    assert info.value.status == 401
    assert len(fake.token_calls) == 2
    assert len(fake.api_calls) == 2


@pytest.mark.anyio
async def test_async_401_refresh_and_second_401(clock: VirtualClock) -> None:
    fake = FakeOracle()
    sender = async_sender(fake, OracleOAuth(creds(), clock=clock), clock)
    await sender.send(get())
    fake.rejected_tokens.add(f"{CANARY_TOKEN}-1")
    assert (await sender.send(get())).status_code == 200
    assert len(fake.token_calls) == 2
    fake.reject_all = True
    with pytest.raises(AuthenticationError, match="fresh OAuth token"):
        await sender.send(get())


def _json(status: int, body: object) -> Callable[[int], httpx.Response]:
    return lambda _: httpx.Response(status, json=body)


@pytest.mark.parametrize(
    ("answer", "code", "text"),
    [
        (
            _json(401, {"error": "invalid_client", "error_description": "Client auth failed"}),
            "invalid_client",
            "check client_id and client_secret",
        ),
        (
            _json(400, {"error": "invalid_scope", "error_description": "Invalid scope"}),
            "invalid_scope",
            "check the scope",
        ),
        (
            lambda _: httpx.Response(
                200,
                text="<!DOCTYPE html><html>Sign in</html>",
                headers={"content-type": "text/html"},
            ),
            None,
            "HTML page",
        ),
        (lambda _: httpx.Response(502, text=f"Bad Gateway {CANARY_SECRET}"), None, "HTTP 502"),
        (_json(200, {"token_type": "Bearer", "expires_in": 3600}), None, "no access_token"),
        (
            _json(200, {"access_token": CANARY_TOKEN, "expires_in": "soon"}),
            None,
            "expires_in",
        ),
    ],
)
def test_token_endpoint_errors_are_clear(
    clock: VirtualClock,
    caplog: pytest.LogCaptureFixture,
    answer: Callable[[int], httpx.Response],
    code: str | None,
    text: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    fake = FakeOracle()
    fake.token_answer = answer
    auth = OracleOAuth(creds(), clock=clock)
    sender = sync_sender(fake, auth, clock)
    with pytest.raises(AuthenticationError) as info:
        sender.send(get())
    error = info.value
    assert "OAuth token request failed" in str(error)
    assert text in str(error)
    assert error.code == code
    assert fake.api_calls == []
    for shown in (str(error), repr(error), json.dumps(error.evidence()), caplog.text):
        assert CANARY_SECRET not in shown
        assert CANARY_TOKEN not in shown


def test_canaries_never_reach_logs_reprs_or_errors(
    clock: VirtualClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake = FakeOracle()
    credentials = creds()
    auth = OracleOAuth(credentials, clock=clock)
    sender = sync_sender(fake, auth, clock)
    sender.send(get())
    fake.reject_all = True
    with pytest.raises(AuthenticationError) as info:
        sender.send(get())
    shown = [
        repr(credentials),
        str(credentials),
        repr(auth),
        repr(sender),
        str(info.value),
        repr(info.value),
        json.dumps(info.value.evidence()),
        caplog.text,
    ]
    for text in shown:
        assert CANARY_SECRET not in text
        assert CANARY_TOKEN not in text


def test_basic_auth_for_development_pods(clock: VirtualClock) -> None:
    fake = FakeOracle()
    basic = make_auth(BasicCredentials("casey.brown", Secret(CANARY_SECRET)))
    sync_sender(fake, basic, clock).send(get())
    expected = base64.b64encode(f"casey.brown:{CANARY_SECRET}".encode()).decode()
    assert fake.api_calls[0].headers["Authorization"] == f"Basic {expected}"
    assert fake.token_calls == []
    assert CANARY_SECRET not in repr(basic)


@pytest.mark.parametrize(
    ("changes", "setting"),
    [
        ({"token_url": "http://idcs-1.identity.oraclecloud.com/oauth2/v1/token"}, "token_url"),
        ({"token_url": ""}, "token_url"),
        ({"token_url": "https://u:p@idcs-1.identity.oraclecloud.com/oauth2/v1/token"}, "token_url"),
        ({"client_id": " "}, "client_id"),
        ({"client_secret": ""}, "client_secret"),
        ({"scope": ""}, "scope"),
    ],
)
def test_bad_oauth_settings_are_refused(changes: dict[str, object], setting: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        creds(**changes)
    assert info.value.setting == setting
