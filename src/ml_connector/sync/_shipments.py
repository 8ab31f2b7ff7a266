"""Shipments into Oracle exactly once: :class:`ShipmentSync` and :class:`AsyncShipmentSync`.

Both twins run the same flow (:class:`_ShipmentCore`); only the driver differs. A window run
streams: it reads the shipments created in the window (with their items) and its fulfillments,
merged by order id, then the shipments voided in it, 500 labels at a time, and takes each
chunk through the steps below before it processes the next, so its memory does not grow with the
window (see docs/sync.md, "Memory"). The next chunk is read while one is processed (at the
same time in the async twin). A webhook run takes the records its pointer names as one chunk.
For each chunk:

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
"""

from __future__ import annotations

import asyncio
import logging
from array import array
from bisect import bisect_left
from collections import Counter, OrderedDict, deque
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import attrs

from ml_connector._clock import Clock, SystemClock
from ml_connector._errors import AuditError, ConfigurationError, ConnectorError, MappingError
from ml_connector._time import to_utc
from ml_connector.audit import (
    AuditEvent,
    AuditSink,
    Checkpoint,
    CheckpointStore,
    RecordRef,
    Remapped,
    ReplayReport,
    Stage,
    async_replay,
    latest_of,
    new_correlation_id,
    new_event,
    redact_error,
    replay,
)
from ml_connector.mapping import (
    CustomerDirectory,
    MappingConfig,
    PostingKeyFormats,
    ShipmentPlan,
    Skip,
    SkipReason,
    map_shipment,
    match_customer,
)
from ml_connector.oracle import ReceivablesCreditMemo, ReceivablesInvoice
from ml_connector.shipstation import Fulfillment, Order, Shipment, WebhookPointer

from ._directory import LookupCache, directory_flow
from ._documents import (
    CREDIT_MEMO,
    INVENTORY,
    INVOICE,
    Doc,
    batchable,
    lookup_flow,
    post_batch_flow,
    post_one_flow,
    resource_of,
)
from ._flow import Call, Cursor, Fanout, Flow, Take, arun_flow, run_flow
from ._labels import (
    SHIPMENT,
    SYSTEM,
    Label,
    fulfillment_config,
    labels_from,
    needs_order_labels,
)
from ._preflight import PreflightError, PreflightReport, preflight_flow
from ._reconcile import ReconciliationReport, reconcile_flow
from ._replay import ReplayCore
from ._results import (
    RESULTS_POLICIES,
    Outcome,
    Progress,
    ProgressCallback,
    RecordResult,
    ResultCallback,
    ResultsPolicy,
    RunSummary,
    retain,
)

__all__ = [
    "AsyncShipmentReplayTarget",
    "AsyncShipmentSync",
    "ShipmentReplayTarget",
    "ShipmentSync",
    "SyncWindow",
    "async_reconcile",
    "reconcile",
]

logger = logging.getLogger(__name__)

JOB = "shipments"
SOURCE = "shipstation-v1/shipments"
FINAL_STAGES = frozenset(
    {Stage.POSTED, Stage.ALREADY_POSTED, Stage.REPLAYED, Stage.REVERSED, Stage.SKIPPED}
)
"""Latest stages after which a record is never processed again by a run (replay aside)."""
CHUNK = 500
"""Labels processed at a time by a window run: one V1 page (ShipStation's largest page size)."""
ORDER_CACHE = 2_000
"""Orders kept between chunks (most recently used first out): a bounded read-ahead."""


def _utc(value: datetime) -> datetime:
    try:
        return to_utc(value)
    except ValueError as exc:
        raise ConfigurationError(str(exc), setting="window") from None


@attrs.frozen
class SyncWindow:
    """A time window, aware UTC: ``start`` inclusive, ``end`` exclusive.

    Sent to ShipStation as Pacific wall-clock time by the V1 client.
    """

    start: datetime = attrs.field(converter=_utc)
    end: datetime = attrs.field(converter=_utc)

    def __attrs_post_init__(self) -> None:
        if self.end <= self.start:
            raise ConfigurationError("end must be after start", setting="window")

    @classmethod
    def of(cls, value: SyncWindow | tuple[datetime, datetime]) -> SyncWindow:
        """A window from itself or a ``(start, end)`` pair."""
        return value if isinstance(value, SyncWindow) else cls(value[0], value[1])


@attrs.define(eq=False)
class _Pending:
    """One record on its way: its documents and what was decided so far."""

    ref: RecordRef
    label: Label
    docs: list[Doc] = attrs.field(factory=list)
    may_create: bool = True
    result: RecordResult | None = None
    plan: ShipmentPlan | None = None
    order_number: str | None = None
    warehouse_id: str | None = None
    error: ConnectorError | None = None
    announced: AuditEvent | None = None
    """The ``posting`` event written ahead of its post, which its outcome event follows."""


class _Counter:
    def __init__(self, callback: ProgressCallback | None) -> None:
        self.callback = callback
        self.progress = Progress()

    def update(self, *, fetched: int | None = None, total: int | None = None) -> None:
        if fetched is not None:
            self.progress = attrs.evolve(self.progress, fetched=fetched)
        if total is not None:
            self.progress = attrs.evolve(self.progress, total=total)
        self._emit()

    def record(self, outcome: Outcome) -> None:
        name = {
            Outcome.POSTED: "posted",
            Outcome.ALREADY_POSTED: "already_posted",
            Outcome.SKIPPED: "skipped",
            Outcome.FAILED: "failed",
            Outcome.WOULD_POST: "planned",
        }[outcome]
        self.progress = attrs.evolve(self.progress, **{name: getattr(self.progress, name) + 1})
        self._emit()

    def _emit(self) -> None:
        if self.callback is not None:
            try:
                self.callback(self.progress)
            except Exception:  # a broken progress bar must not stop the posting
                logger.exception("progress callback failed")


