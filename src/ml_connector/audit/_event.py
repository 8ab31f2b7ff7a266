"""Audit events: immutable facts about one record's way from ShipStation into Oracle.

An :class:`AuditEvent` is JSON-ready by construction: the mapped payload is held as canonical
JSON text (sorted keys, no spaces, ``Decimal`` written as its exact text, datetimes as UTC
ISO-8601) together with its SHA-256, and the error is a redacted, JSON-ready dict. Nothing that
looks like a credential survives :func:`new_event`.
"""

from __future__ import annotations

import enum
import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import attrs

from ml_connector._clock import Clock, unix_millis
from ml_connector._errors import AuditError
from ml_connector._json import _string, dumps, loads
from ml_connector._redact import (
    _MAX_DEPTH,
    _MEMO_SIZE,
    _MEMO_TEXT,
    MASK,
    TextScrubber,
    _memo_for,
    _suspect,
    is_sensitive_key,
    scrub,
    scrub_text,
    text_scrubber,
)
from ml_connector._redact import redact_error as _redact_error

__all__ = [
    "AuditEvent",
    "RecordRef",
    "Stage",
    "canonical_json",
    "content_hash",
    "dump_canonical",
    "ensure_utc",
    "format_utc",
    "new_correlation_id",
    "new_event",
    "new_event_id",
    "parse_utc",
    "payload_of",
    "redact_error",
]


class Stage(enum.StrEnum):
    """Where a record is on its way into Oracle.

    ``posting`` is written by every shipment sync ahead of a post: the record is about to be
    sent and its outcome is not known yet. It is not final: the next run looks the record up in
    Oracle before anything else (which is what lets ``trust_audit_trail=True`` skip the look-up
    of records with no event at all).
    """

    FETCHED = "fetched"
    MAPPED = "mapped"
    POSTING = "posting"
    SKIPPED = "skipped"
    POSTED = "posted"
    ALREADY_POSTED = "already-posted"
    FAILED = "failed"
    REPLAYED = "replayed"
    REVERSED = "reversed"


def format_utc(value: datetime) -> str:
    """``value`` as fixed-width UTC ISO-8601 (``2026-01-15T17:00:00.000000Z``), which sorts as text.

    Raises:
        AuditError: ``value`` is naive.
    """
    last = _LAST_UTC  # one read: moment and text stay a pair across threads
    if value == last[0] and value.tzinfo is not None:
        # The same instant as the last one written (the events of one write share a clock
        # reading): the text depends on the instant only.
        return last[1]
    utc = ensure_utc(value)
    if utc.year < 1000:  # strftime's %Y is not zero-padded there: keep its text
        return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    # The same text as the strftime above, about twice as fast (claims stamp every key).
    text = utc.isoformat(timespec="microseconds")[:-6] + "Z"
    _remember_utc(utc, text)
    return text


def _remember_utc(moment: datetime, text: str) -> None:
    global _LAST_UTC
    _LAST_UTC = (moment, text)


_LAST_UTC: tuple[datetime, str] = (datetime(1970, 1, 1, tzinfo=UTC), "1970-01-01T00:00:00.000000Z")
"""The last instant :func:`format_utc` wrote, and its text."""


def parse_utc(text: str) -> datetime:
    """Parse an ISO-8601 timestamp with an offset into an aware UTC datetime.

    Raises:
        AuditError: the text is not such a timestamp.
    """
    try:
        value = datetime.fromisoformat(text)
    except (TypeError, ValueError) as exc:
        raise AuditError(f"not an ISO-8601 timestamp: {text!r}") from exc
    return ensure_utc(value)


def ensure_utc(value: datetime) -> datetime:
    """``value`` converted to UTC. Raises AuditError when it is naive."""
    if value.tzinfo is UTC and type(value) is datetime:
        return value  # already UTC (the common case): what ``astimezone`` would return
    if value.tzinfo is None or value.utcoffset() is None:
        raise AuditError(f"audit timestamps must be timezone-aware, got naive {value.isoformat()}")
    return value.astimezone(UTC)


@attrs.frozen
class RecordRef:
    """Which source record an event is about, e.g. ShipStation shipment 123.

    Attributes:
        system: The source system (``"shipstation"``).
        kind: The record type in that system (``"shipment"``, ``"order"``, ``"product"``).
        id: The record's id in that system, as text.
    """

    system: str
    kind: str
    id: str

    def __str__(self) -> str:
        return f"{self.system} {self.kind} {self.id}"


