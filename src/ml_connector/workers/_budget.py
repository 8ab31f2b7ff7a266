"""Request budgets shared by every worker, on the database's clock.

The in-process :class:`~ml_connector.RateLimiter` (the default) keeps one process inside a
ShipStation account's limit. Several workers on one account would each spend the whole limit,
so :class:`PostgresRateBudget` keeps the account's budget in Postgres: every request first
reserves a *slot* (a send time) in a per-account sliding-window log, under a row lock, on the
database's clock. A slot goes where fewer than ``limit`` slots lie in the ``window`` before it,
so **no window of that length, aligned anywhere, ever holds more than ``limit`` requests** from
all workers together (ShipStation's own window is fixed and its alignment unknown; a sliding
window is the stricter reading). ``margin`` widens the window to absorb network jitter between
the reservation and the request's arrival.

- V1: 40 requests a minute per API key pair
  (https://www.shipstation.com/docs/api/requirements/#api-rate-limits).
- V2: 200 requests a minute per API key by default (https://docs.shipstation.com/rate-limits).

A budget is keyed by an **account id**: an explicit name (``"acme-v1"``) or
:func:`account_id_for` (a SHA-256 of the key with a domain prefix); never the secret itself.

:class:`PostgresRateBudget` is a :class:`~ml_connector.RateLimiter` (it keeps the header-driven
behaviour too and waits for whichever is later), so it plugs into every client's ``limiter=``.

:class:`PostgresConcurrencyCap` caps concurrent requests per Oracle pod across workers: a slot
row per request in flight, with a lease so that a killed worker's slots come back by themselves;
:class:`ConcurrencyCapTransport` wraps a client's transport with it.
"""

from __future__ import annotations

import hashlib
import threading
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx

from ml_connector._clock import Clock, SystemClock
from ml_connector._errors import ConfigurationError
from ml_connector._ratelimit import RateLimiter
from ml_connector._redact import Secret
from ml_connector.audit import PostgresDatabase, new_owner_id
from ml_connector.audit._event import ensure_utc

if TYPE_CHECKING:
    import psycopg

__all__ = [
    "SHIPSTATION_V1_PER_MINUTE",
    "SHIPSTATION_V2_PER_MINUTE",
    "ConcurrencyCapTransport",
    "PostgresConcurrencyCap",
    "PostgresRateBudget",
    "account_id_for",
]

SHIPSTATION_V1_PER_MINUTE = 40
"""V1: 40 requests a minute per key pair (https://www.shipstation.com/docs/api/requirements/)."""
SHIPSTATION_V2_PER_MINUTE = 200
"""V2: 200 requests a minute per API key by default (https://docs.shipstation.com/rate-limits)."""


