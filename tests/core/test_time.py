"""Pacific wall time <-> UTC, across both daylight-saving transitions."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ml_connector._time import (
    format_pacific,
    format_pacific_date,
    parse_pacific,
    parse_pacific_date,
    to_utc,
)


@pytest.mark.parametrize(
    ("wire", "utc"),
    [
        ("2026-01-15T09:00:00.0000000", datetime(2026, 1, 15, 17, 0, tzinfo=UTC)),  # PST, -8
        ("2026-07-15T09:00:00.0000000", datetime(2026, 7, 15, 16, 0, tzinfo=UTC)),  # PDT, -7
        ("2015-07-16T14:00:34.8230000", datetime(2015, 7, 16, 21, 0, 34, 823000, tzinfo=UTC)),
        ("2014-12-03T11:46:11.283", datetime(2014, 12, 3, 19, 46, 11, 283000, tzinfo=UTC)),
        ("2014-11-12T08:45:20.55", datetime(2014, 11, 12, 16, 45, 20, 550000, tzinfo=UTC)),
        ("2014-11-12T08:45:20", datetime(2014, 11, 12, 16, 45, 20, tzinfo=UTC)),
        ("2014-11-12 08:45:20", datetime(2014, 11, 12, 16, 45, 20, tzinfo=UTC)),
        ("2014-11-12T08:45:20.1234567", datetime(2014, 11, 12, 16, 45, 20, 123456, tzinfo=UTC)),
        ("2014-11-12T08:45:20.", datetime(2014, 11, 12, 16, 45, 20, tzinfo=UTC)),
        ("2014-11-12T08:45:20Z", datetime(2014, 11, 12, 8, 45, 20, tzinfo=UTC)),
    ],
)
def test_parse_pacific(wire: str, utc: datetime) -> None:
    assert parse_pacific(wire) == utc
    assert parse_pacific(wire).tzinfo is UTC


def test_spring_forward_edges() -> None:
    # 2026-03-08: 01:59:59 PST is followed by 03:00:00 PDT.
    assert parse_pacific("2026-03-08T01:59:59") == datetime(2026, 3, 8, 9, 59, 59, tzinfo=UTC)
    assert parse_pacific("2026-03-08T03:00:00") == datetime(2026, 3, 8, 10, 0, tzinfo=UTC)
    # 02:30 does not exist; read with the offset in force before the gap (PST).
    assert parse_pacific("2026-03-08T02:30:00") == datetime(2026, 3, 8, 10, 30, tzinfo=UTC)


def test_fall_back_ambiguous_hour_reads_as_first_occurrence() -> None:
    # 2026-11-01: 01:00-01:59 happens twice; policy: the first (PDT) occurrence.
    assert parse_pacific("2026-11-01T01:30:00") == datetime(2026, 11, 1, 8, 30, tzinfo=UTC)
    assert parse_pacific("2026-11-01T00:59:59") == datetime(2026, 11, 1, 7, 59, 59, tzinfo=UTC)
    assert parse_pacific("2026-11-01T02:00:00") == datetime(2026, 11, 1, 10, 0, tzinfo=UTC)


def test_month_end_label_posts_next_month_in_utc() -> None:
    assert parse_pacific("2026-08-31T17:30:00") == datetime(2026, 9, 1, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize("bad", ["", "yesterday", "2026-13-01T00:00:00", "2026-01-01T25:00:00"])
def test_garbage_is_a_value_error(bad: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the decoder turns this into a named error
        parse_pacific(bad)


def test_format_pacific_for_filters() -> None:
    assert format_pacific(datetime(2026, 7, 1, 0, 30, tzinfo=UTC)) == "2026-06-30 17:30:00"
    assert format_pacific(datetime(2026, 1, 1, 0, 30, tzinfo=UTC)) == "2025-12-31 16:30:00"
    assert format_pacific_date(datetime(2026, 7, 1, 0, 30, tzinfo=UTC)) == "2026-06-30"
    assert format_pacific_date(date(2026, 7, 1)) == "2026-07-01"


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        format_pacific(datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="naive"):
        to_utc(datetime(2026, 1, 1))


def test_date_only_fields_stay_dates() -> None:
    assert parse_pacific_date("2015-07-05T00:00:00.0000000") == date(2015, 7, 5)
    assert parse_pacific_date("2019-08-24") == date(2019, 8, 24)
    with pytest.raises(ValueError, match="date"):
        parse_pacific_date("nope")


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)
    )
)
def test_round_trip_outside_the_repeated_hour(instant: datetime) -> None:
    instant = instant.replace(microsecond=0)
    wire = format_pacific(instant)
    back = parse_pacific(wire)
    # Equal, except in the repeated fall-back hour where the policy picks the earlier instant.
    assert back == instant or (instant - back).total_seconds() == 3600


@given(
    st.datetimes(min_value=datetime(1000, 1, 2), max_value=datetime(9999, 12, 30)),
    st.integers(min_value=0, max_value=9),
)
def test_usual_wire_form_fast_path_matches_the_general_parser(
    local: datetime, seventh: int
) -> None:
    # ShipStation's usual form (seven fractional digits) takes a fast path in parse_pacific;
    # the general pattern gives the reference answer, including both daylight-saving edges.
    from ml_connector._time import _parse_pacific

    wire = local.strftime("%Y-%m-%dT%H:%M:%S.%f") + str(seventh)
    assert len(wire) == 27
    expected = _parse_pacific(wire)
    for _ in range(2):  # the second call answers from the recent-timestamps table
        parsed = parse_pacific(wire)
        assert parsed == expected
        assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    ("wire", "message"),
    [
        # An impossible day or hour in the usual form: the general parser's own message.
        ("2026-02-30T10:00:00.0000000", "day is out of range for month"),
        ("2026-01-15T24:00:00.0000000", "hour must be in 0..23"),
        # Digits other than ASCII are not the fast path's form either.
        ("\uff12026-01-15T10:00:00.0000000", None),
    ],
)
def test_fast_path_leaves_unusual_text_to_the_general_parser(
    wire: str, message: str | None
) -> None:
    from ml_connector._time import _parse_pacific

    if message is None:
        assert parse_pacific(wire) == _parse_pacific(wire)
    else:
        with pytest.raises(ValueError, match=message):
            parse_pacific(wire)


def test_window_bounds_in_the_repeated_hour_are_widened_past_it() -> None:
    from ml_connector._time import format_pacific_bound, repeated_hour

    first = datetime(2026, 11, 1, 8, 30, tzinfo=UTC)  # 01:30 PDT
    second = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)  # 01:30 PST
    for instant in (first, second):
        assert format_pacific_bound(instant, end=False) == "2026-11-01 00:59:59"
        assert format_pacific_bound(instant, end=True) == "2026-11-01 02:00:00"
        assert repeated_hour(instant) == (datetime(2026, 11, 1, 1), datetime(2026, 11, 1, 2))
    outside = datetime(2026, 11, 1, 10, tzinfo=UTC)
    assert format_pacific_bound(outside, end=False) == format_pacific(outside)
    assert repeated_hour(outside) is None
    assert repeated_hour(datetime(2026, 3, 8, 10, 30, tzinfo=UTC)) is None


@given(
    st.datetimes(
        min_value=datetime(2026, 11, 1, 6),
        max_value=datetime(2026, 11, 1, 12),
        timezones=st.just(UTC),
    ),
    st.booleans(),
)
def test_no_bound_is_ever_an_ambiguous_wall_time(instant: datetime, end: bool) -> None:
    from ml_connector._time import format_pacific_bound, repeated_hour

    wire = format_pacific_bound(instant, end=end)
    sent = parse_pacific(wire)
    assert repeated_hour(sent) is None  # one meaning only
    # ... and it still covers the instant, whichever occurrence that was.
    if end:
        assert sent >= instant.replace(microsecond=0)
    else:
        assert sent <= instant