def _json_safe(value: Any, path: str, *, floats: bool) -> Any:
    """``value`` as plain JSON types: Decimal and datetimes become exact text, floats refused."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise AuditError(f"{path}: {value} is not a finite amount")
        return str(value)
    if isinstance(value, float):
        if floats:
            return repr(value)
        raise AuditError(f"{path}: float {value!r} in an audited payload; money must be Decimal")
    if isinstance(value, datetime):
        return format_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return _json_safe(value.value, path, floats=floats)
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v, f"{path}.{k}", floats=floats) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v, f"{path}[{i}]", floats=floats) for i, v in enumerate(value)]
    raise AuditError(f"{path}: {type(value).__name__} is not JSON-ready; unstructure it first")


def dump_canonical(value: Any) -> str:
    """Plain JSON ``value`` as canonical text (sorted keys, no spaces, UTF-8 kept)."""
    return dumps(value, sort_keys=True, floats=True)


def canonical_json(payload: Any) -> str:
    """The canonical JSON text of a JSON-ready ``payload``, scrubbed of credentials.

    Keys are sorted, there is no whitespace, ``Decimal`` is written as its exact text
    (``"10.50"`` stays ``"10.50"``), datetimes as UTC ISO-8601. Parsing the result and calling
    this again gives the same text, so the hash of a stored payload can be checked on read.

    Raises:
        AuditError: the payload holds a float, a non-finite Decimal, a naive datetime or an
            object that is not JSON-ready.
    """
    scrub_one = text_scrubber()
    unseen: list[str] = []
    if _plain(payload, 0, scrub_one, unseen) and _all_clean(unseen, scrub_one):
        return _encode_plain(payload)
    try:
        return _canonical(payload, 0, scrub_one)
    except _Refused as refused:
        path = "$" + "".join(reversed(refused.parts))
        raise AuditError(f"{path}: {refused.reason}") from None


# What :func:`canonical_json` does in one walk, each step the same as the three it replaces
# (``_json_safe``, then ``scrub``, then ``dump_canonical``): a value is made JSON-ready, every
# string (a Decimal's and a datetime's text included) scrubbed, a credential key's value masked,
# keys sorted. One walk instead of three, and an error's path is built only when one is raised.
# The exact types payloads are made of (dict, list, str, Decimal, int, None) are taken first.

_MASKED = _string(MASK)
_TOO_DEEP = _string("<nested too deeply>")


class _Refused(Exception):
    """A value that is not JSON-ready, on its way up to :func:`canonical_json` (which names
    its path: each level adds its key or index)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.parts: list[str] = []


_Keys = dict[str, tuple[object, str, str, bool]]
_KEYS: _Keys = {}
"""Object keys seen (they repeat in every payload): the known secrets they were scrubbed
under, the scrubbed key, its JSON text with the ``:`` after it, and whether it names a
credential."""
_KEYS_SIZE = 4096


_PLAIN_KEYS: tuple[object, set[str]] = (object(), set())
"""Object keys :func:`_plain` found plain (text, not a credential's name, unchanged by the
scrubber) under the known secrets named first: a dict whose keys are all among them needs no
key-by-key check. A key of another type equal to one of them (a ``StrEnum`` member) is written
as the same text by the encoder and the full walk alike."""


def _plain_keys(scrub_one: TextScrubber) -> set[str]:
    global _PLAIN_KEYS
    keys: set[str] = set()
    _PLAIN_KEYS = (scrub_one.known, keys)
    return keys


def _key(name: str, scrub_one: TextScrubber) -> tuple[object, str, str, bool]:
    entry = _KEYS.get(name)
    if entry is None or entry[0] is not scrub_one.known:
        scrubbed = scrub_one(name)
        entry = (scrub_one.known, scrubbed, _string(scrubbed) + ":", is_sensitive_key(name))
        if len(_KEYS) >= _KEYS_SIZE:
            _KEYS.clear()
        _KEYS[name] = entry
    return entry


def _canonical(value: Any, depth: int, scrub_one: TextScrubber) -> str:
    cls = type(value)
    if cls is str:
        return _string(scrub_one(value))
    if cls is dict:
        return _object(value, depth, scrub_one)
    if cls is list or cls is tuple:
        return _array(value, depth, scrub_one)
    if value is None:
        return "null"
    if cls is Decimal and value.is_finite():
        return _string(scrub_one(str(value)))
    if cls is int:
        return int.__repr__(value)
    return _other(value, depth, scrub_one)


