"""The one scrubber: no secret leaves the library in any text it raises, logs, returns or stores.

Two layers, applied together by :func:`scrub_text` (and :func:`scrub` for JSON-like values):

1. **Known secrets.** Every credential the library is given (every :class:`Secret`: ShipStation
   V1 key and secret, V2 api-key, Oracle client secret, Basic password) and every token it
   receives (Oracle access tokens are wrapped in a :class:`Secret` as they arrive) is
   remembered, with the encodings it travels in (base64 of ``user:password`` as sent in a Basic
   ``Authorization`` header, JSON-escaped and percent-encoded forms). Any occurrence is masked,
   whatever a server or proxy echoes back and wherever it ends up. The memory is process-wide
   on purpose: a secret echoed by one client's server may surface in another object's text
   (an audit event, a run summary, a log line), and only values of :data:`MIN_KNOWN_LENGTH`
   characters or more are remembered, so that short values do not mask ordinary words.
2. **Patterns.** Whatever we were never given still looks like a credential: ``Bearer``/
   ``Basic`` values, JWTs, ``password=...``/``"client_secret": "..."`` pairs, URL user info and
   credential-named query values (:func:`redact_url`).

Errors are scrubbed when they are made (:class:`~ml_connector.ConnectorError`), the audit trail
scrubs every value on its way in, the library's loggers carry :class:`ScrubbingFilter` (DEBUG
included), and the CLI scrubs what it prints.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import json
import logging
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urlsplit, urlunsplit

import attrs

__all__ = [
    "MASK",
    "MIN_KNOWN_LENGTH",
    "SENSITIVE_QUERY_KEYS",
    "ScrubbingFilter",
    "Secret",
    "basic_authorization",
    "excerpt",
    "install_log_scrubbing",
    "isolated_secrets",
    "is_sensitive_key",
    "redact_error",
    "redact_url",
    "remember_secret",
    "scrub",
    "scrub_text",
    "TextScrubber",
    "text_scrubber",
]

MASK = "***"

MIN_KNOWN_LENGTH = 6
"""Known secrets shorter than this are not searched for in free text (they would mask ordinary
words); the patterns still mask them where they appear as a credential (``password=...``)."""

_MAX_KNOWN = 4096
"""How many known secrets are kept (oldest forgotten first: rotated tokens expire anyway)."""

_MAX_DEPTH = 64
"""How deep :func:`scrub` descends into nested values before replacing the rest."""

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


# -- known secrets --------------------------------------------------------------------------------


class _Known:
    """The secrets this process was given or received, and one regular expression over them."""

    def __init__(self) -> None:
        # Re-entrant: a scrub can run on this thread while the lock is held (a finalizer that
        # garbage collection runs inside re.compile logs, and logs are scrubbed). With a plain
        # Lock the 10,000-order fault suite hung for good in pattern().
        self._lock = threading.RLock()
        self._values: dict[str, None] = {}
        self._pattern: re.Pattern[str] | None = None
        self._numeric = False
        self.longest = 0

    def add(self, value: str) -> None:
        forms = {value, json.dumps(value)[1:-1], quote(value, safe=""), quote_plus(value)}
        with self._lock:
            for form in forms:
                if len(form) < MIN_KNOWN_LENGTH or form in self._values:
                    continue
                self._values[form] = None
                self._pattern = None
                self.longest = max(self.longest, len(form))
            while len(self._values) > _MAX_KNOWN:
                del self._values[next(iter(self._values))]

    def snapshot(self) -> dict[str, None]:
        with self._lock:
            return dict(self._values)

    def restore(self, values: dict[str, None]) -> None:
        with self._lock:
            self._values = dict(values)
            self._pattern = None
            self.longest = max(map(len, self._values), default=0)

    def pattern(self) -> re.Pattern[str] | None:
        return self.state()[0]

    def state(self) -> tuple[re.Pattern[str] | None, bool]:
        """The pattern, and whether a known secret could be found in a number's text."""
        with self._lock:
            if self._pattern is None and self._values:
                # Longest first, so that a value containing another is masked whole.
                alternatives = sorted(self._values, key=len, reverse=True)
                self._pattern = re.compile("|".join(map(re.escape, alternatives)))
                self._numeric = any(_NUMBER_CHARS.issuperset(form) for form in alternatives)
            return self._pattern, self._numeric and self._pattern is not None


