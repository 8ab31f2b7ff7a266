"""The one place where ShipStation's US Pacific wall-clock time meets UTC.

ShipStation V1 sends and expects timestamps as US Pacific local time (``America/Los_Angeles``,
daylight saving included) with no offset and 0 to 7 fractional digits, e.g.
``2015-06-29T08:46:27.0000000`` (https://www.shipstation.com/docs/api/requirements/#datetime-format).
Our models hold timezone-aware UTC datetimes; window filters are sent back as Pacific local time.

Policy for the two daylight-saving edges (documented in docs/concepts.md):

- Fall back (first Sunday of November): 01:00-01:59 happens twice. A wire timestamp in that hour
  is read as the *first* occurrence (PDT, ``fold=0``), the earlier instant.
- No window bound is ever *sent* as such an ambiguous wall time: the docs do not say which
  occurrence ShipStation would pick, so :func:`format_pacific_bound` widens a start inside the
  repeated hour to the last second before it and an end inside it to the first wall time after
  it (``00:59:59`` and ``02:00:00`` on 2026-11-01). Whatever ShipStation's reading, both
  occurrences are then inside the window; the records fetched twice by adjacent windows are the
  same records, and their posting keys keep each posted once.
- Spring forward (second Sunday of March): 02:00-02:59 does not exist. Such a value is read with
  the offset in force before the gap (PST), as :mod:`zoneinfo` does for ``fold=0``.
- A seventh fractional digit (100 ns) is truncated: Python datetimes hold microseconds.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

__all__ = [
    "PACIFIC",
    "format_pacific",
    "format_pacific_bound",
    "format_pacific_date",
    "repeated_hour",
    "parse_pacific",
    "parse_pacific_date",
    "to_utc",
]

PACIFIC = ZoneInfo("America/Los_Angeles")

_WIRE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{0,7}))?)?"
    r"(Z|[+-]\d{2}:?\d{2})?"
)


PARSE_CACHE_SIZE = 4096
"""Timestamps (and hours) whose parse is remembered: a bounded cache, the least recently used
dropped first (about 1 MB when full)."""

# The form ShipStation sends on every record (seven fractional digits), in ASCII digits. Text of
# exactly this form takes a fast path with the same result as the general pattern above.
_USUAL = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{7}")


def parse_pacific(text: str) -> datetime:
    """Parse a ShipStation V1 timestamp (Pacific local time) into an aware UTC datetime.

    An explicit ``Z`` or offset, should one ever appear, is honoured instead of Pacific time.

    Raises:
        ValueError: the text is not a timestamp of that form.
    """
    if type(text) is str and len(text) == 27:
        return _parse_usual(text)
    return _parse_pacific(text)


@lru_cache(maxsize=PARSE_CACHE_SIZE)
def _parse_usual(text: str) -> datetime:
    # The form ShipStation sends on every record. A record's timestamps repeat on its items and
    # its shipments (createDate, modifyDate, orderDate), hence the bounded cache of results
    # (datetimes are immutable). A failure is not cached: it raises again each time.
    if _USUAL.fullmatch(text) is not None:
        offset = _offset_for_hour(text[:13])
        if offset is not None:
            try:
                # The first six fractional digits are the microseconds; the seventh is dropped.
                return datetime.fromisoformat(text[:26] + "+00:00") - offset
            except ValueError:
                pass  # an impossible time: the general path raises with its own message
    return _parse_pacific(text)


def _parse_pacific(text: str) -> datetime:
    match = _WIRE.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not a ShipStation timestamp: {text!r}")
    year, month, day, hour, minute, second, frac, offset = match.groups()
    micro = int((frac or "").ljust(6, "0")[:6]) if frac else 0
    naive = datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro
    )
    if offset:
        aware = datetime.fromisoformat(naive.isoformat() + ("+00:00" if offset == "Z" else offset))
        return aware.astimezone(UTC)
    return _pacific_to_utc(naive)


def _pacific_to_utc(naive: datetime) -> datetime:
    offset = datetime(naive.year, naive.month, naive.day, naive.hour, tzinfo=PACIFIC).utcoffset()
    assert offset is not None
    return (naive - offset).replace(tzinfo=UTC)


@lru_cache(maxsize=PARSE_CACHE_SIZE)
def _offset_for_hour(hour: str) -> timedelta | None:
    """The UTC offset of Pacific wall time in the hour ``YYYY-MM-DDTHH`` (it depends only on
    the local hour); None for an impossible date, which the general path refuses."""
    try:
        wall = datetime.fromisoformat(hour)
    except ValueError:
        return None
    return wall.replace(tzinfo=PACIFIC).utcoffset()


def parse_pacific_date(text: str) -> date:
    """A date-only ShipStation field (``shipDate``: ``2015-07-05T00:00:00.0000000`` or
    ``2015-07-05``) as a :class:`~datetime.date`, with no time-zone shift."""
    stripped = text.strip()
    try:
        return date.fromisoformat(stripped[:10])
    except ValueError:
        raise ValueError(f"not a ShipStation date: {text!r}") from None


def to_utc(value: datetime) -> datetime:
    """An aware datetime in UTC. Naive datetimes are refused: their zone would be a guess."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value.isoformat()} has no time zone; pass an aware one")
    return value.astimezone(UTC)


