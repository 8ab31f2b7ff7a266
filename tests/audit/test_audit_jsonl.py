"""The JSONL sink: readable by jq, append-only, honest about corruption, fsync as configured."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from ml_connector import AuditError
from ml_connector.audit import AuditEvent, CorruptAuditTrailError, JsonlAuditSink, Stage

EventFactory = Callable[..., AuditEvent]


def test_each_line_is_one_self_contained_json_object(
    tmp_path: Path, make_event: EventFactory
) -> None:
    path = tmp_path / "deep" / "folder" / "trail.jsonl"
    with JsonlAuditSink(path) as sink:
        sink.write(make_event("7", Stage.MAPPED, payload={"amount": Decimal("9.90")}))
        sink.write(make_event("8", Stage.FAILED, error="boom"))
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    # What ``jq '.payload.amount'`` and ``jq 'select(.stage=="failed")'`` rely on.
    assert first["payload"]["amount"] == "9.90"
    assert first["record"] == {"system": "shipstation", "kind": "shipment", "id": "7"}
    assert json.loads(lines[1])["stage"] == "failed"


def test_a_reopened_file_keeps_its_events_and_ignores_rewrites(
    tmp_path: Path, make_event: EventFactory
) -> None:
    path = tmp_path / "trail.jsonl"
    event = make_event()
    with JsonlAuditSink(path) as sink:
        sink.write(event)
    with JsonlAuditSink(path) as again:
        again.write(event)
        again.write(make_event("2"))
        assert [e.record.id for e in again.events()] == ["1", "2"]
    assert len(path.read_text(encoding="utf-8").splitlines()) == 2


def _write_three(path: Path, make_event: EventFactory) -> list[str]:
    with JsonlAuditSink(path) as sink:
        sink.write_many([make_event(str(n)) for n in range(3)])
    return path.read_text(encoding="utf-8").splitlines()


def test_corrupt_lines_are_reported_with_their_numbers(
    tmp_path: Path, make_event: EventFactory
) -> None:
    path = tmp_path / "trail.jsonl"
    lines = _write_three(path, make_event)
    lines[1] = lines[1][:40]  # truncated JSON
    lines.append('{"v": 1, "event_id": "x"}')  # valid JSON, not an event
    lines.append("")  # blank line
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    sink = JsonlAuditSink(path)
    with pytest.raises(CorruptAuditTrailError) as caught:
        sink.events()
    assert caught.value.lines == (2, 4, 5)
    assert "line 2" in str(caught.value)
    assert caught.value.path == str(path)
    assert isinstance(caught.value, AuditError)
    with pytest.raises(CorruptAuditTrailError):
        sink.failed()


def test_an_edited_payload_is_reported(tmp_path: Path, make_event: EventFactory) -> None:
    path = tmp_path / "trail.jsonl"
    with JsonlAuditSink(path) as sink:
        sink.write(make_event(payload={"amount": Decimal("1.00")}))
    path.write_text(path.read_text().replace('"1.00"', '"9.00"'), encoding="utf-8")
    with pytest.raises(CorruptAuditTrailError, match=r"line 1: .*does not match") as caught:
        JsonlAuditSink(path).events()
    assert caught.value.lines == (1,)


def test_a_torn_last_line_is_reported_and_nothing_is_appended_after_it(
    tmp_path: Path, make_event: EventFactory
) -> None:
    path = tmp_path / "trail.jsonl"
    lines = _write_three(path, make_event)
    path.write_text("\n".join(lines), encoding="utf-8")  # no final newline
    sink = JsonlAuditSink(path)
    with pytest.raises(CorruptAuditTrailError, match="line 3: the last line has no newline"):
        sink.events()
    with pytest.raises(CorruptAuditTrailError):
        sink.write(make_event("4"))
    assert path.read_text(encoding="utf-8") == "\n".join(lines)


@pytest.mark.parametrize(
    ("policy", "single_writes", "expected_fsyncs"),
    [
        ("always", 5, 5),
        ("batch", 5, 2),  # batch_size=2: after the 2nd and 4th write; the 5th waits for close
        ("never", 5, 0),
    ],
)
def test_fsync_policy(
    tmp_path: Path,
    make_event: EventFactory,
    monkeypatch: pytest.MonkeyPatch,
    policy: str,
    single_writes: int,
    expected_fsyncs: int,
) -> None:
    path = tmp_path / "trail.jsonl"
    path.touch()  # no directory fsync for a new file in the count
    synced: list[int] = []
    real_fsync = os.fsync

    def counting_fsync(fd: int) -> None:
        synced.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", counting_fsync)
    sink = JsonlAuditSink(path, fsync=policy, batch_size=2)  # type: ignore[arg-type]
    for n in range(single_writes):
        sink.write(make_event(str(n)))
    assert len(synced) == expected_fsyncs
    sink.close()
    assert len(synced) == expected_fsyncs + (1 if policy == "batch" else 0)
    # Every line reached the file whatever the policy.
    assert len(JsonlAuditSink(path).events()) == single_writes


def test_write_many_is_synced_once_per_call_under_batch(
    tmp_path: Path, make_event: EventFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "trail.jsonl"
    path.touch()
    synced: list[int] = []
    monkeypatch.setattr(os, "fsync", synced.append)
    with JsonlAuditSink(path, fsync="batch") as sink:
        sink.write_many([make_event(str(n)) for n in range(10)])
        assert len(synced) == 1


def test_bad_settings_are_refused(tmp_path: Path) -> None:
    with pytest.raises(AuditError, match="fsync must be one of"):
        JsonlAuditSink(tmp_path / "a.jsonl", fsync="sometimes")  # type: ignore[arg-type]
    with pytest.raises(AuditError, match="batch_size"):
        JsonlAuditSink(tmp_path / "a.jsonl", batch_size=0)


def test_an_unwritable_path_is_an_audit_error(tmp_path: Path, make_event: EventFactory) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    sink = JsonlAuditSink(blocker / "trail.jsonl")
    with pytest.raises(AuditError, match="cannot"):
        sink.write(make_event())
