"""Claims: a record is posted by one worker at a time, whatever the number of workers.

Before a record is looked up or posted, its worker *claims* its key with a compare-and-set write:
a lease (an expiry) and a fencing token that grows by one every time the key changes hands.

- A key nobody holds, or whose holder released it, is taken.
- A key held by a live worker (lease not expired) is **busy**: the caller skips the record; the
  holder finishes it.
- A key whose lease expired without a release (the holder crashed, was killed or stopped) is
  **taken over**: the new claim says so (:attr:`Claim.taken_over`) and the caller must look the
  record up in the target before posting, since the previous holder may have posted it.
- :meth:`ClaimStore.renew` extends a lease only while the token is unchanged; a worker calls it
  right before posting, so a worker that was paused past its lease (and lost the key) finds out
  and does not post. That is the fencing: the token in hand must still be the stored one.

The lease must be longer than a request's timeout (plus its retries), so that a live worker's
in-flight post always ends before anyone can take its key; :func:`check_lease` says so.

Three stores keep the same contract (one shared test suite): :class:`MemoryClaimStore` (one
process), :class:`SqliteClaimStore` (processes on one machine, in the audit file) and
:class:`PostgresClaimStore` (workers on many machines; on the database's clock, so the hosts'
clocks do not matter).
"""

from __future__ import annotations

import json
import os
import socket
import threading
import uuid
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import attrs

from ml_connector._clock import Clock, SystemClock
from ml_connector._errors import ConfigurationError

from ._event import ensure_utc, format_utc, parse_utc

if TYPE_CHECKING:
    import psycopg

    from ._postgres import PostgresDatabase
    from ._sqlite import _Database

__all__ = [
    "Claim",
    "ClaimOutcome",
    "ClaimStore",
    "MemoryClaimStore",
    "PostgresClaimStore",
    "SqliteClaimStore",
    "check_lease",
    "new_owner_id",
]


