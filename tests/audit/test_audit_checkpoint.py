"""Checkpoints: overlapping windows neither miss nor repeat a record."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from ml_connector import AuditError
from ml_connector.audit import (
    Checkpoint,
    CheckpointStore,
    MemoryCheckpointStore,
    PostgresAuditSink,
    PostgresCheckpointStore,
    SqliteAuditSink,
    SqliteCheckpointStore,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_is_new_around_the_watermark() -> None:
    checkpoint = Checkpoint("job", "src", at(10), frozenset({"a"}))
    assert not checkpoint.is_new("z", at(9))  # before: processed by an earlier run
    assert not checkpoint.is_new("a", at(10))  # at the watermark and seen
    assert checkpoint.is_new("b", at(10))  # at the watermark, not seen yet
    assert checkpoint.is_new("a", at(11))  # changed again later


def test_watermark_comparisons_are_in_utc() -> None:
    pacific = timezone(timedelta(hours=-8))
    checkpoint = Checkpoint("job", "src", datetime(2026, 3, 1, 4, 0, tzinfo=pacific), {"a"})
    assert checkpoint.watermark == T0
    assert not checkpoint.is_new("a", T0)
    with pytest.raises(AuditError, match="timezone-aware"):
        checkpoint.is_new("a", datetime(2026, 3, 1, 12, 0))


def test_advance_moves_to_the_latest_time_and_keeps_ids_seen_there() -> None:
    start = Checkpoint("job", "src", at(0))
    after = start.advance([("a", at(5)), ("b", at(7)), ("c", at(7)), ("d", at(3))])
    assert after.watermark == at(7)
    assert after.seen_ids == {"b", "c"}
    # Another record at the same watermark joins the set; an older one changes nothing.
    again = after.advance([("e", at(7)), ("f", at(1))])
    assert again.watermark == at(7)
    assert again.seen_ids == {"b", "c", "e"}
    assert start.advance([]) == start


def test_overlapping_windows_neither_miss_nor_repeat() -> None:
    """Three runs over a source whose windows overlap; ties sit exactly on the watermark."""
    source = [("r1", at(1)), ("r2", at(5)), ("r3", at(5)), ("r4", at(5)), ("r5", at(8))]
    processed: list[str] = []
    checkpoint = Checkpoint("job", "src", at(0))

    def run(window_end: int) -> None:
        nonlocal checkpoint
        # Ask from two minutes before the watermark (overlap) to the window end.
        window = [
            (rid, ts)
            for rid, ts in source
            if checkpoint.watermark - timedelta(minutes=2) <= ts <= at(window_end)
        ]
        fresh = [(rid, ts) for rid, ts in window if checkpoint.is_new(rid, ts)]
        processed.extend(rid for rid, _ in fresh)
        checkpoint = checkpoint.advance(fresh)

    # r2 and r3 are visible at the first run's end; r4 (same timestamp) arrives later.
    visible = source
    source = [item for item in visible if item[0] != "r4"]
    run(5)
    source = visible
    run(6)
    run(10)
    run(10)
    assert processed == ["r1", "r2", "r3", "r4", "r5"]


@pytest.fixture(params=["memory", "sqlite", "sqlite-shared", "postgres", "postgres-shared"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CheckpointStore]:
    if request.param.startswith("postgres"):
        url = request.getfixturevalue("postgres_url")
        schema = request.getfixturevalue("postgres_schema")
        if request.param == "postgres":
            pg_store = PostgresCheckpointStore(url, schema=schema)
            yield pg_store
            pg_store.close()
        else:
            pg_sink = PostgresAuditSink(url, schema=schema)
            yield pg_sink.checkpoints
            pg_sink.close()
    elif request.param == "memory":
        yield MemoryCheckpointStore()
    elif request.param == "sqlite":
        sqlite_store = SqliteCheckpointStore(tmp_path / "cp.db")
        yield sqlite_store
        sqlite_store.close()
    else:
        sink = SqliteAuditSink(tmp_path / "trail.db")
        yield sink.checkpoints
        sink.close()


def test_store_contract(store: CheckpointStore) -> None:
    assert isinstance(store, CheckpointStore)
    assert store.load("job", "src") is None
    first = Checkpoint("job", "src", at(1), frozenset({"a"}))
    other = Checkpoint("job", "other-src", at(2))
    store.save(first)
    store.save(other)
    assert store.load("job", "src") == first
    second = first.advance([("b", at(3)), ("c", at(3))])
    store.save(second)
    assert store.load("job", "src") == second
    assert store.load("job", "other-src") == other
    assert store.load("other-job", "src") is None


def test_sqlite_checkpoints_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "cp.db"
    saved = Checkpoint("job", "src", at(4), frozenset({"x", "y"}))
    first = SqliteCheckpointStore(path)
    first.save(saved)
    first.close()
    second = SqliteCheckpointStore(path)
    assert second.load("job", "src") == saved
    second.close()
