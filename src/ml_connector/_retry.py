"""Retry policy (a frozen value) and the pure function that picks the delay before a retry.

The order of evidence, strongest first:

1. ``Retry-After``: seconds, or an HTTP date (RFC 9110 section 10.2.3).
2. ShipStation V1's ``X-Rate-Limit-Reset``: seconds until the 60-second window resets
   (https://www.shipstation.com/docs/api/requirements/#api-rate-limits), for a 429 or when the
   window's budget is spent (the header is on every response, so a 503 with budget left backs
   off normally).
3. Capped exponential backoff with jitter.

Whatever the evidence, the delay is clamped to ``[0, policy.cap]``. Garbage header values are
ignored, never raised. Nothing here reads a clock: ``now`` is passed in.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import attrs

__all__ = ["Jitter", "RetryPolicy", "full_jitter", "no_jitter", "retry_delay"]

Jitter = Callable[[float], float]
"""Takes the un-jittered backoff delay, returns the delay to use."""


def full_jitter(delay: float) -> float:
    """AWS-style "full jitter": a uniform draw in ``[0, delay]``."""
    return random.uniform(0.0, delay)


def no_jitter(delay: float) -> float:
    """Deterministic backoff (tests, simulators)."""
    return delay


RETRYABLE_STATUSES: frozenset[int] = frozenset({429, 500, 502, 503, 504})


@attrs.frozen
class RetryPolicy:
    """How the HTTP core retries.

    Attributes:
        max_attempts: Total tries including the first (1 disables retries).
        base: First backoff delay in seconds; doubles each attempt.
        cap: No delay is ever longer than this, whatever a header says.
        retry_statuses: Statuses that may be retried when the request is safe to repeat.
        retry_transport_errors: Whether timeouts and connection failures are retried.
        jitter: Applied to the exponential backoff only (header-derived delays are exact).
    """

    max_attempts: int = attrs.field(default=5, validator=attrs.validators.ge(1))
    base: float = attrs.field(default=0.5, validator=attrs.validators.ge(0))
    cap: float = attrs.field(default=60.0, validator=attrs.validators.ge(0))
    retry_statuses: frozenset[int] = attrs.field(default=RETRYABLE_STATUSES, converter=frozenset)
    retry_transport_errors: bool = True
    jitter: Jitter = attrs.field(default=full_jitter, eq=False)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    # httpx.Headers is case-insensitive already; plain dicts are not.
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        for key, item in headers.items():
            if key.lower() == lowered:
                return item
    return value


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` value, or ``None`` if it is absent or garbage."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        # Rejects negatives, NaN (which is not equal to itself) and infinity.
        return seconds if 0 <= seconds < float("inf") else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def parse_seconds(value: str | None) -> float | None:
    """A non-negative number of seconds from a header, or ``None``."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    if seconds != seconds or seconds < 0 or seconds == float("inf"):
        return None
    return seconds


def retry_delay(
    policy: RetryPolicy,
    attempt: int,
    headers: Mapping[str, str] | None,
    now: datetime,
    status: int | None = None,
) -> float:
    """Delay in seconds before retry number ``attempt`` (1 for the first retry).

    Args:
        policy: The retry policy (cap, base, jitter).
        attempt: 1-based number of the retry about to happen.
        headers: Headers of the failed response, or ``None`` after a transport error.
        now: The current time, aware, for HTTP-date ``Retry-After`` values.
        status: The failed response's status; ``X-Rate-Limit-Reset`` counts for a 429, or when
            ``X-Rate-Limit-Remaining`` is 0.
    """
    if headers is not None:
        after = parse_retry_after(_header(headers, "Retry-After"), now)
        if after is None and (
            status == 429 or (_header(headers, "X-Rate-Limit-Remaining") or "").strip() == "0"
        ):
            # ShipStation sends X-Rate-Limit-Reset on every response; it is evidence only when
            # the failure is the rate limit itself, not for a 503 with budget left.
            after = parse_seconds(_header(headers, "X-Rate-Limit-Reset"))
        if after is not None:
            return min(max(after, 0.0), policy.cap)
    exponential = policy.base * (2.0 ** max(attempt - 1, 0))
    jittered = policy.jitter(min(exponential, policy.cap))
    return min(max(jittered, 0.0), policy.cap)
