"""The SQLite audit sink and checkpoint store (stdlib :mod:`sqlite3`), the embedded default.

One file holds the events, their payloads (stored once per content hash), the checkpoints and a
``schema_version`` table. The database runs in WAL mode with a busy timeout and every write is
one ``BEGIN IMMEDIATE`` transaction, so several processes may write at once (they queue for
the write lock) and a process killed at any point loses no committed event: SQLite recovers the
WAL on the next open. ``synchronous=FULL`` (the default) also keeps committed events through a
power cut; ``NORMAL`` trades that for speed (a killed process still loses nothing).

The schema moves forward only: opening an older file applies the missing migrations in one
transaction; opening a file written by a newer version is refused.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Literal

from ml_connector._clock import Clock
from ml_connector._errors import AuditError
from ml_connector._json import dumps, loads

from ._checkpoint import Checkpoint
from ._event import AuditEvent, RecordRef, format_utc, parse_utc
from ._sql import (
    SELECT_EVENT,
    SqlSink,
    checkpoint_from_rows,
    checkpoint_params,
    event_from_row,
)

__all__ = ["SCHEMA_VERSION", "SqliteAuditSink", "SqliteCheckpointStore"]

Synchronous = Literal["FULL", "NORMAL"]

# Each entry moves the schema one version forward. Never edit a released entry: append one.
_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: events, with payloads stored once per content hash.
    (
        """CREATE TABLE payloads (
            sha256 TEXT PRIMARY KEY,
            body TEXT NOT NULL
        )""",
        """CREATE TABLE events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            event_id TEXT NOT NULL UNIQUE,
            correlation_id TEXT NOT NULL,
            occurred_at TEXT NOT NULL,
            source TEXT NOT NULL,
            record_type TEXT NOT NULL,
            record_id TEXT NOT NULL,
            stage TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            target TEXT,
            posting_key TEXT,
            detail TEXT,
            oracle_id TEXT,
            payload_sha256 TEXT REFERENCES payloads (sha256),
            error TEXT
        )""",
        """CREATE INDEX events_by_record
            ON events (source, record_type, record_id, occurred_at, seq)""",
        "CREATE INDEX events_by_correlation ON events (correlation_id, occurred_at, seq)",
        "CREATE INDEX events_by_stage ON events (stage, occurred_at, seq)",
        "CREATE INDEX events_by_time ON events (occurred_at, seq)",
    ),
    # 2: checkpoints for incremental sync, in the same file.
    (
        """CREATE TABLE checkpoints (
            job TEXT NOT NULL,
            source TEXT NOT NULL,
            watermark TEXT NOT NULL,
            seen_ids TEXT NOT NULL,
            PRIMARY KEY (job, source)
        )""",
    ),
    # 3: claims on records (see ``_claims.py``): a lease with a fencing token per key.
    (
        """CREATE TABLE claims (
            key TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            token INTEGER NOT NULL,
            claimed_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            released INTEGER NOT NULL DEFAULT 0
        )""",
    ),
)
PAGE_SIZE = 8192
"""The page size of a new audit file (SQLite's default is 4096). A stored payload is about
2.5 KB of JSON: one fits a 4 KB page with the rest of it left over, three an 8 KB page. Writing
a 10,000-order day's 20,000 events and 10,000 payloads took a quarter less CPU, into a quarter
less file. An existing file keeps the page size it was made with."""

SCHEMA_VERSION = len(_MIGRATIONS)
"""The schema version this release writes."""

_SELECT = (
    SELECT_EVENT
    + """
    FROM events AS e LEFT JOIN payloads AS p ON p.sha256 = e.payload_sha256
"""
)
# The latest event of each record: ties on time are broken by write order, as in every sink.
_LATEST = (
    SELECT_EVENT  # noqa: S608 - constants only, no input
    + """
    FROM (
        SELECT *, ROW_NUMBER() OVER (
            PARTITION BY source, record_type, record_id ORDER BY occurred_at DESC, seq DESC
        ) AS rank
        FROM events
    ) AS e LEFT JOIN payloads AS p ON p.sha256 = e.payload_sha256
    WHERE e.rank = 1
"""
)
# The latest event of each record asked for, one index probe per record (events_by_record,
# read backwards); ``wanted`` is a VALUES list of (source, record_type, record_id).
_LATEST_OF = (
    "WITH wanted(source, record_type, record_id) AS (VALUES {values}) "  # noqa: S608 - constants
    + SELECT_EVENT
    + """, e.seq
    FROM wanted AS w
    JOIN events AS e ON e.seq = (
        SELECT i.seq FROM events AS i
        WHERE i.source = w.source AND i.record_type = w.record_type AND i.record_id = w.record_id
        ORDER BY i.occurred_at DESC, i.seq DESC
        LIMIT 1
    )
    LEFT JOIN payloads AS p ON p.sha256 = e.payload_sha256
"""
)
_RECORDS_PER_QUERY = 300
"""Three parameters per record: well under SQLite's oldest limit of 999 per statement."""
_QUERY_SIZES = (10, 30, 100, _RECORDS_PER_QUERY)
"""The lengths a :data:`_LATEST_OF` list is padded to (with rows that match nothing), so the
connection caches a few statements instead of one per length asked for: a prepared statement
for 300 records takes about 150 KB of SQLite's memory, and :mod:`sqlite3` keeps 128 of them."""


def _migrate(conn: sqlite3.Connection, target: int = SCHEMA_VERSION) -> None:
    """Bring the schema to ``target``, applying the missing migrations in one transaction."""
    if _version(conn) == target:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        current = _version(conn)
        if current is None:
            conn.execute("INSERT INTO schema_version (version) VALUES (0)")
            current = 0
        if current > SCHEMA_VERSION:
            raise AuditError(
                f"the audit database has schema version {current}, newer than this release"
                f" understands ({SCHEMA_VERSION}); upgrade ml-connector"
            )
        for version in range(current + 1, target + 1):
            for statement in _MIGRATIONS[version - 1]:
                conn.execute(statement)
            conn.execute("UPDATE schema_version SET version = ?", (version,))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _version(conn: sqlite3.Connection) -> int | None:
    try:
        row = conn.execute("SELECT version FROM schema_version").fetchone()
    except sqlite3.OperationalError:  # no such table: a new file
        return None
    return None if row is None else int(row[0])


class _Database:
    """One connection to one SQLite file, shared by a sink and its checkpoint store.

    A lock serialises use of the connection, so one sink may be shared by threads.
    """

    def __init__(self, path: str, *, timeout: float, synchronous: Synchronous) -> None:
        if synchronous not in ("FULL", "NORMAL"):
            raise AuditError(f"synchronous must be FULL or NORMAL, got {synchronous!r}")
        self.path = path
        self.lock = threading.RLock()
        try:
            self.conn = sqlite3.connect(
                path, timeout=timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise AuditError(f"cannot open audit database {path}: {exc}") from exc
        try:
            self.conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            # Before WAL: a new file takes the page size; an existing one keeps its own.
            self.conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute(f"PRAGMA synchronous = {synchronous}")
            self.conn.execute("PRAGMA foreign_keys = ON")
            _migrate(self.conn)
        except sqlite3.Error as exc:
            self.conn.close()
            raise AuditError(f"cannot prepare audit database {path}: {exc}") from exc
        except BaseException:
            self.conn.close()
            raise

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction; ``BEGIN IMMEDIATE`` takes the write lock up front (no upgrade
        deadlock between processes) and waits up to the busy timeout for it."""
        with self.lock:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise AuditError(f"cannot write to audit database {self.path}: {exc}") from exc
            try:
                yield self.conn
                self.conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise AuditError(f"cannot write to audit database {self.path}: {exc}") from exc
            except BaseException:
                self._rollback()
                raise

    def _rollback(self) -> None:
        # SQLite may already have rolled back (e.g. after SQLITE_FULL); then there is nothing
        # to undo and the original error is the one worth reporting.
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def read(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        with self.lock:
            try:
                return self.conn.execute(sql, tuple(params)).fetchall()
            except sqlite3.Error as exc:
                raise AuditError(f"cannot read audit database {self.path}: {exc}") from exc

    def close(self) -> None:
        with self.lock:
            self.conn.close()


def _row_to_event(row: Any) -> AuditEvent:
    return event_from_row(row, parse_utc)


class _SqliteFile:
    """Opens one SQLite file: the constructor the sink and the checkpoint store share."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        timeout: float = 30.0,
        synchronous: Synchronous = "FULL",
    ) -> None:
        self._db = _Database(os.fspath(path), timeout=timeout, synchronous=synchronous)
        self._opened()

    def _opened(self) -> None:
        """What a subclass attaches to the open file."""


class SqliteAuditSink(_SqliteFile, SqlSink):
    """Audit events in a SQLite file. Safe for threads and for several processes at once.

    Args:
        path: The database file (created with its schema on first open), or ``":memory:"``.
        timeout: Seconds to wait for another writer's lock before failing.
        synchronous: ``"FULL"`` (default: committed events survive a power cut) or
            ``"NORMAL"`` (faster; a killed process still loses nothing).
        clock: The clock of the claims' leases (default: the system clock). Tests on a virtual
            clock pass theirs, so that leases expire in the time their runs live in.

    The sink's :attr:`checkpoints` store and :attr:`claims` live in the same file.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        timeout: float = 30.0,
        synchronous: Synchronous = "FULL",
        clock: Clock | None = None,
    ) -> None:
        self._claims_clock = clock
        super().__init__(path, timeout=timeout, synchronous=synchronous)

    def _opened(self) -> None:
        self.path = self._db.path
        self.checkpoints = SqliteCheckpointStore._sharing(self._db)
        from ._claims import SqliteClaimStore

        self.claims = SqliteClaimStore(self._db, clock=self._claims_clock)
        """Claims on posting keys, in the same file (see :class:`SqliteClaimStore`)."""

    def __repr__(self) -> str:
        return f"SqliteAuditSink({self.path!r})"

    def close(self) -> None:
        """Close the connection (and that of :attr:`checkpoints`)."""
        self._db.close()

    def schema_version(self) -> int:
        """The schema version of the open file."""
        return int(self._db.read("SELECT version FROM schema_version")[0][0])

    def _insert(
        self, payloads: list[tuple[str | None, str]], rows: list[tuple[object, ...]]
    ) -> None:
        with self._db.write() as conn:
            conn.executemany(
                "INSERT OR IGNORE INTO payloads (sha256, body) VALUES (?, ?)", payloads
            )
            conn.executemany(
                """INSERT OR IGNORE INTO events (event_id, correlation_id, occurred_at, source,
                    record_type, record_id, stage, attempt, target, posting_key, detail,
                    oracle_id, payload_sha256, error)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                rows,
            )

    _MARK = "?"
    _SELECT = _SELECT
    _LATEST = _LATEST
    _BY_STAGE = " AND e.stage = ?"
    _event = staticmethod(_row_to_event)
    _when = staticmethod(format_utc)

    def _fetch(self, sql: str, params: Sequence[Any]) -> list[Any]:
        return self._db.read(sql, params)

    def _latest_of(self, wanted: list[RecordRef]) -> list[AuditEvent]:
        rows: list[Any] = []
        for n in range(0, len(wanted), _RECORDS_PER_QUERY):
            part = wanted[n : n + _RECORDS_PER_QUERY]
            size = next(size for size in _QUERY_SIZES if size >= len(part))
            sql = _LATEST_OF.format(values=", ".join(["(?, ?, ?)"] * size))
            params: list[str | None] = [v for r in part for v in (r.system, r.kind, r.id)]
            # NULL never equals anything: a padding row finds no event.
            params += [None] * (3 * (size - len(part)))
            rows += self._db.read(sql, params)
        # Ordered by time, ties in write order, as every read is (seq is the last column).
        rows.sort(key=lambda row: (row[2], row[-1]))
        return [_row_to_event(row[:-1]) for row in rows]


