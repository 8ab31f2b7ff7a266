"""The shipment job's core: its settings and the run that takes each chunk through the pipeline.

:class:`~ml_connector.sync.ShipmentSync` and its async twin run the same flows
(:class:`_ShipmentCore`); only the driver differs. A window run streams: it reads the shipments
created in the window (with their items) and its fulfillments, merged by order id, then the
shipments voided in it, 500 labels at a time, and takes each chunk through the steps below
before it processes the next, so its memory does not grow with the window (see docs/sync.md,
"Memory"). The next chunk is read while one is processed (at the same time in the async twin).
A webhook run takes the records its pointer names as one chunk. For each chunk:

1. **Fetch** (GET only) the next page of labels; a label already processed in this run (a
   shipment created and voided in the window is listed twice) is not processed again.
2. **Deduplicate against the audit trail**: a record whose latest event is final (posted,
   already-posted, replayed, reversed, skipped) is not touched again.
3. **Orders**: the window's order list is read alongside the labels into a bounded cache
   (:data:`ORDER_CACHE_CHUNKS`), single gets fill the misses; orders whose labels do not ship
   exactly what was ordered (splits, partials, voids) get all their labels fetched, so split
   amounts come out exact whichever chunk a label falls in.
4. **Customers**: the Oracle accounts and parties those orders need are read, then matched.
5. **Map** each label (pure): an invoice and its inventory issues, or a skip with its reason,
   or a mapping error.
6. **Find before create**: every document's posting key is looked up in Oracle. With
   ``trust_audit_trail=True``, a record with no event at all in the trail was never sent by
   any run over it, so its documents are not looked up; every other record still is.
7. **Post what is missing**, in batches where the documents allow it (the async twin runs
   batches and single posts concurrently, bounded); a lost answer is resolved by looking again.
   A ``posting`` event is first written for every record about to be posted, all in one
   write, before any byte goes to Oracle: a run killed after that leaves records that the
   next run looks up, whichever mode it runs in, and the trail holds an event for every record
   ever sent (what makes ``trust_audit_trail=True`` safe on it).
8. **Record** each record's outcome in the audit trail (posted, already-posted, skipped with
   reason, failed with error and payload) and report progress; return a :class:`RunSummary`.

A voided label posts a credit memo and reversing receipts only if its original was posted in
Oracle; a label voided before it was ever posted is skipped, and never posted.

Where each stage lives: the window and its streaming in :mod:`._window`, planning (steps 3 to
6) in :mod:`._plan`, posting and recording (7 and 8) in :mod:`._post`, the run's bookkeeping in
:mod:`._results`. The twins over this core are in :mod:`._shipments`, the replay and
reconciliation facades in :mod:`._replay` and :mod:`._reconcile`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import attrs

from ml_connector._clock import Clock, SystemClock
from ml_connector._errors import ConfigurationError, ConnectorError
from ml_connector.audit import (
    AuditEvent,
    AuditSink,
    Checkpoint,
    CheckpointStore,
    ClaimStore,
    RecordRef,
    Stage,
    check_lease,
    latest_of,
    new_correlation_id,
    new_event,
    new_owner_id,
)
from ml_connector.mapping import CustomerDirectory, MappingConfig, PostingKeyFormats
from ml_connector.oracle._bulk import bulk_problem
from ml_connector.shipstation import Fulfillment, Shipment, WebhookPointer

from ._bulk import bulk_settings
from ._catalog import CatalogOptions, gate_flow  # catalog gate (issue 20)
from ._documents import stop_error
from ._flow import Fanout, Flow
from ._labels import SYSTEM, Label, fulfillment_config, labels_from
from ._plan import _Pending, _Planner
from ._post import CLAIMED_ELSEWHERE, DEFAULT_CLAIM_LEASE, _Claimer, _Poster, claimed_elsewhere
from ._preflight import (
    PreflightError,
    PreflightProblem,
    PreflightReport,
    catalog_preflight_flow,
    preflight_flow,
)
from ._protocols import AsyncOracleWriter, OracleWriter, ShipStationReader, shipstation_call
from ._results import (
    RESULTS_POLICIES,
    Outcome,
    ProgressCallback,
    RecordResult,
    ResultCallback,
    ResultsPolicy,
    RunSummary,
    _Counter,
    _from_trail,
    _is_final,
    _Run,
)
from ._undecodable import undecodable_result
from ._window import (
    CHUNK,
    FULFILLMENT_VOID_LOOKBACK,
    ORDER_CACHE_CHUNKS,
    SyncWindow,
    _Carry,
    _LedgerCache,
    _OrderCache,
    _WindowLabels,
)

__all__ = ["JOB", "SOURCE"]

_log = logging.getLogger(__name__)

JOB = "shipments"
SOURCE = "shipstation-v1/shipments"


def _caught(flow: Flow[Any]) -> Flow[Any]:
    """``flow``'s result, or the ConnectorError it raised (a Fanout sub-flow must not raise)."""
    try:
        result = yield from flow
    except ConnectorError as exc:
        return exc
    return result


