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
   (:data:`ORDER_CACHE`), single gets fill the misses; orders whose labels do not ship
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

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import attrs

from ml_connector._clock import Clock, SystemClock
from ml_connector._errors import ConfigurationError, ConnectorError
from ml_connector.audit import (
    AuditSink,
    Checkpoint,
    CheckpointStore,
    RecordRef,
    Stage,
    latest_of,
    new_correlation_id,
    new_event,
)
from ml_connector.mapping import CustomerDirectory, MappingConfig, PostingKeyFormats
from ml_connector.shipstation import Fulfillment, Shipment, WebhookPointer

from ._flow import Fanout, Flow
from ._labels import SYSTEM, Label, fulfillment_config, labels_from
from ._plan import _Planner
from ._post import _Poster
from ._preflight import PreflightError, PreflightReport, preflight_flow
from ._protocols import AsyncOracleWriter, OracleWriter, ShipStationReader, shipstation_call
from ._results import (
    RESULTS_POLICIES,
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
from ._window import CHUNK, ORDER_CACHE, SyncWindow, _OrderCache, _WindowLabels

__all__ = ["JOB", "SOURCE"]

JOB = "shipments"
SOURCE = "shipstation-v1/shipments"


def _caught(flow: Flow[Any]) -> Flow[Any]:
    """``flow``'s result, or the ConnectorError it raised (a Fanout sub-flow must not raise)."""
    try:
        result = yield from flow
    except ConnectorError as exc:
        return exc
    return result


def _refs(label: Label) -> list[RecordRef]:
    return [label.ref, label.void_ref] if label.voided else [label.ref]


class _ShipmentCore:
    """Everything both twins share: every decision, as flows. No I/O of its own."""

    def __init__(
        self,
        *,
        oracle: OracleWriter | AsyncOracleWriter,
        mapping: MappingConfig,
        audit: AuditSink,
        checkpoints: CheckpointStore | None,
        clock: Clock | None,
        directory: CustomerDirectory | None,
        job: str,
        overlap: timedelta,
        batch: bool,
        fulfillment_keys: PostingKeyFormats | None,
        preflight: bool,
        progress: ProgressCallback | None,
        results: ResultsPolicy = "slim",
        on_result: ResultCallback | None = None,
        chunk_size: int = CHUNK,
        trust_audit_trail: bool = False,
    ) -> None:
        if overlap < timedelta(0):
            raise ConfigurationError("must not be negative", setting="overlap")
        if chunk_size < 1:
            raise ConfigurationError("must be at least 1", setting="chunk_size")
        if results not in RESULTS_POLICIES:
            raise ConfigurationError(
                f"{results!r} is not one of {', '.join(RESULTS_POLICIES)}", setting="results"
            )
        self.results_policy: ResultsPolicy = results
        self.on_result = on_result
        self.chunk_size = chunk_size
        self.order_cache = max(ORDER_CACHE, 2 * chunk_size)
        self.oracle = oracle
        self.mapping = mapping
        self.audit = audit
        self.checkpoints = checkpoints
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.directory = directory
        self.planner = _Planner(
            mapping=mapping,
            fulfillment_mapping=fulfillment_config(mapping, fulfillment_keys),
            directory=directory,
        )
        self.poster = _Poster(oracle=oracle, audit=audit, clock=self.clock, batch=batch)
        self.job = job
        self.overlap = overlap
        self.batch = batch
        self.check_first = preflight
        self.progress = progress
        self.trust_audit_trail = trust_audit_trail
        self._preflight_passed = False

    # -- the run ---------------------------------------------------------------------------------

    def preflight_flow(self) -> Flow[PreflightReport]:
        """See :func:`~ml_connector.sync.preflight`."""
        return preflight_flow(self.mapping)

    def _ensure_preflight(self, dry_run: bool) -> Flow[None]:
        if not self.check_first or self._preflight_passed or dry_run:
            return
        report = yield from self.preflight_flow()
        if not report.ok:
            raise PreflightError(report)
        self._preflight_passed = True

    def run_flow(self, window: SyncWindow, *, dry_run: bool) -> Flow[RunSummary]:
        """A window run, streamed chunk by chunk (see the module docstring)."""
        started = self.clock.now()
        counter = _Counter(self.progress)
        yield from self._ensure_preflight(dry_run)
        run = self._new_run(dry_run)
        stream = _WindowLabels(window, self.chunk_size)
        orders = _OrderCache(window, self.order_cache, self.chunk_size)
        labels = yield from stream.next_flow()
        while labels:
            counter.update(fetched=stream.fetched)
            # The next chunk is read while this one is processed (at the same time in the
            # async twin, so ShipStation's rate limit and Oracle's latency overlap). It is
            # checked against the trail only once this chunk is recorded.
            _done, upcoming = yield Fanout(
                (
                    self._process_flow(
                        labels, window, dry_run=dry_run, counter=counter, run=run, orders=orders
                    ),
                    _caught(stream.next_flow()),
                )
            )
            if isinstance(upcoming, ConnectorError):
                raise upcoming
            labels = upcoming
        counter.update(fetched=stream.fetched, total=run.total)
        return RunSummary(
            job=self.job,
            start=window.start,
            end=window.end,
            dry_run=dry_run,
            started_at=started,
            finished_at=self.clock.now(),
            fetched=stream.fetched,
            orders_fetched=orders.fetched,
            **run.summary_fields(),
        )

    def _new_run(self, dry_run: bool) -> _Run:
        # A dry run is a plan to read: it keeps every payload and explanation.
        return _Run(
            policy="all" if dry_run else self.results_policy,
            on_result=self.on_result,
            currency=self.mapping.receivables.currency,
        )

    def incremental_window(self, initial_start: datetime | None) -> SyncWindow:
        """The next window: from the checkpoint minus the overlap to now."""
        if self.checkpoints is None:
            raise ConfigurationError(
                "an incremental run needs a checkpoint store", setting="checkpoints"
            )
        checkpoint = self.checkpoints.load(self.job, SOURCE)
        now = self.clock.now()
        if checkpoint is None:
            if initial_start is None:
                raise ConfigurationError(
                    f"job {self.job!r} has no checkpoint yet; pass initial_start",
                    setting="initial_start",
                )
            return SyncWindow(initial_start, now)
        return SyncWindow(checkpoint.watermark - self.overlap, now)

    def save_checkpoint(self, summary: RunSummary) -> RunSummary:
        """Store the end of the window as the next run's watermark (not on dry runs)."""
        if summary.dry_run or self.checkpoints is None or summary.end is None:
            return summary
        self.checkpoints.save(Checkpoint(job=self.job, source=SOURCE, watermark=summary.end))
        return attrs.evolve(summary, watermark=summary.end)

    def webhook_flow(self, pointer: WebhookPointer, *, dry_run: bool) -> Flow[RunSummary]:
        """Process the records a webhook pointer names, deduplicated like a poll."""
        started = self.clock.now()
        counter = _Counter(self.progress)
        ref = RecordRef(SYSTEM, "webhook", pointer.dedupe_key)
        summary = RunSummary(
            job=self.job,
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
            results_policy="all" if dry_run else self.results_policy,
        )
        if self.audit.events(record=ref):
            # The same pointer delivered again (ShipStation retries): nothing new to do.
            return attrs.evolve(summary, finished_at=self.clock.now())
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
            self.audit.write(
                new_event(
                    self.clock,
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
            finished_at=self.clock.now(),
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
    ) -> Flow[None]:
        """One chunk: deduplicate, plan, post, record; results go to ``run`` in label order."""
        labels = [label for label in labels if run.first_time(label)]
        refs = [ref for label in labels for ref in _refs(label)]
        run.total += len(refs)
        # Only this chunk's records are read from the trail, so the run's memory does not grow
        # with the trail either.
        latest = latest_of(self.audit, refs)
        results: dict[RecordRef, RecordResult] = {}
        work: list[Label] = []
        for label in labels:
            final = [ref for ref in _refs(label) if _is_final(latest.get(ref))]
            for ref in final:
                results[ref] = _from_trail(ref, latest[ref])
            if len(final) < len(_refs(label)):
                work.append(label)
        for result in results.values():
            counter.record(result.outcome)

        # Only a real run over a trusted trail skips look-ups (dry runs show what Oracle holds).
        trusted = self.trust_audit_trail and not dry_run
        pendings, _ = yield from self.planner.plan_flow(
            work,
            window,
            latest,
            dry_run,
            orders=orders,
            customers=orders.customers,
            trusted=trusted,
        )
        if not dry_run:
            yield from self.poster.post_flow(
                [p for p in pendings if p.result is None and p.may_create], latest
            )
        for pending in pendings:
            if pending.ref in results:
                continue
            result = self.poster.finish(pending, latest.get(pending.ref), dry_run)
            results[pending.ref] = result
            counter.record(result.outcome)
        for label in labels:
            for ref in (label.ref, label.void_ref):
                if ref in results:
                    run.add(results[ref])