_NUMBER_CHARS = frozenset("0123456789.-+E")
"""Every character ``str()`` of a finite Decimal or of an int may hold."""


_KNOWN = _Known()


def remember_secret(value: str) -> None:
    """Mask ``value`` (and its JSON-escaped and percent-encoded forms) in every scrubbed text.

    Called for every :class:`Secret` and for derived values such as a Basic header's base64.
    """
    if isinstance(value, str) and value:
        _KNOWN.add(value)


@contextlib.contextmanager
def isolated_secrets() -> Iterator[None]:
    """Forget, on exit, the secrets remembered inside the block (test isolation only).

    A test that configures a client with ShipStation's documented example key ``ShipStation``
    would otherwise mask that word in every later test's texts.
    """
    saved = _KNOWN.snapshot()
    try:
        yield
    finally:
        _KNOWN.restore(saved)


def basic_authorization(user: str, password: str) -> str:
    """The ``Authorization`` value for HTTP Basic, its base64 remembered as a secret."""
    encoded = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    remember_secret(encoded)
    return "Basic " + encoded


@attrs.frozen(repr=False)
class Secret:
    """A credential. Its ``repr`` and ``str`` never show the value; call :meth:`reveal`.

    Creating one also remembers the value, so that it is masked in every text the library
    scrubs, even when a server echoes it back.
    """

    _value: str = attrs.field(alias="value")

    def __attrs_post_init__(self) -> None:
        remember_secret(self._value)

    def reveal(self) -> str:
        """The secret value, for the one place that sends it."""
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__


# -- patterns -------------------------------------------------------------------------------------

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

_AUTH_SCHEME = re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]{6,}")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_KEY_VALUE = re.compile(
    r"""(?ix)
    ((?:\\?")?(?:access[-_]?token|refresh[-_]?token|id[-_]?token|client[-_]?secret|
        (?:x-)?api[-_]?key|api[-_]?secret|password|passwd|secret|token|authorization)
     (?:\\?")?\s*[:=]\s*(?:\\?")?(?:(?:bearer|basic)\s+)?)
    ((?:(?!\\")[^"&\s,}])+)
    """
)
_URL = re.compile(r"https?://[^\s\"'<>\\]+")
# What every match of the four patterns above contains: a text with none of these (and no known
# secret) comes out of :func:`scrub_text` as it went in. ``_URL`` needs ``http://`` or
# ``https://``, ``_AUTH_SCHEME`` ``bearer`` or ``basic``, ``_JWT`` ``eyJ``, and each name
# ``_KEY_VALUE`` knows holds ``token``, ``secret``, ``key``, ``passw`` or ``authorization``, in
# any case. (A superset: a text that only looks suspect takes the full path.) An ASCII text is
# lower-cased and searched for each word (a few plain substring searches); any other text with
# the regular expression, whose case-insensitive matching also takes e.g. the long s for an s.
_SUSPECT = re.compile(r"(?i:token|secret|key|passw|authorization|bearer|basic)|eyJ|https?://")


def _suspect(text: str) -> bool:
    """Whether ``text`` holds something the patterns of :func:`scrub_text` may match."""
    if not text.isascii():
        return _SUSPECT.search(text) is not None
    low = text.lower()
    return (
        "key" in low
        or "token" in low
        or "secret" in low
        or "passw" in low
        or "authorization" in low
        or "bearer" in low
        or "basic" in low
        or "eyj" in low
        or "http" in low
    )


_MEMO_TEXT = 128
_MEMO_SIZE = 8192
_MEMO: tuple[re.Pattern[str] | None, dict[str, str]] = (None, {})
"""Short texts scrubbed (text -> result), for one set of known secrets (its pattern). A new set
starts a new table, so an entry is only ever read with the set it was made with (a thread still
on an older set fills a table of its own). Plain strings, no tuples: nothing for the garbage
collector to walk."""


def _memo_for(known: re.Pattern[str] | None) -> dict[str, str]:
    """The memo table of ``known``."""
    global _MEMO
    memo = _MEMO
    if memo[0] is not known:
        memo = _MEMO = (known, {})
    return memo[1]


