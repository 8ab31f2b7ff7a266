"""Shared request budgets and the pod concurrency cap, across objects and processes."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import timedelta

import httpx
import pytest

from ml_connector import ConfigurationError
from ml_connector._redact import Secret
from ml_connector.audit import PostgresDatabase
from ml_connector.workers import (
    ConcurrencyCapTransport,
    PostgresConcurrencyCap,
    PostgresRateBudget,
    account_id_for,
)
from ml_connector.workers._budget import _next_slot


def max_in_any_window(times: list[float], window: float) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_the_next_slot_keeps_any_window_within_the_limit() -> None:
    from datetime import UTC, datetime

    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    span = timedelta(seconds=10)
    log: list[datetime] = []
    for _ in range(35):
        slot = _next_slot(t0, 0.0, log[-1] if log else None, log[::-1][:3], 3, span)
        log.append(slot)
    seconds = [(s - t0).total_seconds() for s in log]
    assert max_in_any_window(seconds, 10) == 3
    assert seconds[:3] == [0, 0, 0] and seconds[3] == 10


def test_forty_go_at_once_and_the_41st_waits_a_window(pg_db: PostgresDatabase) -> None:
    budget = PostgresRateBudget.shipstation_v1(pg_db, "acme-v1")
    waits = [budget.reserve(time.monotonic()) for _ in range(41)]
    assert all(w < 1 for w in waits[:40])
    assert 59 < waits[40] <= 61.5


def test_two_workers_share_one_account_and_not_another(pg_db: PostgresDatabase) -> None:
    one = PostgresRateBudget(pg_db, account="acme", limit=10, window=30, margin=0)
    two = PostgresRateBudget(pg_db, account="acme", limit=10, window=30, margin=0)
    other = PostgresRateBudget(pg_db, account="globex", limit=10, window=30, margin=0)
    waits = [w.reserve(0.0) for w in (one, two) * 5]
    assert max(waits) < 1
    assert one.reserve(0.0) > 25 and two.reserve(0.0) > 25
    assert other.reserve(0.0) < 1


def test_the_budget_also_honours_the_servers_headers(pg_db: PostgresDatabase) -> None:
    budget = PostgresRateBudget(pg_db, account="acme", limit=100, window=60)
    budget.observe(
        {"X-Rate-Limit-Limit": "40", "X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": "20"},
        now=0.0,
    )
    assert budget.reserve(0.0) >= 20  # the server said so, though the shared log is empty


WORKER = """
import sys, time
from datetime import timedelta
from ml_connector.audit import PostgresDatabase
from ml_connector.workers import PostgresRateBudget

url, schema = sys.argv[1], sys.argv[2]
db = PostgresDatabase(url, schema=schema)
budget = PostgresRateBudget(db, account="shared", limit=5, window=0.5, margin=0.05)
for _ in range(12):
    wait = budget.reserve(time.monotonic())
    time.sleep(wait)
    print(budget.last_slot.timestamp(), flush=True)  # the request's slot, on the DB's clock
db.close()
"""


def test_four_processes_never_exceed_the_limit_in_any_window(
    postgres_url: str, postgres_schema: str
) -> None:
    PostgresDatabase(postgres_url, schema=postgres_schema).close()
    workers = [
        # Our own interpreter running our own script: no untrusted input.
        subprocess.Popen(  # noqa: S603
            [sys.executable, "-c", WORKER, postgres_url, postgres_schema],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    sent: list[float] = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        sent += [float(line) for line in out.split()]
    assert len(sent) == 48
    # The slots all workers got, on the database's clock: 5 per 0.5 s at most, in any window.
    assert max_in_any_window(sent, 0.5) <= 5
    # And the budget is used, not starved: 48 requests need at least 9 windows.
    assert sent and max(sent) - min(sent) < 9 * 0.55 + 4


def test_account_ids_never_hold_the_secret() -> None:
    key = "s3cr3t-api-key-value"
    account = account_id_for(Secret(key))
    assert key not in account and account.startswith("shipstation:")
    assert account == account_id_for(key)
    assert account != account_id_for(key, system="shipstation-v2")


def test_bad_budgets_are_refused(pg_db: PostgresDatabase) -> None:
    with pytest.raises(ConfigurationError):
        PostgresRateBudget(pg_db, account="a", limit=0)
    with pytest.raises(ConfigurationError):
        PostgresRateBudget(pg_db, account="", limit=1)
    assert "acme" in repr(PostgresRateBudget(pg_db, account="acme", limit=1))


def test_the_pod_cap_holds_across_threads(pg_db: PostgresDatabase) -> None:
    cap = PostgresConcurrencyCap(pg_db, pod="pod-1", limit=2, poll=0.01)
    in_flight, peak, lock = [0], [0], threading.Lock()

    def handler(request: httpx.Request) -> httpx.Response:
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        time.sleep(0.05)
        with lock:
            in_flight[0] -= 1
        return httpx.Response(200, json={"ok": True})

    transport = ConcurrencyCapTransport(cap, httpx.MockTransport(handler))
    with httpx.Client(transport=transport) as client:
        threads = [
            threading.Thread(target=lambda: client.get("https://pod.example/x")) for _ in range(6)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert peak[0] == 2
    assert cap.in_flight() == 0


def test_a_dead_holders_slot_comes_back_after_its_lease(pg_db: PostgresDatabase) -> None:
    cap = PostgresConcurrencyCap(pg_db, pod="pod-1", limit=1, lease=0.3)
    assert cap.try_acquire() is not None  # never released: its worker "died"
    assert cap.try_acquire() is None
    time.sleep(0.4)
    holder = cap.try_acquire()
    assert holder is not None
    with pytest.raises(TimeoutError):
        cap.acquire(timeout=0.1)
    cap.release(holder)
    assert cap.try_acquire() is not None
