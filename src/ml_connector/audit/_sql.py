"""What the SQL sinks (SQLite, Postgres) share: the event columns, the rows a write inserts,
the filters of a read, and the event a row reads back as.

Each backend keeps only what differs: its placeholder (``?`` or ``%s``), how it stores time
(ISO text or ``TIMESTAMPTZ``) and its connection handling.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

from ml_connector._errors import AuditError
from ml_connector._json import loads

from ._checkpoint import Checkpoint
from ._event import AuditEvent, RecordRef, Stage, dump_canonical
from ._sink import ClosingSink, EventQuery

__all__ = [
    "SELECT_EVENT",
    "SqlSink",
    "checkpoint_from_rows",
    "checkpoint_params",
    "event_from_row",
    "event_rows",
    "where_events",
]

SELECT_EVENT = """SELECT e.event_id, e.correlation_id, e.occurred_at, e.source, e.record_type,
    e.record_id, e.stage, e.attempt, e.target, e.posting_key, e.detail, e.oracle_id, p.body,
    e.payload_sha256, e.error"""
"""The select of the event columns every read takes, in the order :func:`event_from_row` reads them
(``e`` is the events table, ``p`` the payloads joined on their hash)."""


def event_rows(
    events: Iterable[AuditEvent], when: Callable[[datetime], object]
) -> list[tuple[object, ...]]:
    """The ``events`` table rows of ``events``, their time stored as ``when`` gives it."""
    return [
        (
            e.event_id,
            e.correlation_id,
            when(e.occurred_at),
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
        for e in events
    ]


def where_events(
    query: EventQuery, mark: str, when: Callable[[datetime], object]
) -> tuple[str, list[Any]]:
    """The ``WHERE`` and ``ORDER BY`` of a read, and its parameters.

    Args:
        query: The filters.
        mark: The backend's placeholder.
        when: How the backend stores a time.
    """
    where: list[str] = []
    params: list[Any] = []
    if query.record is not None:
        where.append(f"e.source = {mark} AND e.record_type = {mark} AND e.record_id = {mark}")
        params += [query.record.system, query.record.kind, query.record.id]
    if query.correlation_id is not None:
        where.append(f"e.correlation_id = {mark}")
        params.append(query.correlation_id)
    if query.stage is not None:
        where.append(f"e.stage = {mark}")
        params.append(Stage(query.stage).value)
    if query.since is not None:
        where.append(f"e.occurred_at >= {mark}")
        params.append(when(query.since))
    if query.until is not None:
        where.append(f"e.occurred_at < {mark}")
        params.append(when(query.until))
    clause = " WHERE " + " AND ".join(where) if where else ""
    return clause + " ORDER BY e.occurred_at, e.seq", params


def checkpoint_params(
    checkpoint: Checkpoint, when: Callable[[datetime], object], encode: Callable[[Any], str]
) -> tuple[object, ...]:
    """The ``checkpoints`` row of ``checkpoint`` (time as ``when`` stores it)."""
    seen = encode(sorted(checkpoint.seen_ids))
    return (checkpoint.job, checkpoint.source, when(checkpoint.watermark), seen)


def checkpoint_from_rows(
    job: str,
    source: str,
    rows: Sequence[Any],
    watermark: Callable[[Any], datetime],
    decode: Callable[[str], Any],
) -> Checkpoint | None:
    """The checkpoint the rows of ``SELECT watermark, seen_ids`` hold (None: no row)."""
    if not rows:
        return None
    stored, seen_ids = rows[0]
    try:
        return Checkpoint(job, source, watermark(stored), frozenset(decode(seen_ids)))
    except (TypeError, ValueError) as exc:
        raise AuditError(f"checkpoint {job}/{source} is malformed: {exc}") from exc


def event_from_row(
    row: Sequence[Any],
    occurred_at: Callable[[Any], datetime],
    decode: Callable[[str], Any] = loads,
) -> AuditEvent:
    """The event a row of :data:`SELECT_EVENT` holds (``occurred_at`` reads the stored time,
    ``decode`` the stored error)."""
    (event_id, correlation_id, occurred, source, record_type, record_id, stage, attempt,
     target, posting_key, detail, oracle_id, body, payload_sha256, error) = row[:15]  # fmt: skip
    try:
        return AuditEvent(
            event_id=event_id,
            correlation_id=correlation_id,
            occurred_at=occurred_at(occurred),
            record=RecordRef(source, record_type, record_id),
            stage=Stage(stage),
            attempt=attempt,
            target=target,
            posting_key=posting_key,
            detail=detail,
            oracle_id=oracle_id,
            payload=body,
            payload_sha256=payload_sha256,
            error=None if error is None else decode(error),
        )
    except (ValueError, TypeError) as exc:
        raise AuditError(f"audit event {event_id} is malformed in the database: {exc}") from exc


class SqlSink(ClosingSink):
    """The reads of a SQL sink; the backend supplies its dialect and connection.

    A backend sets ``_MARK`` (its placeholder), ``_SELECT`` (:data:`SELECT_EVENT` from its
    tables), ``_LATEST`` (every record's latest event) and ``_BY_STAGE`` (what narrows that to
    one stage), and supplies ``_fetch``, ``_insert``, ``_event`` (a row read back), ``_when``
    (a time as stored) and ``_latest_of`` (the latest event of each record given, sorted, no
    repeats).
    """

    _MARK: str
    _SELECT: str
    _LATEST: str
    _BY_STAGE: str

    def _fetch(self, sql: str, params: Sequence[Any]) -> list[Any]:
        raise NotImplementedError

    def _insert(
        self, payloads: list[tuple[str | None, str]], rows: list[tuple[object, ...]]
    ) -> None:
        """Store ``payloads`` (hash, body; sorted, no repeats) and event ``rows`` in one
        transaction, ignoring what is already stored."""
        raise NotImplementedError

    def _event(self, row: Sequence[Any], /) -> AuditEvent:
        raise NotImplementedError

    def _when(self, moment: datetime, /) -> object:
        raise NotImplementedError

    def _latest(self, stage: Stage | None = None) -> list[AuditEvent]:
        sql, params = self._LATEST, []
        if stage is not None:
            sql += self._BY_STAGE
            params.append(stage.value)
        sql += " ORDER BY e.occurred_at, e.seq"
        return [self._event(row) for row in self._fetch(sql, params)]

    def _latest_of(self, wanted: list[RecordRef]) -> list[AuditEvent]:
        raise NotImplementedError

    def write_many(self, events: Iterable[AuditEvent]) -> None:
        batch = list(events)
        if not batch:
            return
        # Sorted, so that concurrent writers take the payloads' row locks in one order.
        payloads = sorted({(e.payload_sha256, e.payload) for e in batch if e.payload is not None})
        self._insert(payloads, event_rows(batch, self._when))

    def _select(self, query: EventQuery) -> list[AuditEvent]:
        where, params = where_events(query, self._MARK, self._when)
        return [self._event(row) for row in self._fetch(self._SELECT + where, params)]

    def latest(self, *, records: Collection[RecordRef] | None = None) -> list[AuditEvent]:
        if records is None:
            return self._latest()
        return self._latest_of(sorted(set(records), key=lambda r: (r.system, r.kind, r.id)))

    def failed(self) -> list[AuditEvent]:
        return self._latest(Stage.FAILED)
