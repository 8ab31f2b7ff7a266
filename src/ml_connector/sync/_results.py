"""What a sync run reports: one result per record, progress counts, a frozen run summary.

A run counts every outcome (and every skip reason) as it decides it, so the summary's counts
are right whatever it keeps of the results themselves: see :data:`ResultsPolicy`.
"""

from __future__ import annotations

import enum
import logging
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, get_args

import attrs

from ml_connector._errors import AuditError, ConnectorError
from ml_connector.audit import AuditEvent, RecordRef, Stage, redact_error
from ml_connector.mapping import Skip
from ml_connector.shipstation import Order

from ._labels import Label
from ._window import _IdSet

__all__ = [
    "Outcome",
    "Progress",
    "ProgressCallback",
    "RecordResult",
    "ResultCallback",
    "ResultsPolicy",
    "RunSummary",
]

logger = logging.getLogger(__name__)

FINAL_STAGES = frozenset(
    {Stage.POSTED, Stage.ALREADY_POSTED, Stage.REPLAYED, Stage.REVERSED, Stage.SKIPPED}
)
"""Latest stages after which a record is never processed again by a run (replay aside)."""


class Outcome(enum.StrEnum):
    """How one record ended in a run."""

    POSTED = "posted"
    """At least one document was created in Oracle by this run, and none failed."""
    ALREADY_POSTED = "already-posted"
    """Every document was already in Oracle (or the audit trail already held a final state)."""
    SKIPPED = "skipped"
    """Nothing to post, for a stated reason (return label, test order, voided before posting)."""
    FAILED = "failed"
    """A document could not be mapped or posted; the error is in the trail, replay retries it."""
    WOULD_POST = "would-post"
    """Dry run only: at least one document is missing from Oracle and would be posted."""


@attrs.frozen
class RecordResult:
    """The outcome of one record (one shipment's posting, or its reversal).

    Attributes:
        record: The source record (``shipstation shipment 123``, ``shipstation
            shipment-void 123``, ``shipstation fulfillment 456``...).
        outcome: How it ended.
        posting_key: The key of its main document (invoice or credit memo), when it has one.
        keys: Every posting key of its documents (document first, then inventory lines).
        detail: One sentence for people.
        reason: The skip reason (``"return label"``...), when skipped.
        error: The redacted error, when failed.
        oracle_ids: Oracle ids of the documents created or found, by posting key.
        payload: The documents as Oracle wire payloads (``invoice``/``credit_memo``/
            ``inventory``), when the record maps to a plan.
        explanation: How mapping derived the plan, step by step.
        order_number: The ShipStation order number, when known.
        warehouse_id: The ShipStation warehouse id, when known.
        total: The document total (negative for a credit memo), when there is a document.
        pending_in_oracle: Inventory keys staged in Oracle's interface but not processed yet:
            never posted again, not a stock movement yet (the next run or reconcile sees them
            processed, or failed with Oracle's error).
    """

    record: RecordRef
    outcome: Outcome
    posting_key: str | None = None
    keys: tuple[str, ...] = ()
    detail: str = ""
    reason: str | None = None
    error: Mapping[str, Any] | None = attrs.field(default=None, eq=False)
    oracle_ids: Mapping[str, str] = attrs.field(factory=dict, eq=False)
    payload: Mapping[str, Any] | None = attrs.field(default=None, eq=False)
    explanation: tuple[str, ...] = ()
    order_number: str | None = None
    warehouse_id: str | None = None
    total: Any = None
    pending_in_oracle: tuple[str, ...] = ()


@attrs.frozen
class Progress:
    """Counts so far, handed to the progress callback after each step of a run.

    Attributes:
        fetched: Records fetched from ShipStation (shipments, fulfillments, webhook records).
        total: Records to process (known once fetching is done; ``None`` before).
        posted: Records posted.
        already_posted: Records already in Oracle.
        skipped: Records skipped.
        failed: Records failed.
        planned: Dry run: records that would post.
    """

    fetched: int = 0
    total: int | None = None
    posted: int = 0
    already_posted: int = 0
    skipped: int = 0
    failed: int = 0
    planned: int = 0

    @property
    def done(self) -> int:
        """Records with an outcome."""
        return self.posted + self.already_posted + self.skipped + self.failed + self.planned


