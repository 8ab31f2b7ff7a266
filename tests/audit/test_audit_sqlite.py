"""The SQLite sink: several writing processes, a killed writer, forward-only schema migrations."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from ml_connector import AuditError
from ml_connector.audit import (
    SCHEMA_VERSION,
    AuditEvent,
    Checkpoint,
    JsonlAuditSink,
    RecordRef,
    SqliteAuditSink,
    SqliteCheckpointStore,
    Stage,
)
from ml_connector.audit._sqlite import PAGE_SIZE, _migrate

EventFactory = Callable[..., AuditEvent]

WRITER = textwrap.dedent(
    """
    import sys
    from ml_connector.audit import (
        JsonlAuditSink, RecordRef, SqliteAuditSink, Stage, new_correlation_id, new_event,
    )
    from ml_connector.testing import VirtualClock

    kind, path, name, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    sink = SqliteAuditSink(path) if kind == "sqlite" else JsonlAuditSink(path, fsync="never")
    clock = VirtualClock()
    for n in range(count):
        clock.advance(1)
        event = new_event(
            clock,
            correlation_id=new_correlation_id(),
            record=RecordRef("shipstation", "shipment", f"{name}-{n}"),
            stage=Stage.POSTED,
            payload={"writer": name, "n": n},
        )
        sink.write(event)
        # Reported only once write() returned, i.e. once the event is committed.
        print(event.event_id, flush=True)
    """
)


def _writer(kind: str, path: Path, name: str, count: int) -> subprocess.Popen[str]:
    # Our own interpreter running our own script: no untrusted input.
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", WRITER, kind, str(path), name, str(count)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_several_processes_write_to_one_file_at_once(tmp_path: Path) -> None:
    path = tmp_path / "trail.db"  # created by the racing writers themselves
    writers = [_writer("sqlite", path, f"w{n}", 75) for n in range(4)]
    reported: set[str] = set()
    for writer in writers:
        out, err = writer.communicate(timeout=60)
        assert writer.returncode == 0, err
        reported |= set(out.split())
    assert len(reported) == 300
    with SqliteAuditSink(path) as sink:
        stored = sink.events()
        assert {e.event_id for e in stored} == reported
        assert len(sink.latest()) == 300
        assert sink.schema_version() == SCHEMA_VERSION
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()


@pytest.mark.parametrize("kind", ["sqlite", "jsonl"])
def test_a_killed_writer_loses_no_committed_event(tmp_path: Path, kind: str) -> None:
    path = tmp_path / ("trail.db" if kind == "sqlite" else "trail.jsonl")
    writer = _writer(kind, path, "victim", 1_000_000)
    assert writer.stdout is not None
    reported: list[str] = []
    deadline = time.monotonic() + 30
    while len(reported) < 40 and time.monotonic() < deadline:
        line = writer.stdout.readline()
        if not line:
            break
        reported.append(line.strip())
    os.kill(writer.pid, signal.SIGKILL)
    # Lines printed before the kill are still in the pipe (and in the reader's buffer).
    reported += [line.strip() for line in writer.stdout]
    writer.wait(timeout=30)
    writer.stdout.close()
    assert writer.stderr is not None
    writer.stderr.close()
    assert writer.returncode == -signal.SIGKILL
    assert len(reported) >= 40

    sink = SqliteAuditSink(path) if kind == "sqlite" else JsonlAuditSink(path)
    stored = {e.event_id for e in sink.events()}  # readable: no error
    assert set(reported) <= stored
    assert len(stored) - len(reported) <= 1  # at most the event in flight at the kill
    if kind == "sqlite":
        assert isinstance(sink, SqliteAuditSink)
        sink.close()
        conn = sqlite3.connect(path)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        conn.close()


def test_the_file_uses_wal_and_a_busy_timeout(tmp_path: Path) -> None:
    with SqliteAuditSink(tmp_path / "trail.db", timeout=7.5) as sink:
        conn = sink._db.conn
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("PRAGMA busy_timeout").fetchone() == (7500,)
        assert conn.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL


def test_a_new_file_has_8_kb_pages_and_an_existing_file_keeps_its_own(
    tmp_path: Path, make_event: EventFactory
) -> None:
    with SqliteAuditSink(tmp_path / "new.db") as sink:
        assert sink._db.conn.execute("PRAGMA page_size").fetchone() == (PAGE_SIZE,) == (8192,)
    old = tmp_path / "old.db"
    conn = sqlite3.connect(old, isolation_level=None)
    conn.execute("PRAGMA page_size = 4096")
    conn.execute("PRAGMA journal_mode = WAL")
    _migrate(conn)
    conn.close()
    with SqliteAuditSink(old) as sink:
        assert sink._db.conn.execute("PRAGMA page_size").fetchone() == (4096,)
        sink.write(make_event())
        assert len(sink.events()) == 1


def test_a_version_1_file_is_migrated_forward_keeping_its_events(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    _migrate(conn, target=1)
    conn.execute(
        """INSERT INTO events (event_id, correlation_id, occurred_at, source, record_type,
            record_id, stage, attempt) VALUES ('old-1', 'c', '2025-12-01T08:00:00.000000Z',
            'shipstation', 'shipment', '42', 'failed', 1)"""
    )
    conn.close()
    with SqliteAuditSink(path) as sink:
        assert sink.schema_version() == SCHEMA_VERSION == 3
        (event,) = sink.failed()
        assert event.event_id == "old-1"
        assert event.record == RecordRef("shipstation", "shipment", "42")
        sink.checkpoints.save(Checkpoint("job", "src", event.occurred_at))  # the v2 table
        assert sink.checkpoints.load("job", "src") is not None


def test_a_file_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    SqliteAuditSink(path).close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("UPDATE schema_version SET version = 99")
    conn.close()
    with pytest.raises(AuditError, match="schema version 99, newer"):
        SqliteAuditSink(path)


def test_identical_payloads_are_stored_once(tmp_path: Path, make_event: EventFactory) -> None:
    payload = {"amount": Decimal("5.00")}
    with SqliteAuditSink(tmp_path / "trail.db") as sink:
        sink.write(make_event("1", Stage.MAPPED, payload=payload))
        sink.write(make_event("1", Stage.FAILED, payload=payload, error="503"))
        sink.write(make_event("1", Stage.REPLAYED, payload=payload, attempt=2))
        assert sink._db.read("SELECT COUNT(*) FROM payloads") == [(1,)]
        assert all(e.payload == '{"amount":"5.00"}' for e in sink.events())


def test_a_tampered_payload_is_reported(tmp_path: Path, make_event: EventFactory) -> None:
    path = tmp_path / "trail.db"
    with SqliteAuditSink(path) as sink:
        sink.write(make_event(payload={"amount": Decimal("5.00")}))
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("""UPDATE payloads SET body = '{"amount":"50.00"}'""")
    conn.close()
    with SqliteAuditSink(path) as sink, pytest.raises(AuditError, match="does not match"):
        sink.events()


def test_checkpoints_live_in_the_same_file(tmp_path: Path, make_event: EventFactory) -> None:
    path = tmp_path / "trail.db"
    with SqliteAuditSink(path) as sink:
        sink.write(make_event())
        sink.checkpoints.save(
            Checkpoint("shipments", "v1", make_event().occurred_at, frozenset({"a", "b"}))
        )
    store = SqliteCheckpointStore(path)
    loaded = store.load("shipments", "v1")
    store.close()
    assert loaded is not None
    assert loaded.seen_ids == {"a", "b"}


def test_an_unopenable_path_is_an_audit_error(tmp_path: Path) -> None:
    with pytest.raises(AuditError, match="cannot"):
        SqliteAuditSink(tmp_path / "missing-folder" / "trail.db")


def test_memory_database(make_event: EventFactory) -> None:
    with SqliteAuditSink(":memory:") as sink:
        sink.write(make_event())
        assert len(sink.events()) == 1


def test_a_write_lock_held_too_long_is_an_audit_error(
    tmp_path: Path, make_event: EventFactory
) -> None:
    path = tmp_path / "trail.db"
    with SqliteAuditSink(path, timeout=0.05) as sink:
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(AuditError, match=r"cannot write .*locked"):
                sink.write(make_event())
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        sink.write(make_event())  # the lock is free again
        assert len(sink.events()) == 1


def test_latest_of_some_records_probes_the_record_index(tmp_path: Path) -> None:
    from ml_connector.audit._sqlite import _LATEST_OF

    path = tmp_path / "trail.db"
    SqliteAuditSink(path).close()
    with sqlite3.connect(path) as conn:
        sql = "EXPLAIN QUERY PLAN " + _LATEST_OF.format(values="(?, ?, ?), (?, ?, ?)")
        plan = " | ".join(row[-1] for row in conn.execute(sql, ("s", "k", "1", "s", "k", "2")))
    conn.close()
    # One index search per record asked for, never a scan of the events table.
    assert "INDEX events_by_record" in plan
    assert "SCAN e" not in plan and "SCAN i" not in plan and "SCAN events" not in plan


def test_latest_of_reads_with_a_few_statement_lengths(
    tmp_path: Path, make_event: EventFactory
) -> None:
    # A prepared statement for 300 records takes about 150 KB of SQLite's memory and the
    # connection caches 128: lists of every length a run asks for would pile them up.
    with SqliteAuditSink(tmp_path / "trail.db") as sink:
        events = [make_event(str(n), Stage.POSTED) for n in range(400)]
        sink.write_many(events)
        lengths: set[int] = set()
        sink._db.conn.set_trace_callback(
            lambda sql: lengths.add(sql.count("), (") + 1) if "WITH wanted" in sql else None
        )
        for asked in (1, 7, 10, 11, 29, 31, 99, 101, 299, 300, 301, 399, 400):
            wanted = [RecordRef("shipstation", "shipment", str(n)) for n in range(asked)]
            wanted.append(RecordRef("shipstation", "shipment", "missing"))
            # Padding rows match nothing: the same events, once each, in write order.
            assert sink.latest(records=wanted) == events[:asked]
        sink._db.conn.set_trace_callback(None)
    assert lengths == {10, 30, 100, 300}
