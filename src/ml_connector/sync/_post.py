"""Posting a chunk: write-ahead, the posts themselves, and each record's outcome recorded.

:class:`_Poster` first writes a ``posting`` event for every record about to be posted, all in
one write, before any byte goes to Oracle; then it posts the missing documents, in batches
where the documents allow it (a lost answer is resolved by looking again); then it turns each
record's documents into its :class:`~ml_connector.sync.RecordResult` and writes the outcome
event that follows the ``posting`` one. Everything here is a flow, with no I/O of its own
besides the audit sink and the claim store.

With a claim store (the SQLite and Postgres sinks have one), :class:`_Claimer` makes each record
one worker's at a time: claimed before it is looked up, the claim confirmed (renewed, fenced by
its token) right before the post, released once the outcome is recorded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any

import attrs

from ml_connector._clock import Clock
from ml_connector._collector import pausing
from ml_connector._errors import AuditError
from ml_connector.audit import (
    AuditEvent,
    AuditSink,
    Claim,
    ClaimStore,
    RecordRef,
    Stage,
    new_correlation_id,
    new_event,
    redact_error,
)
from ml_connector.oracle import ReceivablesCreditMemo, ReceivablesInvoice

from ._documents import (
    CREDIT_MEMO,
    INVENTORY,
    INVOICE,
    Doc,
    batchable,
    post_batch_flow,
    post_one_flow,
    resource_of,
)
from ._flow import Fanout, Flow
from ._plan import _Pending
from ._protocols import AsyncOracleWriter, OracleWriter
from ._results import Outcome, RecordResult

__all__: list[str] = []

_log = logging.getLogger(__name__)


_POSTED_OUTCOMES = (Outcome.POSTED, Outcome.ALREADY_POSTED)

_STAGES = {
    Outcome.ALREADY_POSTED: Stage.ALREADY_POSTED,
    Outcome.SKIPPED: Stage.SKIPPED,
    Outcome.FAILED: Stage.FAILED,
}
"""The stage an outcome is recorded as (a posted record's: ``posted``, or ``reversed`` for
the reversal of a voided label)."""


class _Poster:
    """The posting and recording stages of a shipment run."""

    def __init__(
        self,
        *,
        oracle: OracleWriter | AsyncOracleWriter,
        audit: AuditSink,
        clock: Clock,
        batch: bool,
        explain_posted: bool = True,
    ) -> None:
        self.oracle = oracle
        self.audit = audit
        self.clock = clock
        self.batch = batch
        # Whether a posted record's result carries the mapping's explanation: only when
        # something reads it (results "all", an on_result callback); a plan builds it on read.
        self.explain_posted = explain_posted

    def post_flow(
        self, pendings: Sequence[_Pending], latest: Mapping[RecordRef, AuditEvent]
    ) -> Flow[None]:
        missing = [doc for p in pendings for doc in p.docs if doc.state == "missing"]
        if not missing:
            return
        # Written in both modes: the trail then holds an event for every record ever sent, which
        # is what lets a later run trust it (and shows a controller what was in flight).
        self._write_ahead(
            [p for p in pendings if any(d.state == "missing" for d in p.docs)], latest
        )
        settings = self.oracle.settings
        grouped: list[list[Doc]] = []
        singles: list[Doc] = []
        if self.batch:
            for_batch, singles = _batchable(missing, settings, self.oracle.converter)
            size = settings.batch_size
            grouped = [for_batch[n : n + size] for n in range(0, len(for_batch), size)]
        else:
            singles = missing
        flows: list[Flow[None]] = [post_batch_flow(group, self.oracle) for group in grouped]
        flows += [post_one_flow(doc) for doc in singles]
        yield Fanout(tuple(flows))

    def _write_ahead(
        self, pendings: Sequence[_Pending], latest: Mapping[RecordRef, AuditEvent]
    ) -> None:
        """Record ``posting`` for every record about to be posted, in one durable write.

        Written before the first byte of these posts goes to Oracle: from then on the trail
        holds an event for each of them, so a later run looks them up whatever happens to this
        one. An :class:`~ml_connector.AuditError` stops the run before anything is posted.
        """
        self.audit.write_many(self._announce(pendings, latest))

    @pausing  # a chunk's events, no cycles: see ml_connector._collector
    def _announce(
        self, pendings: Sequence[_Pending], latest: Mapping[RecordRef, AuditEvent]
    ) -> list[AuditEvent]:
        """The ``posting`` event of each of ``pendings`` (kept on it as ``announced``)."""
        events = []
        for pending in pendings:
            previous = latest.get(pending.ref)
            keys = [doc.key for doc in pending.docs if doc.state == "missing"]
            pending.announced = new_event(
                self.clock,
                correlation_id=(
                    previous.correlation_id if previous is not None else new_correlation_id()
                ),
                record=pending.ref,
                stage=Stage.POSTING,
                attempt=previous.attempt + 1 if previous is not None else 1,
                target=resource_of(pending.docs[0].kind),
                posting_key=pending.docs[0].key,
                detail=f"posting {', '.join(keys)}",
            )
            events.append(pending.announced)
        return events

    # -- results and events ----------------------------------------------------------------------

    def finish(
        self,
        pending: _Pending,
        previous: AuditEvent | None,
        dry_run: bool,
        outcomes: list[AuditEvent],
    ) -> RecordResult:
        """The record's result; its outcome event is added to ``outcomes``, which the caller
        writes (one write a chunk: :meth:`record`)."""
        result = pending.result or self.docs_result(pending, dry_run)
        if dry_run:
            return result
        if result.outcome is Outcome.POSTED:
            # A record is its label's own or its reversal (compared without making the
            # reversal's ref, which a live label does not keep).
            reversal = pending.ref != pending.label.ref
            stage = Stage.REVERSED if reversal else Stage.POSTED
        else:
            stage = _STAGES[result.outcome]
        if pending.announced is not None:
            # The outcome of the attempt its ``posting`` event announced.
            correlation = pending.announced.correlation_id
            attempt = pending.announced.attempt
        elif previous is not None:
            correlation = previous.correlation_id
            attempt = previous.attempt + 1
        else:
            correlation, attempt = new_correlation_id(), 1
        main = pending.docs[0] if pending.docs else None
        outcomes.append(
            new_event(
                self.clock,
                correlation_id=correlation,
                record=pending.ref,
                stage=stage,
                attempt=attempt,
                target=resource_of(main.kind) if main is not None else None,
                posting_key=result.posting_key,
                detail=result.detail or result.outcome.value,
                oracle_id=main.oracle_id if main is not None else None,
                payload=result.payload,
                error=result.error,
            )
        )
        return result

    @pausing  # a chunk's results and events, no cycles: see ml_connector._collector
    def finish_all(
        self,
        pendings: Sequence[_Pending],
        latest: Mapping[RecordRef, AuditEvent],
        dry_run: bool,
        results: dict[RecordRef, RecordResult],
        outcomes: list[AuditEvent],
        counted: Callable[[Outcome], object],
    ) -> None:
        """:meth:`finish` for each of ``pendings`` without a result in ``results`` yet, in
        order: each result is put in ``results`` and its outcome given to ``counted``."""
        for pending in pendings:
            if pending.ref in results:
                continue
            result = self.finish(pending, latest.get(pending.ref), dry_run, outcomes)
            results[pending.ref] = result
            counted(result.outcome)

    def record(self, outcomes: Sequence[AuditEvent]) -> None:
        """Write a chunk's outcome events in one write (each follows its ``posting`` event,
        already durable: an outcome lost with the process is looked up again next run)."""
        if outcomes:
            self.audit.write_many(outcomes)

    def docs_result(self, pending: _Pending, dry_run: bool) -> RecordResult:
        docs = pending.docs
        plan = pending.plan
        label = pending.label
        payload: dict[str, Any] = {"source": label.source_info()}
        if docs:
            payload["posting_key"] = docs[0].key
        converter = self.oracle.converter
        for doc in docs:
            if doc.kind in (INVOICE, CREDIT_MEMO):
                payload[doc.kind] = doc.wire(converter)
            else:
                payload.setdefault(INVENTORY, []).append(
                    {"key": doc.key, "line": doc.line, "transaction": doc.wire(converter)}
                )
        # Inventory lines staged but not processed by Oracle yet: the audit trail says so.
        waiting = tuple(doc.key for doc in docs if doc.pending and doc.state != "failed")
        if waiting:
            payload["pending_in_oracle"] = list(waiting)
        failed = [doc for doc in docs if doc.state == "failed"]
        if failed:
            outcome = Outcome.FAILED
        elif dry_run and any(doc.state == "missing" for doc in docs):
            outcome = Outcome.WOULD_POST
        elif any(doc.state == "created" for doc in docs):
            outcome = Outcome.POSTED
        else:
            outcome = Outcome.ALREADY_POSTED
        detail = "; ".join(doc.describe() for doc in docs) or "nothing left to post"
        if not pending.may_create and outcome is Outcome.ALREADY_POSTED:
            detail = f"label voided after posting: {detail}"
        error = failed[0].error if failed else None
        totals = [
            doc.model.total
            for doc in docs
            if isinstance(doc.model, ReceivablesInvoice | ReceivablesCreditMemo)
        ]
        return RecordResult(
            record=pending.ref,
            outcome=outcome,
            posting_key=docs[0].key if docs else None,
            keys=tuple(doc.key for doc in docs),
            detail=detail,
            error=redact_error(error) if error is not None else None,
            oracle_ids={doc.key: doc.oracle_id for doc in docs if doc.oracle_id is not None},
            payload=payload,
            explanation=plan.explanation
            if plan is not None
            and (dry_run or self.explain_posted or outcome not in _POSTED_OUTCOMES)
            else (),
            order_number=pending.order_number,
            warehouse_id=pending.warehouse_id,
            total=totals[0] if totals else None,
            pending_in_oracle=waiting,
        )


@pausing  # a chunk's wire forms, no cycles: see ml_connector._collector
def _batchable(docs: Sequence[Doc], settings: Any, converter: Any) -> tuple[list[Doc], list[Doc]]:
    """``docs`` split into those a batch may carry and those posted alone (see
    :func:`batchable`); each document's wire form is made here, once for the chunk."""
    for_batch: list[Doc] = []
    singles: list[Doc] = []
    for doc in docs:
        doc.wire(converter)
        (for_batch if batchable(doc, settings, converter) else singles).append(doc)
    return for_batch, singles


