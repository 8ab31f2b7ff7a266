"""The one place that sends bytes: :class:`SyncSender` and :class:`AsyncSender`.

Both twins share :class:`_BaseSender`, which does everything that is not I/O: building the
request, checking that credentials go only to the API's own hosts, classifying the response into
the error tree, deciding whether and how long to wait before a retry, and logging with redaction.
The twins only send and sleep.

Retries are driven by the ``backoff`` library wrapped once around the single send. The delay is
chosen by :func:`ml_connector._retry.retry_delay` and stored on the raised error; the wait itself
goes through the injected :class:`~ml_connector._clock.Clock` so tests never really sleep.

Creating requests (POST, PATCH) are not retried blindly: only failures that prove the server did
not act (a 429, or a connection that was never established) are retried, unless the caller
declares the request safe with ``retry_safe=True`` (for example after a find-before-create).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote_plus, urlsplit

import attrs
import backoff
import httpx

from ._clock import Clock, SystemClock
from ._errors import (
    ApiError,
    ConnectorError,
    RateLimitError,
    RequestTimeoutError,
    ResponseDecodeError,
    TransportError,
    UnsafeUrlError,
    error_class_for_status,
    truncate_body,
)
from ._json import loads
from ._ratelimit import RateLimiter
from ._redact import install_log_scrubbing, redact_url
from ._retry import parse_retry_after, retry_delay
from ._settings import HttpSettings

__all__ = [
    "AsyncClientMixin",
    "AsyncSender",
    "ErrorInfo",
    "ErrorParser",
    "Request",
    "SyncClientMixin",
    "SyncSender",
    "default_error_parser",
    "read_json",
]

logger = logging.getLogger("ml_connector.http")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_NOT_SENT_ERRORS: tuple[type[Exception], ...] = (httpx.ConnectError, httpx.ConnectTimeout)

_SPENT = httpx.ByteStream(b"")
"""The stream of a response whose body is read (see :meth:`_BaseSender.finish`); it holds no
state, so one serves every response."""


@attrs.frozen
class Request:
    """What a client asks the core to send.

    Attributes:
        method: HTTP method.
        url: A path relative to the base URL (``/orders``) or an absolute URL on an allowed host.
        params: Query parameters; ``None`` values are dropped.
        json: A JSON body (already in wire form: no Decimal or datetime).
        content: Raw body bytes (with ``headers`` giving the content type).
        headers: Extra headers for this request.
        retry_safe: Whether repeating the request can do no harm. ``None``: decided by method
            (GET, HEAD, OPTIONS, PUT, DELETE are safe; POST and PATCH are not).
    """

    method: str
    url: str
    params: Mapping[str, Any] | None = None
    json: Any = None
    content: bytes | None = None
    headers: Mapping[str, str] | None = None
    retry_safe: bool | None = None

    @property
    def is_retry_safe(self) -> bool:
        if self.retry_safe is not None:
            return self.retry_safe
        return self.method.upper() in IDEMPOTENT_METHODS


@attrs.frozen
class ErrorInfo:
    """What an API-specific parser extracted from an error response."""

    message: str
    code: str | None = None
    request_id: str | None = None
    details: tuple[Mapping[str, Any], ...] = ()


ErrorParser = Callable[[httpx.Response, Any], ErrorInfo]
"""Given the response and its decoded JSON body (or ``None``), describe the error."""


def _first_text(body: Mapping[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = body.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def default_error_parser(response: httpx.Response, body: Any) -> ErrorInfo:
    """A generic parser: ``message``/``title``/``detail`` keys, else the reason phrase."""
    if isinstance(body, Mapping):
        message = _first_text(body, "message", "Message", "title", "detail", "error_description")
        code = _first_text(body, "error_code", "o:errorCode", "code", "error")
        request_id = _first_text(body, "request_id", "requestId")
        if message:
            return ErrorInfo(message=message, code=code, request_id=request_id)
    reason = response.reason_phrase or "error"
    # A short text body is its own best message; a long one is not decoded here at all.
    short = _is_text(response) and len(response.content) <= 1200
    text = response.text.strip() if short else ""
    if text and len(text) <= 300 and "<" not in text:
        return ErrorInfo(message=f"{reason}: {text}")
    return ErrorInfo(message=f"HTTP {response.status_code} {reason}".strip())


def _is_text(response: httpx.Response) -> bool:
    ctype = response.headers.get("content-type", "").lower()
    return ctype.startswith("text/plain") or "json" in ctype or ctype == ""


def _maybe_json(response: httpx.Response) -> Any:
    ctype = response.headers.get("content-type", "").lower()
    if "json" not in ctype and response.content.lstrip()[:1] not in (b"{", b"["):
        return None
    try:
        return loads(response.content)
    except (ValueError, RecursionError):
        return None


def _decode_error(response: httpx.Response, message: str) -> ResponseDecodeError:
    """The error for a body that could not be read, with its evidence (built only here)."""
    request = response.request
    return ResponseDecodeError(
        message,
        method=request.method,
        url=redact_url(str(request.url)),
        status=response.status_code,
        request_id=_first_header(response, _REQUEST_ID_HEADERS),
        body=truncate_body(response.content),
    )


_REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-shipengine-request-id", "x-oracle-dms-ecid")


def _first_header(response: httpx.Response, names: tuple[str, ...]) -> str | None:
    for name in names:
        value: str | None = response.headers.get(name)
        if value:
            return value
    return None


def read_json(response: httpx.Response) -> Any:
    """Decode a response body as JSON, or raise :class:`ResponseDecodeError` with evidence.

    JSON numbers with a fraction or exponent become :class:`~decimal.Decimal`, so money never
    passes through float.

    ShipStation is known to answer HTML error pages with a 200 now and then; that is reported as
    a decode error, not passed on as data. A body nested too deeply for the decoder is a decode
    error too, never a ``RecursionError``. The evidence (method, redacted URL, status, request
    id, the body's first characters scrubbed) is built only when an error is raised, from a
    bounded slice of the body.
    """
    content = response.content
    ctype = response.headers.get("content-type", "").lower()
    head = content[:64].lstrip()[:15].lower()
    if "html" in ctype or head.startswith((b"<!doctype", b"<html")):
        raise _decode_error(response, "expected JSON but the server sent an HTML page")
    try:
        return loads(content)
    except RecursionError:
        raise _decode_error(
            response, f"body is nested too deeply to decode ({len(content)} bytes)"
        ) from None
    except ValueError as exc:
        if not content.strip():
            raise _decode_error(response, "expected JSON but the body was empty") from None
        raise _decode_error(response, f"body is not valid JSON ({exc.args[0]})") from None


def transport_error(request: httpx.Request, exc: httpx.TransportError) -> TransportError:
    """The error for a request that got no response, naming the host contacted and the cause.

    The host is the one the request actually went to (an OAuth token request names the
    identity domain, not the pod). The underlying cause (DNS failure, connection refused, TLS
    failure, timeout) is kept in the message and as ``__cause__``.
    """
    cls = RequestTimeoutError if isinstance(exc, httpx.TimeoutException) else TransportError
    host = request.url.host or "the server"
    cause = _root_cause(exc)
    error = cls(
        f"{type(exc).__name__}: no response from {host}{f' ({cause})' if cause else ''}",
        method=request.method,
        url=redact_url(str(request.url)),
    )
    error.host = host
    error.__cause__ = exc
    return error


def _root_cause(exc: BaseException) -> str:
    """The innermost reason an exception chain gives (``[Errno 111] Connection refused``)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    text = ""
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if str(current).strip():
            text = str(current).strip()
        current = current.__cause__ or current.__context__
    return text[:300]


class _Attempt:
    __slots__ = ("number",)

    def __init__(self) -> None:
        self.number = 0


class _BaseSender:
    """Everything about sending that is not I/O."""

    def __init__(
        self,
        settings: HttpSettings,
        *,
        auth: httpx.Auth | None = None,
        limiter: RateLimiter | None = None,
        clock: Clock | None = None,
        error_parser: ErrorParser | None = None,
        default_headers: Mapping[str, str] | None = None,
    ) -> None:
        self.settings = settings
        self.auth = auth
        self.limiter = limiter if limiter is not None else RateLimiter()
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.error_parser: ErrorParser = error_parser or default_error_parser
        self.default_headers = dict(default_headers or {})
        # httpx logs every request URL at INFO; our loggers log errors: scrub them all.
        install_log_scrubbing()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.settings.base_url!r})"

    # -- building -----------------------------------------------------------------------------

    def resolve_url(self, url: str) -> str:
        """Absolute URL for ``url``; refuses hosts and schemes that must not get credentials."""
        if url.startswith("/"):
            return self.settings.base_url + url
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise UnsafeUrlError(
                f"refusing to send to an unparseable URL {redact_url(url)!r}"
            ) from None
        allowed_schemes = ("https", "http") if self.settings.allow_http else ("https",)
        if parts.scheme.lower() not in allowed_schemes:
            raise UnsafeUrlError(f"refusing to send credentials over {parts.scheme or 'no'} scheme")
        if "@" in parts.netloc:
            raise UnsafeUrlError("refusing a URL with user info")
        base_port = urlsplit(self.settings.base_url).port
        if port is not None and port != base_port and port != 443:
            raise UnsafeUrlError(f"refusing to send credentials to port {port}")
        if not self.settings.host_allowed(parts.hostname or ""):
            raise UnsafeUrlError(
                f"refusing to send credentials to host {parts.hostname!r}; "
                f"only {self.settings.host!r} is allowed"
            )
        return url

    def build(self, client: httpx.Client | httpx.AsyncClient, request: Request) -> httpx.Request:
        headers = {"User-Agent": self.settings.user_agent, "Accept": "application/json"}
        headers.update(self.default_headers)
        if request.headers:
            headers.update(request.headers)
        url = _parsed_url(self.resolve_url(request.url))
        if request.params:
            # httpx replaces a URL's query when params are given; merge instead, so a pointer
            # URL such as ``/shipments?batchId=9`` keeps its filter when a page number is added.
            url = with_params(url, {k: v for k, v in request.params.items() if v is not None})
        if url.is_absolute_url and not client.params and not client.cookies and _build_fast_path():
            return _request(client, request.method.upper(), url, request, headers, self.settings)
        return client.build_request(
            request.method.upper(),
            url,
            json=request.json,
            content=request.content,
            headers=headers,
            timeout=self.settings.timeout,
        )

    # -- classifying --------------------------------------------------------------------------

    def request_id(self, response: httpx.Response) -> str | None:
        for name in self.settings.request_id_headers:
            value: str | None = response.headers.get(name)
            if value:
                return value
        return None

    def error_for(self, response: httpx.Response) -> ApiError:
        body = _maybe_json(response)
        info = self.error_parser(response, body)
        cls = error_class_for_status(response.status_code)
        kwargs: dict[str, Any] = {
            "method": response.request.method,
            "url": redact_url(str(response.request.url)),
            "status": response.status_code,
            "request_id": info.request_id or self.request_id(response),
            "body": truncate_body(response.content),
            "code": info.code,
            "details": info.details,
        }
        if cls is RateLimitError:
            after = parse_retry_after(response.headers.get("Retry-After"), self.clock.now())
            return RateLimitError(info.message, retry_after=after, **kwargs)
        return cls(info.message, **kwargs)

    def transport_error(self, request: httpx.Request, exc: httpx.TransportError) -> TransportError:
        return transport_error(request, exc)

    def plan_retry(
        self,
        error: ConnectorError,
        request: Request,
        attempt: int,
        *,
        headers: Mapping[str, str] | None,
        not_sent: bool = False,
    ) -> None:
        """Set ``error.retry_delay`` when the error may be retried, else leave it ``None``."""
        policy = self.settings.retry
        if attempt >= policy.max_attempts:
            return
        if isinstance(error, TransportError):
            if not policy.retry_transport_errors:
                return
            if not (request.is_retry_safe or not_sent):
                return
        elif isinstance(error, ApiError):
            if error.status not in policy.retry_statuses:
                return
            # A 429 proves the server did nothing; anything else only if repeating is harmless.
            if not (request.is_retry_safe or error.status == 429):
                return
        else:
            return
        error.retry_delay = retry_delay(
            policy, attempt, headers, self.clock.now(), status=error.status
        )

    def plan_auth_retry(self, error: ConnectorError, attempt: int) -> None:
        """Plan a retry for a failed token request (the API request was not sent)."""
        if error.retry_delay is not None or not isinstance(error, ApiError | TransportError):
            return
        self.plan_retry(error, Request("GET", error.url or ""), attempt, headers=None)

    def finish(
        self, request: Request, response: httpx.Response, attempt: int, elapsed_ms: float
    ) -> httpx.Response:
        """Log, feed the limiter, and raise the right error for a non-2xx response."""
        if response.is_closed:
            # httpx binds a response's stream to the response (``Bound(Async|Sync)Stream(...,
            # response=response)``): a reference cycle each, body and request included, that
            # only a full collection frees. The body is read (``send`` without
            # ``stream=True``), so the stream is spent: a finished one in its place lets
            # reference counting free the response as soon as it is dropped.
            response.stream = _SPENT
        self.limiter.observe(response.headers, self.clock.monotonic())
        if logger.isEnabledFor(logging.INFO):  # redacting a long URL is not free
            logger.info(
                "%s %s -> %d in %.0f ms",
                response.request.method,
                redact_url(str(response.request.url)),
                response.status_code,
                elapsed_ms,
            )
        if response.is_success:
            return response
        error = self.error_for(response)
        self.plan_retry(error, request, attempt, headers=response.headers)
        raise error

    def on_transport_error(
        self, request: Request, sent: httpx.Request, exc: httpx.TransportError, attempt: int
    ) -> TransportError:
        # The request that failed may be the auth flow's token request, not ``sent``.
        try:
            failed = exc.request
        except RuntimeError:
            failed = sent
        error = self.transport_error(failed, exc)
        if logger.isEnabledFor(logging.INFO):
            logger.info(
                "%s %s -> %s", failed.method, redact_url(str(failed.url)), type(exc).__name__
            )
        self.plan_retry(
            error, request, attempt, headers=None, not_sent=isinstance(exc, _NOT_SENT_ERRORS)
        )
        return error

    def log_retry(self, details: Mapping[str, Any]) -> float:
        error: ConnectorError = details["exception"]
        delay = error.retry_delay or 0.0
        logger.warning(
            "retrying %s %s after %s (try %d of %d) in %.2f s",
            error.method,
            error.url,
            type(error).__name__ if error.status is None else error.status,
            details["tries"] + 1,
            self.settings.retry.max_attempts,
            delay,
        )
        return delay