ProgressCallback = Callable[[Progress], None]
"""Called with the counts so far; must not raise (a CLI renders it as a progress bar)."""

ResultCallback = Callable[[RecordResult], None]
"""Called with every record's full result as soon as it is decided (and, outside dry runs,
written to the audit trail), whatever the results policy keeps. An exception it raises stops
the run; what was recorded stays recorded, so the next run carries on where it stopped."""

ResultsPolicy = Literal["all", "slim", "problems"]
"""What :attr:`RunSummary.results` keeps of a run's records; the counts are always complete.

- ``"all"``: every result in full, with its Oracle payloads and mapping explanation (dry runs
  always keep this).
- ``"slim"`` (the default): every result; posted and already-posted ones without payloads and
  explanation (those are in the audit trail). About 1.3 KB a record: memory grows with the
  window.
- ``"problems"``: only failed and skipped records, in full; posted and already-posted ones are
  only counted. Memory stays flat however large the window (the way to run a backfill).
"""

RESULTS_POLICIES: tuple[str, ...] = get_args(ResultsPolicy)
"""The values a :data:`ResultsPolicy` takes."""


def retain(result: RecordResult, policy: ResultsPolicy) -> RecordResult | None:
    """What ``policy`` keeps of ``result`` in a run summary (``None``: only counted)."""
    if policy == "all" or result.outcome not in (Outcome.POSTED, Outcome.ALREADY_POSTED):
        return result
    if policy == "problems":
        return None
    # The payloads are in the audit trail; holding them for every posted record is what made
    # a run's memory grow with its window.
    return attrs.evolve(result, payload=None, explanation=())