def account_id_for(api_key: str | Secret, *, system: str = "shipstation") -> str:
    """A stable account id derived from an API key, safe to store and to log.

    The key itself is never stored: only ``system:`` and the first 24 hex digits of the
    SHA-256 of ``system``, a NUL and the key.
    """
    raw = api_key.reveal() if isinstance(api_key, Secret) else api_key
    digest = hashlib.sha256(f"{system}\0{raw}".encode()).hexdigest()[:24]
    return f"{system}:{digest}"


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class PostgresRateBudget(RateLimiter):
    """One account's request budget, shared by every worker through Postgres.

    Args:
        database: The store (a :class:`~ml_connector.audit.PostgresDatabase`, e.g.
            ``sink.database``).
        account: The account id (see :func:`account_id_for`); never the secret.
        limit: Requests allowed in any ``window``.
        window: The window's length (seconds or a timedelta).
        margin: Extra seconds added to the window against jitter between reserving and arriving.
        time_scale: Seconds of the caller's clock per second of the database's (1; only tests
            that run clients and simulators on a faster clock change it).

    ``reserve(now)`` returns the seconds to wait before sending, as the in-process limiter does;
    it blocks for one short transaction (also when called from an async client).
    """

    def __init__(
        self,
        database: PostgresDatabase,
        *,
        account: str,
        limit: int,
        window: float | timedelta = 60.0,
        margin: float = 1.0,
        time_scale: float = 1.0,
    ) -> None:
        window_s = _seconds(window)
        if limit < 1 or window_s <= 0 or margin < 0:
            raise ConfigurationError("a rate budget needs limit >= 1, window > 0, margin >= 0")
        if not account or len(account) > 200:
            raise ConfigurationError("a rate budget needs an account id of 1 to 200 characters")
        super().__init__(window=window_s)
        self.database = database
        self.account = account
        self.limit = limit
        self.span = timedelta(seconds=window_s + margin)
        self.last_slot: datetime | None = None
        self.time_scale = time_scale

    @classmethod
    def shipstation_v1(cls, database: PostgresDatabase, account: str) -> PostgresRateBudget:
        """V1's budget: 40 requests a minute."""
        return cls(database, account=account, limit=SHIPSTATION_V1_PER_MINUTE)

    @classmethod
    def shipstation_v2(cls, database: PostgresDatabase, account: str) -> PostgresRateBudget:
        """V2's default budget: 200 requests a minute."""
        return cls(database, account=account, limit=SHIPSTATION_V2_PER_MINUTE)

    def __repr__(self) -> str:
        return (
            f"PostgresRateBudget(account={self.account!r}, limit={self.limit},"
            f" span={self.span.total_seconds():g}s)"
        )

    def reserve(self, now: float) -> float:
        local = super().reserve(now)
        slot, db_now = self.reserve_slot(not_before=local / self.time_scale)
        return max(local, (slot - db_now).total_seconds() * self.time_scale)

    def reserve_slot(self, *, not_before: float = 0.0) -> tuple[datetime, datetime]:
        """Take the next free slot at least ``not_before`` seconds from now.

        Returns:
            The slot's time and the database's time when it was taken.
        """
        db = self.database
        limit, span = self.limit, self.span

        def work(conn: psycopg.Connection[Any]) -> tuple[datetime, datetime]:
            conn.execute(
                db.sql("INSERT INTO {s}.rate_budgets (account) VALUES (%s) ON CONFLICT DO NOTHING"),
                (self.account,),
            )
            row = conn.execute(
                db.sql(
                    "SELECT last_slot, clock_timestamp() FROM {s}.rate_budgets"
                    " WHERE account = %s FOR UPDATE"
                ),
                (self.account,),
            ).fetchone()
            assert row is not None
            last, now = row[0], ensure_utc(row[1])
            recent = [
                ensure_utc(r[0])
                for r in conn.execute(
                    db.sql(
                        "SELECT slot_at FROM {s}.rate_slots WHERE account = %s"
                        " ORDER BY slot_at DESC LIMIT %s"
                    ),
                    (self.account, limit),
                ).fetchall()
            ]
            slot = _next_slot(now, not_before, last, recent, limit, span)
            conn.execute(
                db.sql("INSERT INTO {s}.rate_slots (account, slot_at) VALUES (%s, %s)"),
                (self.account, slot),
            )
            conn.execute(
                db.sql("UPDATE {s}.rate_budgets SET last_slot = %s WHERE account = %s"),
                (slot, self.account),
            )
            conn.execute(
                db.sql("DELETE FROM {s}.rate_slots WHERE account = %s AND slot_at < %s"),
                (self.account, now - 2 * span),
            )
            return slot, now

        slot, now = db.run(work)
        self.last_slot = slot
        return slot, now


def _next_slot(
    now: datetime,
    not_before: float,
    last: datetime | None,
    recent: list[datetime],
    limit: int,
    span: timedelta,
) -> datetime:
    """The earliest send time keeping every ``span`` at ``limit`` requests or fewer.

    Slots are handed out in time order, so the requests within ``span`` before a new slot are a
    suffix of the log: the new slot must come ``span`` after the ``limit``-th most recent one.
    """
    slot = now + timedelta(seconds=max(0.0, not_before))
    if last is not None:
        slot = max(slot, ensure_utc(last))
    if len(recent) >= limit:
        slot = max(slot, recent[limit - 1] + span)
    return slot