class SqliteCheckpointStore(_SqliteFile):
    """Checkpoints in a SQLite file (by default the audit database: ``sink.checkpoints``).

    Args:
        path: The database file; the same file as a :class:`SqliteAuditSink` is fine.
        timeout: Seconds to wait for another writer's lock.
        synchronous: As for :class:`SqliteAuditSink`.
    """

    @classmethod
    def _sharing(cls, db: _Database) -> SqliteCheckpointStore:
        store = cls.__new__(cls)
        store._db = db
        return store

    def __repr__(self) -> str:
        return f"SqliteCheckpointStore({self._db.path!r})"

    def close(self) -> None:
        """Close the connection (closing a sink's store closes the sink too)."""
        self._db.close()

    def load(self, job: str, source: str) -> Checkpoint | None:
        rows = self._db.read(
            "SELECT watermark, seen_ids FROM checkpoints WHERE job = ? AND source = ?",
            (job, source),
        )
        return checkpoint_from_rows(job, source, rows, parse_utc, loads)

    def save(self, checkpoint: Checkpoint) -> None:
        with self._db.write() as conn:
            conn.execute(
                """INSERT INTO checkpoints (job, source, watermark, seen_ids)
                VALUES (?, ?, ?, ?)
                ON CONFLICT (job, source) DO UPDATE
                SET watermark = excluded.watermark, seen_ids = excluded.seen_ids""",
                checkpoint_params(checkpoint, format_utc, dumps),
            )
