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
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Literal

from ml_connector._errors import AuditError
from ml_connector._json import dumps, loads

from ._checkpoint import Checkpoint
from ._event import AuditEvent, RecordRef, Stage, dump_canonical, format_utc, parse_utc

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
SCHEMA_VERSION = len(_MIGRATIONS)
"""The schema version this release writes."""

_COLUMNS = """
    SELECT e.event_id, e.correlation_id, e.occurred_at, e.source, e.record_type, e.record_id,
           e.stage, e.attempt, e.target, e.posting_key, e.detail, e.oracle_id, p.body,
           e.payload_sha256, e.error
"""
_SELECT = (
    _COLUMNS
    + """
    FROM events AS e LEFT JOIN payloads AS p ON p.sha256 = e.payload_sha256
"""
)
# The latest event of each record: ties on time are broken by write order, as in every sink.
_LATEST = """
    SELECT e.event_id, e.correlation_id, e.occurred_at, e.source, e.record_type, e.record_id,
           e.stage, e.attempt, e.target, e.posting_key, e.detail, e.oracle_id, p.body,
           e.payload_sha256, e.error
    FROM (
        SELECT *, ROW_NUMBER() OVER (
            PARTITION BY source, record_type, record_id ORDER BY occurred_at DESC, seq DESC
        ) AS rank
        FROM events
    ) AS e LEFT JOIN payloads AS p ON p.sha256 = e.payload_sha256
    WHERE e.rank = 1
"""
# The latest event of each record asked for, one index probe per record (events_by_record,
# read backwards); ``wanted`` is a VALUES list of (source, record_type, record_id).
_LATEST_OF = """
    WITH wanted(source, record_type, record_id) AS (VALUES {values})
    SELECT e.event_id, e.correlation_id, e.occurred_at, e.source, e.record_type, e.record_id,
           e.stage, e.attempt, e.target, e.posting_key, e.detail, e.oracle_id, p.body,
           e.payload_sha256, e.error, e.seq
    FROM wanted AS w
    JOIN events AS e ON e.seq = (
        SELECT i.seq FROM events AS i
        WHERE i.source = w.source AND i.record_type = w.record_type AND i.record_id = w.record_id
        ORDER BY i.occurred_at DESC, i.seq DESC
        LIMIT 1
    )
    LEFT JOIN payloads AS p ON p.sha256 = e.payload_sha256
"""
_RECORDS_PER_QUERY = 300
"""Three parameters per record: well under SQLite's oldest limit of 999 per statement."""


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
    (event_id, correlation_id, occurred_at, source, record_type, record_id, stage, attempt,
     target, posting_key, detail, oracle_id, body, payload_sha256, error) = row  # fmt: skip
    try:
        return AuditEvent(
            event_id=event_id,
            correlation_id=correlation_id,
            occurred_at=parse_utc(occurred_at),
            record=RecordRef(source, record_type, record_id),
            stage=Stage(stage),
            attempt=attempt,
            target=target,
            posting_key=posting_key,
            detail=detail,
            oracle_id=oracle_id,
            payload=body,
            payload_sha256=payload_sha256,
            error=None if error is None else loads(error),
        )
    except (ValueError, TypeError) as exc:
        raise AuditError(f"audit event {event_id} is malformed in the database: {exc}") from exc


