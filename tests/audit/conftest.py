"""Fixtures for the audit tests: an event factory and every sink behind one parameter."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from ml_connector.audit import (
    AuditEvent,
    AuditSink,
    JsonlAuditSink,
    MemoryAuditSink,
    PostgresAuditSink,
    RecordRef,
    SqliteAuditSink,
    Stage,
    new_correlation_id,
    new_event,
)
from ml_connector.testing import VirtualClock

EventFactory = Callable[..., AuditEvent]


class ListSink:
    """A minimal third-party-style sink: no base class, just the protocol's methods."""

    def __init__(self) -> None:
        self.stored: dict[str, AuditEvent] = {}

    def write(self, event: AuditEvent) -> None:
        self.stored.setdefault(event.event_id, event)

    def write_many(self, events: Iterable[AuditEvent]) -> None:
        for event in events:
            self.write(event)

    def events(
        self,
        *,
        record: RecordRef | None = None,
        correlation_id: str | None = None,
        stage: Stage | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[AuditEvent]:
        found = [
            e
            for e in self.stored.values()
            if record in (None, e.record)
            and correlation_id in (None, e.correlation_id)
            and stage in (None, e.stage)
            and (since is None or e.occurred_at >= since)
            and (until is None or e.occurred_at < until)
        ]
        return sorted(found, key=lambda e: e.occurred_at)

    def latest(self, *, records: Collection[RecordRef] | None = None) -> list[AuditEvent]:
        last: dict[RecordRef, AuditEvent] = {}
        for event in self.events():
            if records is None or event.record in records:
                last[event.record] = event
        return sorted(last.values(), key=lambda e: e.occurred_at)

    def failed(self) -> list[AuditEvent]:
        return [e for e in self.latest() if e.stage is Stage.FAILED]


SINK_KINDS = ["memory", "jsonl", "sqlite", "postgres", "third-party"]


def open_sink(kind: str, folder: Path, request: pytest.FixtureRequest | None = None) -> AuditSink:
    if kind == "memory":
        return MemoryAuditSink()
    if kind == "jsonl":
        return JsonlAuditSink(folder / "trail.jsonl", fsync="never")
    if kind == "sqlite":
        return SqliteAuditSink(folder / "trail.db", synchronous="NORMAL")
    if kind == "postgres":
        # Skipped, saying why, when ML_CONNECTOR_TEST_POSTGRES is not set.
        assert request is not None
        url = request.getfixturevalue("postgres_url")
        schema = request.getfixturevalue("postgres_schema")
        return PostgresAuditSink(url, schema=schema)
    return ListSink()


@pytest.fixture(params=SINK_KINDS)
def sink(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AuditSink]:
    opened = open_sink(request.param, tmp_path, request)
    yield opened
    close = getattr(opened, "close", None)
    if close is not None:
        close()


@pytest.fixture
def make_event(clock: VirtualClock) -> EventFactory:
    """Builds events stamped by the virtual clock; defaults to ShipStation shipment 1."""

    def build(
        record_id: str = "1",
        stage: Stage = Stage.FETCHED,
        *,
        correlation_id: str | None = None,
        **fields: Any,
    ) -> AuditEvent:
        return new_event(
            clock,
            correlation_id=correlation_id or new_correlation_id(),
            record=RecordRef("shipstation", "shipment", record_id),
            stage=stage,
            **fields,
        )

    return build