class PostgresConcurrencyCap:
    """At most ``limit`` requests in flight to one Oracle pod, across every worker.

    Args:
        database: The store.
        pod: The pod's id (its host name, say).
        limit: Concurrent requests allowed.
        lease: How long a slot lives without a release (longer than a request's timeout), so a
            killed worker's slots come back by themselves.
        poll: Seconds between attempts while the pod is full.
        clock: Where sleeps go (tests pass a virtual clock).
    """

    def __init__(
        self,
        database: PostgresDatabase,
        *,
        pod: str,
        limit: int,
        lease: float | timedelta = 120.0,
        poll: float = 0.05,
        clock: Clock | None = None,
    ) -> None:
        if limit < 1:
            raise ConfigurationError("a concurrency cap needs limit >= 1")
        self.database = database
        self.pod = pod
        self.limit = limit
        self.lease = timedelta(seconds=_seconds(lease))
        self.poll = poll
        self.clock = clock or SystemClock()
        self._owner = new_owner_id()
        self._count = 0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"PostgresConcurrencyCap(pod={self.pod!r}, limit={self.limit})"

    def try_acquire(self) -> str | None:
        """A slot's holder id, or None when the pod is full."""
        with self._lock:
            self._count += 1
            holder = f"{self._owner}:{self._count}"
        db = self.database

        def work(conn: psycopg.Connection[Any]) -> bool:
            # One advisory lock per pod serialises the count-and-insert.
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"pod:{self.pod}",))
            conn.execute(
                db.sql(
                    "DELETE FROM {s}.concurrency_slots WHERE pod = %s"
                    " AND expires_at <= clock_timestamp()"
                ),
                (self.pod,),
            )
            row = conn.execute(
                db.sql("SELECT count(*) FROM {s}.concurrency_slots WHERE pod = %s"), (self.pod,)
            ).fetchone()
            if row is None or int(row[0]) >= self.limit:
                return False
            conn.execute(
                db.sql(
                    "INSERT INTO {s}.concurrency_slots (pod, holder, expires_at)"
                    " VALUES (%s, %s, clock_timestamp() + %s)"
                ),
                (self.pod, holder, self.lease),
            )
            return True

        return holder if db.run(work) else None

    def acquire(self, timeout: float | None = None) -> str:
        """Wait for a slot; returns its holder id (give it to :meth:`release`)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            holder = self.try_acquire()
            if holder is not None:
                return holder
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"no free request slot for pod {self.pod} in {timeout} s")
            self.clock.sleep(self.poll)

    async def async_acquire(self) -> str:
        """:meth:`acquire` for async code (the attempt itself is one short transaction)."""
        while True:
            holder = self.try_acquire()
            if holder is not None:
                return holder
            await self.clock.async_sleep(self.poll)

    def release(self, holder: str) -> None:
        """Give a slot back."""
        self.database.fetch(
            "DELETE FROM {s}.concurrency_slots WHERE pod = %s AND holder = %s RETURNING holder",
            (self.pod, holder),
        )

    def in_flight(self) -> int:
        """Requests in flight to the pod now, from every worker."""
        rows = self.database.fetch(
            "SELECT count(*) FROM {s}.concurrency_slots WHERE pod = %s"
            " AND expires_at > clock_timestamp()",
            (self.pod,),
        )
        return int(rows[0][0])


class ConcurrencyCapTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """An httpx transport holding a pod slot for the length of each request.

    Args:
        cap: The pod's cap.
        transport: The transport to send through (sync, async, or one object that is both).
    """

    def __init__(
        self, cap: PostgresConcurrencyCap, transport: httpx.BaseTransport | httpx.AsyncBaseTransport
    ) -> None:
        self.cap = cap
        self.transport = transport

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not isinstance(self.transport, httpx.BaseTransport):
            raise TypeError("this transport wraps an async transport; use an AsyncClient")
        holder = self.cap.acquire()
        try:
            response = self.transport.handle_request(request)
            response.read()
            return response
        finally:
            self.cap.release(holder)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not isinstance(self.transport, httpx.AsyncBaseTransport):
            raise TypeError("this transport wraps a sync transport; use a Client")
        holder = await self.cap.async_acquire()
        try:
            response = await self.transport.handle_async_request(request)
            await response.aread()
            return response
        finally:
            self.cap.release(holder)