def new_owner_id() -> str:
    """A claim owner id unique to this process: host, pid and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def check_lease(lease: timedelta, request_timeout: float, attempts: int = 1) -> None:
    """Refuse a lease that a live worker's post could outlast.

    Raises:
        ConfigurationError: ``lease`` is not longer than ``attempts`` request timeouts.
    """
    if lease.total_seconds() <= request_timeout * max(1, attempts):
        raise ConfigurationError(
            f"the claim lease ({lease.total_seconds():g} s) must be longer than the request"
            f" timeout times its attempts ({request_timeout * max(1, attempts):g} s)"
        )


@attrs.frozen
class Claim:
    """A key held by one owner until ``expires_at``.

    Attributes:
        key: The claimed key (a record's posting key).
        owner: Who holds it (see :func:`new_owner_id`).
        token: The fencing token: grows by one each time the key changes hands.
        expires_at: When the lease ends, on the store's clock (aware UTC).
        taken_over: The previous holder's lease expired without a release: it may have posted,
            so look the record up in the target before posting.
    """

    key: str
    owner: str
    token: int
    expires_at: datetime
    taken_over: bool = False


@attrs.frozen
class ClaimOutcome:
    """What one :meth:`ClaimStore.claim` call got.

    Attributes:
        held: The claims taken (or renewed, for keys this owner already held).
        busy: Keys held by another live owner: skip them.
    """

    held: tuple[Claim, ...]
    busy: tuple[str, ...]

    def claim_of(self, key: str) -> Claim | None:
        """The claim held on ``key``, if any."""
        for claim in self.held:
            if claim.key == key:
                return claim
        return None


@runtime_checkable
class ClaimStore(Protocol):
    """Compare-and-set leases on keys, shared by every worker that posts to one target."""

    def claim(self, keys: Collection[str], *, owner: str, lease: timedelta) -> ClaimOutcome:
        """Take every key that is free, released or expired; report the others as busy."""
        ...

    def renew(self, claims: Collection[Claim], *, lease: timedelta) -> list[Claim]:
        """Extend the claims whose token is still the stored one; the others are lost."""
        ...

    def release(self, claims: Iterable[Claim]) -> None:
        """Give keys back (only where the token still matches)."""
        ...


@attrs.frozen
class _Row:
    owner: str
    token: int
    expires_at: datetime
    released: bool


def _decide(
    key: str, row: _Row | None, owner: str, now: datetime, expires_at: datetime
) -> Claim | None:
    """The claim ``owner`` gets on ``key`` given its stored row, or None when it is busy."""
    if row is None:
        return Claim(key, owner, 1, expires_at)
    live = not row.released and row.expires_at > now
    if live and row.owner != owner:
        return None
    if live:  # our own live claim: renew, same token
        return Claim(key, owner, row.token, expires_at)
    return Claim(key, owner, row.token + 1, expires_at, taken_over=not row.released)


def _lease_of(lease: timedelta) -> timedelta:
    if lease <= timedelta(0):
        raise ConfigurationError(f"a claim lease must be positive, got {lease}")
    return lease


class MemoryClaimStore:
    """Claims in a dict: one process (threads and tasks). Thread-safe.

    Args:
        clock: Where time comes from (tests pass a virtual clock).
    """

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        self._rows: dict[str, _Row] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MemoryClaimStore(keys={len(self._rows)})"

    def claim(self, keys: Collection[str], *, owner: str, lease: timedelta) -> ClaimOutcome:
        lease = _lease_of(lease)
        held: list[Claim] = []
        busy: list[str] = []
        with self._lock:
            now = ensure_utc(self._clock.now())
            for key in sorted(set(keys)):
                got = _decide(key, self._rows.get(key), owner, now, now + lease)
                if got is None:
                    busy.append(key)
                    continue
                self._rows[key] = _Row(owner, got.token, got.expires_at, False)
                held.append(got)
        return ClaimOutcome(tuple(held), tuple(busy))

    def renew(self, claims: Collection[Claim], *, lease: timedelta) -> list[Claim]:
        lease = _lease_of(lease)
        kept: list[Claim] = []
        with self._lock:
            now = ensure_utc(self._clock.now())
            for claim in claims:
                row = self._rows.get(claim.key)
                if row is None or not _still_holds(row, claim, now):
                    continue
                self._rows[claim.key] = attrs.evolve(row, expires_at=now + lease)
                kept.append(attrs.evolve(claim, expires_at=now + lease))
        return kept

    def release(self, claims: Iterable[Claim]) -> None:
        with self._lock:
            for claim in claims:
                row = self._rows.get(claim.key)
                if row is not None and row.token == claim.token and row.owner == claim.owner:
                    self._rows[claim.key] = attrs.evolve(row, released=True)


def _still_holds(row: _Row, claim: Claim, now: datetime) -> bool:
    # An expired claim nobody took yet is still ours: the token is what fences.
    del now
    return row.token == claim.token and row.owner == claim.owner and not row.released


def _dead_here(owner: str) -> bool:
    """Whether ``owner`` (see :func:`new_owner_id`) was a process on this host that is gone."""
    parts = owner.split(":")
    if len(parts) < 3 or ":".join(parts[:-2]) != socket.gethostname():
        return False
    try:
        pid = int(parts[-2])
    except ValueError:
        return False
    if pid == os.getpid() or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # exists, owned by someone else
        return False
    return False


class SqliteClaimStore:
    """Claims in the SQLite audit file: several processes on one machine (``sink.claims``).

    Every call is one ``BEGIN IMMEDIATE`` transaction, so the compare and the set are atomic
    across processes. Time comes from ``clock`` (one machine: one clock). A claim whose holder
    was a process of this machine that no longer exists is taken over at once (and looked up
    first), so a crashed job restarted at once does not wait out its own lease.
    """

    def __init__(self, db: _Database, clock: Clock | None = None) -> None:
        self._db = db
        self._clock = clock or SystemClock()

    def __repr__(self) -> str:
        return f"SqliteClaimStore({self._db.path!r})"

    def _rows(self, conn: Any, keys: Sequence[str]) -> dict[str, _Row]:
        found: dict[str, _Row] = {}
        for key, owner, token, expires_at, released in conn.execute(
            "SELECT key, owner, token, expires_at, released FROM claims"
            " WHERE key IN (SELECT value FROM json_each(?))",
            (json.dumps(list(keys)),),
        ):
            found[key] = _Row(owner, int(token), parse_utc(expires_at), bool(released))
        return found

    def claim(self, keys: Collection[str], *, owner: str, lease: timedelta) -> ClaimOutcome:
        lease = _lease_of(lease)
        wanted = sorted(set(keys))
        held: list[Claim] = []
        busy: list[str] = []
        with self._db.write() as conn:
            now = ensure_utc(self._clock.now())
            until = now + lease
            rows = self._rows(conn, wanted)
            for key in wanted:
                row = rows.get(key)
                if row is not None and row.owner != owner and _dead_here(row.owner):
                    # One machine: a holder whose process is gone needs no lease to run out.
                    row = attrs.evolve(row, expires_at=now)
                got = _decide(key, row, owner, now, until)
                if got is None:
                    busy.append(key)
                    continue
                held.append(got)
            claimed_at, expires_at = format_utc(now), format_utc(until)
            conn.executemany(
                """INSERT INTO claims (key, owner, token, claimed_at, expires_at, released)
                VALUES (?, ?, ?, ?, ?, 0)
                ON CONFLICT (key) DO UPDATE SET owner = excluded.owner,
                    token = excluded.token, claimed_at = excluded.claimed_at,
                    expires_at = excluded.expires_at, released = 0""",
                [(got.key, owner, got.token, claimed_at, expires_at) for got in held],
            )
        return ClaimOutcome(tuple(held), tuple(busy))

    def renew(self, claims: Collection[Claim], *, lease: timedelta) -> list[Claim]:
        lease = _lease_of(lease)
        wanted = list(claims)
        with self._db.write() as conn:
            expires_at = ensure_utc(self._clock.now()) + lease
            text = format_utc(expires_at)
            # The rows read and the claims still theirs renewed in one statement each (the
            # transaction holds the write lock: no row changes in between).
            live = {
                (key, owner, int(token))
                for key, owner, token in conn.execute(
                    "SELECT key, owner, token FROM claims WHERE released = 0"
                    " AND key IN (SELECT value FROM json_each(?))",
                    (json.dumps([claim.key for claim in wanted]),),
                )
            }
            kept = [
                Claim(claim.key, claim.owner, claim.token, expires_at, claim.taken_over)
                for claim in wanted
                if (claim.key, claim.owner, claim.token) in live
            ]
            conn.executemany(
                "UPDATE claims SET expires_at = ? WHERE key = ? AND owner = ? AND token = ?",
                [(text, claim.key, claim.owner, claim.token) for claim in kept],
            )
        return kept

    def release(self, claims: Iterable[Claim]) -> None:
        batch = [(c.key, c.owner, c.token) for c in claims]
        if not batch:
            return
        with self._db.write() as conn:
            conn.executemany(
                "UPDATE claims SET released = 1 WHERE key = ? AND owner = ? AND token = ?", batch
            )


class PostgresClaimStore:
    """Claims in Postgres: workers on any number of machines (``sink.claims``).

    Time is the database's (``clock_timestamp()``), so skew between hosts does not matter.
    Rows locked by a concurrent claimer are skipped (``FOR UPDATE SKIP LOCKED``: that key is
    busy) and new keys are inserted in key order, so claimers never deadlock.
    """

    def __init__(self, database: PostgresDatabase) -> None:
        self.database = database

    def __repr__(self) -> str:
        return f"PostgresClaimStore(schema={self.database.schema!r})"

    def claim(self, keys: Collection[str], *, owner: str, lease: timedelta) -> ClaimOutcome:
        lease = _lease_of(lease)
        wanted = sorted(set(keys))
        if not wanted:
            return ClaimOutcome((), ())
        db = self.database

        def work(conn: psycopg.Connection[Any]) -> ClaimOutcome:
            now = conn.execute("SELECT clock_timestamp()").fetchone()
            assert now is not None
            now_at = ensure_utc(now[0])
            expires_at = now_at + lease
            inserted = {
                row[0]
                for row in conn.execute(
                    db.sql(
                        """INSERT INTO {s}.claims
                            (key, owner, token, claimed_at, expires_at, released)
                        SELECT k, %s, 1, %s, %s, FALSE FROM unnest(%s::text[]) AS k ORDER BY k
                        ON CONFLICT (key) DO NOTHING RETURNING key"""
                    ),
                    (owner, now_at, expires_at, wanted),
                ).fetchall()
            }
            rest = [k for k in wanted if k not in inserted]
            rows: dict[str, _Row] = {}
            if rest:
                for key, row_owner, token, row_expires, released in conn.execute(
                    db.sql(
                        """SELECT key, owner, token, expires_at, released FROM {s}.claims
                        WHERE key = ANY(%s::text[]) ORDER BY key FOR UPDATE SKIP LOCKED"""
                    ),
                    (rest,),
                ).fetchall():
                    rows[key] = _Row(row_owner, int(token), ensure_utc(row_expires), released)
            held = [Claim(k, owner, 1, expires_at) for k in sorted(inserted)]
            busy: list[str] = []
            updates: list[tuple[Any, ...]] = []
            for key in rest:
                row = rows.get(key)
                # No row visible: locked by a concurrent claimer (or inserted by one that has
                # not committed yet): busy.
                got = None if row is None else _decide(key, row, owner, now_at, expires_at)
                if got is None:
                    busy.append(key)
                    continue
                updates.append((owner, got.token, now_at, expires_at, key))
                held.append(got)
            if updates:
                with conn.cursor() as cur:
                    cur.executemany(
                        db.sql(
                            """UPDATE {s}.claims SET owner = %s, token = %s, claimed_at = %s,
                                expires_at = %s, released = FALSE WHERE key = %s"""
                        ),
                        updates,
                    )
            held.sort(key=lambda c: c.key)
            return ClaimOutcome(tuple(held), tuple(busy))

        return db.run(work)

    def renew(self, claims: Collection[Claim], *, lease: timedelta) -> list[Claim]:
        lease = _lease_of(lease)
        chosen = list(claims)
        if not chosen:
            return []
        rows = self.database.fetch(
            """UPDATE {s}.claims AS c SET expires_at = clock_timestamp() + %s
            FROM unnest(%s::text[], %s::text[], %s::bigint[]) AS w(key, owner, token)
            WHERE c.key = w.key AND c.owner = w.owner AND c.token = w.token
                AND NOT c.released
            RETURNING c.key, c.expires_at""",
            (
                lease,
                [c.key for c in chosen],
                [c.owner for c in chosen],
                [c.token for c in chosen],
            ),
        )
        renewed = {key: ensure_utc(at) for key, at in rows}
        return [attrs.evolve(c, expires_at=renewed[c.key]) for c in chosen if c.key in renewed]

    def release(self, claims: Iterable[Claim]) -> None:
        chosen = list(claims)
        if not chosen:
            return
        self.database.fetch(
            """UPDATE {s}.claims AS c SET released = TRUE
            FROM unnest(%s::text[], %s::text[], %s::bigint[]) AS w(key, owner, token)
            WHERE c.key = w.key AND c.owner = w.owner AND c.token = w.token
            RETURNING c.key""",
            ([c.key for c in chosen], [c.owner for c in chosen], [c.token for c in chosen]),
        )

    def held_by(self, owner: str) -> list[str]:
        """Keys ``owner`` holds now (for health output)."""
        return [
            row[0]
            for row in self.database.fetch(
                "SELECT key FROM {s}.claims WHERE owner = %s AND NOT released"
                " AND expires_at > clock_timestamp() ORDER BY key",
                (owner,),
            )
        ]