@functools.lru_cache(maxsize=4096)
def is_sensitive_key(key: str) -> bool:
    """Whether a mapping key names a credential (``password``, ``client_secret``, ...)."""
    norm = re.sub(r"[^a-z0-9]", "", key.lower())
    return norm in _SENSITIVE_KEYS or norm.endswith(_SENSITIVE_SUFFIXES)


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


def _url(match: re.Match[str]) -> str:
    url = match.group(0)
    # Only user info and query values can hold a credential; other URLs stay as written.
    return redact_url(url) if "@" in url or "?" in url else url


def scrub_text(text: str, *, pairs: bool = True) -> str:
    """``text`` with every known secret, token, credential pair and URL credential masked.

    ``pairs=False`` leaves ``name: value`` pairs alone (known secrets, ``Bearer``/``Basic``
    values, JWTs and URL credentials are still masked): for the library's own structured output,
    such as the CLI's ``"token": "ok"``, whose values came through the full scrubber already.
    """
    if not text:
        return text
    return _scrub_text(text, pairs, _KNOWN.pattern())


def _scrub_text(text: str, pairs: bool, known: re.Pattern[str] | None) -> str:
    """:func:`scrub_text` with the known secrets' pattern already read."""
    # Payload strings repeat (item numbers, codes, keys of every record): a short text is
    # scrubbed once per set of known secrets (the memo entry names the set it was made with).
    table = _memo_for(known) if pairs and len(text) <= _MEMO_TEXT else None
    if table is not None:
        hit = table.get(text)
        if hit is not None:
            return hit
    original = text
    if _suspect(text) or (known is not None and known.search(text) is not None):
        text = _mask(text, pairs, known)
    if table is not None:
        if len(table) >= _MEMO_SIZE:
            table.clear()
        table[original] = text
    return text


def _mask(text: str, pairs: bool, known: re.Pattern[str] | None) -> str:
    """Every pattern of :func:`scrub_text` applied to ``text``, in order."""
    if known is not None:
        text = known.sub(MASK, text)
    text = _URL.sub(_url, text)
    text = _AUTH_SCHEME.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
    text = _JWT.sub(MASK, text)
    if not pairs:
        return text
    # A value already masked by an earlier pass stays as it is.
    return _KEY_VALUE.sub(lambda m: m.group(1) + MASK, text)


class TextScrubber:
    """:func:`scrub_text` of one string at a time, bound to the known secrets as they are when
    it is made (:func:`text_scrubber`).

    For a walk over many strings (an audit payload): the known secrets' pattern is read once
    and a short string's memo entry is looked up without a further call. ``known`` tells apart
    the sets of known secrets (a cache of scrubbed texts keeps it with each entry).
    """

    __slots__ = ("known", "memo_get", "numbers_clean")

    def __init__(self) -> None:
        self.known: re.Pattern[str] | None
        self.known, numeric = _KNOWN.state()
        self.numbers_clean = not numeric
        """No known secret is made only of the characters of a number's text (digits, ``.``,
        ``-``, ``+``, ``E``): such a text comes out of the scrubber as it went in (no pattern
        matches a text without letters other than ``E``)."""
        self.memo_get = _memo_for(self.known).get
        """Look-ups in the memo of short texts scrubbed with ``known``: text -> result."""

    def __call__(self, text: str) -> str:
        if not text:
            return text
        if len(text) <= _MEMO_TEXT:
            hit = self.memo_get(text)
            if hit is not None:
                return hit
        return _scrub_text(text, True, self.known)


def text_scrubber() -> TextScrubber:
    """A :class:`TextScrubber` for the known secrets as they are now."""
    return TextScrubber()


def scrub(value: Any, _depth: int = 0) -> Any:
    """A copy of a JSON-like ``value`` with credential keys masked and every string scrubbed.

    Values nested deeper than 64 levels are replaced by a marker rather than walked.
    """
    return _scrub(value, _depth, _KNOWN.pattern())