def _object(value: Mapping[Any, Any], depth: int, scrub_one: TextScrubber) -> str:
    if depth >= _MAX_DEPTH:
        _object(value, _UNBOUNDED, scrub_one)  # refused values are refused all the same
        return _TOO_DEEP
    texts: dict[str, str] = {}
    for key, item in value.items():
        cls = type(item)
        if cls is str:
            text = _string(scrub_one(item))
        elif item is None:
            text = "null"
        else:
            try:
                text = _canonical(item, depth + 1, scrub_one)
            except _Refused as refused:
                refused.parts.append(f".{key}")
                raise
        _, scrubbed, prefix, sensitive = _key(key if type(key) is str else str(key), scrub_one)
        if sensitive and text != "null":
            text = _MASKED
        texts[scrubbed] = prefix + text
    return "{" + ",".join([texts[k] for k in sorted(texts)]) + "}"


def _array(value: list[Any] | tuple[Any, ...], depth: int, scrub_one: TextScrubber) -> str:
    if depth >= _MAX_DEPTH:
        _array(value, _UNBOUNDED, scrub_one)
        return _TOO_DEEP
    parts: list[str] = []
    for index, item in enumerate(value):
        try:
            parts.append(_canonical(item, depth + 1, scrub_one))
        except _Refused as refused:
            refused.parts.append(f"[{index}]")
            raise
    return "[" + ",".join(parts) + "]"