@attrs.frozen
class _Fetched:
    labels: tuple[Label, ...]
    count: int


def _caught(flow: Flow[Any]) -> Flow[Any]:
    """``flow``'s result, or the ConnectorError it raised (a Fanout sub-flow must not raise)."""
    try:
        result = yield from flow
    except ConnectorError as exc:
        return exc
    return result


def _refs(label: Label) -> list[RecordRef]:
    return [label.ref, label.void_ref] if label.voided else [label.ref]


class _IdSet:
    """A set of label ids in 8 bytes each: a sorted array, and a small set merged into it.

    A Python set of ints costs about 60 bytes an id; a run remembers every label id it
    processed, so over a large window that was a part of its memory that grew.
    """

    MERGE = 4_096

    def __init__(self) -> None:
        self._sorted = array("q")
        self._recent: set[int] = set()

    def __len__(self) -> int:
        return len(self._sorted) + len(self._recent)

    def __contains__(self, value: int) -> bool:
        if value in self._recent:
            return True
        at = bisect_left(self._sorted, value)
        return at < len(self._sorted) and self._sorted[at] == value

    def add(self, value: int) -> bool:
        """Add ``value``; whether it was new."""
        if value in self:
            return False
        self._recent.add(value)
        if len(self._recent) >= self.MERGE:
            self._sorted = array("q", sorted((*self._sorted, *self._recent)))
            self._recent = set()
        return True


class _Run:
    """What a run keeps across chunks: outcome counts, the results its policy retains, and
    the ids of the labels seen."""

    def __init__(self, *, policy: ResultsPolicy, on_result: ResultCallback | None) -> None:
        self.policy = policy
        self.on_result = on_result
        self.results: list[RecordResult] = []
        self.counts: Counter[Outcome] = Counter()
        self.reasons: Counter[str] = Counter()
        self.total = 0
        # Ids only, per kind: a label listed twice (created and voided in the window, or a
        # page shifted by new records) is processed once.
        self._seen: dict[str, _IdSet] = {}

    def first_time(self, label: Label) -> bool:
        return self._seen.setdefault(label.kind, _IdSet()).add(label.id)

    def add(self, result: RecordResult) -> None:
        self.counts[result.outcome] += 1
        if result.outcome is Outcome.SKIPPED and result.reason is not None:
            self.reasons[result.reason] += 1
        if self.on_result is not None:
            self.on_result(result)
        kept = retain(result, self.policy)
        if kept is not None:
            self.results.append(kept)

    def summary_fields(self) -> dict[str, Any]:
        """The summary's results and counts."""
        return {
            "results": tuple(self.results),
            "counts": dict(self.counts),
            "skip_reasons": dict(self.reasons.most_common()),
            "results_policy": self.policy,
        }


def _order_of(item: Shipment | Fulfillment) -> int:
    return item.order_id if item.order_id is not None else -1


class _WindowLabels:
    """The window's labels as chunks: created shipments and fulfillments merged by order id
    (both listings come in that order, as does the window's order list, so a chunk's orders come
    up together in the order list; another order costs order look-ups, never correctness), then
    the voided ones. At most one page of each listing is held besides the chunk.
    """

    def __init__(self, window: SyncWindow, size: int) -> None:
        self.size = size
        self.fetched = 0
        self._created = Cursor(
            Call(
                "shipstation",
                "iter_shipments",
                kwargs={
                    "create_date_start": window.start,
                    "create_date_end": window.end,
                    "include_shipment_items": True,
                },
            )
        )
        self._fulfillments = Cursor(
            Call(
                "shipstation",
                "iter_fulfillments",
                kwargs={"create_date_start": window.start, "create_date_end": window.end},
            )
        )
        self._voided = Cursor(
            Call(
                "shipstation",
                "iter_shipments",
                kwargs={
                    "void_date_start": window.start,
                    "void_date_end": window.end,
                    "include_shipment_items": True,
                },
            )
        )
        self._buffers: tuple[deque[Any], deque[Any]] = (deque(), deque())

    def next_flow(self) -> Flow[list[Label]]:
        """The next chunk of labels (one per id); an empty list at the end of the window."""
        shipments: list[Shipment] = []
        fulfillments: list[Fulfillment] = []
        cursors = (self._created, self._fulfillments)
        while len(shipments) + len(fulfillments) < self.size:
            for cursor, buffer in zip(cursors, self._buffers, strict=True):
                if not buffer and not cursor.exhausted:
                    items = yield Take(cursor, self.size)
                    self.fetched += len(items)
                    buffer.extend(items)
            heads = [buffer for buffer in self._buffers if buffer]
            if not heads:
                break
            item = min(heads, key=lambda buffer: _order_of(buffer[0])).popleft()
            if isinstance(item, Fulfillment):
                fulfillments.append(item)
            else:
                shipments.append(item)
        if not shipments and not fulfillments:
            shipments = yield Take(self._voided, self.size)
            self.fetched += len(shipments)
        return labels_from(shipments, fulfillments)


