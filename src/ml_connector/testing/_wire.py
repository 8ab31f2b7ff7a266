"""Wire helpers shared by the simulators: exact JSON (Decimal money), Pacific timestamps, queries.

Nothing here knows about a particular API. Simulated servers answer with bytes built here so that
money written as :class:`~decimal.Decimal` in the dataset reaches the client digit for digit, the
way a real server's JSON would.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

import httpx

from ml_connector import _json
from ml_connector._time import PACIFIC, parse_pacific

__all__ = [
    "dumps",
    "format_v1_timestamp",
    "json_response",
    "parse_v1_bound",
    "text_response",
]


def _iso(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(value: Any) -> bytes:
    """``value`` as compact JSON bytes; a Decimal is written as the exact number it holds."""
    return _json.dumps(value, default=_iso, floats=True).encode("utf-8")


def json_response(
    status: int,
    body: Any,
    *,
    headers: Mapping[str, str] | None = None,
    content_type: str = "application/json; charset=utf-8",
) -> httpx.Response:
    """A JSON response with exact Decimal numbers."""
    merged = {"Content-Type": content_type}
    if headers:
        merged.update(headers)
    return httpx.Response(status, content=dumps(body), headers=merged)


def text_response(
    status: int,
    text: str,
    *,
    headers: Mapping[str, str] | None = None,
    content_type: str = "text/plain; charset=utf-8",
) -> httpx.Response:
    """A plain-text (or HTML, with ``content_type``) response."""
    merged = {"Content-Type": content_type}
    if headers:
        merged.update(headers)
    return httpx.Response(status, content=text.encode("utf-8"), headers=merged)


def format_v1_timestamp(value: datetime) -> str:
    """An aware datetime as ShipStation V1 writes it: Pacific wall time, no offset, 7 digits.

    https://www.shipstation.com/docs/api/requirements/#datetime-format
    """
    local = value.astimezone(PACIFIC) if value.tzinfo is not None else value
    return f"{local:%Y-%m-%dT%H:%M:%S}.{local.microsecond:06d}0"


def local_timestamp(value: datetime) -> str:
    """A naive Pacific wall time in the V1 wire form (the generator works in local time)."""
    return f"{value:%Y-%m-%dT%H:%M:%S}.{value.microsecond:06d}0"


_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_v1_bound(text: str, *, end: bool) -> datetime:
    """A V1 date filter value (Pacific wall time unless it carries an offset) as aware UTC.

    A date-only *end* bound covers that whole Pacific day, so ``shipDateEnd=2026-01-15`` keeps
    shipments of the 15th.

    Raises:
        ValueError: ``text`` is neither a date nor a timestamp.
    """
    stripped = text.strip()
    if _DATE_ONLY.fullmatch(stripped):
        stripped += " 23:59:59.9999999" if end else " 00:00:00"
    return parse_pacific(stripped)


def utc_seconds(value: datetime) -> float:
    """Seconds since the epoch for an aware datetime (compact to keep in an index)."""
    return value.astimezone(UTC).timestamp()
