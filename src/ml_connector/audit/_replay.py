"""Replay: post the records that failed, with today's mapping, never twice.

The audit package imports no client and no mapping module, so replay talks to the rest of the
SDK through :class:`ReplayTarget` (or its async twin): the sync layer re-maps a failed record
with the current mapping configuration, looks its posting key up in Oracle and creates it.

One record's replay is a small I/O-free flow (a generator, as in ``httpx.Auth``) that yields the
three calls it needs and returns a :class:`ReplayItem`; :func:`replay` and
:func:`async_replay` only differ in how they make those calls. Per record:

1. ``remap`` the failed event's record; a :class:`~ml_connector.MappingError` fails it again.
   A record that fails before it is re-mapped keeps its payload: the new failed event carries
   the failed event's payload forward, so a later replay still has what the first one had.
2. Diff the new payload against the failed one.
3. ``find`` the posting key (find-before-create). Found: record ``already-posted``, post nothing.
4. Otherwise ``create`` it and record ``replayed`` with the Oracle id. A
   :class:`~ml_connector.ConflictError` from ``create`` (someone posted the key in between)
   is resolved by a second ``find``.

Each outcome is written to the sink straight away, so an interrupted replay keeps its progress.
A second replay posts nothing: replayed records are no longer failed, and if the ``replayed``
event was lost (a crash after the post), ``find`` sees the document and nothing is posted.
``dry_run=True`` calls ``remap`` and ``find`` only and writes nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection, Generator, Mapping
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

import attrs

from ml_connector._clock import Clock
from ml_connector._errors import ConflictError, ConnectorError
from ml_connector._flow import adrive, drive

from ._diff import PayloadChange, diff_payloads
from ._event import (
    AuditEvent,
    Stage,
    canonical_json,
    ensure_utc,
    new_event,
    payload_of,
    redact_error,
)
from ._sink import AuditSink

__all__ = [
    "AsyncReplayTarget",
    "Remapped",
    "ReplayItem",
    "ReplayOutcome",
    "ReplayReport",
    "ReplayTarget",
    "async_replay",
    "replay",
    "select_failed",
]


@attrs.frozen
class Remapped:
    """A failed record mapped again with the current configuration.

    Attributes:
        payload: The Oracle payload in its JSON-ready wire form (what ``create`` posts).
        posting_key: The deterministic key ``find`` looks up.
        target: The Oracle resource, when it differs from the failed event's.
        skip: Why the record posts nothing any more (a rule now skips it, the label was voided
            before it was posted). Replay then records a skip with this reason: never an
            ``already-posted`` entry, which would claim a document Oracle does not hold.
    """

    payload: Mapping[str, Any] = attrs.field(hash=False)
    posting_key: str
    target: str | None = None
    skip: str | None = None


@runtime_checkable
class ReplayTarget(Protocol):
    """What replay needs from the sync layer (blocking calls)."""

    def remap(self, failed: AuditEvent) -> Remapped:
        """Fetch the failed event's record again if needed and map it with today's config."""
        ...

    def find(self, posting_key: str) -> str | None:
        """The Oracle id of the document with this posting key, or None."""
        ...

    def create(self, payload: Mapping[str, Any]) -> str:
        """Post ``payload`` to Oracle and return the new document's id."""
        ...


@runtime_checkable
class AsyncReplayTarget(Protocol):
    """The async twin of :class:`ReplayTarget`."""

    async def remap(self, failed: AuditEvent) -> Remapped:
        """See :meth:`ReplayTarget.remap`."""
        ...

    async def find(self, posting_key: str) -> str | None:
        """See :meth:`ReplayTarget.find`."""
        ...

    async def create(self, payload: Mapping[str, Any]) -> str:
        """See :meth:`ReplayTarget.create`."""
        ...


class ReplayOutcome(enum.StrEnum):
    """What replay did (or, on a dry run, would do) with one failed record."""

    WOULD_POST = "would-post"
    WOULD_SKIP = "would-skip"
    POSTED = "posted"
    ALREADY_POSTED = "already-posted"
    SKIPPED = "skipped"
    """The record maps to nothing any more; recorded as a skip with its reason."""
    FAILED = "failed"