def _param(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


# -- URLs ---------------------------------------------------------------------------------------
# httpx checks and re-quotes a URL character by character in Python each time one is made or
# copied: about half a millisecond for an Oracle look-up whose ``q`` holds 40 keys, a seventh of
# a sync's CPU. The URLs of an API's resources repeat, so each is parsed once; a query made here
# is already in the form httpx would give it (``urlencode``, as ``httpx.QueryParams`` writes it:
# only unreserved characters, ``%XX``, ``+``, ``=`` and ``&``, which httpx's quoting leaves as
# they are), so it is set on the parsed URL without a second pass. :func:`_query_fast_path`
# checks, once, that the installed httpx builds the same URL both ways; else httpx's own
# ``copy_merge_params`` is used every time.


@functools.lru_cache(maxsize=1024)
def _parsed_url(url: str) -> httpx.URL:
    """``httpx.URL(url)``, parsed once per distinct URL (httpx URLs are immutable)."""
    return httpx.URL(url)


def _query_text(params: Mapping[str, Any]) -> str:
    """``str(httpx.QueryParams(params))`` for ``params`` with no ``None`` value: booleans as
    ``true``/``false``, a list or tuple as one pair per item, everything else ``str()``."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        for item in value if isinstance(value, list | tuple) else (value,):
            if item is True:
                text = "true"
            elif item is False:
                text = "false"
            elif item is None:
                text = ""
            else:
                text = item if type(item) is str else str(item)
            pairs.append((str(key), text))
    return "&".join([_quote(key) + "=" + _quote(text) for key, text in pairs])


_ALWAYS_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")
_QUOTED = {chr(code): f"%{code:02X}" for code in range(128)} | {" ": "+"}


def _quote(text: str) -> str:
    """``urllib.parse.quote_plus(text)`` (which ``urlencode`` applies to each key and value):
    for an ASCII text, one ``str.replace`` per distinct character to escape instead of a Python
    step per byte. ``%`` and ``+`` go first, as the other replacements bring them in."""
    if not text.isascii():
        return quote_plus(text)
    escape = set(text).difference(_ALWAYS_SAFE)
    if not escape:
        return text
    for char in ("%", "+"):
        if char in escape:
            text = text.replace(char, _QUOTED[char])
            escape.discard(char)
    for char in escape:
        text = text.replace(char, _QUOTED[char])
    return text


def _set_query(url: httpx.URL, query: str) -> httpx.URL:
    """``url`` with its (empty) query set to ``query``, which must be in httpx's quoted form."""
    made = httpx.URL.__new__(httpx.URL)
    made._uri_reference = url._uri_reference._replace(query=query)
    return made


@functools.cache
def _query_fast_path() -> bool:
    """Whether :func:`_set_query` gives what httpx's ``copy_merge_params`` gives, here."""
    params: Any = {"q": "Key='A-1 b';Unit=\"é\"/~%", "limit": 500, "flag": True, "xs": ["1", "2"]}
    base = httpx.URL("https://example.com/api/items")
    try:
        fast = _set_query(base, _query_text(params))
    except (AttributeError, TypeError):  # another httpx inside
        return False
    slow = base.copy_merge_params(params)
    return str(fast) == str(slow) and fast == slow and fast.params == slow.params


def with_params(url: httpx.URL, params: Mapping[str, Any]) -> httpx.URL:
    """``url.copy_merge_params(params)`` (``params`` without ``None`` values), without
    httpx's character-by-character second pass when ``url`` has no query of its own."""
    if not params:
        return url
    if not url.query and _query_fast_path():
        query = _query_text(params)
        if len(query) <= _MAX_QUERY:
            return _set_query(url, query)
    merged: Any = {k: _param(v) for k, v in params.items()}
    return url.copy_merge_params(merged)


_MAX_QUERY = 65536
"""httpx refuses a longer URL component; such a query goes through httpx (which says so)."""


# A request is built as ``client.build_request`` builds it, without its header merge: httpx
# copies the client's headers and then, for each of ours, scans the copy twice to drop the
# client's header of that name (a seventh of a request's cost on our side). :func:`_merged`
# drops them in one pass. Used for an absolute URL when the client has no params and no
# cookies (else ``build_request`` merges those too); :func:`_build_fast_path` checks, once,
# that the installed httpx builds the same request both ways.


def _merged(base: httpx.Headers, ours: Mapping[str, str]) -> httpx.Headers:
    """``base`` updated with ``ours`` as ``httpx.Headers.update`` does: every header of
    ``base`` named in ``ours`` (any case) dropped, then ``ours`` appended in order."""
    extra = httpx.Headers(ours)
    names = {lower for _, lower, _ in extra._list}
    merged = httpx.Headers()
    merged._list = [entry for entry in base._list if entry[1] not in names] + extra._list
    return merged


def _request(
    client: httpx.Client | httpx.AsyncClient,
    method: str,
    url: httpx.URL,
    request: Request,
    headers: Mapping[str, str],
    settings: HttpSettings,
) -> httpx.Request:
    return httpx.Request(
        method,
        url,
        json=request.json,
        content=request.content,
        headers=_merged(client.headers, headers),
        extensions={"timeout": httpx.Timeout(settings.timeout).as_dict()},
    )


@functools.cache
def _build_fast_path() -> bool:
    """Whether :func:`_request` builds what ``client.build_request`` builds, here."""
    headers = {"User-Agent": "ua", "accept": "application/json", "X-Extra": "e"}
    url = httpx.URL("https://example.com/api/items?limit=5")
    request = Request("POST", "/api/items", content=b'{"a":1}')
    settings = HttpSettings(base_url="https://example.com", timeout=7.5)
    # A client that never sends: no TLS context is made for it (loading the CA bundle would
    # cost more than the check).
    never = httpx.MockTransport(lambda _: httpx.Response(500))
    base = {"Accept": "*/*", "X-Base": "b", "x-extra": "old"}
    with httpx.Client(headers=base, transport=never, trust_env=False) as client:
        try:
            fast = _request(client, "POST", url, request, headers, settings)
        except (AttributeError, TypeError, ValueError):  # another httpx inside
            return False
        slow = client.build_request(
            "POST", url, content=request.content, headers=headers, timeout=settings.timeout
        )
    return (fast.method, fast.url, fast.headers.raw, fast.extensions, fast.read()) == (
        slow.method,
        slow.url,
        slow.headers.raw,
        slow.extensions,
        slow.read(),
    )


class _Cookies(httpx.Cookies):
    """httpx's cookie store, except that a response with no ``Set-Cookie`` header is not handed
    to ``http.cookiejar``, which would find nothing in it after httpx has wrapped the request
    and the response in urllib's shapes (a sixth of a request's cost on our side). A response
    that sets a cookie (a pod's load balancer, say) is stored as before."""

    def extract_cookies(self, response: httpx.Response) -> None:
        headers = response.headers
        if "set-cookie" in headers or "set-cookie2" in headers:
            super().extract_cookies(response)


class _Client(httpx.Client):
    """The ``httpx.Client`` a sender makes for itself (never one it is given): its cookies are
    a :class:`_Cookies`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cookies = kwargs.get("cookies")

    @property
    def cookies(self) -> httpx.Cookies:
        return self._store

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        self._store = _Cookies(cookies)


class _AsyncClient(httpx.AsyncClient):
    """The asyncio twin of :class:`_Client`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cookies = kwargs.get("cookies")

    @property
    def cookies(self) -> httpx.Cookies:
        return self._store

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        self._store = _Cookies(cookies)


def _giveup(error: Exception) -> bool:
    return not isinstance(error, ConnectorError) or error.retry_delay is None


class SyncSender(_BaseSender):
    """Sends requests with a blocking ``httpx.Client``.

    Args:
        settings: Where and how to send.
        auth: The ``httpx.Auth`` for this API (never seen by the rest of the core).
        client: An ``httpx.Client`` to use; the sender does not close one it was given.
        transport: An ``httpx`` transport for a client the sender creates (tests, simulators).
        limiter: A rate limiter to share (with the async twin of the same client, say).
        clock: The time source.
        error_parser: API-specific error body parser.
        default_headers: Headers sent on every request (e.g. ``REST-Framework-Version``).
    """

    def __init__(
        self,
        settings: HttpSettings,
        *,
        auth: httpx.Auth | None = None,
        client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        limiter: RateLimiter | None = None,
        clock: Clock | None = None,
        error_parser: ErrorParser | None = None,
        default_headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(
            settings,
            auth=auth,
            limiter=limiter,
            clock=clock,
            error_parser=error_parser,
            default_headers=default_headers,
        )
        self._owns_client = client is None
        self.client = client or _Client(
            transport=transport, follow_redirects=False, **settings.client_options()
        )
        self._send_with_retry = backoff.on_exception(
            backoff.constant,
            ConnectorError,
            interval=0,
            jitter=None,
            max_tries=settings.retry.max_attempts,
            giveup=_giveup,
            on_backoff=self._wait_before_retry,
            logger=None,
        )(self._send_once)

    def _wait_before_retry(self, details: Any) -> None:
        self.clock.sleep(self.log_retry(details))

    def _send_once(self, request: Request, attempt: _Attempt) -> httpx.Response:
        attempt.number += 1
        sent = self.build(self.client, request)
        self.clock.sleep(self.limiter.reserve(self.clock.monotonic()))
        start = self.clock.monotonic()
        try:
            response = self.client.send(sent, auth=self.auth)
        except httpx.TransportError as exc:
            raise self.on_transport_error(request, sent, exc, attempt.number) from exc
        except ConnectorError as exc:
            # Raised by the auth flow (a token request that failed): the API request itself
            # was never sent, so a retryable status may be retried whatever the method.
            self.plan_auth_retry(exc, attempt.number)
            raise
        elapsed = (self.clock.monotonic() - start) * 1000
        return self.finish(request, response, attempt.number, elapsed)

    def send(self, request: Request) -> httpx.Response:
        """Send ``request``, retrying per policy; return a 2xx response or raise."""
        response: httpx.Response = self._send_with_retry(request, _Attempt())
        return response

    def close(self) -> None:
        """Close the HTTP client if the sender created it."""
        if self._owns_client:
            self.client.close()


class AsyncSender(_BaseSender):
    """The asyncio twin of :class:`SyncSender`, over ``httpx.AsyncClient``."""

    def __init__(
        self,
        settings: HttpSettings,
        *,
        auth: httpx.Auth | None = None,
        client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        limiter: RateLimiter | None = None,
        clock: Clock | None = None,
        error_parser: ErrorParser | None = None,
        default_headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(
            settings,
            auth=auth,
            limiter=limiter,
            clock=clock,
            error_parser=error_parser,
            default_headers=default_headers,
        )
        self._owns_client = client is None
        self.client = client or _AsyncClient(
            transport=transport, follow_redirects=False, **settings.client_options()
        )
        self._send_with_retry = backoff.on_exception(
            backoff.constant,
            ConnectorError,
            interval=0,
            jitter=None,
            max_tries=settings.retry.max_attempts,
            giveup=_giveup,
            on_backoff=self._wait_before_retry,
            logger=None,
        )(self._send_once)

    async def _wait_before_retry(self, details: Any) -> None:
        await self.clock.async_sleep(self.log_retry(details))

    async def _send_once(self, request: Request, attempt: _Attempt) -> httpx.Response:
        attempt.number += 1
        sent = self.build(self.client, request)
        await self.clock.async_sleep(self.limiter.reserve(self.clock.monotonic()))
        start = self.clock.monotonic()
        try:
            response = await self.client.send(sent, auth=self.auth)
        except httpx.TransportError as exc:
            raise self.on_transport_error(request, sent, exc, attempt.number) from exc
        except ConnectorError as exc:
            # Raised by the auth flow (a token request that failed): the API request itself
            # was never sent, so a retryable status may be retried whatever the method.
            self.plan_auth_retry(exc, attempt.number)
            raise
        elapsed = (self.clock.monotonic() - start) * 1000
        return self.finish(request, response, attempt.number, elapsed)

    async def send(self, request: Request) -> httpx.Response:
        """Send ``request``, retrying per policy; return a 2xx response or raise."""
        response: httpx.Response = await self._send_with_retry(request, _Attempt())
        return response

    async def aclose(self) -> None:
        """Close the HTTP client if the sender created it."""
        if self._owns_client:
            await self.client.aclose()


class SyncClientMixin:
    """What every blocking API client does with its sender: context manager, close, limiter."""

    _sender: SyncSender

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP client if this client created it."""
        self._sender.close()

    @property
    def limiter(self) -> RateLimiter:
        """The rate limiter (pass it to a twin to share one budget)."""
        return self._sender.limiter


class AsyncClientMixin:
    """The asyncio twin of :class:`SyncClientMixin`."""

    _sender: AsyncSender

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client if this client created it."""
        await self._sender.aclose()

    @property
    def limiter(self) -> RateLimiter:
        """The rate limiter (pass it to a twin to share one budget)."""
        return self._sender.limiter