def _other(value: Any, depth: int, scrub_one: TextScrubber) -> str:
    """The types payloads are rarely made of, in :func:`_json_safe`'s order."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _string(scrub_one(value))
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise _Refused(f"{value} is not a finite amount")
        return _string(scrub_one(str(value)))
    if isinstance(value, float):
        raise _Refused(f"float {value!r} in an audited payload; money must be Decimal")
    if isinstance(value, datetime):
        return _string(scrub_one(format_utc(value)))
    if isinstance(value, date):
        return _string(scrub_one(value.isoformat()))
    if isinstance(value, enum.Enum):
        return _canonical(value.value, depth, scrub_one)
    if isinstance(value, Mapping):
        return _object(value, depth, scrub_one)
    if isinstance(value, list | tuple):
        return _array(value, depth, scrub_one)
    raise _Refused(f"{type(value).__name__} is not JSON-ready; unstructure it first")


# The common case: a payload of dicts with text keys, lists, texts, ints, None and finite
# Decimals, no credential key, nothing the scrubber would change, not too deep. Then the three
# steps give exactly what the standard library's C encoder gives with the same rules (sorted
# keys, no spaces, UTF-8 kept, a Decimal as its ``str()`` text), so :func:`_plain` only checks
# that it is so (each text through the scrubber, as the full walk does) and the C encoder
# writes it; anything else takes the full walk.

_PLAIN_ENCODER = json.JSONEncoder(
    ensure_ascii=False,
    check_circular=False,
    allow_nan=False,
    sort_keys=True,
    separators=(",", ":"),
    default=str,  # reached by finite Decimals only (see _plain)
)

_C_ENCODER: Any = getattr(json.encoder, "c_make_encoder", None)
_PLAIN_C: Any = (
    None
    if _C_ENCODER is None
    else _C_ENCODER(None, str, _string, None, ":", ",", True, False, False)
)
"""What :data:`_PLAIN_ENCODER` runs for each ``encode`` (the standard library's C encoder, with
the same markers, default, string escaper, separators and flags), made once."""


def _encode_plain(payload: Any) -> str:
    """``_PLAIN_ENCODER.encode(payload)``."""
    if _PLAIN_C is None:
        return _PLAIN_ENCODER.encode(payload)
    return "".join(_PLAIN_C(payload, 0))


def _plain(
    value: Any, depth: int, scrub_one: TextScrubber, unseen: list[str] | None = None
) -> bool:
    """Whether ``value`` is in the common case (see above) and may be written directly.

    ``unseen``: where the texts the scrubber's memo does not hold are put, for
    :func:`_all_clean` to check together (the caller must); without it each is scrubbed here.
    """
    cls = type(value)
    if cls is dict:
        items: Any = value.values()
        if depth >= _MAX_DEPTH:
            return False
        known, plain_keys = _PLAIN_KEYS  # one read: the pair stays a pair across threads
        if known is not scrub_one.known:
            plain_keys = _plain_keys(scrub_one)
        if not value.keys() <= plain_keys:  # keys seen plain before: one check in C
            for key in value:
                if type(key) is not str:
                    return False
                _, scrubbed, _, sensitive = _key(key, scrub_one)
                if sensitive or scrubbed != key:
                    return False
                if len(plain_keys) < _KEYS_SIZE:
                    plain_keys.add(key)
    elif cls is list or cls is tuple:
        items = value
        if depth >= _MAX_DEPTH:
            return False
    else:
        return _plain_leaf(value, scrub_one)
    memo_get = scrub_one.memo_get
    for item in items:
        kind = type(item)
        if kind is str:
            # The scrubber's memo first (most texts repeat), as the scrubber itself does.
            hit = memo_get(item)
            if hit is not None:
                if hit != item:
                    return False
            elif unseen is not None:
                unseen.append(item)
            elif scrub_one(item) != item:
                return False
        elif item is None or kind is int:
            continue
        elif kind is Decimal and scrub_one.numbers_clean:
            if not item.is_finite():
                return False
        elif not _plain(item, depth + 1, scrub_one, unseen):
            return False
    return True


_JOIN = "\n"
"""What :func:`_all_clean` puts between texts: no word the scrubber looks for holds it."""


def _all_clean(texts: list[str], scrub_one: TextScrubber) -> bool:
    """Whether the scrubber leaves every one of ``texts`` as it is (as ``scrub_one(text) ==
    text`` for each says), checked on all of them at once.

    Many texts of a payload are met once (keys, ids, dates, comments): scrubbing each is a
    call and two searches apiece. A text is changed by the scrubber only where a known secret
    or one of its patterns matches, and every such match holds what :func:`_suspect` looks
    for; both are plain searches (no anchors, no look-around), so a match in one text is a
    match in the texts joined. When the joined text holds neither, no text is changed; when
    it does (a text that only looks suspect, or a match made across two texts), each text is
    scrubbed on its own, as before.
    """
    if not texts:
        return True
    joined = _JOIN.join(texts)
    known = scrub_one.known
    if _suspect(joined) or (known is not None and known.search(joined) is not None):
        return all(scrub_one(text) == text for text in texts)
    # Each short text is the scrubber's answer for itself: kept in its memo, as scrubbing it
    # would have kept it (the texts that repeat are then found there, and not searched again).
    memo = _memo_for(known)
    for text in texts:
        if len(text) <= _MEMO_TEXT:
            if len(memo) >= _MEMO_SIZE:
                memo.clear()
            memo[text] = text
    return True


def _plain_leaf(value: Any, scrub_one: TextScrubber) -> bool:
    cls = type(value)
    if cls is str:
        text: str = value
        return scrub_one(text) == text
    if value is None or cls is int or cls is bool:
        return True
    if cls is Decimal:
        if not value.is_finite():
            return False
        if scrub_one.numbers_clean:
            return True
        number = str(value)
        return scrub_one(number) == number
    return False


_UNBOUNDED = -(2**62)
"""A depth from which the depth limit is never reached (a too-deep part is still checked)."""


def content_hash(text: str) -> str:
    """SHA-256 of ``text`` (UTF-8) as lower-case hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def payload_of(event: AuditEvent) -> Any:
    """The payload of ``event`` parsed back from its canonical JSON (None when it has none)."""
    return None if event.payload is None else loads(event.payload)


_LAST_HASH: tuple[str, str] = ("", content_hash(""))
"""The last payload hashed and its digest: an event's default hash is checked by its validator
right after (the same text object), and is not worked out twice."""


def _hash_default(event: AuditEvent) -> str | None:
    global _LAST_HASH
    text = event.payload
    if text is None:
        return None
    last = _LAST_HASH  # one read: text and digest stay a pair across threads
    if last[0] is text:
        return last[1]
    digest = content_hash(text)
    _LAST_HASH = (text, digest)
    return digest


def _check_hash(event: AuditEvent, attribute: attrs.Attribute[Any], value: str | None) -> None:
    expected = _hash_default(event)
    if value != expected:
        raise AuditError(
            f"event {event.event_id}: payload_sha256 {value} does not match the stored payload"
            f" ({expected})"
        )