@attrs.frozen
class RunSummary:
    """Everything one run did, frozen.

    Attributes:
        job: The job's name (its checkpoint key).
        start: Start of the window (inclusive, aware UTC), or ``None`` for webhook runs.
        end: End of the window (exclusive, aware UTC), or ``None`` for webhook runs.
        dry_run: Whether nothing was written.
        started_at: When the run started (the job's clock).
        finished_at: When it finished.
        fetched: Records fetched from ShipStation.
        orders_fetched: Orders fetched (list prefill plus single gets).
        results: The results the job's results policy kept, in processing order (every record
            under ``"all"`` and ``"slim"``; failed and skipped ones under ``"problems"``).
        counts: Records per outcome, every record of the run counted (whatever was kept).
        skip_reasons: Records skipped by this run per reason, most frequent first (records
            found skipped in the audit trail count in :attr:`skipped` only).
        results_policy: What :attr:`results` keeps (see :data:`ResultsPolicy`).
        watermark: The checkpoint watermark saved after the run (incremental runs).
        amounts: Money per outcome and currency: the document totals of the records posted,
            already posted, failed (what they would have posted, when it is known; a record
            only its customer blocks is priced with a stand-in customer) and would-post.
        reversals: Records that are the reversal of a voided label: a voided label fetched
            once is two records (its posting and its reversal).
        labels: Distinct labels and fulfillments processed (:attr:`fetched` counts listings:
            a label created and voided in the window is listed twice, processed once).
    """

    job: str
    start: datetime | None
    end: datetime | None
    dry_run: bool
    started_at: datetime
    finished_at: datetime
    fetched: int
    orders_fetched: int
    results: tuple[RecordResult, ...]
    counts: Mapping[Outcome, int] = attrs.field(converter=dict)
    skip_reasons: Mapping[str, int] = attrs.field(converter=dict)
    results_policy: ResultsPolicy
    watermark: datetime | None = None
    amounts: Mapping[Outcome, Mapping[str, Decimal]] = attrs.field(factory=dict, converter=dict)
    reversals: int = 0
    labels: int = 0
    pending_in_oracle: tuple[str, ...] = ()
    """Inventory keys staged in Oracle's interface but not processed yet, over every record of
    the run (whatever the results policy keeps): the next run or reconcile sees them processed,
    or failed with Oracle's error."""

    def count(self, outcome: Outcome) -> int:
        """How many records ended with ``outcome`` (kept in :attr:`results` or not)."""
        return self.counts.get(outcome, 0)

    @property
    def records(self) -> int:
        """Records with an outcome in this run."""
        return sum(self.counts.values())

    @property
    def posted(self) -> int:
        """Records that created something in Oracle."""
        return self.count(Outcome.POSTED)

    @property
    def already_posted(self) -> int:
        """Records found already posted."""
        return self.count(Outcome.ALREADY_POSTED)

    @property
    def skipped(self) -> int:
        """Records skipped with a reason."""
        return self.count(Outcome.SKIPPED)

    @property
    def failed(self) -> int:
        """Records that failed (replayable)."""
        return self.count(Outcome.FAILED)

    @property
    def would_post(self) -> int:
        """Dry run: records that would post."""
        return self.count(Outcome.WOULD_POST)

    @property
    def ok(self) -> bool:
        """No record failed."""
        return self.failed == 0

    def failures(self) -> tuple[RecordResult, ...]:
        """The failed records, in full (every results policy keeps them)."""
        return tuple(r for r in self.results if r.outcome is Outcome.FAILED)

    def amount(self, outcome: Outcome, currency: str | None = None) -> Decimal:
        """Money of the records that ended with ``outcome`` (in ``currency``, or all)."""
        by_currency = self.amounts.get(outcome, {})
        if currency is not None:
            return by_currency.get(currency, Decimal(0))
        return sum(by_currency.values(), Decimal(0))

    def describe(self) -> str:
        """One line for logs and the CLI: counts that add up, and the money.

        ``fetched 64 labels and fulfillments + 1 reversal = 65 records: posted 59 + already
        posted 0 + skipped 2 + failed 4``, then the money per currency.
        """
        window = (
            f"{self.start.isoformat()} .. {self.end.isoformat()}"
            if self.start is not None and self.end is not None
            else "webhook"
        )
        mode = " (dry run)" if self.dry_run else ""
        text = f"{self.job}{mode} {window}: {self.describe_counts()}"
        money = self.describe_money()
        return f"{text}; {money}" if money else text

    def describe_counts(self) -> str:
        """The counts as a sum that adds up: fetched (+ reversals) = records = outcomes."""
        terms = [
            f"posted {self.posted}",
            f"already posted {self.already_posted}",
            f"skipped {self.skipped}",
            f"failed {self.failed}",
        ]
        if self.dry_run:
            terms.append(f"would post {self.would_post}")
        if self.labels == self.fetched or not self.labels:
            source = f"fetched {self.fetched} labels and fulfillments"
        else:
            twice = self.fetched - self.labels
            source = (
                f"fetched {self.fetched} listings = {self.labels} labels and fulfillments "
                f"({twice} listed twice)"
            )
        if self.reversals:
            noun = "reversal of a voided label" if self.reversals == 1 else "reversals of voided"
            source += f" + {self.reversals} {noun}" + ("" if self.reversals == 1 else " labels")
        other = self.records - (self.labels or self.fetched) - self.reversals
        if other:
            # Never an equation that does not add up: say what is left over.
            source += f" {'+' if other > 0 else '-'} {abs(other)} other"
        text = f"{source} = {self.records} records: " + " + ".join(terms)
        if self.pending_in_oracle:
            # Lines of records counted above, staged in Oracle's interface, not yet processed.
            text += f"; inventory lines pending in Oracle {len(self.pending_in_oracle)}"
        return text

    def describe_money(self) -> str:
        """The money per outcome and currency, e.g. ``USD posted 9,876.50, failed 564.00``."""
        currencies = sorted({c for by in self.amounts.values() for c in by})
        parts = []
        for currency in currencies:
            amounts = [
                f"{label} {self.amount(outcome, currency):,.2f}"
                for outcome, label in (
                    (Outcome.POSTED, "posted"),
                    (Outcome.ALREADY_POSTED, "already posted"),
                    (Outcome.FAILED, "failed"),
                    (Outcome.WOULD_POST, "would post"),
                )
                if outcome in self.amounts and currency in self.amounts[outcome]
            ]
            parts.append(f"{currency} " + ", ".join(amounts))
        return "; ".join(parts)


# -- a run's bookkeeping ---------------------------------------------------------------------------


