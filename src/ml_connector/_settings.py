"""Frozen settings shared by every client: base URL, timeouts, retry policy, user agent."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import attrs

from ._errors import ConfigurationError
from ._network import check_ca_bundle, check_proxy, client_options, proxy_repr
from ._retry import RetryPolicy
from ._version import __version__

__all__ = [
    "DEFAULT_USER_AGENT",
    "HttpSettings",
    "flag",
    "header_text",
    "integer",
    "of_type",
    "seconds",
    "validate_https_url",
]

DEFAULT_USER_AGENT = f"ml-connector/{__version__}"


def validate_https_url(
    value: str,
    *,
    setting: str,
    allow_path: bool = False,
    allow_http: bool = False,
) -> str:
    """Return ``value`` without a trailing slash if it is a safe base URL, else raise.

    Refuses empty values, schemes other than https (http only with ``allow_http``, for local
    test servers), user info, query strings and fragments, and paths unless ``allow_path``.

    Raises:
        ConfigurationError: naming ``setting``.
    """
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError("must be a non-empty URL", setting=setting)
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError as exc:
        raise ConfigurationError(f"is not a valid URL ({exc})", setting=setting) from None
    allowed = ("https", "http") if allow_http else ("https",)
    if parts.scheme.lower() not in allowed:
        raise ConfigurationError(
            f"must use https, not {parts.scheme or 'no scheme'!r}", setting=setting
        )
    if not parts.hostname:
        raise ConfigurationError("has no host", setting=setting)
    if "@" in parts.netloc:
        raise ConfigurationError("must not contain user info", setting=setting)
    if parts.query or parts.fragment:
        raise ConfigurationError("must not contain a query or fragment", setting=setting)
    if not allow_path and parts.path not in ("", "/"):
        raise ConfigurationError("must be a bare host URL without a path", setting=setting)
    del port
    return value.strip().rstrip("/")


# -- validators that name the setting ------------------------------------------------------------
#
# attrs' own validators raise ValueError/TypeError; a settings object must raise
# ConfigurationError naming the setting, as the docs promise, so the CLI can list it with the
# other configuration problems.

Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]


def seconds(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A positive, finite number of seconds (``int`` or ``float``, not ``bool``)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigurationError(
            f"must be a number of seconds, not {type(value).__name__}", setting=attribute.name
        )
    if not math.isfinite(value) or value <= 0:
        raise ConfigurationError(
            f"must be a positive number of seconds, got {value!r}", setting=attribute.name
        )


def integer(minimum: int, maximum: int | None = None, *, why: str = "") -> Validator:
    """An ``int`` (not ``bool``, not text) within ``minimum..maximum``."""

    def check(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigurationError(
                f"must be an integer, not {type(value).__name__} {value!r}",
                setting=attribute.name,
            )
        if value < minimum or (maximum is not None and value > maximum):
            bound = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
            raise ConfigurationError(f"must be {bound}{why}, got {value}", setting=attribute.name)

    return check


def of_type(kind: type | tuple[type, ...], what: str, *, optional: bool = False) -> Validator:
    """An instance of ``kind`` (``None`` too when ``optional``); ``what`` names it for people."""

    def check(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if optional and value is None:
            return
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise ConfigurationError(
                f"must be {what}, not {type(value).__name__}", setting=attribute.name
            )

    return check


flag = of_type(bool, "True or False")


def header_text(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """Text sent in a header: a non-empty string without line breaks (no header injection)."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError("must be a non-empty string", setting=attribute.name)
    if any(ch in value for ch in "\r\n\0"):
        raise ConfigurationError("must not contain line breaks", setting=attribute.name)


def _pattern(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str):
        raise ConfigurationError("must be a regular expression string", setting=attribute.name)
    try:
        re.compile(value)
    except re.error as exc:
        raise ConfigurationError(
            f"is not a valid regular expression ({exc})", setting=attribute.name
        ) from None


def _header_names(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, tuple) or not all(isinstance(v, str) and v for v in value):
        raise ConfigurationError("must be a tuple of header names", setting=attribute.name)


def _strip_slash(value: str) -> str:
    return value.strip().rstrip("/") if isinstance(value, str) else value


def _check_base_url(instance: HttpSettings, attribute: attrs.Attribute[str], value: str) -> None:
    validate_https_url(value, setting="base_url", allow_path=True, allow_http=instance.allow_http)


@attrs.frozen
class HttpSettings:
    """How one API is reached.

    Attributes:
        base_url: Root of the API, https.
        timeout: Seconds for connect, read, write and pool waits.
        retry: The retry policy.
        user_agent: Sent on every request.
        extra_hosts: Regular expression (full match, lower case) of other hosts that may
            receive this client's credentials, e.g. ShipStation's numbered ``ssapiN`` hosts
            that webhook pointers name. Empty: only the base URL's host.
        request_id_headers: Response headers that carry the vendor's request id.
        allow_http: Permit ``http://`` (local test servers only; never for real credentials).
        proxy: Proxy URL for every request (``http://proxy.example.com:3128``); ``None``:
            httpx's default, which honours ``HTTPS_PROXY``/``NO_PROXY``.
        ca_bundle: PEM file of CA certificates to trust instead of certifi's (a corporate
            TLS-inspecting proxy); ``None``: the default bundle.
    """

    base_url: str = attrs.field(converter=_strip_slash, validator=_check_base_url)
    timeout: float = attrs.field(default=30.0, validator=seconds)
    retry: RetryPolicy = attrs.field(
        factory=RetryPolicy, validator=of_type(RetryPolicy, "a RetryPolicy")
    )
    user_agent: str = attrs.field(default=DEFAULT_USER_AGENT, validator=header_text)
    extra_hosts: str = attrs.field(default="", validator=_pattern)
    request_id_headers: tuple[str, ...] = attrs.field(
        default=(
            "x-request-id",
            "request-id",
            "x-shipengine-request-id",
            "x-oracle-dms-ecid",
        ),
        validator=_header_names,
    )
    allow_http: bool = attrs.field(default=False, validator=flag)
    # Enterprise networks (see _network.py).
    proxy: str | None = attrs.field(
        default=None, repr=proxy_repr, validator=lambda _i, _a, v: check_proxy(v)
    )
    ca_bundle: str | None = attrs.field(
        default=None, validator=lambda _i, _a, v: check_ca_bundle(v)
    )

    def client_options(self) -> dict[str, Any]:
        """``httpx.Client`` keyword arguments for the proxy and CA bundle, if set."""
        return client_options(self.proxy, self.ca_bundle)

    @property
    def host(self) -> str:
        """The base URL's host name, lower case."""
        return (urlsplit(self.base_url).hostname or "").lower()

    def host_allowed(self, host: str) -> bool:
        """Whether credentials for this API may be sent to ``host``."""
        host = host.lower().rstrip(".")
        if host == self.host:
            return True
        return bool(self.extra_hosts) and re.fullmatch(self.extra_hosts, host) is not None