@attrs.define(eq=False)
class _Chunk:
    """A chunk planned and not posted yet (with the claims it holds, if any)."""

    labels: list[Label]
    latest: Mapping[RecordRef, AuditEvent]
    results: dict[RecordRef, RecordResult]
    pendings: list[_Pending]
    run: _Run
    claimer: Any = None
    taken: Any = None

    def release(self) -> None:
        """Release the chunk's claims (once)."""
        if self.claimer is not None and self.taken is not None:
            taken, self.taken = self.taken, None
            self.claimer.release(taken)


def _refs(label: Label) -> list[RecordRef]:
    return [label.ref, label.void_ref] if label.voided else [label.ref]


def _not_negative(
    _instance: object, attribute: attrs.Attribute[timedelta], value: timedelta
) -> None:
    if value < timedelta(0):
        raise ConfigurationError("must not be negative", setting=attribute.name)


def _at_least_one(_instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if value < 1:
        raise ConfigurationError("must be at least 1", setting=attribute.name)


def _a_policy(_instance: object, _attribute: attrs.Attribute[str], value: str) -> None:
    if value not in RESULTS_POLICIES:
        raise ConfigurationError(
            f"{value!r} is not one of {', '.join(RESULTS_POLICIES)}", setting="results"
        )


def _a_mapping(_instance: object, _attribute: Any, value: Any) -> None:
    if not isinstance(value, MappingConfig):
        raise ConfigurationError(
            f"a shipment job needs a MappingConfig, got {type(value).__name__}; "
            "load one with ml_connector.mapping.load_mapping_config(path)",
            setting="mapping",
        )


def _or_system_clock(clock: Clock | None) -> Clock:
    return clock if clock is not None else SystemClock()


@attrs.frozen(kw_only=True)
class ShipmentSyncOptions:
    """Everything a shipment job is configured with, besides its clients: declared and
    validated here once (the twins' keyword arguments, documented on
    :class:`~ml_connector.sync.ShipmentSync`, are these fields)."""

    mapping: MappingConfig = attrs.field(validator=_a_mapping)
    audit: AuditSink
    checkpoints: CheckpointStore | None = None
    clock: Clock = attrs.field(default=None, converter=_or_system_clock)
    directory: CustomerDirectory | None = None
    job: str = JOB
    overlap: timedelta = attrs.field(default=timedelta(hours=2), validator=_not_negative)
    batch: bool = True
    fulfillment_keys: PostingKeyFormats | None = None
    preflight: bool = True
    progress: ProgressCallback | None = None
    results: ResultsPolicy = attrs.field(default="slim", validator=_a_policy)
    on_result: ResultCallback | None = None
    chunk_size: int = attrs.field(default=CHUNK, validator=_at_least_one)
    concurrency: int = attrs.field(default=8, validator=_at_least_one)
    """The async twin's bound on requests in flight (the blocking twin has one at a time)."""
    trust_audit_trail: bool = False
    fulfillment_void_lookback: timedelta = attrs.field(
        default=FULFILLMENT_VOID_LOOKBACK, validator=_not_negative
    )
    claims: ClaimStore | None = None
    """Where records are claimed (default: the audit sink's own ``claims``, when it has one)."""
    claim_lease: timedelta = DEFAULT_CLAIM_LEASE

    @classmethod
    def of(cls, arguments: Mapping[str, Any]) -> ShipmentSyncOptions:
        """The options among a twin's keyword ``arguments`` (its ``locals()``): the twins list
        them in their signatures, for readers and type checkers, and forward them from here, so
        a new option is added here and in those signatures, never in a third place."""
        names = [field.name for field in attrs.fields(cls)]
        return cls(**{name: arguments[name] for name in names if name in arguments})


class _ShipmentCore:
    """Everything both twins share: every decision, as flows. No I/O of its own."""

    def __init__(
        self, options: ShipmentSyncOptions, *, oracle: OracleWriter | AsyncOracleWriter
    ) -> None:
        self.options = options
        self.order_cache = ORDER_CACHE_CHUNKS * options.chunk_size
        self.planner = _Planner(
            mapping=options.mapping,
            fulfillment_mapping=fulfillment_config(options.mapping, options.fulfillment_keys),
            directory=options.directory,
        )
        self.poster = _Poster(
            oracle=oracle,
            audit=options.audit,
            clock=options.clock,
            batch=options.batch,
            explain_posted=options.results == "all" or options.on_result is not None,
        )
        self.planner.bulk = bulk_settings(oracle)  # bulk look-ups (sync/_bulk.py)
        self.planner.converter = getattr(oracle, "converter", None)
        self._preflight_passed = False
        # -- catalog gate (issue 20): see the hook in _process_flow.
        self.catalog: CatalogOptions | None = CatalogOptions()
        # Claims (issue "Outgrowing one machine"): given, or the sink's own (the SQLite and
        # Postgres sinks carry one).
        store = options.claims
        if store is None:
            store = getattr(options.audit, "claims", None)
        self.claimer: _Claimer | None = None
        if isinstance(store, ClaimStore):
            # Posts are not retried (but for 429s): one request timeout is what a live
            # worker's post can take once its claim is confirmed.
            timeout = getattr(getattr(oracle, "settings", None), "timeout", None)
            if isinstance(timeout, int | float):
                check_lease(options.claim_lease, float(timeout))
            self.claimer = _Claimer(store, owner=new_owner_id(), lease=options.claim_lease)

    # -- the run ---------------------------------------------------------------------------------

    def preflight_flow(self, *, catalog: bool = False) -> Flow[PreflightReport]:
        """See :meth:`ShipmentSync.preflight`; ``catalog``: list the catalog check's findings."""
        report = yield from preflight_flow(self.options.mapping)
        # Bulk look-ups (issue 17): 'or' in q needs REST framework 2 or later.
        problem = bulk_problem(self.poster.oracle.settings)
        if problem is not None:
            found = PreflightProblem("configuration", "bulk_lookup_size", problem)
            report = attrs.evolve(report, problems=(*report.problems, found))
        if catalog and self.catalog is not None:  # the whole product list (sync/_preflight.py)
            framework = str(self.poster.oracle.settings.framework_version)
            report = yield from catalog_preflight_flow(
                report, self.options.mapping, self.catalog, framework_version=framework
            )
        return report

    def _ensure_preflight(self, dry_run: bool) -> Flow[None]:
        if not self.options.preflight or self._preflight_passed or dry_run:
            return
        report = yield from self.preflight_flow()
        if not report.ok:
            raise PreflightError(report)
        self._preflight_passed = True

    def run_flow(self, window: SyncWindow, *, dry_run: bool) -> Flow[RunSummary]:
        """A window run, streamed chunk by chunk (see the module docstring)."""
        started = self.options.clock.now()
        counter = _Counter(self.options.progress)
        yield from self._ensure_preflight(dry_run)
        run = self._new_run(dry_run)
        stream = _WindowLabels(
            window, self.options.chunk_size, lookback=self.options.fulfillment_void_lookback
        )
        orders = _OrderCache(window, self.order_cache, self.options.chunk_size, labels=stream)
        carry = _Carry(_LedgerCache(self.order_cache))

        def next_chunk() -> Flow[_Chunk | None]:
            labels = yield from stream.next_flow()
            if not labels:
                return None
            chunk: _Chunk = yield from self._plan_chunk_flow(
                labels,
                window,
                dry_run=dry_run,
                counter=counter,
                run=run,
                orders=orders,
                carry=carry,
                # A chunk shorter than a page ends the created labels: nothing listed
                # later can complete a label, so everything is decided now.
                final=len(labels) < self.options.chunk_size,
            )
            return chunk

        planned = yield from next_chunk()
        while planned is not None:
            counter.update(fetched=stream.fetched)
            # The next chunk is read and planned (orders, customers, claims, look-ups; no
            # post) while this one posts and is recorded: at the same time in the async twin,
            # so ShipStation's rate limit, Oracle's reads and Oracle's slow creates overlap.
            # Planning stays in chunk order (the carry of split orders moves on with it), and
            # each label is processed once a run, so the two chunks' records are distinct.
            posted, upcoming = yield Fanout(
                (
                    _caught(self._post_chunk_flow(planned, dry_run=dry_run, counter=counter)),
                    _caught(next_chunk()),
                )
            )
            if isinstance(posted, ConnectorError):
                if isinstance(upcoming, _Chunk):
                    upcoming.release()
                raise posted
            if isinstance(upcoming, ConnectorError):
                raise upcoming
            planned = upcoming
            self._record_undecodable(stream, run, counter, dry_run)
        if carry.deferred:
            # The labels still waiting for their order's other labels: decided now.
            yield from self._process_flow(
                [],
                window,
                dry_run=dry_run,
                counter=counter,
                run=run,
                orders=orders,
                carry=carry,
                final=True,
            )
        self._record_undecodable(stream, run, counter, dry_run)
        counter.update(fetched=stream.fetched, total=run.total)
        return RunSummary(
            job=self.options.job,
            start=window.start,
            end=window.end,
            dry_run=dry_run,
            started_at=started,
            finished_at=self.options.clock.now(),
            fetched=stream.fetched,
            orders_fetched=orders.fetched,
            **run.summary_fields(),
        )

    def _record_undecodable(
        self, stream: _WindowLabels, run: _Run, counter: _Counter, dry_run: bool
    ) -> None:
        """Each label the window listed but could not decode, as a failed record of its own."""
        records, stream.undecodable = stream.undecodable, []
        for record in records:
            result = undecodable_result(record)
            previous = latest_of(self.options.audit, [result.record]).get(result.record)
            if _is_final(previous):
                continue  # replayed or otherwise settled since
            run.total += 1
            if not dry_run:
                self.options.audit.write(
                    new_event(
                        self.options.clock,
                        correlation_id=(
                            previous.correlation_id
                            if previous is not None
                            else new_correlation_id()
                        ),
                        record=result.record,
                        stage=Stage.FAILED,
                        attempt=previous.attempt + 1 if previous is not None else 1,
                        detail=result.detail,
                        payload=result.payload,
                        error=result.error,
                    )
                )
            run.add(result)
            counter.record(result.outcome)

    def _new_run(self, dry_run: bool) -> _Run:
        # A dry run is a plan to read: it keeps every payload and explanation.
        return _Run(
            policy="all" if dry_run else self.options.results,
            on_result=self.options.on_result,
            currency=self.options.mapping.receivables.currency,
        )

    def incremental_window(self, initial_start: datetime | None) -> SyncWindow:
        """The next window: from the checkpoint minus the overlap to now."""
        if self.options.checkpoints is None:
            raise ConfigurationError(
                "an incremental run needs a checkpoint store", setting="checkpoints"
            )
        checkpoint = self.options.checkpoints.load(self.options.job, SOURCE)
        now = self.options.clock.now()
        if checkpoint is None:
            if initial_start is None:
                raise ConfigurationError(
                    f"job {self.options.job!r} has no checkpoint yet; pass initial_start",
                    setting="initial_start",
                )
            return SyncWindow(initial_start, now)
        return SyncWindow(checkpoint.watermark - self.options.overlap, now)

    def save_checkpoint(self, summary: RunSummary) -> RunSummary:
        """Store the end of the window as the next run's watermark (not on dry runs).

        A run that skipped records because another worker held their claims keeps the old
        watermark: if that worker dies before it posts them, the next run must read them again
        (already-posted ones cost an audit-trail read, never a second post).
        """
        if summary.dry_run or self.options.checkpoints is None or summary.end is None:
            return summary
        if summary.skip_reasons.get(CLAIMED_ELSEWHERE):
            _log.warning(
                "checkpoint of job %r not moved: %d records were held by another worker",
                self.options.job,
                summary.skip_reasons[CLAIMED_ELSEWHERE],
            )
            return summary
        self.options.checkpoints.save(
            Checkpoint(job=self.options.job, source=SOURCE, watermark=summary.end)
        )
        return attrs.evolve(summary, watermark=summary.end)

    def webhook_flow(self, pointer: WebhookPointer, *, dry_run: bool) -> Flow[RunSummary]:
        """Process the records a webhook pointer names, deduplicated like a poll."""
        started = self.options.clock.now()
        counter = _Counter(self.options.progress)
        ref = RecordRef(SYSTEM, "webhook", pointer.dedupe_key)
        summary = RunSummary(
            job=self.options.job,
            start=None,
            end=None,
            dry_run=dry_run,
            started_at=started,
            finished_at=started,
            fetched=0,
            orders_fetched=0,
            results=(),
            counts={},
            skip_reasons={},
            results_policy="all" if dry_run else self.options.results,
        )
        if self.options.audit.events(record=ref):
            # The same pointer delivered again (ShipStation retries): nothing new to do.
            return attrs.evolve(summary, finished_at=self.options.clock.now())
        yield from self._ensure_preflight(dry_run)
        records = yield shipstation_call(ShipStationReader.resolve_webhook, pointer)
        shipments = [r for r in records if isinstance(r, Shipment)]
        fulfillments = [r for r in records if isinstance(r, Fulfillment)]
        labels = labels_from(shipments, fulfillments)
        counter.update(fetched=len(records))
        run = self._new_run(dry_run)
        orders = _OrderCache(None, self.order_cache)
        yield from self._process_flow(
            labels, None, dry_run=dry_run, counter=counter, run=run, orders=orders
        )
        counter.update(total=run.total)
        if not dry_run:
            self.options.audit.write(
                new_event(
                    self.options.clock,
                    correlation_id=new_correlation_id(),
                    record=ref,
                    stage=Stage.FETCHED,
                    detail=(
                        f"{pointer.resource_type}: {len(records)} records, "
                        f"{len(labels)} labels processed"
                    ),
                )
            )
        return attrs.evolve(
            summary,
            finished_at=self.options.clock.now(),
            fetched=len(records),
            orders_fetched=orders.fetched,
            **run.summary_fields(),
        )

    # -- processing ------------------------------------------------------------------------------

    def _process_flow(
        self,
        labels: Sequence[Label],
        window: SyncWindow | None,
        *,
        dry_run: bool,
        counter: _Counter,
        run: _Run,
        orders: _OrderCache,
        carry: _Carry | None = None,
        final: bool = True,
    ) -> Flow[None]:
        """One chunk: deduplicate, plan, post, record; results go to ``run`` in label order.

        With ``carry`` (a window run), the chunk's shipments join the run's ledger, and labels
        put off by earlier chunks (a split order's label whose sibling was not listed yet) are
        tried again with this one.
        """
        chunk = yield from self._plan_chunk_flow(
            labels,
            window,
            dry_run=dry_run,
            counter=counter,
            run=run,
            orders=orders,
            carry=carry,
            final=final,
        )
        yield from self._post_chunk_flow(chunk, dry_run=dry_run, counter=counter)

    def _plan_chunk_flow(
        self,
        labels: Sequence[Label],
        window: SyncWindow | None,
        *,
        dry_run: bool,
        counter: _Counter,
        run: _Run,
        orders: _OrderCache,
        carry: _Carry | None = None,
        final: bool = True,
    ) -> Flow[_Chunk]:
        """Deduplicate, claim and plan a chunk (reads only): what :meth:`_post_chunk_flow`
        posts. The chunk's claims are released by the post, or here if planning fails."""
        labels = [label for label in labels if run.first_time(label)]
        run.total += sum(len(_refs(label)) for label in labels)
        if carry is not None:
            labels = carry.listed(labels)
        refs = [ref for label in labels for ref in _refs(label)]
        # Only this chunk's records are read from the trail, so the run's memory does not grow
        # with the trail either.
        latest = latest_of(self.options.audit, refs)
        results: dict[RecordRef, RecordResult] = {}
        work: list[Label] = []
        for label in labels:
            settled = [ref for ref in _refs(label) if _is_final(latest.get(ref))]
            for ref in settled:
                results[ref] = _from_trail(ref, latest[ref])
            if len(settled) < len(_refs(label)):
                work.append(label)
        for result in results.values():
            counter.record(result.outcome)

        # Only a real run over a trusted trail skips look-ups (dry runs show what Oracle holds).
        trusted = self.options.trust_audit_trail and not dry_run
        taken = None
        claimer = None if dry_run else self.claimer
        if claimer is not None and work:
            # Claimed before anything is looked up: a record another live worker holds is its.
            taken = claimer.take(
                [ref for label in work for ref in _refs(label) if ref not in results]
            )
            for ref in taken.busy:
                results[ref] = claimed_elsewhere(ref)
                counter.record(Outcome.SKIPPED)
            work = [label for label in work if any(r in taken.held for r in _refs(label))]
            # A claim taken over from a dead worker: it may have posted, so look it up.
            trusted = trusted and not taken.taken_over
        chunk = _Chunk(labels, latest, results, [], run, claimer, taken)
        try:
            pendings = yield from self.planner.plan_flow(
                work,
                latest,
                dry_run,
                orders=orders,
                trusted=trusted,
                carry=carry,
                final=final if carry is not None else True,
            )
            # -- catalog gate (issue 20): before anything of the chunk posts (with the preflight
            # on) and in dry runs, a record whose item Oracle's item master would refuse fails,
            # with the reason, instead of being refused mid-post or shown as "would post".
            if self.catalog is not None and (dry_run or self.options.preflight):
                framework = str(getattr(self.poster.oracle.settings, "framework_version", "4"))
                yield from gate_flow(
                    pendings, self.options.mapping, self.catalog, framework_version=framework
                )
        except BaseException:
            chunk.release()
            raise
        if claimer is not None and taken is not None and carry is not None and carry.deferred:
            # Labels put off to a later chunk (they are all this chunk's: the carry was taken
            # when it was listed) are claimed again by the chunk that posts them.
            claimer.give_back(taken, [ref for label in carry.deferred for ref in _refs(label)])
        chunk.pendings = pendings
        return chunk

    def _post_chunk_flow(self, chunk: _Chunk, *, dry_run: bool, counter: _Counter) -> Flow[None]:
        """Post a planned chunk and record each record's outcome, in label order; then
        release its claims."""
        labels, latest, results, pendings, run = (
            chunk.labels,
            chunk.latest,
            chunk.results,
            chunk.pendings,
            chunk.run,
        )
        claimer, taken = chunk.claimer, chunk.taken
        try:
            if not dry_run:
                to_post = [p for p in pendings if p.result is None and p.may_create]
                if claimer is not None and taken is not None:
                    # The fencing check: post only what is still this worker's.
                    to_post, lost = claimer.confirm(to_post, taken)
                    for pending in lost:
                        if pending.ref not in results:
                            results[pending.ref] = claimed_elsewhere(pending.ref, lost=True)
                            counter.record(Outcome.SKIPPED)
                yield from self.poster.post_flow(to_post, latest)
            outcomes: list[AuditEvent] = []
            try:
                self.poster.finish_all(pendings, latest, dry_run, results, outcomes, counter.record)
            finally:
                # One write for the chunk's outcomes (those recorded so far, if one failed).
                self.poster.record(outcomes)
        finally:
            chunk.release()
        for label in labels:
            for ref in (label.ref, label.void_ref):
                if ref in results:
                    run.add(results[ref])
        # Oracle numbered a document itself: it is posted and recorded under Oracle's number
        # (and found by its echo next time); nothing more is posted until the source is fixed.
        stop = stop_error([doc for pending in pendings for doc in pending.docs])
        if stop is not None:
            raise stop