class SqliteAuditSink:
    """Audit events in a SQLite file. Safe for threads and for several processes at once.

    Args:
        path: The database file (created with its schema on first open), or ``":memory:"``.
        timeout: Seconds to wait for another writer's lock before failing.
        synchronous: ``"FULL"`` (default: committed events survive a power cut) or
            ``"NORMAL"`` (faster; a killed process still loses nothing).

    The sink's :attr:`checkpoints` store and :attr:`claims` live in the same file.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        timeout: float = 30.0,
        synchronous: Synchronous = "FULL",
    ) -> None:
        self.path = os.fspath(path)
        self._db = _Database(self.path, timeout=timeout, synchronous=synchronous)
        self.checkpoints = SqliteCheckpointStore._sharing(self._db)
        from ._claims import SqliteClaimStore

        self.claims = SqliteClaimStore(self._db)
        """Claims on posting keys, in the same file (see :class:`SqliteClaimStore`)."""

    def __repr__(self) -> str:
        return f"SqliteAuditSink({self.path!r})"

    def __enter__(self) -> SqliteAuditSink:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (and that of :attr:`checkpoints`)."""
        self._db.close()

    def schema_version(self) -> int:
        """The schema version of the open file."""
        return int(self._db.read("SELECT version FROM schema_version")[0][0])

    def write(self, event: AuditEvent) -> None:
        self.write_many((event,))

    def write_many(self, events: Iterable[AuditEvent]) -> None:
        batch = list(events)
        if not batch:
            return
        payloads = [(e.payload_sha256, e.payload) for e in batch if e.payload is not None]
        rows = [
            (
                e.event_id,
                e.correlation_id,
                format_utc(e.occurred_at),
                e.record.system,
                e.record.kind,
                e.record.id,
                e.stage.value,
                e.attempt,
                e.target,
                e.posting_key,
                e.detail,
                e.oracle_id,
                e.payload_sha256,
                None if e.error is None else dump_canonical(e.error),
            )
            for e in batch
        ]
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

    def events(
        self,
        *,
        record: RecordRef | None = None,
        correlation_id: str | None = None,
        stage: Stage | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[AuditEvent]:
        where: list[str] = []
        params: list[Any] = []
        if record is not None:
            where.append("e.source = ? AND e.record_type = ? AND e.record_id = ?")
            params += [record.system, record.kind, record.id]
        if correlation_id is not None:
            where.append("e.correlation_id = ?")
            params.append(correlation_id)
        if stage is not None:
            where.append("e.stage = ?")
            params.append(Stage(stage).value)
        if since is not None:
            where.append("e.occurred_at >= ?")
            params.append(format_utc(since))
        if until is not None:
            where.append("e.occurred_at < ?")
            params.append(format_utc(until))
        sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY e.occurred_at, e.seq"
        return [_row_to_event(row) for row in self._db.read(sql, params)]

    def latest(self, *, records: Collection[RecordRef] | None = None) -> list[AuditEvent]:
        if records is None:
            return self._latest()
        wanted = sorted(set(records), key=lambda r: (r.system, r.kind, r.id))
        rows: list[Any] = []
        for n in range(0, len(wanted), _RECORDS_PER_QUERY):
            part = wanted[n : n + _RECORDS_PER_QUERY]
            sql = _LATEST_OF.format(values=", ".join(["(?, ?, ?)"] * len(part)))
            params = [value for r in part for value in (r.system, r.kind, r.id)]
            rows += self._db.read(sql, params)
        # Ordered by time, ties in write order, as every read is (seq is the last column).
        rows.sort(key=lambda row: (row[2], row[-1]))
        return [_row_to_event(row[:-1]) for row in rows]

    def failed(self) -> list[AuditEvent]:
        return self._latest(Stage.FAILED)

    def _latest(self, stage: Stage | None = None) -> list[AuditEvent]:
        sql, params = _LATEST, []
        if stage is not None:
            sql += " AND e.stage = ?"
            params.append(stage.value)
        sql += " ORDER BY e.occurred_at, e.seq"
        return [_row_to_event(row) for row in self._db.read(sql, params)]


class SqliteCheckpointStore:
    """Checkpoints in a SQLite file (by default the audit database: ``sink.checkpoints``).

    Args:
        path: The database file; the same file as a :class:`SqliteAuditSink` is fine.
        timeout: Seconds to wait for another writer's lock.
        synchronous: As for :class:`SqliteAuditSink`.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        timeout: float = 30.0,
        synchronous: Synchronous = "FULL",
    ) -> None:
        self._db = _Database(os.fspath(path), timeout=timeout, synchronous=synchronous)

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
        if not rows:
            return None
        watermark, seen_ids = rows[0]
        try:
            return Checkpoint(job, source, parse_utc(watermark), frozenset(loads(seen_ids)))
        except (TypeError, ValueError) as exc:
            raise AuditError(f"checkpoint {job}/{source} is malformed: {exc}") from exc

    def save(self, checkpoint: Checkpoint) -> None:
        with self._db.write() as conn:
            conn.execute(
                """INSERT INTO checkpoints (job, source, watermark, seen_ids)
                VALUES (?, ?, ?, ?)
                ON CONFLICT (job, source) DO UPDATE
                SET watermark = excluded.watermark, seen_ids = excluded.seen_ids""",
                (
                    checkpoint.job,
                    checkpoint.source,
                    format_utc(checkpoint.watermark),
                    dumps(sorted(checkpoint.seen_ids)),
                ),
            )