# -- claims: one worker per record -----------------------------------------------------------

DEFAULT_CLAIM_LEASE = timedelta(minutes=5)
"""How long a record's claim lasts without a renewal: longer than a post's requests."""

CLAIMED_ELSEWHERE = "claimed by another worker"
"""The reason of a record skipped because another live worker holds it (that worker posts it)."""


def claim_key(ref: RecordRef) -> str:
    """The claim key of a record: one claim per record, whichever documents it posts."""
    return f"{ref.system}:{ref.kind}:{ref.id}"


@attrs.define
class _Taken:
    """What one chunk's claim got: the held claims, the busy records, whether any was taken
    over from a worker whose lease expired (those are looked up before posting)."""

    held: dict[RecordRef, Claim]
    busy: list[RecordRef]
    taken_over: bool


class _Claimer:
    """Claims the records of a chunk before they are looked up, confirms them (the fencing
    check) right before posting, and gives them back once their outcome is recorded.

    A record another live worker holds is reported as skipped, :data:`CLAIMED_ELSEWHERE`, with
    no event written: the holder writes its outcome. A record whose claim was lost between
    planning and posting (this worker was paused past its lease and another took it over) is
    not posted, for the same reason.
    """

    def __init__(self, store: ClaimStore, *, owner: str, lease: timedelta) -> None:
        self.store = store
        self.owner = owner
        self.lease = lease

    def take(self, refs: Sequence[RecordRef]) -> _Taken:
        by_key = {claim_key(ref): ref for ref in refs}
        outcome = self.store.claim(list(by_key), owner=self.owner, lease=self.lease)
        held = {by_key[c.key]: c for c in outcome.held}
        busy = [by_key[key] for key in outcome.busy]
        return _Taken(held, busy, any(c.taken_over for c in outcome.held))

    def confirm(
        self, pendings: Sequence[_Pending], taken: _Taken
    ) -> tuple[list[_Pending], list[_Pending]]:
        """The pendings whose claim is still this worker's (renewed), and the others."""
        mine = [p for p in pendings if p.ref in taken.held]
        renewed = {
            c.key for c in self.store.renew([taken.held[p.ref] for p in mine], lease=self.lease)
        }
        kept = [p for p in mine if claim_key(p.ref) in renewed]
        lost = [p for p in pendings if p not in kept]
        for pending in lost:
            taken.held.pop(pending.ref, None)  # no longer ours: nothing to release
        return kept, lost

    def give_back(self, taken: _Taken, refs: Iterable[RecordRef]) -> None:
        """Give back the claims of ``refs`` now: labels put off to a later chunk. That chunk
        claims them again and must hold them alone (in the async twin this chunk's release
        comes while the next chunk is planned)."""
        self._release([taken.held.pop(ref) for ref in refs if ref in taken.held])

    def release(self, taken: _Taken) -> None:
        """Give the chunk's claims back; best effort: a claim not released expires by itself
        (its records are then taken over and looked up first), so a store that cannot be
        written to now (closed, unreachable) costs a lease, never a duplicate."""
        self._release(list(taken.held.values()))

    def _release(self, claims: list[Claim]) -> None:
        if not claims:
            return
        try:
            self.store.release(claims)
        except AuditError as exc:
            _log.warning("claims not released (they expire after their lease): %s", exc)


def claimed_elsewhere(ref: RecordRef, *, lost: bool = False) -> RecordResult:
    """The result of a record another worker holds (no event is written for it)."""
    detail = (
        "this worker's claim expired and another worker took the record over; it posts it"
        if lost
        else "another worker holds this record's claim and posts it"
    )
    return RecordResult(
        record=ref, outcome=Outcome.SKIPPED, detail=detail, reason=CLAIMED_ELSEWHERE
    )
