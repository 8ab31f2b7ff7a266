"""Oracle Fusion authentication as ``httpx.Auth`` flows: OAuth 2.0 client credentials, or Basic.

OAuth tokens come from the OCI IAM identity domain tied to the pod
(``https://idcs-<id>.identity.oraclecloud.com/oauth2/v1/token``): a form POST with
``grant_type=client_credentials`` and the scope verbatim, the client id and secret in a Basic
``Authorization`` header
(https://docs.oracle.com/en/industries/financial-services/ofs-analytical-applications/funds-transfer-pricing-cloud/26d/ftpug/client-credentials-grant-type.html).

How the flow behaves:

- The token request is *yielded* from the auth flow, so the client's one sender still sends
  every byte; the rest of the core never sees the token.
- A token is cached until ``expires_in`` minus a skew (read on the injected clock).
- Concurrent callers trigger exactly one token request: threads wait on a ``threading.Lock``,
  tasks on an ``anyio.Lock``; whoever gets the lock second finds the fresh token.
- A 401 drops the token (only if nobody replaced it already), fetches a new one and retries the
  request once; a second 401 raises :class:`~ml_connector.AuthenticationError` naming the step.
- Token endpoint failures (``invalid_client``, ``invalid_scope``, HTML pages, garbage) become
  ``AuthenticationError`` with the OAuth error code, never the secret or a token.

Everything that is not I/O (building the token request, reading its answer, the cache rules)
is in plain methods shared by the sync and async flows; only locking and reading differ.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncGenerator, Generator
from typing import Any
from urllib.parse import urlencode

import anyio
import attrs
import httpx

from ml_connector._clock import Clock, SystemClock
from ml_connector._errors import (
    AuthenticationError,
    ConfigurationError,
    truncate_body,
)
from ml_connector._json import loads
from ml_connector._redact import MASK, Secret, basic_authorization, redact_url
from ml_connector._settings import validate_https_url

__all__ = [
    "BasicCredentials",
    "OAuthClientCredentials",
    "OracleBasicAuth",
    "OracleOAuth",
    "make_auth",
]

logger = logging.getLogger(__name__)

_FORM_TYPE = "application/x-www-form-urlencoded;charset=UTF-8"


def _check_token_url(
    instance: OAuthClientCredentials, attribute: attrs.Attribute[str], value: str
) -> None:
    validate_https_url(value, setting="token_url", allow_path=True)


def _non_empty(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    text = value.reveal() if isinstance(value, Secret) else value
    if not isinstance(text, str):
        raise ConfigurationError(
            f"must be text, not {type(value).__name__}", setting=attribute.name
        )
    if not text.strip():
        raise ConfigurationError("must not be empty", setting=attribute.name)


def _to_secret(value: str | Secret) -> Secret:
    if isinstance(value, Secret) or not isinstance(value, str):
        return value  # a non-text value is refused by the validator, naming the setting
    return Secret(value)


def _skew(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise ConfigurationError(
            f"must be a number of seconds >= 0, got {value!r}", setting=attribute.name
        )


@attrs.frozen
class OAuthClientCredentials:
    """OAuth 2.0 client-credentials settings for the pod's identity domain.

    Attributes:
        token_url: ``https://idcs-<id>.identity.oraclecloud.com/oauth2/v1/token``.
        client_id: The confidential application's client id.
        client_secret: Its secret (a :class:`~ml_connector.Secret`; plain strings are wrapped).
        scope: Sent verbatim, typically
            ``urn:opc:resource:fa:instanceid=<id>urn:opc:resource:consumer::all`` (the
            audience and scope concatenated; the accepted forms are UNCERTAIN, so no rewriting).
        skew: Seconds before ``expires_in`` runs out at which the token is renewed.
    """

    token_url: str = attrs.field(validator=_check_token_url)
    client_id: str = attrs.field(validator=_non_empty)
    client_secret: Secret = attrs.field(converter=_to_secret, validator=_non_empty)
    scope: str = attrs.field(validator=_non_empty)
    skew: float = attrs.field(default=60.0, validator=_skew)


@attrs.frozen
class BasicCredentials:
    """HTTP Basic credentials of a Fusion user (development pods).

    Attributes:
        username: The Fusion user name.
        password: Its password (a :class:`~ml_connector.Secret`; plain strings are wrapped).
    """

    username: str = attrs.field(validator=_non_empty)
    password: Secret = attrs.field(converter=_to_secret, validator=_non_empty)


def _basic_header(user: str, password: str) -> str:
    # The base64 of ``user:password`` is remembered as a secret, so an echo of the header is
    # masked like the password itself.
    return basic_authorization(user, password)


class OracleBasicAuth(httpx.Auth):
    """Basic auth whose repr never shows the password."""

    def __init__(self, credentials: BasicCredentials) -> None:
        self._header = _basic_header(credentials.username, credentials.password.reveal())
        self._username = credentials.username

    def __repr__(self) -> str:
        return f"OracleBasicAuth(username={self._username!r})"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request


@attrs.frozen
class _Token:
    value: Secret
    expires_at: float
    generation: int


class OracleOAuth(httpx.Auth):
    """OAuth 2.0 client-credentials flow with a shared token cache (sync and async).

    Args:
        credentials: Token URL, client id and secret, scope, skew.
        clock: Time source for expiry (a virtual clock in tests).
        timeout: Seconds allowed for the token request.
    """

    def __init__(
        self,
        credentials: OAuthClientCredentials,
        *,
        clock: Clock | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.credentials = credentials
        self.timeout = timeout
        self.clock: Clock = clock if clock is not None else SystemClock()
        self._token: _Token | None = None
        self._generation = 0
        self._thread_lock = threading.Lock()
        self._async_lock = anyio.Lock()
        self.token_requests = 0
        """How many token requests this flow has sent (for diagnostics and tests)."""

    def __repr__(self) -> str:
        return (
            f"OracleOAuth(token_url={redact_url(self.credentials.token_url)!r}, "
            f"client_id={self.credentials.client_id!r})"
        )

    # -- I/O-free core ----------------------------------------------------------------------------

    def cached_token(self) -> _Token | None:
        """The cached token if it is still good at the clock's current time."""
        token = self._token
        if token is not None and self.clock.monotonic() < token.expires_at:
            return token
        return None

    def _fresh_after(self, used: _Token | None) -> _Token | None:
        """A cached good token other than ``used`` (someone refreshed while we waited)."""
        token = self.cached_token()
        if token is not None and (used is None or token.generation != used.generation):
            return token
        return None

    def drop(self, used: _Token | None) -> None:
        """Forget ``used`` unless another caller has already replaced it."""
        current = self._token
        if current is not None and used is not None and current.generation == used.generation:
            self._token = None

    def build_token_request(self) -> httpx.Request:
        """The client-credentials token request."""
        creds = self.credentials
        body = urlencode({"grant_type": "client_credentials", "scope": creds.scope})
        # Shown by the CLI's --debug; the client secret travels only in the Basic header.
        logger.debug(
            "POST %s (OAuth token request: client_id=%s, grant_type=client_credentials, "
            "Authorization: Basic %s)",
            redact_url(creds.token_url),
            creds.client_id,
            MASK,
        )
        return httpx.Request(
            "POST",
            creds.token_url,
            content=body.encode("ascii"),
            headers={
                "Content-Type": _FORM_TYPE,
                "Accept": "application/json",
                "Authorization": _basic_header(creds.client_id, creds.client_secret.reveal()),
            },
            extensions={"timeout": httpx.Timeout(self.timeout).as_dict()},
        )

    def accept_token_response(self, response: httpx.Response) -> _Token:
        """Read a (read) token response, cache the token, or raise a clear error."""
        self.token_requests += 1
        url = redact_url(self.credentials.token_url)
        logger.info("POST %s (OAuth token) -> %d", url, response.status_code)
        evidence: dict[str, Any] = {"method": "POST", "url": url, "status": response.status_code}
        ctype = response.headers.get("content-type", "").lower()
        head = response.content.lstrip()[:15].lower()
        if "html" in ctype or head.startswith((b"<!doctype", b"<html")):
            raise AuthenticationError(
                f"OAuth token request failed: the token endpoint answered HTTP "
                f"{response.status_code} with an HTML page, not JSON; check token_url (it must be "
                "the pod's identity domain .../oauth2/v1/token)",
                body=self._scrub(response.content),
                **evidence,
            )
        try:
            body = loads(response.content) if response.content.strip() else None
        except (ValueError, RecursionError):
            body = None
        if not response.is_success:
            code = body.get("error") if isinstance(body, dict) else None
            detail = body.get("error_description") if isinstance(body, dict) else None
            hint = {
                "invalid_client": "check client_id and client_secret",
                "invalid_scope": "check the scope string (audience + scope, verbatim)",
                "unauthorized_client": "enable the client-credentials grant for the app",
                "invalid_grant": "check the application's allowed grant types",
            }.get(str(code), "see the identity domain's audit log")
            what = f"{code}" if code else f"HTTP {response.status_code}"
            if isinstance(detail, str) and detail.strip():
                # The server's words, cut short; secrets in them are masked by the error itself.
                what += f" ({detail.strip()[:300]})"
            raise AuthenticationError(
                f"OAuth token request failed: {what}; {hint}",
                body=self._scrub(response.content),
                code=str(code) if code else None,
                **evidence,
            )
        if not isinstance(body, dict):
            raise AuthenticationError(
                "OAuth token request failed: the token endpoint's answer is not a JSON object",
                body=self._scrub(response.content),
                **evidence,
            )
        access = body.get("access_token")
        if not isinstance(access, str) or not access:
            raise AuthenticationError(
                "OAuth token request failed: the answer has no access_token", **evidence
            )
        token_type = body.get("token_type", "Bearer")
        if not isinstance(token_type, str) or token_type.lower() != "bearer":
            raise AuthenticationError(
                f"OAuth token request failed: unsupported token_type {token_type!r}", **evidence
            )
        lifetime = body.get("expires_in", 3600)
        if isinstance(lifetime, str) and lifetime.isdigit():
            lifetime = int(lifetime)
        if isinstance(lifetime, bool) or not isinstance(lifetime, int | float) or lifetime <= 0:
            raise AuthenticationError(
                f"OAuth token request failed: expires_in {lifetime!r} is not a positive number",
                **evidence,
            )
        # Renew `skew` seconds early; a lifetime shorter than the skew is used for half its span.
        usable = max(float(lifetime) - self.credentials.skew, float(lifetime) / 2)
        self._generation += 1
        token = _Token(Secret(access), self.clock.monotonic() + usable, self._generation)
        self._token = token
        return token

    @staticmethod
    def authorize(request: httpx.Request, token: _Token) -> None:
        request.headers["Authorization"] = f"Bearer {token.value.reveal()}"

    @staticmethod
    def _scrub(body: bytes) -> str | None:
        """The body's first characters with every secret masked (the client secret and every
        token are known to the one scrubber, even when a server echoes them)."""
        return truncate_body(body)

    def second_401(self, response: httpx.Response, token: _Token) -> AuthenticationError:
        request = response.request
        return AuthenticationError(
            "request rejected with 401 even after a fresh OAuth token: the token is valid but "
            "Fusion does not accept it (wrong identity domain or scope, or the client's Fusion "
            "user lacks the role)",
            method=request.method,
            url=redact_url(str(request.url)),
            status=401,
            body=self._scrub(response.content),
        )

    # -- sync flow --------------------------------------------------------------------------------

    def _sync_token(self, used: _Token | None) -> Generator[httpx.Request, httpx.Response, _Token]:
        token = self._fresh_after(used)
        if token is not None:
            return token
        with self._thread_lock:
            token = self._fresh_after(used)
            if token is None:
                response = yield self.build_token_request()
                response.read()
                token = self.accept_token_response(response)
        return token

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        token = yield from self._sync_token(None)
        self.authorize(request, token)
        response = yield request
        if response.status_code != 401:
            return
        self.drop(token)
        token = yield from self._sync_token(token)
        self.authorize(request, token)
        response = yield request
        if response.status_code == 401:
            response.read()
            raise self.second_401(response, token)

    # -- async flow -------------------------------------------------------------------------------

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        # Async generators cannot `yield from` a token step: the two attempts are one loop.
        used: _Token | None = None
        for attempt in range(2):
            token = self._fresh_after(used)
            if token is None:
                async with self._async_lock:
                    token = self._fresh_after(used)
                    if token is None:
                        reply = yield self.build_token_request()
                        await reply.aread()
                        token = self.accept_token_response(reply)
            self.authorize(request, token)
            response = yield request
            if response.status_code != 401:
                return
            if attempt:
                await response.aread()
                raise self.second_401(response, token)
            self.drop(token)
            used = token


def make_auth(
    credentials: OAuthClientCredentials | BasicCredentials,
    *,
    clock: Clock | None = None,
    timeout: float = 30.0,
) -> httpx.Auth:
    """The ``httpx.Auth`` for ``credentials``."""
    if isinstance(credentials, OAuthClientCredentials):
        return OracleOAuth(credentials, clock=clock, timeout=timeout)
    return OracleBasicAuth(credentials)