class _OrderCache:
    """Orders for a run's chunks: the window's order list is read as far as the labels need,
    into a cache of at most ``capacity`` orders (least recently used out); misses are fetched
    one by one, as before.
    """

    def __init__(self, window: SyncWindow | None, capacity: int, page: int = CHUNK) -> None:
        self.capacity = capacity
        self.page = page
        self.fetched = 0
        self.customers = LookupCache()
        """The Oracle customer look-ups of these orders, also kept across chunks."""
        self._cache: OrderedDict[int, Order] = OrderedDict()
        # Listed orders no label has asked for yet: the list's lead over the labels.
        self._ahead: set[int] = set()
        self._listing = (
            None
            if window is None
            else Cursor(
                Call(
                    "shipstation",
                    "iter_orders",
                    kwargs={"modify_date_start": window.start, "modify_date_end": window.end},
                )
            )
        )

    def _keep(self, order: Order) -> None:
        self._cache[order.order_id] = order
        self._cache.move_to_end(order.order_id)
        while len(self._cache) > self.capacity:
            evicted, _order = self._cache.popitem(last=False)
            self._ahead.discard(evicted)

    def get_flow(self, order_ids: set[int]) -> Flow[dict[int, Order | ConnectorError]]:
        """The orders ``order_ids`` name (an error for those that could not be read)."""
        orders: dict[int, Order | ConnectorError] = {}
        for order_id in order_ids:
            cached = self._cache.get(order_id)
            if cached is not None:
                self._cache.move_to_end(order_id)
                self._ahead.discard(order_id)
                orders[order_id] = cached
        missing = order_ids - orders.keys()
        # Read on in the list while it may still hold them, but never further ahead of the
        # labels than the cache holds: an order modified outside the window is not in the list
        # at all, and reading past it would push out the orders the next chunks need.
        while missing and self._listing is not None:
            if len(self._ahead) + self.page > self.capacity - len(order_ids):
                break
            page = yield Take(self._listing, self.page)
            if not page:
                self._listing = None
                break
            self.fetched += len(page)
            for order in page:
                self._keep(order)
                if order.order_id in missing:
                    missing.discard(order.order_id)
                    orders[order.order_id] = order
                else:
                    self._ahead.add(order.order_id)
        ordered = sorted(missing)
        got = yield Fanout(tuple(_ShipmentCore._get_order_flow(order_id) for order_id in ordered))
        for order_id, order in zip(ordered, got, strict=True):
            orders[order_id] = order
            if isinstance(order, Order):
                self.fetched += 1
                self._keep(order)
        return orders


