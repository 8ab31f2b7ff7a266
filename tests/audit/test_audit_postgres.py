"""The Postgres store beyond the shared contract: many processes, migrations, pools, errors.

Needs ML_CONNECTOR_TEST_POSTGRES (skipped, saying so, without it).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from psycopg_pool import ConnectionPool

from ml_connector import AuditError, ConfigurationError
from ml_connector.audit import (
    POSTGRES_SCHEMA_VERSION,
    AuditEvent,
    Checkpoint,
    PostgresAuditSink,
    PostgresDatabase,
    Stage,
)
from ml_connector.audit._postgres import _MIGRATIONS

EventFactory = Callable[..., AuditEvent]

WRITER = """
import sys
from ml_connector.audit import PostgresAuditSink, RecordRef, Stage, new_event
from ml_connector._clock import SystemClock

url, schema, name, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
with PostgresAuditSink(url, schema=schema) as sink:  # every writer migrates at once
    for n in range(count):
        event = new_event(SystemClock(), correlation_id=name,
            record=RecordRef("shipstation", "shipment", f"{name}-{n}"), stage=Stage.FETCHED,
            payload={"n": n % 3})
        sink.write(event)
        print(event.event_id, flush=True)
"""


def test_many_processes_create_the_schema_and_write_at_once(
    postgres_url: str, postgres_schema: str
) -> None:
    writers = [
        # Our own interpreter running our own script: no untrusted input.
        subprocess.Popen(  # noqa: S603
            [sys.executable, "-c", WRITER, postgres_url, postgres_schema, f"w{n}", "50"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    reported: set[str] = set()
    for writer in writers:
        out, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err
        reported |= set(out.split())
    assert len(reported) == 200
    with PostgresAuditSink(postgres_url, schema=postgres_schema) as sink:
        assert {e.event_id for e in sink.events()} == reported
        assert len(sink.latest()) == 200
        assert sink.schema_version() == POSTGRES_SCHEMA_VERSION
        payloads = sink.database.fetch("SELECT count(*) FROM {s}.payloads")
        assert payloads[0][0] == 3  # stored once per content hash


def test_a_version_1_schema_is_migrated_forward_keeping_its_events(
    postgres_url: str, postgres_schema: str, make_event: EventFactory
) -> None:
    # What release 1 of the schema created, as that release would have.
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {postgres_schema}")
        conn.execute(f"CREATE TABLE {postgres_schema}.schema_version (version INTEGER NOT NULL)")
        conn.execute(f"INSERT INTO {postgres_schema}.schema_version VALUES (1)")  # noqa: S608
        for statement in _MIGRATIONS[0]:
            conn.execute(statement.replace("{s}", postgres_schema))
    event = make_event(stage=Stage.POSTED)
    with PostgresAuditSink(postgres_url, schema=postgres_schema) as sink:
        sink.write(event)
        assert sink.schema_version() == POSTGRES_SCHEMA_VERSION
        assert sink.events() == [event]
        claimed = sink.claims.claim(["k"], owner="a", lease=timedelta(1))
        assert [c.key for c in claimed.held] == ["k"]


def test_a_schema_from_a_newer_release_is_refused(postgres_url: str, postgres_schema: str) -> None:
    PostgresAuditSink(postgres_url, schema=postgres_schema).close()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"UPDATE {postgres_schema}.schema_version SET version = 999")  # noqa: S608
    with pytest.raises(AuditError, match="newer than this release"):
        PostgresAuditSink(postgres_url, schema=postgres_schema)


def test_without_migrate_an_old_schema_is_an_error(postgres_url: str, postgres_schema: str) -> None:
    with pytest.raises(AuditError, match="migrate=True"):
        PostgresDatabase(postgres_url, schema=postgres_schema, migrate=False)


def test_a_shared_pool_is_left_open(postgres_url: str, postgres_schema: str) -> None:
    with ConnectionPool(postgres_url, min_size=1, max_size=2, open=True,
                        kwargs={"autocommit": True}) as pool:  # fmt: skip
        sink = PostgresAuditSink(pool, schema=postgres_schema)
        sink.checkpoints.save(Checkpoint("job", "src", datetime.now(UTC)))
        sink.close()
        assert not pool.closed
        with pool.connection() as conn:
            table = f"{postgres_schema}.checkpoints"
            row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608
            assert row == (1,)


def test_an_unreachable_server_is_an_audit_error_without_the_password() -> None:
    url = "postgresql://user:hunter2-secret@127.0.0.1:1/db?connect_timeout=1"
    with pytest.raises(AuditError) as caught:
        PostgresAuditSink(url, timeout=1.0)
    assert "hunter2" not in str(caught.value)
    assert "hunter2" not in repr(caught.value)


def test_a_schema_name_must_be_an_identifier() -> None:
    with pytest.raises(ConfigurationError, match="identifier"):
        PostgresDatabase("postgresql://127.0.0.1:1/x", schema="x; DROP TABLE y")


def test_the_repr_has_no_connection_string(postgres_url: str, postgres_schema: str) -> None:
    with PostgresAuditSink(postgres_url, schema=postgres_schema) as sink:
        assert "postgresql://" not in repr(sink)
        assert "postgresql://" not in repr(sink.checkpoints)
        assert "postgresql://" not in repr(sink.claims)