def _scrub_error(value: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    # Whoever builds the event (new_event, a replay, a trail read back), the sink gets it clean.
    return None if value is None else dict(scrub(value))


def _scrub_detail(value: str | None) -> str | None:
    return None if value is None else scrub_text(value)


def _check_attempt(event: AuditEvent, attribute: attrs.Attribute[Any], value: int) -> None:
    if value < 1:
        raise AuditError(f"event {event.event_id}: attempt must be 1 or more, got {value}")


@attrs.frozen
class AuditEvent:
    """One step of one record's journey, as kept in the audit trail.

    Build events with :func:`new_event`, which stamps the time from a clock, serialises the
    payload canonically and redacts the error.

    Attributes:
        event_id: Unique id of this event (a UUIDv7 string when made here).
        correlation_id: One id per record journey (webhook or poll, fetch, map, post, replay).
        occurred_at: When it happened, aware UTC.
        record: The source record.
        stage: What happened.
        attempt: 1 for the first try, incremented by each retry or replay.
        target: The Oracle resource (``"receivablesInvoices"``), when known.
        posting_key: The deterministic key that makes a second post impossible.
        detail: A short human-readable outcome.
        oracle_id: The Oracle id of the created or found document, when known.
        payload: The mapped payload as canonical JSON text (see :func:`canonical_json`).
        payload_sha256: SHA-256 of ``payload``; computed when left out, checked when given.
        error: The redacted error (``ConnectorError.evidence()`` form), for failed stages.
    """

    event_id: str
    correlation_id: str
    occurred_at: datetime = attrs.field(converter=ensure_utc)
    record: RecordRef
    stage: Stage = attrs.field(converter=Stage)
    attempt: int = attrs.field(default=1, validator=_check_attempt)
    target: str | None = None
    posting_key: str | None = None
    detail: str | None = attrs.field(default=None, converter=_scrub_detail)
    oracle_id: str | None = None
    payload: str | None = None
    payload_sha256: str | None = attrs.field(
        default=attrs.Factory(_hash_default, takes_self=True), validator=_check_hash
    )
    # Dicts are not hashable; events hash on everything else.
    error: Mapping[str, Any] | None = attrs.field(default=None, hash=False, converter=_scrub_error)


_ATTEMPT = attrs.fields(AuditEvent).attempt


def _uuid7() -> str:
    """A UUIDv7 (RFC 9562, section 5.7) as text: 48 bits of Unix milliseconds, the version
    ``7``, 12 random bits, the variant bits ``10`` and 62 random bits.

    Time-ordered ids keep each index on them (``events.event_id``, the correlation index) an
    append at its end, as ``seq`` is, instead of a write at a random place: writing 20,000
    events to SQLite took a third less CPU than with UUID4s, whose every insert lands on another
    page of the index. The time is the system's wall clock (:func:`unix_millis`), held at the
    latest one used if the clock steps back, so an id made later does not sort before an
    earlier one's millisecond; within one millisecond ids are in random order. 74 random bits
    a millisecond keep two processes' ids apart. The random bits come from :func:`os.urandom`,
    read for :data:`_IDS_A_READ` ids at a time (one system call, not one an id).
    """
    bits = next(_randoms[0], None)
    if bits is None:
        made = iter(_fresh_randoms())
        _randoms[0] = made
        bits = next(made)
    now = unix_millis()
    if now < _last[0]:
        now = _last[0]  # the wall clock stepped back: keep the order
    else:
        _last[0] = now
    t = f"{now & 0xFFFF_FFFF_FFFF:012x}"
    return f"{t[:8]}-{t[8:]}-7{bits[:3]}-{_VARIANT[bits[3]]}{bits[4:7]}-{bits[7:19]}"


_IDS_A_READ = 256
"""Ids whose random bits come from one read of the system's random source."""

_randoms: list[Iterator[str]] = [iter(())]
"""Random bits (19 hex digits an id) read but not used yet. Each is used once: ``next`` on a
list iterator is one step under the interpreter's lock, and two threads that both find it
empty each read their own. A forked child forgets the parent's (:func:`_forget_ids`), so the
two never share any."""

_last = [0]
"""The time of the latest id made in this process."""


def _fresh_randoms() -> list[str]:
    h = os.urandom(10 * _IDS_A_READ).hex()
    return [h[i : i + 19] for i in range(0, len(h), 20)]


def _forget_ids() -> None:
    _randoms[0] = iter(())


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_ids)


