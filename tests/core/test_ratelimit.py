"""The proactive limiter, driven with plain header dicts and explicit times."""

from __future__ import annotations

import threading

from ml_connector import RateLimiter


def headers(limit: int, remaining: int, reset: int) -> dict[str, str]:
    return {
        "X-Rate-Limit-Limit": str(limit),
        "X-Rate-Limit-Remaining": str(remaining),
        "X-Rate-Limit-Reset": str(reset),
    }


def test_no_information_means_no_wait() -> None:
    limiter = RateLimiter()
    assert limiter.reserve(0.0) == 0.0
    assert limiter.state.limit is None


def test_waits_for_the_reset_when_remaining_is_zero() -> None:
    limiter = RateLimiter(margin=0.0)
    limiter.observe(headers(40, 0, 22), now=100.0)
    assert limiter.reserve(100.0) == 22.0
    state = limiter.state
    assert state.limit == 40
    assert state.remaining == 39  # one slot of the next window is taken by the waiter


def test_counts_down_reservations_between_responses() -> None:
    limiter = RateLimiter(margin=0.0)
    limiter.observe(headers(40, 2, 30), now=0.0)
    assert limiter.reserve(1.0) == 0.0
    assert limiter.reserve(1.0) == 0.0
    assert limiter.reserve(1.0) == 29.0
    assert limiter.state.remaining == 39


def test_concurrent_waiters_queue_behind_each_other() -> None:
    limiter = RateLimiter(margin=0.0)
    limiter.observe(headers(2, 0, 10), now=0.0)
    waits = [limiter.reserve(0.0) for _ in range(5)]
    # Two slots per 60 s window: 10, 10, then the window after: 70, 70, then 130.
    assert waits == [10.0, 10.0, 70.0, 70.0, 130.0]


def test_refills_after_the_window_without_a_response() -> None:
    limiter = RateLimiter(margin=0.0)
    limiter.observe(headers(40, 0, 5), now=0.0)
    assert limiter.reserve(6.0) == 0.0
    assert limiter.state.remaining == 39


def test_garbage_headers_are_ignored() -> None:
    limiter = RateLimiter()
    limiter.observe(
        {"X-Rate-Limit-Limit": "x", "X-Rate-Limit-Remaining": "-1", "X-Rate-Limit-Reset": "soon"},
        now=0.0,
    )
    assert limiter.state.limit is None and limiter.state.remaining is None
    assert limiter.reserve(0.0) == 0.0


def test_out_of_order_responses_keep_the_lowest_remaining_in_a_window() -> None:
    limiter = RateLimiter(margin=0.0)
    limiter.observe(headers(40, 10, 30), now=0.0)
    limiter.observe(headers(40, 12, 30), now=0.2)  # a slower, older response arrives late
    assert limiter.state.remaining == 10


def test_reset_in_reports_seconds_left() -> None:
    limiter = RateLimiter(margin=0.0)
    limiter.observe(headers(40, 5, 30), now=10.0)
    assert limiter.state.reset_in(25.0) == 15.0
    assert limiter.state.reset_in(99.0) == 0.0


def test_thread_safe_reservations_never_oversubscribe() -> None:
    limiter = RateLimiter(margin=0.0)
    limiter.observe(headers(40, 40, 60), now=0.0)
    immediate: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(10):
            wait = limiter.reserve(0.0)
            with lock:
                immediate.append(wait)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(1 for w in immediate if w == 0.0) == 40
    assert len(immediate) == 80
