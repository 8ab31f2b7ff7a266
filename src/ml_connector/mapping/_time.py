"""Which calendar date an instant posts on in Oracle.

ShipStation's Pacific wall-clock timestamps are converted to UTC exactly once, when a record
is decoded (``ml_connector._time.parse_pacific``). Mapping only ever sees aware UTC instants and
turns them into Oracle's date-only fields (``TransactionDate``, ``AccountingDate``) here.

Basis (``[dates] basis`` in the mapping configuration):

- ``utc`` (default): the UTC calendar date. A label printed at 17:30 PDT on 31 March is
  00:30 UTC on 1 April, so it posts on 1 April, in April's period.
- ``zone``: the calendar date in a named IANA zone, typically the ledger's (e.g.
  ``America/Los_Angeles``): the same label posts on 31 March. The conversion uses the offset in
  force at that instant, so both daylight-saving changes are handled: an instant maps to exactly
  one local date even in the repeated autumn hour, and no instant falls in the spring gap.

Oracle rejects or moves an AccountingDate in a closed period depending on the transaction
source's setup (https://docs.oracle.com/en/cloud/saas/financials/26c/fabof/bo_oraErpCoreReceivablesSetup_ReceivablesTransactionSource.html),
so the basis should match the ledger calendar finance closes on.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ml_connector._errors import MappingError

from .config import DateSettings

__all__ = ["posting_date", "zone_problem"]


def zone_problem(name: str) -> str | None:
    """Why ``name`` is not a usable IANA time zone, or None if it is."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f"{name!r} is not a known IANA time zone (e.g. America/Los_Angeles)"
    return None


def posting_date(
    instant: datetime, settings: DateSettings, *, field: str, record: str | None = None
) -> date:
    """The calendar date ``instant`` posts on under ``settings``.

    Raises:
        MappingError: ``instant`` is naive (its zone would be a guess).
    """
    if type(instant) is datetime and instant.tzinfo is UTC:
        # The usual case (decoded timestamps are aware UTC): the checks below pass and
        # astimezone(UTC) would give the instant itself.
        if settings.basis == "zone" and settings.zone:
            return instant.astimezone(ZoneInfo(settings.zone)).date()
        return instant.date()
    if not isinstance(instant, datetime):
        raise MappingError(f"expected a timestamp, got {instant!r}", field=field, record=record)
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise MappingError(
            f"timestamp {instant.isoformat()} has no time zone", field=field, record=record
        )
    utc = instant.astimezone(UTC)
    if settings.basis == "zone" and settings.zone:
        return utc.astimezone(ZoneInfo(settings.zone)).date()
    return utc.date()
