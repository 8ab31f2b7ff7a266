"""Frozen settings shared by every client: base URL, timeouts, retry policy, user agent."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import attrs

from ._errors import ConfigurationError
from ._network import check_ca_bundle, check_proxy, client_options, proxy_repr
from ._retry import RetryPolicy
from ._version import __version__

__all__ = ["DEFAULT_USER_AGENT", "HttpSettings", "validate_https_url"]

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
    timeout: float = attrs.field(default=30.0, validator=attrs.validators.gt(0))
    retry: RetryPolicy = attrs.field(factory=RetryPolicy)
    user_agent: str = DEFAULT_USER_AGENT
    extra_hosts: str = ""
    request_id_headers: tuple[str, ...] = (
        "x-request-id",
        "request-id",
        "x-shipengine-request-id",
        "x-oracle-dms-ecid",
    )
    allow_http: bool = False
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
