"""Posting a chunk: write-ahead, the posts themselves, and each record's outcome recorded.

:class:`_Poster` first writes a ``posting`` event for every record about to be posted, all in
one write, before any byte goes to Oracle; then it posts the missing documents, in batches
where the documents allow it (a lost answer is resolved by looking again); then it turns each
record's documents into its :class:`~ml_connector.sync.RecordResult` and writes the outcome
event that follows the ``posting`` one. Everything here is a flow, with no I/O of its own
besides the audit sink.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ml_connector._clock import Clock
from ml_connector.audit import (
    AuditEvent,
    AuditSink,
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


class _Poster:
    """The posting and recording stages of a shipment run."""

    def __init__(
        self,
        *,
        oracle: OracleWriter | AsyncOracleWriter,
        audit: AuditSink,
        clock: Clock,
        batch: bool,
    ) -> None:
        self.oracle = oracle
        self.audit = audit
        self.clock = clock
        self.batch = batch

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
        converter = self.oracle.converter
        grouped: list[list[Doc]] = []
        singles: list[Doc] = []
        if self.batch:
            for_batch = [doc for doc in missing if batchable(doc, settings, converter)]
            singles = [doc for doc in missing if doc not in for_batch]
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
        self.audit.write_many(events)

    # -- results and events ----------------------------------------------------------------------

    def finish(self, pending: _Pending, previous: AuditEvent | None, dry_run: bool) -> RecordResult:
        result = pending.result or self.docs_result(pending, dry_run)
        if dry_run:
            return result
        posted = Stage.REVERSED if pending.ref == pending.label.void_ref else Stage.POSTED
        stage = {
            Outcome.POSTED: posted,
            Outcome.ALREADY_POSTED: Stage.ALREADY_POSTED,
            Outcome.SKIPPED: Stage.SKIPPED,
            Outcome.FAILED: Stage.FAILED,
        }[result.outcome]
        attempt = 1
        correlation = new_correlation_id()
        if pending.announced is not None:
            # The outcome of the attempt its ``posting`` event announced.
            correlation = pending.announced.correlation_id
            attempt = pending.announced.attempt
        elif previous is not None:
            correlation = previous.correlation_id
            attempt = previous.attempt + 1
        main = pending.docs[0] if pending.docs else None
        self.audit.write(
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
            explanation=plan.explanation if plan is not None else (),
            order_number=pending.order_number,
            warehouse_id=pending.warehouse_id,
            total=totals[0] if totals else None,
            pending_in_oracle=waiting,
        )