def format_pacific(value: datetime) -> str:
    """An aware datetime as ShipStation's Pacific wire form ``YYYY-MM-DD HH:MM:SS``."""
    return to_utc(value).astimezone(PACIFIC).strftime("%Y-%m-%d %H:%M:%S")


def _wall(value: datetime) -> datetime:
    return to_utc(value).astimezone(PACIFIC).replace(tzinfo=None, fold=0)


def _ambiguous(wall: datetime) -> bool:
    first = wall.replace(tzinfo=PACIFIC, fold=0).utcoffset()
    second = wall.replace(tzinfo=PACIFIC, fold=1).utcoffset()
    return first != second and first is not None and second is not None and first > second


def repeated_hour(value: datetime) -> tuple[datetime, datetime] | None:
    """The Pacific wall-time span ``[start, end)`` that happens twice, if ``value`` is in it.

    ``value`` is an aware instant; the span is naive Pacific wall time (``01:00``-``02:00`` on
    the first Sunday of November). None when the instant's wall time is unambiguous.
    """
    wall = _wall(value)
    if not _ambiguous(wall):
        return None
    first = wall.replace(tzinfo=PACIFIC, fold=0).utcoffset()
    second = wall.replace(tzinfo=PACIFIC, fold=1).utcoffset()
    assert first is not None and second is not None
    # The span starts where the clock was set back to: step back a minute, then a second, at a
    # time (at most an hour of minutes; transitions fall on whole minutes in tzdata).
    start = wall.replace(microsecond=0)
    for step in (timedelta(minutes=1), timedelta(seconds=1)):
        while _ambiguous(start - step):
            start -= step
    return start, start + (first - second)


def format_pacific_bound(value: datetime, *, end: bool) -> str:
    """A window bound as Pacific wall time that can only mean one instant.

    Outside the repeated fall-back hour this is :func:`format_pacific`. Inside it, a start bound
    becomes the last second before the repeated hour and an end bound the first wall time after
    it, so the window covers both occurrences whichever one ShipStation would read.
    """
    span = repeated_hour(value)
    if span is None:
        return format_pacific(value)
    start, stop = span
    wall = stop if end else start - timedelta(seconds=1)
    return wall.strftime("%Y-%m-%d %H:%M:%S")


def format_pacific_date(value: date | datetime) -> str:
    """A date (or the Pacific calendar date of an aware datetime) as ``YYYY-MM-DD``."""
    if isinstance(value, datetime):
        return to_utc(value).astimezone(PACIFIC).date().isoformat()
    return value.isoformat()