_COUNTED = {
    Outcome.POSTED: "posted",
    Outcome.ALREADY_POSTED: "already_posted",
    Outcome.SKIPPED: "skipped",
    Outcome.FAILED: "failed",
    Outcome.WOULD_POST: "planned",
}
"""The :class:`Progress` count of each outcome."""


class _Counter:
    """A run's :class:`Progress`, handed to the callback after each step. With no callback
    nothing reads it after each record: the records are counted, and the progress made when
    it is read."""

    def __init__(self, callback: ProgressCallback | None) -> None:
        self.callback = callback
        self._progress = Progress()
        self._uncounted: dict[str, int] = {}

    @property
    def progress(self) -> Progress:
        """The counts so far."""
        if self._uncounted:
            made = self._progress
            changes = {name: getattr(made, name) + n for name, n in self._uncounted.items()}
            self._progress = attrs.evolve(made, **changes)
            self._uncounted = {}
        return self._progress

    def update(self, *, fetched: int | None = None, total: int | None = None) -> None:
        progress = self.progress
        if fetched is not None:
            progress = attrs.evolve(progress, fetched=fetched)
        if total is not None:
            progress = attrs.evolve(progress, total=total)
        self._progress = progress
        self._emit()

    def record(self, outcome: Outcome) -> None:
        name = _COUNTED[outcome]
        if self.callback is None:
            self._uncounted[name] = self._uncounted.get(name, 0) + 1
            return
        progress = self.progress
        self._progress = attrs.evolve(progress, **{name: getattr(progress, name) + 1})
        self._emit()

    def _emit(self) -> None:
        if self.callback is not None:
            try:
                self.callback(self.progress)
            except Exception:  # a broken progress bar must not stop the posting
                logger.exception("progress callback failed")


class _Run:
    """What a run keeps across chunks: outcome counts, the results its policy retains, and
    the ids of the labels seen."""

    def __init__(
        self, *, policy: ResultsPolicy, on_result: ResultCallback | None, currency: str = ""
    ) -> None:
        self.policy = policy
        self.on_result = on_result
        self.currency = currency
        self.amounts: dict[Outcome, Decimal] = {}
        self.reversals = 0
        self.labels = 0
        self.results: list[RecordResult] = []
        self.counts: Counter[Outcome] = Counter()
        self.reasons: Counter[str] = Counter()
        self.pending: list[str] = []
        self.total = 0
        # Ids only, per kind: a label listed twice (created and voided in the window, or a
        # page shifted by new records) is processed once.
        self._seen: dict[str, _IdSet] = {}

    def first_time(self, label: Label) -> bool:
        first = self._seen.setdefault(label.kind, _IdSet()).add(label.id)
        self.labels += first
        return first

    def add(self, result: RecordResult) -> None:
        self.counts[result.outcome] += 1
        if result.total is not None:
            self.amounts[result.outcome] = (
                self.amounts.get(result.outcome, Decimal(0)) + result.total
            )
        if result.record.kind.endswith("-void"):
            self.reversals += 1
        self.pending.extend(result.pending_in_oracle)
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
            "amounts": {
                outcome: {self.currency or "": amount} for outcome, amount in self.amounts.items()
            },
            "reversals": self.reversals,
            "labels": self.labels,
            "pending_in_oracle": tuple(self.pending),
        }


# -- one record's result ---------------------------------------------------------------------------


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


def _skip_result(ref: RecordRef, label: Label, skip: Skip, order: Order | None) -> RecordResult:
    return RecordResult(
        record=ref,
        outcome=Outcome.SKIPPED,
        detail=skip.detail,
        reason=skip.reason.value,
        explanation=skip.explanation,
        order_number=order.order_number if order is not None else None,
        warehouse_id=_warehouse(label, order),
    )


def _failure(
    ref: RecordRef, label: Label, error: ConnectorError, order: Order | None = None
) -> RecordResult:
    """The failed result of ``ref``; an :class:`~ml_connector.AuditError` stops the run."""
    if isinstance(error, AuditError):
        raise error
    return RecordResult(
        record=ref,
        outcome=Outcome.FAILED,
        detail=error.message,
        error=redact_error(error),
        order_number=order.order_number if order is not None else None,
        warehouse_id=_warehouse(label, order),
        payload={"source": label.source_info()},
    )