@attrs.frozen
class ReplayItem:
    """The result for one failed record.

    Attributes:
        failed: The failed event that selected the record.
        outcome: What happened.
        posting_key: The posting key of the re-mapped payload.
        oracle_id: The created or found Oracle id.
        payload: The re-mapped payload as canonical JSON.
        changes: The diff from the failed payload to the re-mapped one.
        error: The redacted error when the replay failed.
        event: The event written to the trail (None on dry runs).
    """

    failed: AuditEvent
    outcome: ReplayOutcome
    posting_key: str | None = None
    oracle_id: str | None = None
    payload: str | None = None
    changes: tuple[PayloadChange, ...] = ()
    error: Mapping[str, Any] | None = attrs.field(default=None, hash=False)
    event: AuditEvent | None = None


@attrs.frozen
class ReplayReport:
    """Everything one replay run did, in the order the records were selected."""

    dry_run: bool
    items: tuple[ReplayItem, ...]

    def count(self, outcome: ReplayOutcome) -> int:
        """How many records ended with ``outcome``."""
        return sum(1 for item in self.items if item.outcome is outcome)

    @property
    def posted(self) -> int:
        """Records created in Oracle by this run."""
        return self.count(ReplayOutcome.POSTED)


def select_failed(
    sink: AuditSink,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    error_kinds: Collection[str] | None = None,
    record_ids: Collection[str] | None = None,
) -> list[AuditEvent]:
    """The records whose latest event is ``failed``, narrowed by the filters.

    Args:
        sink: The audit trail.
        since: Only failures at or after this time.
        until: Only failures before this time.
        error_kinds: Only errors whose type (``"ServerError"``) or vendor code
            (``"AR_BILL_TO_CUST_NOT_FOUND"``) is listed.
        record_ids: Only these source record ids.
    """
    since = None if since is None else ensure_utc(since)
    until = None if until is None else ensure_utc(until)
    # A lone string would match by substring ("12" in "123"); treat it as one id or kind.
    if isinstance(record_ids, str):
        record_ids = {record_ids}
    if isinstance(error_kinds, str):
        error_kinds = {error_kinds}
    chosen = []
    for event in sink.failed():
        if since is not None and event.occurred_at < since:
            continue
        if until is not None and event.occurred_at >= until:
            continue
        if record_ids is not None and event.record.id not in record_ids:
            continue
        if error_kinds is not None:
            error = event.error or {}
            if error.get("type") not in error_kinds and error.get("code") not in error_kinds:
                continue
        chosen.append(event)
    return chosen


@attrs.frozen
class _Call:
    """A call to the replay target: one of :class:`ReplayTarget`'s methods, by reference (the
    driver calls the method of that name on the blocking or the async target)."""

    method: Callable[[ReplayTarget, Any], Any]
    argument: Any


