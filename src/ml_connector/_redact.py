"""Keeping secrets out of logs, reprs, exceptions and the audit trail.

:class:`Secret` wraps a credential so that printing a settings object never shows it, and
:func:`redact_url` strips user info and masks credential-looking query values before a URL is
logged or stored on an error.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import attrs

__all__ = ["SENSITIVE_QUERY_KEYS", "Secret", "redact_url"]

SENSITIVE_QUERY_KEYS: frozenset[str] = frozenset(
    {
        "access_token",
        "api-key",
        "api_key",
        "apikey",
        "apisecret",
        "api_secret",
        "client_secret",
        "code",
        "key",
        "password",
        "secret",
        "sig",
        "signature",
        "token",
    }
)
MASK = "***"


@attrs.frozen(repr=False)
class Secret:
    """A credential. Its ``repr`` and ``str`` never show the value; call :meth:`reveal`."""

    _value: str = attrs.field(alias="value")

    def reveal(self) -> str:
        """The secret value, for the one place that sends it."""
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__


def redact_url(url: str, sensitive: frozenset[str] = SENSITIVE_QUERY_KEYS) -> str:
    """``url`` without user info and with sensitive query values replaced by ``***``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable url>"
    netloc = parts.netloc.rsplit("@", 1)[-1]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode(
            [(k, MASK if k.lower() in sensitive else v) for k, v in pairs], safe="*:/,;'=@"
        )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))