_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}
"""A random hex digit's two low bits under the variant bits ``10``."""


def new_event_id() -> str:
    """A fresh event id: a time-ordered UUIDv7 (see :func:`_uuid7`)."""
    return _uuid7()


def new_correlation_id() -> str:
    """A fresh correlation id for a new record journey: a time-ordered UUIDv7."""
    return _uuid7()


def redact_error(error: BaseException | Mapping[str, Any] | str | None) -> dict[str, Any] | None:
    """``error`` as a JSON-ready dict with nothing secret in it.

    A :class:`~ml_connector.ConnectorError` gives its ``evidence()``; any other exception its
    type and message; a mapping is kept; a string becomes ``{"message": ...}``. Every string is
    scrubbed by the library's one scrubber (:mod:`ml_connector._redact`) and long messages are
    cut.
    """
    return _redact_error(error, prepare=lambda data: _json_safe(data, "error", floats=True))


def new_event(
    clock: Clock,
    *,
    correlation_id: str,
    record: RecordRef,
    stage: Stage,
    attempt: int = 1,
    target: str | None = None,
    posting_key: str | None = None,
    detail: str | None = None,
    oracle_id: str | None = None,
    payload: Any = None,
    error: BaseException | Mapping[str, Any] | str | None = None,
    event_id: str | None = None,
) -> AuditEvent:
    """Build an :class:`AuditEvent` stamped with ``clock.now()``.

    Args:
        clock: The time source (a ``VirtualClock`` in tests).
        correlation_id: The journey this event belongs to (see :func:`new_correlation_id`).
        record: The source record.
        stage: What happened.
        attempt: Which try this is, from 1.
        target: The Oracle resource.
        posting_key: The deterministic posting key.
        detail: A short outcome text (scrubbed).
        oracle_id: The Oracle id, when known.
        payload: The mapped payload in its JSON-ready wire form (dicts, lists, str, int,
            ``Decimal``, aware datetimes); stored as canonical JSON with its hash.
        error: The failure, redacted with :func:`redact_error`.
        event_id: The event id; a fresh UUIDv7 (:func:`new_event_id`) when left out.

    Raises:
        AuditError: the payload is not JSON-ready (a float, a naive datetime, an object).
    """
    text = None if payload is None else canonical_json(payload)
    return _event_of(
        event_id or new_event_id(),
        correlation_id,
        clock.now(),
        record,
        stage,
        attempt,
        target,
        posting_key,
        detail,
        oracle_id,
        text,
        None if error is None else redact_error(error),
    )


_new_object = object.__new__
_set_slot = object.__setattr__


def _event_of(
    event_id: str,
    correlation_id: str,
    occurred_at: datetime,
    record: RecordRef,
    stage: Stage,
    attempt: int,
    target: str | None,
    posting_key: str | None,
    detail: str | None,
    oracle_id: str | None,
    payload: str | None,
    error: Mapping[str, Any] | None,
) -> AuditEvent:
    """``AuditEvent(...)`` of these values (the hash left out), without the checks that
    :func:`new_event` makes needless: the hash is worked out here, so its validator has
    nothing to compare; a :class:`Stage` needs no conversion, no error no scrub. Each
    converter that does work runs as the constructor runs it (the time made UTC, the detail
    and the error scrubbed), and a bad attempt is refused with the same error
    (``tests/audit/test_audit_event.py`` holds the two equal)."""
    event: AuditEvent = _new_object(AuditEvent)
    _set_slot(event, "event_id", event_id)
    _set_slot(event, "correlation_id", correlation_id)
    _set_slot(event, "occurred_at", ensure_utc(occurred_at))
    _set_slot(event, "record", record)
    _set_slot(event, "stage", stage if type(stage) is Stage else Stage(stage))
    _set_slot(event, "attempt", attempt)
    _set_slot(event, "target", target)
    _set_slot(event, "posting_key", posting_key)
    _set_slot(event, "detail", None if detail is None else scrub_text(detail))
    _set_slot(event, "oracle_id", oracle_id)
    _set_slot(event, "payload", payload)
    _set_slot(event, "payload_sha256", None if payload is None else content_hash(payload))
    _set_slot(event, "error", None if error is None else _scrub_error(error))
    if attrs.validators.get_disabled():
        return event
    if attempt < 1:
        _check_attempt(event, _ATTEMPT, attempt)
    return event
