"""The last line of defence: nothing that looks like a credential lands in the audit trail.

Errors and payloads are already redacted where they are made (``ConnectorError`` truncates and
scrubs bodies, URLs pass through :func:`~ml_connector.redact_url`). The trail is kept for years
and read by people who hold no credentials, so every value is scrubbed once more on its way in:
keys named like credentials lose their values, and strings lose bearer tokens, JWTs,
``key=value`` secrets and URL user info.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ml_connector._redact import MASK, redact_url

__all__ = ["is_sensitive_key", "scrub", "scrub_text"]

# Compared after lower-casing and dropping everything but letters and digits, so that
# ``client_secret``, ``Client-Secret`` and ``clientSecret`` are one name.
_SENSITIVE_KEYS = frozenset(
    {
        "accesstoken",
        "apikey",
        "apisecret",
        "authorization",
        "clientsecret",
        "cookie",
        "idtoken",
        "passwd",
        "password",
        "privatekey",
        "proxyauthorization",
        "refreshtoken",
        "secret",
        "setcookie",
        "token",
        "xapikey",
    }
)
_SENSITIVE_SUFFIXES = ("password", "secret", "apikey", "accesstoken", "refreshtoken")

_AUTH_SCHEME = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_KEY_VALUE = re.compile(
    r"""(?ix)
    ("?(?:access_token|refresh_token|id_token|client_secret|api[-_]?key|api[-_]?secret|
        password|passwd|secret|token|authorization)"?\s*[:=]\s*"?(?:(?:bearer|basic)\s+)?)
    ([^"&\s,}]+)
    """
)
_URL = re.compile(r"https?://[^\s\"'<>]+")


def is_sensitive_key(key: str) -> bool:
    """Whether a mapping key names a credential (``password``, ``client_secret``, ...)."""
    norm = re.sub(r"[^a-z0-9]", "", key.lower())
    return norm in _SENSITIVE_KEYS or norm.endswith(_SENSITIVE_SUFFIXES)


def scrub_text(text: str) -> str:
    """``text`` with URL user info, secret query values, tokens and ``key=value`` secrets masked."""
    text = _URL.sub(lambda m: redact_url(m.group(0)), text)
    text = _AUTH_SCHEME.sub(lambda m: f"{m.group(1)} {MASK}", text)
    text = _JWT.sub(MASK, text)
    # A value already masked by the URL pass stays as it is.
    return _KEY_VALUE.sub(lambda m: m.group(1) + MASK, text)


def scrub(value: Any) -> Any:
    """A copy of a JSON-like ``value`` with credential keys masked and every string scrubbed."""
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, Mapping):
        return {
            key: (
                MASK
                if isinstance(key, str) and is_sensitive_key(key) and item is not None
                else scrub(item)
            )
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [scrub(item) for item in value]
    return value
