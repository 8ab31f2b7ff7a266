"""Posting dates: UTC by default, a named zone on request, both DST changes, month-end."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from ml_connector import MappingError
from ml_connector._time import parse_pacific
from ml_connector.mapping import DateSettings
from ml_connector.mapping._time import posting_date

UTC_BASIS = DateSettings()
PACIFIC_BASIS = DateSettings(basis="zone", zone="America/Los_Angeles")


def _date(instant: datetime, settings: DateSettings) -> date:
    return posting_date(instant, settings, field="create_date", record="shipment 1")


def test_label_printed_1730_pdt_on_the_31st_posts_on_the_1st_utc() -> None:
    printed = parse_pacific("2026-03-31T17:30:00.0000000")  # PDT, UTC-7
    assert printed == datetime(2026, 4, 1, 0, 30, tzinfo=UTC)
    assert _date(printed, UTC_BASIS) == date(2026, 4, 1)
    assert _date(printed, PACIFIC_BASIS) == date(2026, 3, 31)


def test_month_end_in_winter_uses_pst() -> None:
    # 16:30 PST on 31 January is 00:30 UTC on 1 February; 15:59 PST stays in January.
    assert _date(parse_pacific("2026-01-31 16:30:00"), UTC_BASIS) == date(2026, 2, 1)
    assert _date(parse_pacific("2026-01-31 15:59:59"), UTC_BASIS) == date(2026, 1, 31)
    assert _date(parse_pacific("2026-01-31 23:59:59"), PACIFIC_BASIS) == date(2026, 1, 31)


def test_year_end_boundary() -> None:
    instant = datetime(2027, 1, 1, 7, 59, tzinfo=UTC)  # 23:59 PST on 31 December
    assert _date(instant, UTC_BASIS) == date(2027, 1, 1)
    assert _date(instant, PACIFIC_BASIS) == date(2026, 12, 31)


def test_spring_forward_day_dates_follow_the_offset_in_force() -> None:
    # 8 March 2026: 02:00 PST jumps to 03:00 PDT (10:00 UTC).
    before = datetime(2026, 3, 8, 9, 59, tzinfo=UTC)  # 01:59 PST
    after = datetime(2026, 3, 8, 10, 0, tzinfo=UTC)  # 03:00 PDT
    assert _date(before, PACIFIC_BASIS) == date(2026, 3, 8)
    assert _date(after, PACIFIC_BASIS) == date(2026, 3, 8)
    # Late that evening PDT applies: 23:30 PDT is 06:30 UTC next day, still the 8th locally.
    assert _date(datetime(2026, 3, 9, 6, 30, tzinfo=UTC), PACIFIC_BASIS) == date(2026, 3, 8)
    # A fixed UTC-8 would have put 07:30 UTC on the 9th at 23:30 on the 8th; PDT says 00:30.
    assert _date(datetime(2026, 3, 9, 7, 30, tzinfo=UTC), PACIFIC_BASIS) == date(2026, 3, 9)


def test_fall_back_day_dates_follow_the_offset_in_force() -> None:
    # 1 November 2026: 02:00 PDT falls back to 01:00 PST (09:00 UTC); 01:xx happens twice.
    first = datetime(2026, 11, 1, 8, 30, tzinfo=UTC)  # 01:30 PDT
    second = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)  # 01:30 PST
    assert _date(first, PACIFIC_BASIS) == _date(second, PACIFIC_BASIS) == date(2026, 11, 1)
    # 23:30 PST on 1 November is 07:30 UTC on the 2nd; a fixed UTC-7 would say 00:30 on the 2nd.
    assert _date(datetime(2026, 11, 2, 7, 30, tzinfo=UTC), PACIFIC_BASIS) == date(2026, 11, 1)
    assert _date(datetime(2026, 11, 2, 7, 30, tzinfo=UTC), UTC_BASIS) == date(2026, 11, 2)


def test_fall_back_month_end_october() -> None:
    # 31 October 2026 is still PDT: 17:00 PDT is midnight UTC, the 1st of November.
    instant = parse_pacific("2026-10-31 17:00:00")
    assert _date(instant, UTC_BASIS) == date(2026, 11, 1)
    assert _date(instant, PACIFIC_BASIS) == date(2026, 10, 31)
    assert _date(instant - timedelta(seconds=1), UTC_BASIS) == date(2026, 10, 31)


def test_other_offsets_are_normalised_first() -> None:
    tokyo = timezone(timedelta(hours=9))
    instant = datetime(2026, 4, 1, 8, 0, tzinfo=tokyo)  # 23:00 UTC on 31 March
    assert _date(instant, UTC_BASIS) == date(2026, 3, 31)


def test_naive_instants_are_refused_with_the_field() -> None:
    with pytest.raises(MappingError) as caught:
        _date(datetime(2026, 3, 31, 17, 30), UTC_BASIS)
    assert caught.value.field == "create_date"
    assert caught.value.record == "shipment 1"
