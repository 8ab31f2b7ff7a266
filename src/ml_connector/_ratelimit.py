"""Proactive rate limiting fed by ``X-Rate-Limit-*`` response headers.

ShipStation V1 allows 40 requests a minute per key pair and reports the window on every response:
``X-Rate-Limit-Limit``, ``X-Rate-Limit-Remaining`` and ``X-Rate-Limit-Reset`` (seconds until the
next window; https://www.shipstation.com/docs/api/requirements/#api-rate-limits). Waiting for the
reset when the budget is spent is cheaper than drawing a 429 and its penalty.

The limiter is plain state behind a lock and reads no clock itself: callers pass a monotonic
``now``. One instance is shared by the sync and async senders of a client (and may be shared by
several clients that use the same key pair).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

import attrs

from ._retry import parse_seconds

__all__ = ["RateLimitState", "RateLimiter"]


@attrs.frozen
class RateLimitState:
    """A snapshot of what the server last said about the rate-limit window.

    Attributes:
        limit: Requests allowed per window (``X-Rate-Limit-Limit``), if known.
        remaining: Requests left in the window, counting requests sent since the last response.
        reset_at: Monotonic time (seconds) at which the window resets, if known.
    """

    limit: int | None
    remaining: int | None
    reset_at: float | None

    def reset_in(self, now: float) -> float | None:
        """Seconds from ``now`` until the window resets, or ``None`` if unknown."""
        if self.reset_at is None:
            return None
        return max(0.0, self.reset_at - now)


def _parse_int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        number = int(value.strip())
    except ValueError:
        return None
    return number if number >= 0 else None


class RateLimiter:
    """Tracks the server's rate-limit window and says how long to wait before the next request.

    ``reserve(now)`` is called before each send: it returns the seconds to wait (0 when there is
    budget) and counts the request against the remaining budget, so that concurrent callers do
    not all fire on the last slot. ``observe(headers, now)`` is called with each response.
    """

    def __init__(self, *, window: float = 60.0, margin: float = 0.05) -> None:
        self._window = window
        self._lock = threading.Lock()
        self._limit: int | None = None
        self._remaining: int | None = None
        self._reset_at: float | None = None
        # Requests reserved in a window that has not started yet must wait until it does.
        self._available_at = float("-inf")
        self._margin = margin

    def __repr__(self) -> str:
        state = self.state
        return (
            f"RateLimiter(limit={state.limit}, remaining={state.remaining}, "
            f"reset_at={state.reset_at})"
        )

    @property
    def state(self) -> RateLimitState:
        """The current window as last reported, minus requests reserved since."""
        with self._lock:
            return RateLimitState(self._limit, self._remaining, self._reset_at)

    def observe(self, headers: Mapping[str, str], now: float) -> None:
        """Update from a response's ``X-Rate-Limit-*`` headers (ignored when absent/garbage)."""
        limit = _parse_int(headers.get("X-Rate-Limit-Limit") or headers.get("x-rate-limit-limit"))
        remaining = _parse_int(
            headers.get("X-Rate-Limit-Remaining") or headers.get("x-rate-limit-remaining")
        )
        reset = parse_seconds(
            headers.get("X-Rate-Limit-Reset") or headers.get("x-rate-limit-reset")
        )
        if limit is None and remaining is None and reset is None:
            return
        with self._lock:
            if limit is not None:
                self._limit = limit
            if reset is not None:
                new_reset = now + reset + self._margin
                if (
                    remaining is not None
                    and self._reset_at is not None
                    and self._remaining is not None
                    and abs(new_reset - self._reset_at) < 1.0
                ):
                    # Same window: responses to concurrent requests may arrive out of order;
                    # the smallest remaining count is the freshest.
                    remaining = min(remaining, self._remaining)
                self._reset_at = new_reset
            if remaining is not None:
                self._remaining = remaining

    def _roll(self, now: float) -> None:
        # Called with the lock held: move past every window that has ended by ``now``.
        while self._reset_at is not None and now >= self._reset_at:
            self._remaining = self._limit
            self._reset_at = self._reset_at + self._window if self._limit is not None else None

    def reserve(self, now: float) -> float:
        """Seconds to wait before sending; counts the request against the window.

        When the window has reset the budget is refilled from the known limit, so a long run
        needs no response between windows to keep going. A caller told to wait has its slot
        reserved in the next window, so concurrent callers queue up behind it instead of
        all firing at the reset.
        """
        with self._lock:
            self._roll(now)
            if self._remaining is None:
                return 0.0
            if self._remaining > 0:
                self._remaining -= 1
                return max(self._available_at - now, 0.0)
            if self._reset_at is None:
                return 0.0
            # Budget spent: take a slot in the next window, which starts at the reset.
            send_at = self._reset_at
            self._roll(send_at)
            self._available_at = send_at
            if self._remaining is not None and self._remaining > 0:
                self._remaining -= 1
            return max(send_at - now, 0.0)
