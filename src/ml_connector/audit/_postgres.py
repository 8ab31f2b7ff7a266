"""The Postgres audit sink and checkpoint store (psycopg 3, the optional extra ``postgres``).

For installations that outgrow one machine: every worker on every host writes to one database.
The layout mirrors the SQLite file (events, payloads stored once per content hash, checkpoints,
``schema_version``) inside one Postgres schema (``ml_connector`` unless told otherwise), and so
do the guarantees:

- every write is one transaction; an event whose id is stored is ignored (``ON CONFLICT DO
  NOTHING``), so a retried write is harmless and concurrent writers never collide;
- the schema moves forward only, applied by the library on open under a transaction-scoped
  advisory lock, so a hundred workers starting at once migrate it exactly once; a database
  written by a newer release is refused;
- connections come from a :class:`psycopg_pool.ConnectionPool` (opened here from a connection
  string, or passed in to share one pool between the sink, its checkpoints, claims and budgets).

A pool must not cross :func:`os.fork`: open the sink in each worker process.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from ml_connector._errors import AuditError, ConfigurationError

from ._checkpoint import Checkpoint
from ._event import AuditEvent, RecordRef, Stage, dump_canonical, ensure_utc

if TYPE_CHECKING:
    import psycopg
    from psycopg_pool import ConnectionPool

__all__ = [
    "POSTGRES_SCHEMA_VERSION",
    "PostgresAuditSink",
    "PostgresCheckpointStore",
    "PostgresDatabase",
]

T = TypeVar("T")

# Each entry moves the schema one version forward. Never edit a released entry: append one.
# ``{s}`` is the schema name (validated as a plain identifier before it is substituted).
_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: events with payloads stored once per content hash, and checkpoints.
    (
        """CREATE TABLE {s}.payloads (
            sha256 TEXT PRIMARY KEY,
            body TEXT NOT NULL
        )""",
        """CREATE TABLE {s}.events (
            seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            event_id TEXT NOT NULL UNIQUE,
            correlation_id TEXT NOT NULL,
            occurred_at TIMESTAMPTZ NOT NULL,
            source TEXT NOT NULL,
            record_type TEXT NOT NULL,
            record_id TEXT NOT NULL,
            stage TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            target TEXT,
            posting_key TEXT,
            detail TEXT,
            oracle_id TEXT,
            payload_sha256 TEXT REFERENCES {s}.payloads (sha256),
            error TEXT
        )""",
        """CREATE INDEX events_by_record
            ON {s}.events (source, record_type, record_id, occurred_at, seq)""",
        "CREATE INDEX events_by_correlation ON {s}.events (correlation_id, occurred_at, seq)",
        "CREATE INDEX events_by_stage ON {s}.events (stage, occurred_at, seq)",
        "CREATE INDEX events_by_time ON {s}.events (occurred_at, seq)",
        """CREATE TABLE {s}.checkpoints (
            job TEXT NOT NULL,
            source TEXT NOT NULL,
            watermark TIMESTAMPTZ NOT NULL,
            seen_ids TEXT NOT NULL,
            PRIMARY KEY (job, source)
        )""",
    ),
    # 2: claims on records (see ``_claims.py``): a lease with a fencing token per key.
    (
        """CREATE TABLE {s}.claims (
            key TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            token BIGINT NOT NULL,
            claimed_at TIMESTAMPTZ NOT NULL,
            expires_at TIMESTAMPTZ NOT NULL,
            released BOOLEAN NOT NULL DEFAULT FALSE
        )""",
    ),
    # 3: shared request budgets (sliding-window log per account) and concurrency slots per pod.
    (
        """CREATE TABLE {s}.rate_budgets (
            account TEXT PRIMARY KEY,
            last_slot TIMESTAMPTZ
        )""",
        """CREATE TABLE {s}.rate_slots (
            account TEXT NOT NULL,
            slot_at TIMESTAMPTZ NOT NULL
        )""",
        "CREATE INDEX rate_slots_by_account ON {s}.rate_slots (account, slot_at)",
        """CREATE TABLE {s}.concurrency_slots (
            pod TEXT NOT NULL,
            holder TEXT NOT NULL,
            expires_at TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (pod, holder)
        )""",
    ),
    # 4: the outcome of each tenant's runs, for ``ml-connector tenants`` and health checks.
    (
        """CREATE TABLE {s}.tenant_runs (
            seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            tenant TEXT NOT NULL,
            started_at TIMESTAMPTZ NOT NULL,
            finished_at TIMESTAMPTZ,
            ok BOOLEAN,
            posted INTEGER NOT NULL DEFAULT 0,
            failed INTEGER NOT NULL DEFAULT 0,
            window_end TIMESTAMPTZ,
            detail TEXT
        )""",
        "CREATE INDEX tenant_runs_by_tenant ON {s}.tenant_runs (tenant, started_at)",
    ),
)
POSTGRES_SCHEMA_VERSION = len(_MIGRATIONS)
"""The Postgres schema version this release writes."""

_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")

_COLUMNS = """ e.event_id, e.correlation_id, e.occurred_at, e.source, e.record_type, e.record_id,
    e.stage, e.attempt, e.target, e.posting_key, e.detail, e.oracle_id, p.body,
    e.payload_sha256, e.error"""
_SELECT = (
    "SELECT"
    + _COLUMNS
    + " FROM {s}.events AS e LEFT JOIN {s}.payloads AS p ON p.sha256 = e.payload_sha256"
)
# The latest event of each record asked for: one index probe per record (events_by_record
# read backwards), the records given as three parallel arrays.
_LATEST_OF = """
    SELECT e.event_id, e.correlation_id, e.occurred_at, e.source, e.record_type, e.record_id,
        e.stage, e.attempt, e.target, e.posting_key, e.detail, e.oracle_id, p.body,
        e.payload_sha256, e.error
    FROM unnest(%s::text[], %s::text[], %s::text[]) AS w(source, record_type, record_id)
    CROSS JOIN LATERAL (
        SELECT * FROM {s}.events AS i
        WHERE i.source = w.source AND i.record_type = w.record_type
            AND i.record_id = w.record_id
        ORDER BY i.occurred_at DESC, i.seq DESC
        LIMIT 1
    ) AS e
    LEFT JOIN {s}.payloads AS p ON p.sha256 = e.payload_sha256
    ORDER BY e.occurred_at, e.seq"""
# The latest event of every record; ties on time are broken by write order, as in every sink.
_LATEST = """
    SELECT e.event_id, e.correlation_id, e.occurred_at, e.source, e.record_type, e.record_id,
        e.stage, e.attempt, e.target, e.posting_key, e.detail, e.oracle_id, p.body,
        e.payload_sha256, e.error FROM (
        SELECT DISTINCT ON (source, record_type, record_id) *
        FROM {s}.events
        ORDER BY source, record_type, record_id, occurred_at DESC, seq DESC
    ) AS e LEFT JOIN {s}.payloads AS p ON p.sha256 = e.payload_sha256"""


def _require_psycopg() -> Any:
    try:
        import psycopg_pool
    except ImportError as exc:  # pragma: no cover - the extra is installed in the test env
        raise ConfigurationError(
            "the Postgres store needs the optional extra: pip install 'ml-connector[postgres]'"
        ) from exc
    return psycopg_pool


class PostgresDatabase:
    """One connection pool and one schema, shared by the sink, checkpoints, claims and budgets.

    Args:
        conninfo: A libpq connection string or URL (``postgresql://user@host/db``), or an open
            :class:`psycopg_pool.ConnectionPool` to share (its connections must not be in a
            transaction when returned; this class uses ``autocommit``).
        schema: The Postgres schema holding the tables (a plain lower-case identifier).
        max_connections: Pool size when the pool is opened here.
        timeout: Seconds to wait for a connection from the pool.
        migrate: Create or bring the schema forward on open (default). With ``False`` a schema
            that is missing or older is an error (for roles without DDL rights).

    The connection string may hold a password; it is never put in a repr or an error.
    """

    def __init__(
        self,
        conninfo: str | ConnectionPool,
        *,
        schema: str = "ml_connector",
        max_connections: int = 4,
        timeout: float = 30.0,
        migrate: bool = True,
    ) -> None:
        if not _IDENTIFIER.fullmatch(schema):
            raise ConfigurationError(f"schema must be a plain lower-case identifier: {schema!r}")
        self.schema = schema
        self._lock = threading.Lock()
        pool_module = _require_psycopg()
        if isinstance(conninfo, str):
            try:
                self.pool: ConnectionPool = pool_module.ConnectionPool(
                    conninfo,
                    min_size=1,
                    max_size=max(1, max_connections),
                    timeout=timeout,
                    kwargs={"autocommit": True},
                    open=False,
                    name="ml-connector",
                )
                self.pool.open(wait=True, timeout=timeout)
            except Exception as exc:
                raise AuditError(
                    f"cannot connect to the Postgres store: {type(exc).__name__}"
                ) from None
            self._owns_pool = True
        else:
            self.pool = conninfo
            self._owns_pool = False
        self.closed = False
        try:
            if migrate:
                self.migrate()
            elif self.version() != POSTGRES_SCHEMA_VERSION:
                raise AuditError(
                    f"the Postgres schema {schema} is at version {self.version()}, this release"
                    f" needs {POSTGRES_SCHEMA_VERSION}; open it once with migrate=True"
                )
        except BaseException:
            self.close()
            raise

    def __repr__(self) -> str:
        return f"PostgresDatabase(schema={self.schema!r})"

    def sql(self, text: str) -> str:
        """``text`` with ``{s}`` replaced by the schema name."""
        return text.replace("{s}", self.schema)

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Connection[Any]]:
        """A connection from the pool inside one transaction (committed on success)."""
        import psycopg

        try:
            with self.pool.connection() as conn, conn.transaction():
                yield conn
        except psycopg.Error as exc:
            raise AuditError(
                f"the Postgres store failed: {type(exc).__name__}: {_first_line(exc)}"
            ) from exc
        except Exception as exc:
            if type(exc).__module__.startswith("psycopg_pool"):
                raise AuditError(f"the Postgres store failed: {type(exc).__name__}") from exc
            raise

    def run(self, work: Callable[[psycopg.Connection[Any]], T]) -> T:
        """Run ``work(conn)`` in one transaction and return what it returns."""
        with self.transaction() as conn:
            return work(conn)

    def fetch(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Any]:
        """Rows of one read (``{s}`` in ``sql`` is the schema)."""
        with self.transaction() as conn:
            return conn.execute(self.sql(sql), params).fetchall()

    def version(self) -> int | None:
        """The schema version stored, or None when the schema has no tables yet."""
        rows = self.fetch("SELECT to_regclass(%s) IS NOT NULL", (f"{self.schema}.schema_version",))
        if not rows[0][0]:
            return None
        found = self.fetch("SELECT version FROM {s}.schema_version")
        return None if not found else int(found[0][0])

    def migrate(self, target: int = POSTGRES_SCHEMA_VERSION) -> None:
        """Bring the schema to ``target``; concurrent openers wait on an advisory lock."""

        def work(conn: psycopg.Connection[Any]) -> None:
            conn.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))", (f"ml-connector:{self.schema}",)
            )
            conn.execute(self.sql("CREATE SCHEMA IF NOT EXISTS {s}"))
            conn.execute(
                self.sql("CREATE TABLE IF NOT EXISTS {s}.schema_version (version INTEGER NOT NULL)")
            )
            row = conn.execute(self.sql("SELECT version FROM {s}.schema_version")).fetchone()
            current = 0 if row is None else int(row[0])
            if row is None:
                conn.execute(self.sql("INSERT INTO {s}.schema_version (version) VALUES (0)"))
            if current > POSTGRES_SCHEMA_VERSION:
                raise AuditError(
                    f"the Postgres schema {self.schema} has version {current}, newer than this"
                    f" release understands ({POSTGRES_SCHEMA_VERSION}); upgrade ml-connector"
                )
            for version in range(current + 1, target + 1):
                for statement in _MIGRATIONS[version - 1]:
                    conn.execute(self.sql(statement))
                conn.execute(self.sql("UPDATE {s}.schema_version SET version = %s"), (version,))

        self.run(work)

    def close(self) -> None:
        """Close the pool when it was opened here (a shared pool is left to its owner)."""
        with self._lock:
            if self.closed:
                return
            self.closed = True
        if self._owns_pool:
            self.pool.close()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else ""


def _row_to_event(row: Sequence[Any]) -> AuditEvent:
    (event_id, correlation_id, occurred_at, source, record_type, record_id, stage, attempt,
     target, posting_key, detail, oracle_id, body, payload_sha256, error) = row[:15]  # fmt: skip
    try:
        return AuditEvent(
            event_id=event_id,
            correlation_id=correlation_id,
            occurred_at=ensure_utc(occurred_at),
            record=RecordRef(source, record_type, record_id),
            stage=Stage(stage),
            attempt=attempt,
            target=target,
            posting_key=posting_key,
            detail=detail,
            oracle_id=oracle_id,
            payload=body,
            payload_sha256=payload_sha256,
            error=None if error is None else json.loads(error),
        )
    except (ValueError, TypeError) as exc:
        raise AuditError(f"audit event {event_id} is malformed in the database: {exc}") from exc


class PostgresAuditSink:
    """Audit events in Postgres: one trail for every worker on every machine.

    Args:
        conninfo: A connection string or URL, an open ``psycopg_pool.ConnectionPool``, or a
            :class:`PostgresDatabase` to share.
        schema: The Postgres schema for the tables (default ``ml_connector``).
        max_connections: Pool size when the pool is opened here.
        timeout: Seconds to wait for a pooled connection.

    :attr:`checkpoints` and :attr:`claims` use the same pool and schema.
    """

    def __init__(
        self,
        conninfo: str | ConnectionPool | PostgresDatabase,
        *,
        schema: str = "ml_connector",
        max_connections: int = 4,
        timeout: float = 30.0,
    ) -> None:
        if isinstance(conninfo, PostgresDatabase):
            self.database = conninfo
        else:
            self.database = PostgresDatabase(
                conninfo, schema=schema, max_connections=max_connections, timeout=timeout
            )
        self.checkpoints = PostgresCheckpointStore(self.database)
        from ._claims import PostgresClaimStore

        self.claims = PostgresClaimStore(self.database)

    def __repr__(self) -> str:
        return f"PostgresAuditSink(schema={self.database.schema!r})"

    def __enter__(self) -> PostgresAuditSink:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the pool when this sink opened it."""
        self.database.close()

    def schema_version(self) -> int:
        """The schema version of the database."""
        return self.database.version() or 0

    def write(self, event: AuditEvent) -> None:
        self.write_many((event,))

    def write_many(self, events: Iterable[AuditEvent]) -> None:
        batch = list(events)
        if not batch:
            return
        payloads = sorted({(e.payload_sha256, e.payload) for e in batch if e.payload is not None})
        rows = [
            (
                e.event_id,
                e.correlation_id,
                e.occurred_at,
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
        db = self.database
        with db.transaction() as conn, conn.cursor() as cur:
            if payloads:
                cur.executemany(
                    db.sql(
                        "INSERT INTO {s}.payloads (sha256, body) VALUES (%s, %s)"
                        " ON CONFLICT DO NOTHING"
                    ),
                    payloads,
                )
            cur.executemany(
                db.sql(
                    """INSERT INTO {s}.events (event_id, correlation_id, occurred_at, source,
                        record_type, record_id, stage, attempt, target, posting_key, detail,
                        oracle_id, payload_sha256, error)
                    VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
                    ON CONFLICT (event_id) DO NOTHING"""
                ),
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
            where.append("e.source = %s AND e.record_type = %s AND e.record_id = %s")
            params += [record.system, record.kind, record.id]
        if correlation_id is not None:
            where.append("e.correlation_id = %s")
            params.append(correlation_id)
        if stage is not None:
            where.append("e.stage = %s")
            params.append(Stage(stage).value)
        if since is not None:
            where.append("e.occurred_at >= %s")
            params.append(ensure_utc(since))
        if until is not None:
            where.append("e.occurred_at < %s")
            params.append(ensure_utc(until))
        sql = _SELECT
        sql += (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY e.occurred_at, e.seq"
        return [_row_to_event(row) for row in self.database.fetch(sql, params)]

    def latest(self, *, records: Collection[RecordRef] | None = None) -> list[AuditEvent]:
        if records is None:
            return self._latest()
        wanted = sorted(set(records), key=lambda r: (r.system, r.kind, r.id))
        if not wanted:
            return []
        # One index probe per record (events_by_record read backwards).
        sql = _LATEST_OF
        params = (
            [r.system for r in wanted],
            [r.kind for r in wanted],
            [r.id for r in wanted],
        )
        return [_row_to_event(row) for row in self.database.fetch(sql, params)]

    def failed(self) -> list[AuditEvent]:
        return self._latest(Stage.FAILED)

    def _latest(self, stage: Stage | None = None) -> list[AuditEvent]:
        sql = _LATEST
        params: list[Any] = []
        if stage is not None:
            sql += " WHERE e.stage = %s"
            params.append(stage.value)
        sql += " ORDER BY e.occurred_at, e.seq"
        return [_row_to_event(row) for row in self.database.fetch(sql, params)]


class PostgresCheckpointStore:
    """Checkpoints in Postgres (by default the audit sink's database: ``sink.checkpoints``).

    Args:
        conninfo: A connection string or URL, a pool, or a :class:`PostgresDatabase` to share.
        schema: The Postgres schema (default ``ml_connector``).
    """

    def __init__(
        self,
        conninfo: str | ConnectionPool | PostgresDatabase,
        *,
        schema: str = "ml_connector",
        max_connections: int = 2,
    ) -> None:
        if isinstance(conninfo, PostgresDatabase):
            self.database = conninfo
        else:
            self.database = PostgresDatabase(
                conninfo, schema=schema, max_connections=max_connections
            )

    def __repr__(self) -> str:
        return f"PostgresCheckpointStore(schema={self.database.schema!r})"

    def close(self) -> None:
        """Close the pool when it was opened here (a sink's store closes the sink's pool)."""
        self.database.close()

    def load(self, job: str, source: str) -> Checkpoint | None:
        rows = self.database.fetch(
            "SELECT watermark, seen_ids FROM {s}.checkpoints WHERE job = %s AND source = %s",
            (job, source),
        )
        if not rows:
            return None
        watermark, seen_ids = rows[0]
        try:
            return Checkpoint(job, source, watermark, frozenset(json.loads(seen_ids)))
        except (TypeError, ValueError) as exc:
            raise AuditError(f"checkpoint {job}/{source} is malformed: {exc}") from exc

    def save(self, checkpoint: Checkpoint) -> None:
        with self.database.transaction() as conn:
            conn.execute(
                self.database.sql(
                    """INSERT INTO {s}.checkpoints (job, source, watermark, seen_ids)
                    VALUES (%s, %s, %s, %s)
                    ON CONFLICT (job, source) DO UPDATE
                    SET watermark = excluded.watermark, seen_ids = excluded.seen_ids"""
                ),
                (
                    checkpoint.job,
                    checkpoint.source,
                    checkpoint.watermark,
                    json.dumps(sorted(checkpoint.seen_ids)),
                ),
            )