def _scrub(value: Any, _depth: int, known: re.Pattern[str] | None) -> Any:
    if isinstance(value, str):
        return _scrub_text(value, True, known) if value else value
    if _depth >= _MAX_DEPTH and isinstance(value, Mapping | list | tuple):
        return "<nested too deeply>"
    if isinstance(value, Mapping):
        return {
            (_scrub_text(key, True, known) if isinstance(key, str) and key else key): (
                MASK
                if isinstance(key, str) and is_sensitive_key(key) and item is not None
                else _scrub(item, _depth + 1, known)
            )
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_scrub(item, _depth + 1, known) for item in value]
    return value


def excerpt(body: str | bytes, limit: int) -> str:
    """The first ``limit`` characters of ``body``, scrubbed; only a bounded window is read.

    The window is longer than what is kept by the longest known secret plus a margin for the
    patterns, so that a secret crossing the cut is masked whole; when the body goes on past the
    window, the window's last stretch is dropped before cutting, so that a secret cut by the
    window's own end cannot show its first characters. Bytes are decoded as UTF-8 (invalid
    sequences replaced), and only the window's bytes are decoded.
    """
    margin = max(_KNOWN.longest, 256)
    size = limit + 2 * margin
    if isinstance(body, bytes):
        # At most 4 bytes a character in UTF-8, so ``size`` characters fit in ``4 * size`` bytes.
        window = body[: 4 * size].decode("utf-8", "replace")[:size]
        # A full window may have more after it (conservative: its tail is dropped).
        more = len(window) == size or len(body) > 4 * size
        unit = "bytes"
        rest = len(body) - len(window[:limit].encode())
    else:
        window = body[:size]
        more = len(body) > size
        unit = "characters"
        rest = len(body) - limit
    cleaned = scrub_text(window)
    if more:
        cleaned = cleaned[: max(len(cleaned) - margin, 0)]
    if more or len(cleaned) > limit:
        return cleaned[:limit] + f"... [{max(rest, 0)} more {unit}]"
    return cleaned


# -- logging --------------------------------------------------------------------------------------


class ScrubbingFilter(logging.Filter):
    """Scrubs a log record's message (arguments merged in) and its traceback text."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_ml_connector_scrubbed", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: let logging report it as usual
            return True
        record.msg = scrub_text(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub_text(record.exc_text)
        record._ml_connector_scrubbed = True
        return True


_LOGGERS = ("ml_connector", "httpx", "httpcore")


def install_log_scrubbing() -> None:
    """Put a :class:`ScrubbingFilter` on the library's loggers and on httpx's (once each)."""
    names = [
        name for name in list(logging.root.manager.loggerDict) if name.split(".", 1)[0] in _LOGGERS
    ]
    for name in {*_LOGGERS, *names}:
        logger = logging.getLogger(name)
        if not any(isinstance(f, ScrubbingFilter) for f in logger.filters):
            logger.addFilter(ScrubbingFilter())


# -- errors as data -------------------------------------------------------------------------------

_MESSAGE_LIMIT = 2000
"""Characters of an error message kept by :func:`redact_error`."""


def redact_error(
    error: BaseException | Mapping[str, Any] | str | None,
    *,
    prepare: Callable[[Any], Any] | None = None,
) -> dict[str, Any] | None:
    """``error`` as a JSON-ready dict with nothing secret in it.

    An exception with an ``evidence()`` method (every :class:`~ml_connector.ConnectorError`)
    gives that; any other exception its type and message; a mapping is kept; a string becomes
    ``{"message": ...}``. ``prepare`` turns the values into plain JSON types first (the audit
    trail's rules). Every string is scrubbed and a long message is cut.
    """
    if error is None:
        return None
    data: Any
    evidence = getattr(error, "evidence", None)
    if isinstance(error, BaseException) and callable(evidence):
        data = evidence()
    elif isinstance(error, BaseException):
        data = {"type": type(error).__name__, "message": str(error)}
    elif isinstance(error, str):
        data = {"message": error}
    else:
        data = error
    if prepare is not None:
        data = prepare(data)
    cleaned = dict(scrub(data))
    message = cleaned.get("message")
    if isinstance(message, str) and len(message) > _MESSAGE_LIMIT:
        cleaned["message"] = message[:_MESSAGE_LIMIT] + "..."
    return cleaned
