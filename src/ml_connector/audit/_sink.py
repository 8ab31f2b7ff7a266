"""The audit sink protocol and the in-memory sink.

Any object with these methods is an audit sink; nothing needs to inherit from anything. The
shipped sinks (memory, JSONL, SQLite) and a test double pass one shared contract test suite.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, Self, runtime_checkable

from ._event import AuditEvent, RecordRef, Stage, ensure_utc

__all__ = ["AuditSink", "MemoryAuditSink", "filter_events", "latest_of", "latest_per_record"]


@runtime_checkable
class AuditSink(Protocol):
    """Where audit events are written and read back.

    The contract every sink keeps:

    - ``write`` and ``write_many`` store events durably before returning (as durable as the sink
      promises); an event whose ``event_id`` is already stored is ignored, so a write may be
      retried safely.
    - Reads return events ordered by ``occurred_at``, ties in write order.
    - ``since`` is inclusive and ``until`` exclusive; all filters combine with AND.
    - ``latest`` gives the most recent event of every record, or with ``records=`` of only those
      records (records without events are left out); ``failed`` the records whose most recent
      event is :attr:`Stage.FAILED` (what :func:`~ml_connector.audit.replay` works on).

    ``latest(records=...)`` lets a sync read the trail one chunk of records at a time, so its
    memory does not grow with the trail.
    """

    def write(self, event: AuditEvent) -> None:
        """Store one event."""
        ...

    def write_many(self, events: Iterable[AuditEvent]) -> None:
        """Store several events (atomically, where the sink can)."""
        ...

    def events(
        self,
        *,
        record: RecordRef | None = None,
        correlation_id: str | None = None,
        stage: Stage | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[AuditEvent]:
        """The stored events matching every given filter."""
        ...

    def latest(self, *, records: Collection[RecordRef] | None = None) -> list[AuditEvent]:
        """The most recent event of each record (of each of ``records``, when given)."""
        ...

    def failed(self) -> list[AuditEvent]:
        """The most recent event of each record whose latest stage is ``failed``."""
        ...


@dataclass(frozen=True, slots=True)
class EventQuery:
    """The filters of :meth:`AuditSink.events`, as one value a sink's reader takes."""

    record: RecordRef | None = None
    correlation_id: str | None = None
    stage: Stage | None = None
    since: datetime | None = None
    until: datetime | None = None

    def apply(self, events: Iterable[AuditEvent]) -> list[AuditEvent]:
        """Events (in write order) matching the filters, ordered as :class:`AuditSink` promises."""
        since = None if self.since is None else ensure_utc(self.since)
        until = None if self.until is None else ensure_utc(self.until)
        chosen = [
            event
            for event in events
            if (self.record is None or event.record == self.record)
            and (self.correlation_id is None or event.correlation_id == self.correlation_id)
            and (self.stage is None or event.stage == self.stage)
            and (since is None or event.occurred_at >= since)
            and (until is None or event.occurred_at < until)
        ]
        # sorted() is stable, so ties keep write order.
        return sorted(chosen, key=lambda event: event.occurred_at)


def filter_events(
    events: Iterable[AuditEvent],
    *,
    record: RecordRef | None = None,
    correlation_id: str | None = None,
    stage: Stage | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[AuditEvent]:
    """Events (in write order) matching the filters, ordered as :class:`AuditSink` promises.

    A helper for sinks that keep events in a list: it implements the read contract once.
    """
    return EventQuery(record, correlation_id, stage, since, until).apply(events)


def latest_per_record(
    events: Iterable[AuditEvent], records: Collection[RecordRef] | None = None
) -> list[AuditEvent]:
    """The latest event of each record (events given in write order), ordered by time.

    Args:
        events: The events, in write order.
        records: Only these records (``None``: every record).
    """
    wanted = None if records is None else frozenset(records)
    latest: dict[RecordRef, AuditEvent] = {}
    for event in filter_events(events):
        if wanted is None or event.record in wanted:
            latest[event.record] = event
    return filter_events(latest.values())


def latest_of(sink: AuditSink, records: Collection[RecordRef]) -> dict[RecordRef, AuditEvent]:
    """The latest event of each of ``records`` that has one (``sink.latest(records=...)``)."""
    if not records:
        return {}
    return {event.record: event for event in sink.latest(records=records)}


class SinkBase:
    """What the shipped sinks share: ``write`` is ``write_many`` of one, ``events`` hands its
    filters to the sink's reader as one :class:`EventQuery`, ``failed`` filters ``latest``.

    A sink subclasses it and supplies ``write_many``, ``_select`` and ``latest`` (and may
    override ``failed`` with a cheaper query).
    """

    def write(self, event: AuditEvent) -> None:
        self.write_many((event,))

    def write_many(self, events: Iterable[AuditEvent]) -> None:
        raise NotImplementedError

    def events(
        self,
        *,
        record: RecordRef | None = None,
        correlation_id: str | None = None,
        stage: Stage | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[AuditEvent]:
        return self._select(EventQuery(record, correlation_id, stage, since, until))

    def _select(self, query: EventQuery) -> list[AuditEvent]:
        raise NotImplementedError

    def latest(self, *, records: Collection[RecordRef] | None = None) -> list[AuditEvent]:
        raise NotImplementedError

    def failed(self) -> list[AuditEvent]:
        return [event for event in self.latest() if event.stage is Stage.FAILED]


class ClosingSink(SinkBase):
    """A sink holding a file or connections: ``with`` closes it."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class MemoryAuditSink(SinkBase):
    """Keeps events in a list: for tests, demos and short-lived jobs. Thread-safe."""

    def __init__(self) -> None:
        self._events: list[AuditEvent] = []
        self._ids: set[str] = set()
        # The latest event per record, kept on write so that ``latest(records=...)`` costs
        # the records asked for, not the whole trail.
        self._latest: dict[RecordRef, tuple[int, AuditEvent]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MemoryAuditSink(events={len(self._events)})"

    def __len__(self) -> int:
        return len(self._events)

    def write_many(self, events: Iterable[AuditEvent]) -> None:
        batch = list(events)
        with self._lock:
            for event in batch:
                if event.event_id not in self._ids:
                    self._ids.add(event.event_id)
                    self._events.append(event)
                    current = self._latest.get(event.record)
                    # Ties on time go to the later write, as in every sink.
                    if current is None or event.occurred_at >= current[1].occurred_at:
                        self._latest[event.record] = (len(self._events), event)

    def _select(self, query: EventQuery) -> list[AuditEvent]:
        with self._lock:
            snapshot = list(self._events)
        return query.apply(snapshot)

    def latest(self, *, records: Collection[RecordRef] | None = None) -> list[AuditEvent]:
        with self._lock:
            if records is None:
                chosen = list(self._latest.values())
            else:
                chosen = [self._latest[r] for r in set(records) if r in self._latest]
        # Ordered by time, ties in write order.
        return [event for _seq, event in sorted(chosen, key=lambda c: (c[1].occurred_at, c[0]))]
