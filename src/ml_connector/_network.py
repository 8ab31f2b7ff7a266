"""Enterprise networks: an explicit proxy and a custom CA bundle for the HTTP clients.

Both are optional fields of :class:`~ml_connector.HttpSettings` (and
:class:`~ml_connector.OracleFusionSettings`). Without them httpx's defaults apply: the
``HTTPS_PROXY``/``NO_PROXY`` environment variables and certifi's CA certificates
(https://www.python-httpx.org/advanced/proxies/, https://www.python-httpx.org/advanced/ssl/).
A proxy URL may carry credentials (``http://user:pass@proxy:3128``): reprs redact them.
"""

from __future__ import annotations

import ssl
from typing import Any
from urllib.parse import urlsplit

from ._errors import ConfigurationError
from ._redact import redact_url

__all__ = ["check_ca_bundle", "check_proxy", "client_options", "proxy_repr"]


def check_proxy(value: str | None, *, setting: str = "proxy") -> None:
    """Refuse a proxy URL httpx cannot use (``http://`` or ``https://`` with a host).

    Raises:
        ConfigurationError: naming ``setting``, without echoing credentials.
    """
    if value is None:
        return
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 -- raises on a malformed port
    except (ValueError, TypeError):
        raise ConfigurationError("is not a valid proxy URL", setting=setting) from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ConfigurationError(
            f"must be an http:// or https:// proxy URL, not {parts.scheme or 'no scheme'!r}",
            setting=setting,
        )
    if not parts.hostname:
        raise ConfigurationError("has no host", setting=setting)


def check_ca_bundle(value: str | None, *, setting: str = "ca_bundle") -> None:
    """Refuse an empty CA bundle path (the file itself is read when a client is built)."""
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ConfigurationError("must be the path of a PEM file", setting=setting)


def proxy_repr(value: str | None) -> str:
    """A proxy URL for reprs: credentials redacted."""
    return "None" if value is None else repr(redact_url(value))


def client_options(proxy: str | None, ca_bundle: str | None) -> dict[str, Any]:
    """Keyword arguments for ``httpx.Client``/``AsyncClient``: only what was configured.

    Raises:
        ConfigurationError: the CA bundle cannot be read or is not PEM certificates.
    """
    options: dict[str, Any] = {}
    if proxy is not None:
        options["proxy"] = proxy
    if ca_bundle is not None:
        try:
            options["verify"] = ssl.create_default_context(cafile=ca_bundle)
        except (OSError, ssl.SSLError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise ConfigurationError(
                f"cannot load CA certificates from {ca_bundle}: {reason}", setting="ca_bundle"
            ) from None
    return options