def _flow(failed: AuditEvent, *, clock: Clock, dry_run: bool) -> Generator[_Call, Any, ReplayItem]:
    """Replay one failed record: yields the target calls, returns the outcome."""
    attempt = failed.attempt + 1

    def fail(error: ConnectorError, remapped: Remapped | None, payload: str | None) -> ReplayItem:
        event = None
        if not dry_run:
            event = new_event(
                clock,
                correlation_id=failed.correlation_id,
                record=failed.record,
                stage=Stage.FAILED,
                attempt=attempt,
                target=(remapped.target if remapped else None) or failed.target,
                posting_key=remapped.posting_key if remapped else failed.posting_key,
                detail=f"replay failed: {error.message}",
                # The re-mapped payload when it serialised cleanly; otherwise (the replay failed
                # before it re-mapped) the failed event's own, carried forward, so the next
                # replay still has the kept payload (an order id, a raw record) to work from.
                payload=(
                    remapped.payload
                    if remapped is not None and payload is not None
                    else payload_of(failed)
                ),
                error=error,
            )
        return ReplayItem(
            failed=failed,
            outcome=ReplayOutcome.FAILED,
            posting_key=remapped.posting_key if remapped else None,
            payload=payload,
            changes=diff_payloads(failed.payload, payload) if payload is not None else (),
            error=redact_error(error),
            event=event,
        )

    try:
        remapped: Remapped = yield _Call(ReplayTarget.remap, failed)
    except ConnectorError as exc:
        return fail(exc, None, None)
    try:
        payload = canonical_json(remapped.payload)
    except ConnectorError as exc:  # e.g. a float amount: refused before anything is posted
        return fail(exc, remapped, None)
    changes = diff_payloads(failed.payload, payload)

    def done(outcome: ReplayOutcome, stage: Stage | None, oracle_id: str | None) -> ReplayItem:
        event = None
        if stage is not None:
            event = new_event(
                clock,
                correlation_id=failed.correlation_id,
                record=failed.record,
                stage=stage,
                attempt=attempt,
                target=remapped.target or failed.target,
                posting_key=remapped.posting_key,
                detail=(
                    "replay found the document already in Oracle; nothing posted"
                    if stage is Stage.ALREADY_POSTED
                    else f"replay: nothing to post any more ({remapped.skip})"
                    if stage is Stage.SKIPPED
                    else "replay posted the re-mapped payload"
                ),
                oracle_id=oracle_id,
                payload=remapped.payload,
            )
        return ReplayItem(
            failed=failed,
            outcome=outcome,
            posting_key=remapped.posting_key,
            oracle_id=oracle_id,
            payload=payload,
            changes=changes,
            event=event,
        )

    if remapped.skip is not None:
        # Nothing to find or post: record the skip and its reason, never an Oracle id.
        if dry_run:
            return done(ReplayOutcome.WOULD_SKIP, None, None)
        return done(ReplayOutcome.SKIPPED, Stage.SKIPPED, None)
    try:
        found: str | None = yield _Call(ReplayTarget.find, remapped.posting_key)
    except ConnectorError as exc:
        return fail(exc, remapped, payload)
    if found is not None:
        if dry_run:
            return done(ReplayOutcome.WOULD_SKIP, None, found)
        return done(ReplayOutcome.ALREADY_POSTED, Stage.ALREADY_POSTED, found)
    if dry_run:
        return done(ReplayOutcome.WOULD_POST, None, None)
    try:
        created: str = yield _Call(ReplayTarget.create, remapped.payload)
    except ConflictError as exc:
        # Someone posted the same key between our find and our create (another replay, the
        # live sync): look again, and record what is there rather than a failure.
        try:
            found = yield _Call(ReplayTarget.find, remapped.posting_key)
        except ConnectorError:
            return fail(exc, remapped, payload)
        if found is None:
            return fail(exc, remapped, payload)
        return done(ReplayOutcome.ALREADY_POSTED, Stage.ALREADY_POSTED, found)
    except ConnectorError as exc:
        return fail(exc, remapped, payload)
    return done(ReplayOutcome.POSTED, Stage.REPLAYED, created)


def replay(
    sink: AuditSink,
    target: ReplayTarget,
    *,
    clock: Clock,
    since: datetime | None = None,
    until: datetime | None = None,
    error_kinds: Collection[str] | None = None,
    record_ids: Collection[str] | None = None,
    dry_run: bool = False,
) -> ReplayReport:
    """Re-map and re-post the failed records selected by the filters (see the module docs).

    Args:
        sink: The audit trail to select from and record to.
        target: Re-maps, finds and creates (the sync layer implements it).
        clock: Stamps the recorded events.
        since: Only failures at or after this time.
        until: Only failures before this time.
        error_kinds: Only these error types or vendor codes.
        record_ids: Only these source record ids.
        dry_run: Show what would be posted (with the diff) and post and record nothing.

    Returns:
        One item per selected record.

    Raises:
        AuditError: the trail cannot be read or written.
    """
    items = []
    for failed in select_failed(
        sink, since=since, until=until, error_kinds=error_kinds, record_ids=record_ids
    ):
        flow = _flow(failed, clock=clock, dry_run=dry_run)
        item = drive(flow, lambda call: getattr(target, call.method.__name__)(call.argument))
        if item.event is not None:
            sink.write(item.event)
        items.append(item)
    return ReplayReport(dry_run=dry_run, items=tuple(items))


async def async_replay(
    sink: AuditSink,
    target: AsyncReplayTarget,
    *,
    clock: Clock,
    since: datetime | None = None,
    until: datetime | None = None,
    error_kinds: Collection[str] | None = None,
    record_ids: Collection[str] | None = None,
    dry_run: bool = False,
) -> ReplayReport:
    """The async twin of :func:`replay`; the target's calls are awaited."""
    items = []
    for failed in select_failed(
        sink, since=since, until=until, error_kinds=error_kinds, record_ids=record_ids
    ):
        flow = _flow(failed, clock=clock, dry_run=dry_run)
        item = await adrive(flow, lambda call: getattr(target, call.method.__name__)(call.argument))
        if item.event is not None:
            sink.write(item.event)
        items.append(item)
    return ReplayReport(dry_run=dry_run, items=tuple(items))
