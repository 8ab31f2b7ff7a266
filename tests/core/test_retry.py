"""The pure retry-delay function: no HTTP, no clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ml_connector import RetryPolicy, no_jitter, retry_delay

NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)
POLICY = RetryPolicy(base=0.5, cap=30.0, jitter=no_jitter)


def test_retry_after_seconds_wins() -> None:
    headers = {"Retry-After": "7", "X-Rate-Limit-Reset": "20"}
    assert retry_delay(POLICY, 1, headers, NOW) == 7.0


def test_retry_after_http_date() -> None:
    when = format_datetime(NOW + timedelta(seconds=12), usegmt=True)
    assert retry_delay(POLICY, 1, {"Retry-After": when}, NOW) == pytest.approx(12.0)


def test_retry_after_date_in_the_past_means_now() -> None:
    when = format_datetime(NOW - timedelta(seconds=40), usegmt=True)
    assert retry_delay(POLICY, 3, {"Retry-After": when}, NOW) == 0.0


def test_shipstation_reset_header_when_no_retry_after() -> None:
    assert retry_delay(POLICY, 1, {"X-Rate-Limit-Reset": "22"}, NOW, status=429) == 22.0
    spent = {"X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": "22"}
    assert retry_delay(POLICY, 1, spent, NOW, status=503) == 22.0


def test_reset_header_is_ignored_for_a_5xx_with_budget_left() -> None:
    headers = {"X-Rate-Limit-Remaining": "37", "X-Rate-Limit-Reset": "58"}
    assert retry_delay(POLICY, 1, headers, NOW, status=503) == 0.5


def test_header_names_are_case_insensitive_in_plain_dicts() -> None:
    assert retry_delay(POLICY, 1, {"retry-after": "4"}, NOW) == 4.0
    assert retry_delay(POLICY, 1, {"x-rate-limit-reset": "9"}, NOW, status=429) == 9.0


@pytest.mark.parametrize("garbage", ["", "soon", "-5", "nan", "inf", "Thu, 99 Foo 2026", "1e999x"])
def test_garbage_headers_are_ignored(garbage: str) -> None:
    headers = {"Retry-After": garbage, "X-Rate-Limit-Reset": garbage}
    # Falls through to exponential backoff: attempt 2 -> base * 2.
    assert retry_delay(POLICY, 2, headers, NOW, status=429) == 1.0


def test_exponential_backoff_doubles_then_caps() -> None:
    delays = [retry_delay(POLICY, attempt, None, NOW) for attempt in range(1, 10)]
    assert delays[:5] == [0.5, 1.0, 2.0, 4.0, 8.0]
    assert max(delays) == 30.0


def test_header_delays_are_clamped_to_the_cap() -> None:
    assert retry_delay(POLICY, 1, {"Retry-After": "3600"}, NOW) == 30.0
    assert retry_delay(POLICY, 1, {"X-Rate-Limit-Reset": "999"}, NOW, status=429) == 30.0


@given(attempt=st.integers(min_value=1, max_value=60), draw=st.floats(0, 1))
def test_jitter_stays_within_bounds(attempt: int, draw: float) -> None:
    policy = RetryPolicy(base=0.5, cap=30.0, jitter=lambda d: d * draw)
    delay = retry_delay(policy, attempt, None, NOW)
    assert 0.0 <= delay <= min(0.5 * 2 ** (attempt - 1), 30.0)


def test_default_jitter_is_full_jitter_within_bounds() -> None:
    policy = RetryPolicy(base=1.0, cap=10.0)
    for _ in range(200):
        assert 0.0 <= retry_delay(policy, 3, None, NOW) <= 4.0


def test_a_misbehaving_jitter_cannot_exceed_the_cap_or_go_negative() -> None:
    assert retry_delay(RetryPolicy(cap=5.0, jitter=lambda d: d * 100), 4, None, NOW) == 5.0
    assert retry_delay(RetryPolicy(cap=5.0, jitter=lambda d: -d), 4, None, NOW) == 0.0


def test_policy_is_frozen_and_validated() -> None:
    with pytest.raises(AttributeError):
        POLICY.max_attempts = 9  # type: ignore[misc]
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