class _ShipmentCore:
    """Everything both twins share: every decision, as flows. No I/O of its own."""

    def __init__(
        self,
        *,
        oracle: Any,
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
        self.fulfillment_mapping = fulfillment_config(mapping, fulfillment_keys)
        self.audit = audit
        self.checkpoints = checkpoints
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.directory = directory
        self.job = job
        self.overlap = overlap
        self.batch = batch
        self.check_first = preflight
        self.progress = progress
        self.trust_audit_trail = trust_audit_trail
        self._preflight_passed = False

    # -- fetching --------------------------------------------------------------------------------

    def fetch_window_flow(self, window: SyncWindow) -> Flow[_Fetched]:
        created = yield Call(
            "shipstation",
            "iter_shipments",
            kwargs={
                "create_date_start": window.start,
                "create_date_end": window.end,
                "include_shipment_items": True,
            },
            collect=True,
        )
        voided = yield Call(
            "shipstation",
            "iter_shipments",
            kwargs={
                "void_date_start": window.start,
                "void_date_end": window.end,
                "include_shipment_items": True,
            },
            collect=True,
        )
        fulfillments = yield Call(
            "shipstation",
            "iter_fulfillments",
            kwargs={"create_date_start": window.start, "create_date_end": window.end},
            collect=True,
        )
        labels = labels_from([*created, *voided], fulfillments)
        return _Fetched(tuple(labels), len(created) + len(voided) + len(fulfillments))

    # -- orders and ledgers ----------------------------------------------------------------------

    @staticmethod
    def _get_order_flow(order_id: int) -> Flow[Order | ConnectorError]:
        try:
            order = yield Call("shipstation", "get_order", (order_id,))
        except ConnectorError as exc:
            return exc
        result: Order = order
        return result

    @staticmethod
    def _order_labels_flow(order_id: int) -> Flow[list[Shipment] | ConnectorError]:
        try:
            shipments = yield Call(
                "shipstation",
                "iter_shipments",
                kwargs={"order_id": order_id, "include_shipment_items": True},
                collect=True,
            )
        except ConnectorError as exc:
            return exc
        result: list[Shipment] = shipments
        return result

    def _orders_flow(
        self, order_ids: set[int], window: SyncWindow | None
    ) -> Flow[tuple[dict[int, Order | ConnectorError], int]]:
        orders: dict[int, Order | ConnectorError] = {}
        fetched = 0
        if window is not None and order_ids:
            listed = yield Call(
                "shipstation",
                "iter_orders",
                kwargs={"modify_date_start": window.start, "modify_date_end": window.end},
                collect=True,
            )
            fetched += len(listed)
            for order in listed:
                if order.order_id in order_ids:
                    orders[order.order_id] = order
        missing = sorted(order_ids - set(orders))
        got = yield Fanout(tuple(self._get_order_flow(order_id) for order_id in missing))
        fetched += sum(1 for item in got if isinstance(item, Order))
        orders.update(zip(missing, got, strict=True))
        return orders, fetched

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
        return _Run(policy="all" if dry_run else self.results_policy, on_result=self.on_result)

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
        records = yield Call("shipstation", "resolve_webhook", (pointer,))
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
        pendings, _ = yield from self.plan_flow(
            work,
            window,
            latest,
            dry_run,
            orders=orders,
            customers=orders.customers,
            trusted=trusted,
        )
        if not dry_run:
            yield from self._post_flow(
                [p for p in pendings if p.result is None and p.may_create], latest
            )
        for pending in pendings:
            if pending.ref in results:
                continue
            result = self._finish(pending, latest.get(pending.ref), dry_run)
            results[pending.ref] = result
            counter.record(result.outcome)
        for label in labels:
            for ref in (label.ref, label.void_ref):
                if ref in results:
                    run.add(results[ref])

    def plan_flow(
        self,
        work: Sequence[Label],
        window: SyncWindow | None,
        latest: Mapping[RecordRef, AuditEvent],
        dry_run: bool,
        *,
        orders: _OrderCache | None = None,
        customers: LookupCache | None = None,
        trusted: bool = False,
    ) -> Flow[tuple[list[_Pending], int]]:
        """Orders, ledgers, customers, mapping and Oracle look-ups for ``work``'s open records.

        ``orders`` carries the order cache from chunk to chunk; without it the orders are read
        for ``work`` alone (the window's order list prefills them, as for a reconciliation).
        ``trusted``: ``latest`` is the whole trail's word on these records, so a record absent
        from it is created without a look-up (see :meth:`prepare_flow`).
        """
        order_ids = {label.order_id for label in work if label.order_id is not None}
        if orders is None:
            found, orders_fetched = yield from self._orders_flow(order_ids, window)
        else:
            before = orders.fetched
            found = yield from orders.get_flow(order_ids)
            orders_fetched = orders.fetched - before
        labels, extra = yield from self._complete_ledgers_flow(list(work), found)
        ledgers = _ledgers([*(label.shipment for label in labels), *extra])
        good_orders = [order for order in found.values() if isinstance(order, Order)]
        directory = self.directory
        if directory is None:
            directory = yield from directory_flow(good_orders, self.mapping, customers)

        prepared = yield Fanout(
            tuple(
                self.prepare_flow(
                    label, found, ledgers, directory, latest, dry_run, trusted=trusted
                )
                for label in labels
            )
        )
        pendings: list[_Pending] = [p for group in prepared for p in group]
        return pendings, orders_fetched

    def _complete_ledgers_flow(
        self, work: list[Label], orders: Mapping[int, Order | ConnectorError]
    ) -> Flow[tuple[list[Label], list[Shipment]]]:
        by_order: dict[int, list[Label]] = {}
        for label in work:
            if label.order_id is not None:
                by_order.setdefault(label.order_id, []).append(label)
        wanted = sorted(
            order_id
            for order_id, group in by_order.items()
            if isinstance(orders.get(order_id), Order)
            and needs_order_labels(orders[order_id], group)  # type: ignore[arg-type]
        )
        fetched = yield Fanout(tuple(self._order_labels_flow(order_id) for order_id in wanted))
        extra: list[Shipment] = []
        for result in fetched:
            if isinstance(result, list):
                extra.extend(result)
        if not extra:
            return work, []
        # Other labels of the order join the ledger; labels being processed take their items
        # (a webhook lists shipments without them).
        work_ids = {(label.kind, label.id) for label in work}
        shipments = [label.shipment for label in work if label.shipment is not None]
        refreshed = labels_from(
            [*extra, *shipments], [lab.fulfillment for lab in work if lab.fulfillment]
        )
        others = [s for s in extra if (SHIPMENT, s.shipment_id) not in work_ids]
        return [label for label in refreshed if (label.kind, label.id) in work_ids], others

    # -- one label -------------------------------------------------------------------------------

    def _map(
        self,
        label: Label,
        order: Order,
        ledger: Sequence[Shipment],
        directory: CustomerDirectory,
        *,
        unvoided: bool,
    ) -> ShipmentPlan | Skip:
        shipment = label.as_shipment(order)
        if unvoided:
            shipment = attrs.evolve(shipment, voided=False, void_date=None)
        config = self.mapping if label.kind == SHIPMENT else self.fulfillment_mapping
        match = match_customer(order, self.mapping, directory)
        others = ledger if label.kind == SHIPMENT else ()
        return map_shipment(shipment, order, match, config, order_shipments=others)

    def prepare_flow(
        self,
        label: Label,
        orders: Mapping[int, Order | ConnectorError],
        ledgers: Mapping[int, Sequence[Shipment]],
        directory: CustomerDirectory,
        latest: Mapping[RecordRef, AuditEvent],
        dry_run: bool,
        *,
        trusted: bool = False,
    ) -> Flow[list[_Pending]]:
        """The records of ``label`` that are still open, mapped, with their documents looked up.

        ``trusted``: a label that is not voided and whose record has no event in ``latest`` (the
        trail holds nothing about it, so no run over this trail ever sent it) has its documents
        marked ``missing`` without asking Oracle. Voided labels and reversals are always looked
        up: what they post depends on what Oracle holds.
        """
        refs = [label.ref] + ([label.void_ref] if label.voided else [])
        open_refs = [ref for ref in refs if not _is_final(latest.get(ref))]
        order = orders.get(label.order_id) if label.order_id is not None else None
        if label.order_id is None or order is None:
            skip = Skip(label.id, SkipReason.NO_ORDER, "label has no order to invoice")
            return [self._skipped(ref, label, skip) for ref in open_refs]
        if isinstance(order, ConnectorError):
            return [self._failed(ref, label, order) for ref in open_refs]
        ledger = ledgers.get(order.order_id, ())
        warehouse = _warehouse(label, order)
        try:
            plan = self._map(label, order, ledger, directory, unvoided=label.voided)
        except MappingError as exc:
            return [self._failed(ref, label, exc, order) for ref in open_refs]
        if not label.voided:
            pending = _Pending(
                label.ref, label, order_number=order.order_number, warehouse_id=warehouse
            )
            if isinstance(plan, Skip):
                pending.result = self._skip_result(label.ref, label, plan, order)
                return [pending]
            pending.plan = plan
            pending.docs = _docs(plan)
            if trusted and label.ref not in latest:
                for doc in pending.docs:
                    doc.state = "missing"
            else:
                yield from lookup_flow(pending.docs)
            return [pending]

        # A voided label: look its original up; reverse only what Oracle has.
        original = _Pending(
            label.ref,
            label,
            may_create=False,
            order_number=order.order_number,
            warehouse_id=warehouse,
        )
        reversal = _Pending(
            label.void_ref, label, order_number=order.order_number, warehouse_id=warehouse
        )
        if isinstance(plan, Skip):
            original.result = self._skip_result(label.ref, label, plan, order)
            void_skip = Skip(
                label.id,
                SkipReason.ORIGINAL_NOT_POSTED,
                f"the original posted nothing ({plan.reason.value})",
            )
            reversal.result = self._skip_result(label.void_ref, label, void_skip, order)
            return [p for p in (original, reversal) if p.ref in open_refs]
        original.plan = plan
        original.docs = _docs(plan)
        yield from lookup_flow(original.docs)
        posted = [doc for doc in original.docs if doc.state == "found"]
        if not posted and not any(doc.state == "failed" for doc in original.docs):
            original.result = self._skip_result(
                label.ref,
                label,
                Skip(label.id, SkipReason.ORIGINAL_NOT_POSTED, "label voided before it was posted"),
                order,
            )
        if reversal.ref in open_refs:
            yield from self._prepare_reversal(reversal, original, order, ledger, directory)
        return [p for p in (original, reversal) if p.ref in open_refs]

    def _prepare_reversal(
        self,
        reversal: _Pending,
        original: _Pending,
        order: Order,
        ledger: Sequence[Shipment],
        directory: CustomerDirectory,
    ) -> Flow[None]:
        label = reversal.label
        found = {doc.kind: doc for doc in original.docs if doc.state == "found"}
        lines = {
            doc.line for doc in original.docs if doc.kind == INVENTORY and doc.state == "found"
        }
        failed = [doc for doc in original.docs if doc.state == "failed"]
        if failed and not found:
            error = failed[0].error or ConnectorError("original lookup failed")
            broken = self._failed(reversal.ref, label, error, order)
            reversal.result, reversal.error = broken.result, broken.error
            return
        if not found and not lines:
            skip = Skip(label.id, SkipReason.ORIGINAL_NOT_POSTED, "the original was never posted")
            reversal.result = self._skip_result(reversal.ref, label, skip, order)
            return
        try:
            plan = self._map(label, order, ledger, directory, unvoided=False)
        except MappingError as exc:
            broken = self._failed(reversal.ref, label, exc, order)
            reversal.result, reversal.error = broken.result, broken.error
            return
        if isinstance(plan, Skip):
            reversal.result = self._skip_result(reversal.ref, label, plan, order)
            return
        docs = [
            doc
            for doc in _docs(plan)
            if (doc.kind == CREDIT_MEMO and INVOICE in found)
            or (doc.kind == INVENTORY and doc.line in lines)
        ]
        reversal.plan = plan
        reversal.docs = docs
        yield from lookup_flow(docs)

    # -- posting ---------------------------------------------------------------------------------

    def _post_flow(
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

    def _skip_result(
        self, ref: RecordRef, label: Label, skip: Skip, order: Order | None
    ) -> RecordResult:
        return RecordResult(
            record=ref,
            outcome=Outcome.SKIPPED,
            detail=skip.detail,
            reason=skip.reason.value,
            explanation=skip.explanation,
            order_number=order.order_number if order is not None else None,
            warehouse_id=_warehouse(label, order),
        )

    def _skipped(self, ref: RecordRef, label: Label, skip: Skip) -> _Pending:
        return _Pending(ref, label, result=self._skip_result(ref, label, skip, None))

    def _failed(
        self, ref: RecordRef, label: Label, error: ConnectorError, order: Order | None = None
    ) -> _Pending:
        if isinstance(error, AuditError):
            raise error
        result = RecordResult(
            record=ref,
            outcome=Outcome.FAILED,
            detail=error.message,
            error=redact_error(error),
            order_number=order.order_number if order is not None else None,
            warehouse_id=_warehouse(label, order),
            payload={"source": label.source_info()},
        )
        return _Pending(ref, label, result=result, error=error)

    def _finish(
        self, pending: _Pending, previous: AuditEvent | None, dry_run: bool
    ) -> RecordResult:
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
        )


def _warehouse(label: Label, order: Order | None) -> str | None:
    if label.shipment is not None and label.shipment.warehouse_id is not None:
        return str(label.shipment.warehouse_id)
    if order is not None and order.advanced_options is not None:
        warehouse = order.advanced_options.warehouse_id
        return None if warehouse is None else str(warehouse)
    return None


def _is_final(event: AuditEvent | None) -> bool:
    return event is not None and event.stage in FINAL_STAGES


def _from_trail(ref: RecordRef, event: AuditEvent) -> RecordResult:
    outcome = Outcome.SKIPPED if event.stage is Stage.SKIPPED else Outcome.ALREADY_POSTED
    return RecordResult(
        record=ref,
        outcome=outcome,
        posting_key=event.posting_key,
        detail=f"{event.stage.value} in the audit trail ({event.detail or ''})".strip(),
    )


def _docs(plan: ShipmentPlan) -> list[Doc]:
    docs: list[Doc] = []
    if plan.invoice is not None and plan.posting_key is not None:
        docs.append(Doc(INVOICE, plan.posting_key, plan.invoice))
    if plan.credit_memo is not None and plan.posting_key is not None:
        docs.append(Doc(CREDIT_MEMO, plan.posting_key, plan.credit_memo))
    for posting in plan.inventory:
        docs.append(Doc(INVENTORY, posting.key, posting.transaction, line=posting.line))
    return docs


def _ledgers(shipments: Iterable[Shipment | None]) -> dict[int, list[Shipment]]:
    ledgers: dict[int, dict[int, Shipment]] = {}
    for shipment in shipments:
        if shipment is not None and shipment.order_id is not None:
            ledgers.setdefault(shipment.order_id, {})[shipment.shipment_id] = shipment
    return {order_id: list(found.values()) for order_id, found in ledgers.items()}


# -- the twins ------------------------------------------------------------------------------------


class ShipmentSync:
    """Post ShipStation shipments (and fulfillments) into Oracle exactly once (blocking).

    Args:
        shipstation: A :class:`~ml_connector.shipstation.ShipStationV1Client`; only its GET
            methods are used.
        oracle: An :class:`~ml_connector.oracle.OracleFusionClient`.
        mapping: The mapping configuration.
        audit: The audit sink every record's outcome is written to.
        checkpoints: Where incremental runs keep their watermark (needed by
            :meth:`run_incremental`).
        clock: Time source (a ``VirtualClock`` in tests).
        directory: Oracle customers to match against; by default read from Oracle each run,
            for the orders of the run.
        job: The job name (the checkpoint key).
        overlap: How far before the watermark an incremental window starts (late records,
            daylight-saving repeats); records seen twice are deduplicated, never posted twice.
        batch: Post missing documents in Oracle batch requests where possible.
        fulfillment_keys: Posting-key formats for fulfillments (default: ``SF...``).
        preflight: Validate accounts and customers against Oracle before the first post.
        progress: Called with :class:`Progress` counts as the run goes.
        results: What :attr:`RunSummary.results` keeps (the counts are always complete):
            ``"all"`` (every result with its payloads and explanation), ``"slim"`` (every
            result; posted and already-posted ones without payloads, which are in the audit
            trail) or ``"problems"`` (only failed and skipped records, in full; memory stays
            flat however large the window). Dry runs always keep everything.
        on_result: Called with every record's full result as soon as it is decided (stream
            them to a file or a queue instead of keeping them); an exception it raises stops
            the run (what was recorded stays recorded).
        chunk_size: Labels processed at a time (fetched, planned, posted and recorded before
            the next are read); memory grows with it, not with the window.
        trust_audit_trail: Treat ``audit`` as the complete record of what this connector ever
            sent to Oracle: a record with no event at all in it is created without looking its
            posting keys up first (fewer Oracle requests). Every run, in either mode, writes a
            ``posting`` event for each record before it is sent, so a run killed mid-post is
            looked up next time. Records with any event, voided labels, reversals and dry runs
            are looked up as always. Only for a trail every run of this job has written: a
            document posted under the same key by other means (another installation, a manual
            entry, a lost trail) would be posted again. See docs/sync.md, "Trusting the audit
            trail".
    """

    def __init__(
        self,
        *,
        shipstation: Any,
        oracle: Any,
        mapping: MappingConfig,
        audit: AuditSink,
        checkpoints: CheckpointStore | None = None,
        clock: Clock | None = None,
        directory: CustomerDirectory | None = None,
        job: str = JOB,
        overlap: timedelta = timedelta(hours=2),
        batch: bool = True,
        fulfillment_keys: PostingKeyFormats | None = None,
        preflight: bool = True,
        progress: ProgressCallback | None = None,
        results: ResultsPolicy = "slim",
        on_result: ResultCallback | None = None,
        chunk_size: int = CHUNK,
        trust_audit_trail: bool = False,
    ) -> None:
        self._core = _ShipmentCore(
            oracle=oracle,
            mapping=mapping,
            audit=audit,
            checkpoints=checkpoints,
            clock=clock,
            directory=directory,
            job=job,
            overlap=overlap,
            batch=batch,
            fulfillment_keys=fulfillment_keys,
            preflight=preflight,
            progress=progress,
            results=results,
            on_result=on_result,
            chunk_size=chunk_size,
            trust_audit_trail=trust_audit_trail,
        )
        self._clients = {"shipstation": shipstation, "oracle": oracle}

    def __repr__(self) -> str:
        return f"ShipmentSync(job={self._core.job!r})"

    def run(
        self, window: SyncWindow | tuple[datetime, datetime], *, dry_run: bool = False
    ) -> RunSummary:
        """Sync the shipments created or voided in ``window`` (and its fulfillments).

        Args:
            window: ``(start, end)``, aware datetimes; start inclusive, end exclusive.
            dry_run: Plan only: look everything up, write nothing (no posts, no audit events,
                no checkpoint); each result carries its payloads and reasons.

        Raises:
            PreflightError: the mapping's accounts or customers are not valid in Oracle.
            ConnectorError: ShipStation could not be read, or the audit trail not written.
        """
        return run_flow(self._core.run_flow(SyncWindow.of(window), dry_run=dry_run), self._clients)

    def run_incremental(
        self, *, initial_start: datetime | None = None, dry_run: bool = False
    ) -> RunSummary:
        """Sync from the checkpoint (minus the overlap) to now, then move the checkpoint."""
        window = self._core.incremental_window(initial_start)
        summary = run_flow(self._core.run_flow(window, dry_run=dry_run), self._clients)
        return self._core.save_checkpoint(summary)

    def run_webhook(self, pointer: WebhookPointer, *, dry_run: bool = False) -> RunSummary:
        """Sync the shipments or fulfillments a V1 webhook points at (a repeat is a no-op)."""
        return run_flow(self._core.webhook_flow(pointer, dry_run=dry_run), self._clients)

    def preflight(self) -> PreflightReport:
        """Validate the mapping's accounts and customer accounts against Oracle."""
        return run_flow(self._core.preflight_flow(), self._clients)

    def reconcile(self, window: SyncWindow | tuple[datetime, datetime]) -> ReconciliationReport:
        """Join ShipStation, the audit trail and Oracle for ``window`` (read-only)."""
        flow = reconcile_flow(self._core, SyncWindow.of(window))
        result: ReconciliationReport = run_flow(flow, self._clients)
        return result

    def replay_target(self) -> ShipmentReplayTarget:
        """The :class:`~ml_connector.audit.ReplayTarget` for this job's records."""
        return ShipmentReplayTarget(self._core, self._clients)

    def replay(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        error_kinds: Collection[str] | None = None,
        record_ids: Collection[str] | None = None,
        dry_run: bool = False,
    ) -> ReplayReport:
        """Re-map (today's configuration) and re-post failed records; never posts twice.

        See :func:`ml_connector.audit.replay` for the filters.
        """
        return replay(
            self._core.audit,
            self.replay_target(),
            clock=self._core.clock,
            since=since,
            until=until,
            error_kinds=error_kinds,
            record_ids=record_ids,
            dry_run=dry_run,
        )


class AsyncShipmentSync:
    """The asyncio twin of :class:`ShipmentSync` (same arguments, methods awaited).

    Oracle lookups and posts of different records overlap, with at most ``concurrency``
    requests in flight (``concurrency`` is the one extra argument).
    """

    def __init__(
        self,
        *,
        shipstation: Any,
        oracle: Any,
        mapping: MappingConfig,
        audit: AuditSink,
        checkpoints: CheckpointStore | None = None,
        clock: Clock | None = None,
        directory: CustomerDirectory | None = None,
        job: str = JOB,
        overlap: timedelta = timedelta(hours=2),
        batch: bool = True,
        fulfillment_keys: PostingKeyFormats | None = None,
        preflight: bool = True,
        progress: ProgressCallback | None = None,
        results: ResultsPolicy = "slim",
        on_result: ResultCallback | None = None,
        chunk_size: int = CHUNK,
        concurrency: int = 8,
        trust_audit_trail: bool = False,
    ) -> None:
        if concurrency < 1:
            raise ConfigurationError("must be at least 1", setting="concurrency")
        self._core = _ShipmentCore(
            oracle=oracle,
            mapping=mapping,
            audit=audit,
            checkpoints=checkpoints,
            clock=clock,
            directory=directory,
            job=job,
            overlap=overlap,
            batch=batch,
            fulfillment_keys=fulfillment_keys,
            preflight=preflight,
            progress=progress,
            results=results,
            on_result=on_result,
            chunk_size=chunk_size,
            trust_audit_trail=trust_audit_trail,
        )
        self._clients = {"shipstation": shipstation, "oracle": oracle}
        self._concurrency = concurrency

    def __repr__(self) -> str:
        return f"AsyncShipmentSync(job={self._core.job!r})"

    async def _drive(self, flow: Flow[Any]) -> Any:
        return await arun_flow(flow, self._clients, asyncio.Semaphore(self._concurrency))

    async def run(
        self, window: SyncWindow | tuple[datetime, datetime], *, dry_run: bool = False
    ) -> RunSummary:
        """See :meth:`ShipmentSync.run`."""
        result: RunSummary = await self._drive(
            self._core.run_flow(SyncWindow.of(window), dry_run=dry_run)
        )
        return result

    async def run_incremental(
        self, *, initial_start: datetime | None = None, dry_run: bool = False
    ) -> RunSummary:
        """See :meth:`ShipmentSync.run_incremental`."""
        window = self._core.incremental_window(initial_start)
        summary: RunSummary = await self._drive(self._core.run_flow(window, dry_run=dry_run))
        return self._core.save_checkpoint(summary)

    async def run_webhook(self, pointer: WebhookPointer, *, dry_run: bool = False) -> RunSummary:
        """See :meth:`ShipmentSync.run_webhook`."""
        result: RunSummary = await self._drive(self._core.webhook_flow(pointer, dry_run=dry_run))
        return result

    async def preflight(self) -> PreflightReport:
        """See :meth:`ShipmentSync.preflight`."""
        result: PreflightReport = await self._drive(self._core.preflight_flow())
        return result

    async def reconcile(
        self, window: SyncWindow | tuple[datetime, datetime]
    ) -> ReconciliationReport:
        """See :meth:`ShipmentSync.reconcile`."""
        result: ReconciliationReport = await self._drive(
            reconcile_flow(self._core, SyncWindow.of(window))
        )
        return result

    def replay_target(self) -> AsyncShipmentReplayTarget:
        """See :meth:`ShipmentSync.replay_target`."""
        return AsyncShipmentReplayTarget(self._core, self._clients, self._concurrency)

    async def replay(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        error_kinds: Collection[str] | None = None,
        record_ids: Collection[str] | None = None,
        dry_run: bool = False,
    ) -> ReplayReport:
        """See :meth:`ShipmentSync.replay`."""
        return await async_replay(
            self._core.audit,
            self.replay_target(),
            clock=self._core.clock,
            since=since,
            until=until,
            error_kinds=error_kinds,
            record_ids=record_ids,
            dry_run=dry_run,
        )


class ShipmentReplayTarget:
    """Replays this job's failed records (a :class:`~ml_connector.audit.ReplayTarget`)."""

    def __init__(self, core: _ShipmentCore, clients: Mapping[str, Any]) -> None:
        self._replay = ReplayCore(core)
        self._clients = clients

    def remap(self, failed: AuditEvent) -> Remapped:
        """Fetch the record again and map it with today's configuration."""
        return run_flow(self._replay.remap_flow(failed), self._clients)

    def find(self, posting_key: str) -> str | None:
        """The Oracle ids when every document of the record is already posted."""
        return run_flow(self._replay.find_flow(posting_key), self._clients)

    def create(self, payload: Mapping[str, Any]) -> str:
        """Post the record's missing documents (find-before-create each)."""
        return run_flow(self._replay.create_flow(payload), self._clients)


class AsyncShipmentReplayTarget:
    """The async twin of :class:`ShipmentReplayTarget`."""

    def __init__(self, core: _ShipmentCore, clients: Mapping[str, Any], concurrency: int) -> None:
        self._replay = ReplayCore(core)
        self._clients = clients
        self._concurrency = concurrency

    async def _drive(self, flow: Flow[Any]) -> Any:
        return await arun_flow(flow, self._clients, asyncio.Semaphore(self._concurrency))

    async def remap(self, failed: AuditEvent) -> Remapped:
        """See :meth:`ShipmentReplayTarget.remap`."""
        result: Remapped = await self._drive(self._replay.remap_flow(failed))
        return result

    async def find(self, posting_key: str) -> str | None:
        """See :meth:`ShipmentReplayTarget.find`."""
        result: str | None = await self._drive(self._replay.find_flow(posting_key))
        return result

    async def create(self, payload: Mapping[str, Any]) -> str:
        """See :meth:`ShipmentReplayTarget.create`."""
        result: str = await self._drive(self._replay.create_flow(payload))
        return result


def reconcile(
    *,
    shipstation: Any,
    oracle: Any,
    mapping: MappingConfig,
    audit: AuditSink,
    window: SyncWindow | tuple[datetime, datetime],
    clock: Clock | None = None,
    directory: CustomerDirectory | None = None,
    fulfillment_keys: PostingKeyFormats | None = None,
) -> ReconciliationReport:
    """Reconcile ``window``: rows with reason codes and totals (see docs/reconciliation.md).

    Read-only on both sides: ShipStation and Oracle see GET requests only, the trail is read.
    """
    sync = ShipmentSync(
        shipstation=shipstation,
        oracle=oracle,
        mapping=mapping,
        audit=audit,
        clock=clock,
        directory=directory,
        fulfillment_keys=fulfillment_keys,
        preflight=False,
    )
    return sync.reconcile(window)


async def async_reconcile(
    *,
    shipstation: Any,
    oracle: Any,
    mapping: MappingConfig,
    audit: AuditSink,
    window: SyncWindow | tuple[datetime, datetime],
    clock: Clock | None = None,
    directory: CustomerDirectory | None = None,
    fulfillment_keys: PostingKeyFormats | None = None,
    concurrency: int = 8,
) -> ReconciliationReport:
    """The async twin of :func:`reconcile`."""
    sync = AsyncShipmentSync(
        shipstation=shipstation,
        oracle=oracle,
        mapping=mapping,
        audit=audit,
        clock=clock,
        directory=directory,
        fulfillment_keys=fulfillment_keys,
        preflight=False,
        concurrency=concurrency,
    )
    return await sync.reconcile(window)
