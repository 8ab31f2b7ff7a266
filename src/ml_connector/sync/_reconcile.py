"""Reconciliation: ShipStation, the audit trail and Oracle joined for a window, every
difference explained with a reason code, with totals per warehouse and day for the close.

Per record (a label's posting, or its reversal), the expected documents are mapped again from
ShipStation with the current configuration, looked up in Oracle by posting key, and compared
with the audit trail's latest event. Reason codes, most serious first:

- ``posted_twice``: a posting key is held by more than one document in Oracle;
- ``undecodable``: ShipStation lists the label but no quirk rule can decode it, so nothing
  about it could be compared: the reconciliation is incomplete until it reads (the row names
  the model, the id when the payload has one, and the failing field);
- ``customer_unmatched``: the order's customer matches no Oracle account;
- ``failed_awaiting_replay``: the trail's latest event is a failure;
- ``voided_not_reversed``: the label was voided, its original is in Oracle, the credit memo or
  a reversing receipt is not;
- ``lookup_failed``: Oracle could not be asked about a document or about the order's customer
  (after every retry), so nothing is known of it; reconcile again when Oracle answers;
- ``missing_in_oracle``: a document that should be in Oracle is not;
- ``amount_mismatch``: the document's amount in Oracle differs from the expected amount (both
  are on the row);
- ``ok``: everything expected is there (including records skipped for a stated reason).

Every row names the main document's number in Oracle (``oracle_number``), which differs from
the posting key when an automatically numbered transaction source renumbered it. A reversal
whose credit memo is in Oracle names the invoice it reverses (``apply_to``): Oracle's REST
resource creates on-account credit memos only
(https://docs.oracle.com/en/cloud/saas/financials/25d/farfa/Create_Receivables_Credit_Memos.html),
so finance applies each one to its invoice (docs/reconciliation.md says how);
:meth:`ReconciliationReport.unapplied_credit_memos` lists them.
"""

from __future__ import annotations

import asyncio
import csv
import enum
import html
import importlib
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import attrs

from ml_connector._clock import Clock
from ml_connector._errors import ConflictError, CustomerLookupError, MappingError
from ml_connector._redact import scrub_text
from ml_connector._time import parse_pacific
from ml_connector.audit import AuditEvent, AuditSink, RecordRef, Stage, latest_of
from ml_connector.mapping import CustomerDirectory, MappingConfig, PostingKeyFormats, posting_date
from ml_connector.mapping.config import DateSettings
from ml_connector.oracle import (
    InventoryTransactionError,
    ReceivablesCreditMemo,
    ReceivablesInvoice,
)
from ml_connector.shipstation import UndecodableRecord

from ._core import ShipmentSyncOptions, _refs, _ShipmentCore
from ._documents import CREDIT_MEMO, INVENTORY, INVOICE
from ._flow import Flow, arun_flow, run_flow
from ._plan import _Pending
from ._protocols import (
    AsyncOracleWriter,
    AsyncShipStationReader,
    OracleWriter,
    ShipStationReader,
    check_clients,
)
from ._results import FINAL_STAGES, ProgressCallback, _Counter
from ._undecodable import undecodable_result
from ._window import SyncWindow, _Carry, _IdSet, _LedgerCache, _OrderCache, _WindowLabels

__all__ = [
    "ReasonCode",
    "ReconciliationReport",
    "ReconciliationRow",
    "WarehouseDayTotal",
    "async_reconcile",
    "reconcile",
    "reconcile_flow",
]


class ReasonCode(enum.StrEnum):
    """Why a row is (or is not) in order."""

    OK = "ok"
    MISSING_IN_ORACLE = "missing_in_oracle"
    POSTED_TWICE = "posted_twice"
    AMOUNT_MISMATCH = "amount_mismatch"
    CUSTOMER_UNMATCHED = "customer_unmatched"
    VOIDED_NOT_REVERSED = "voided_not_reversed"
    FAILED_AWAITING_REPLAY = "failed_awaiting_replay"
    LOOKUP_FAILED = "lookup_failed"
    PENDING_IN_ORACLE = "pending_in_oracle"
    """Inventory staged in Oracle's interface, not processed yet (Concurrent or Background
    mode, or an Online POST that answered 408): not missing, not a movement yet."""
    UNDECODABLE = "undecodable"
    """Listed by ShipStation but no quirk rule can decode it: nothing about it was compared,
    so the reconciliation is incomplete (the row's detail names the model, id and field)."""


@attrs.frozen
class ReconciliationRow:
    """One record of the window and its verdict.

    Attributes:
        record: The audit record (``shipstation shipment 123``).
        kind: ``shipment``, ``shipment-void``, ``fulfillment`` or ``fulfillment-void``.
        source_id: The ShipStation id.
        order_number: The ShipStation order number.
        warehouse_id: The ShipStation warehouse id.
        day: The posting date: the document's transaction date, else the label's date under
            the mapping's date rule (see :attr:`ReconciliationReport.date_zone`).
        reason: The verdict.
        posting_key: The main document's posting key.
        expected_amount: The amount that should be in Oracle, from the mapping, whatever
            blocked the post (a record only its customer blocks is priced with a stand-in
            customer; negative for a credit memo). ``None``: nothing to post (a skip) or the
            record cannot be mapped at all.
        oracle_amount: The amount Oracle holds (``None``: nothing found).
        detail: One sentence for people.
        oracle_number: The main document's number in Oracle (``TransactionNumber``).
        apply_to: For a reversal whose on-account credit memo is in Oracle, the invoice it
            should be applied to (its number in Oracle, else its posting key).
        currency: The ISO 4217 code of both amounts.
        warehouse_name: The warehouse's name from the mapping (``""`` when it has none).
    """

    record: str
    kind: str
    source_id: str
    order_number: str | None
    warehouse_id: str | None
    day: date | None
    reason: ReasonCode
    posting_key: str | None
    expected_amount: Decimal | None
    oracle_amount: Decimal | None
    detail: str
    oracle_number: str | None = None
    apply_to: str | None = None
    currency: str = ""
    warehouse_name: str = ""

    @property
    def gap(self) -> Decimal:
        """Money not (yet) in Oracle: expected minus what Oracle holds, ``None`` as 0."""
        return (self.expected_amount or Decimal(0)) - (self.oracle_amount or Decimal(0))

    def as_dict(self) -> dict[str, Any]:
        """The row as plain values (dates and amounts as text), for CSV and JSON."""
        return {
            "record": self.record,
            "kind": self.kind,
            "source_id": self.source_id,
            "order_number": self.order_number or "",
            "warehouse_id": self.warehouse_id or "",
            "day": self.day.isoformat() if self.day else "",
            "reason": self.reason.value,
            "posting_key": self.posting_key or "",
            "expected_amount": "" if self.expected_amount is None else str(self.expected_amount),
            "oracle_amount": "" if self.oracle_amount is None else str(self.oracle_amount),
            "detail": self.detail,
            "oracle_number": self.oracle_number or "",
            "apply_to": self.apply_to or "",
            "warehouse_name": self.warehouse_name,
            "currency": self.currency,
            "gap": str(self.gap),
        }


@attrs.frozen
class WarehouseDayTotal:
    """Totals of one warehouse on one day, for the daily close.

    Attributes:
        warehouse_id: The ShipStation warehouse id (``""`` when unknown).
        day: The posting date.
        records: Rows counted.
        expected_amount: Sum of the amounts that should be in Oracle.
        oracle_amount: Sum of the amounts Oracle holds.
        reasons: Rows per reason code.
        currency: The ISO 4217 code of the amounts.
        warehouse_name: The warehouse's name from the mapping.
        not_in_oracle: ``expected_amount - oracle_amount``: the money not yet in Oracle.
        not_in_oracle_by_reason: That money per reason code (reasons with a gap only).
    """

    warehouse_id: str
    day: date | None
    records: int
    expected_amount: Decimal
    oracle_amount: Decimal
    reasons: Mapping[str, int]
    currency: str = ""
    warehouse_name: str = ""
    not_in_oracle: Decimal = Decimal(0)
    not_in_oracle_by_reason: Mapping[str, Decimal] = attrs.field(factory=dict)


CSV_FIELDS = (
    "record",
    "kind",
    "source_id",
    "order_number",
    "warehouse_id",
    "day",
    "reason",
    "posting_key",
    "expected_amount",
    "oracle_amount",
    "detail",
    "oracle_number",
    "apply_to",
    "warehouse_name",
    "currency",
    "gap",
)


@attrs.frozen(repr=False)
class ReconciliationReport:
    """Rows with reason codes for a window, and totals per warehouse and day.

    In a notebook the report shows itself as a table (:meth:`_repr_html_`); ``print`` it, or
    call :meth:`describe`, for the few lines a controller reads first.

    Attributes:
        start: Window start (aware UTC).
        end: Window end.
        rows: One row per record.
        currency: The ISO 4217 code of every amount (the mapping's receivables currency).
        minor_unit: Its decimal places (2 for USD), for the integer columns of
            :meth:`to_dataframe`.
        date_zone: The zone the rows' ``day`` (posting date) is a calendar date in.
        warehouse_names: Warehouse names from the mapping, by id.
    """

    start: datetime
    end: datetime
    rows: tuple[ReconciliationRow, ...]
    currency: str = ""
    minor_unit: int = 2
    date_zone: str = "UTC"
    warehouse_names: Mapping[str, str] = attrs.field(factory=dict)

    @property
    def clean(self) -> bool:
        """Every row is ``ok``."""
        return all(row.reason is ReasonCode.OK for row in self.rows)

    def count(self, reason: ReasonCode) -> int:
        """Rows with ``reason``."""
        return sum(1 for row in self.rows if row.reason is reason)

    def problems(self) -> tuple[ReconciliationRow, ...]:
        """Rows that are not ``ok``."""
        return tuple(row for row in self.rows if row.reason is not ReasonCode.OK)

    def undecodable(self) -> tuple[ReconciliationRow, ...]:
        """Records ShipStation listed in the window that could not be decoded: each one a
        record this reconciliation could not compare (``reason`` ``undecodable``)."""
        return tuple(row for row in self.rows if row.reason is ReasonCode.UNDECODABLE)

    def unapplied_credit_memos(self) -> tuple[ReconciliationRow, ...]:
        """Reversals whose on-account credit memo is in Oracle, each with ``apply_to``.

        Oracle's REST API creates credit memos on account, so each of these waits for finance
        to apply it to the invoice named in ``apply_to`` (docs/reconciliation.md).
        """
        return tuple(row for row in self.rows if row.apply_to is not None)

    def totals(self) -> tuple[WarehouseDayTotal, ...]:
        """Totals per warehouse and day, sorted."""
        groups: dict[tuple[str, date | None], list[ReconciliationRow]] = {}
        for row in self.rows:
            groups.setdefault((row.warehouse_id or "", row.day), []).append(row)
        totals = []
        for (warehouse, day), rows in sorted(
            groups.items(), key=lambda item: (item[0][0], item[0][1] or date.min)
        ):
            reasons: dict[str, int] = {}
            for row in rows:
                reasons[row.reason.value] = reasons.get(row.reason.value, 0) + 1
            expected = sum(
                (r.expected_amount for r in rows if r.expected_amount is not None), Decimal(0)
            )
            held = sum((r.oracle_amount for r in rows if r.oracle_amount is not None), Decimal(0))
            totals.append(
                WarehouseDayTotal(
                    warehouse_id=warehouse,
                    day=day,
                    records=len(rows),
                    expected_amount=expected,
                    oracle_amount=held,
                    reasons=dict(sorted(reasons.items())),
                    currency=self.currency,
                    warehouse_name=self.warehouse_names.get(warehouse, ""),
                    not_in_oracle=expected - held,
                    not_in_oracle_by_reason=_gaps(rows),
                )
            )
        return tuple(totals)

    @property
    def expected_amount(self) -> Decimal:
        """What should be in Oracle for the window, all rows."""
        return sum((r.expected_amount or Decimal(0) for r in self.rows), Decimal(0))

    @property
    def oracle_amount(self) -> Decimal:
        """What Oracle holds for the window's records."""
        return sum((r.oracle_amount or Decimal(0) for r in self.rows), Decimal(0))

    @property
    def not_in_oracle(self) -> Decimal:
        """The money not yet in Oracle: :attr:`expected_amount` minus :attr:`oracle_amount`."""
        return self.expected_amount - self.oracle_amount

    def not_in_oracle_by_reason(self) -> dict[str, Decimal]:
        """The money not yet in Oracle per reason code (reasons with a gap), largest first."""
        return _gaps(self.rows)

    def reasons(self) -> dict[str, int]:
        """Rows per reason code, ``ok`` first, then the most frequent."""
        counts: dict[str, int] = {}
        for row in self.rows:
            counts[row.reason.value] = counts.get(row.reason.value, 0) + 1
        return dict(sorted(counts.items(), key=lambda item: (item[0] != "ok", -item[1], item[0])))

    def _money(self, amount: Decimal) -> str:
        text = f"{amount:,.{self.minor_unit}f}"
        return f"{self.currency} {text}" if self.currency else text

    def describe(self) -> str:
        """A few lines for a controller: window and date rule, counts, and the money gap."""
        window = f"{self.start.isoformat()} .. {self.end.isoformat()}"
        counts = ", ".join(f"{n} {reason}" for reason, n in self.reasons().items()) or "none"
        lines = [
            f"reconciliation {window} (posting dates in {self.date_zone})",
            f"{len(self.rows)} records: {counts}",
            f"expected in Oracle {self._money(self.expected_amount)}, "
            f"in Oracle {self._money(self.oracle_amount)}, "
            f"not yet in Oracle {self._money(self.not_in_oracle)}",
        ]
        gaps = self.not_in_oracle_by_reason()
        if gaps:
            lines.append(
                "  by reason: " + ", ".join(f"{r} {self._money(a)}" for r, a in gaps.items())
            )
        odd = self.undecodable()
        if odd:
            named = ", ".join(row.source_id for row in odd[:5]) + (", ..." if len(odd) > 5 else "")
            lines.append(
                f"listed by ShipStation but undecodable: {len(odd)} ({named}); not compared, "
                "so this reconciliation is incomplete"
            )
        problems = len(self.problems())
        lines.append(
            "clean: every record is in order"
            if self.clean
            else f"NOT clean: {problems} differences"
        )
        return "\n".join(lines)

    def __repr__(self) -> str:
        verdict = "clean" if self.clean else f"{len(self.problems())} differences"
        return (
            f"<ReconciliationReport {self.start.date()}..{self.end.date()}: "
            f"{len(self.rows)} rows, {verdict}, "
            f"not in Oracle {self._money(self.not_in_oracle)}>"
        )

    def __str__(self) -> str:
        return self.describe()

    def _repr_html_(self) -> str:
        """The totals per warehouse and posting date as an HTML table (Jupyter shows it)."""
        head = (
            "<tr><th>warehouse</th><th>posting date</th><th>records</th><th>expected</th>"
            "<th>in Oracle</th><th>not in Oracle</th><th>reasons</th></tr>"
        )
        body = []
        for t in self.totals():
            name = f"{t.warehouse_name} ({t.warehouse_id})" if t.warehouse_name else t.warehouse_id
            reasons = ", ".join(f"{n} {r}" for r, n in t.reasons.items())
            style = "" if t.not_in_oracle == 0 else ' style="color:#b00020"'
            body.append(
                f"<tr><td>{html.escape(name or '-')}</td><td>{t.day or '-'}</td>"
                f"<td>{t.records}</td><td>{self._money(t.expected_amount)}</td>"
                f"<td>{self._money(t.oracle_amount)}</td>"
                f"<td{style}>{self._money(t.not_in_oracle)}</td>"
                f"<td>{html.escape(reasons)}</td></tr>"
            )
        summary = "<br>".join(html.escape(line) for line in self.describe().splitlines())
        return f"<div><p>{summary}</p><table>{head}{''.join(body)}</table></div>"

    def records(self) -> list[dict[str, Any]]:
        """The rows as plain dicts."""
        return [row.as_dict() for row in self.rows]

    def to_csv(self, target: str | Path | IO[str] | None = None) -> str:
        """Write the rows as CSV (to a path or an open text file) and return the text."""
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.records())
        text = buffer.getvalue()
        if isinstance(target, str | Path):
            Path(target).write_text(text, encoding="utf-8")
        elif target is not None:
            target.write(text)
        return text

    def to_dataframe(self) -> Any:
        """The rows as a pandas DataFrame that groups, sums and plots, exact to the cent.

        Columns: the CSV columns, with ``day`` as a datetime (posting date, see
        :attr:`date_zone`) and ``reason`` as a category; ``expected_amount``,
        ``oracle_amount`` and ``gap`` as ``Decimal`` (exact, but an ``object`` column that
        plots nothing); and ``expected_minor``, ``oracle_minor`` and ``gap_minor`` as int64
        minor units (cents for USD). Integers are exact like the Decimals and are what pandas
        sums, groups and plots natively; a float column would not be exact to the cent once
        thousands of amounts are added. A missing amount counts as 0 in the integer columns.
        Divide by ``10 ** report.minor_unit`` to show currency units.

        Raises:
            ModuleNotFoundError: pandas is not installed (it is an optional extra).
        """
        try:
            # Optional and heavy: imported only when asked for, never at package import.
            pandas = importlib.import_module("pandas")
        except ModuleNotFoundError as exc:
            raise ModuleNotFoundError(
                "to_dataframe() needs pandas; install it (pip install pandas)", name="pandas"
            ) from exc
        scale = Decimal(10) ** self.minor_unit
        rows = []
        for row in self.rows:
            data = attrs.asdict(row, recurse=False)
            data["reason"] = row.reason.value
            data["gap"] = row.gap
            data["expected_minor"] = int((row.expected_amount or Decimal(0)) * scale)
            data["oracle_minor"] = int((row.oracle_amount or Decimal(0)) * scale)
            data["gap_minor"] = int(row.gap * scale)
            rows.append(data)
        columns = [*CSV_FIELDS, "expected_minor", "oracle_minor", "gap_minor"]
        frame = pandas.DataFrame(rows, columns=columns)
        frame["day"] = pandas.to_datetime(frame["day"])
        frame["reason"] = pandas.Categorical(
            frame["reason"], categories=[code.value for code in ReasonCode]
        )
        for column in ("expected_minor", "oracle_minor", "gap_minor"):
            frame[column] = frame[column].astype("int64")
        return frame


def _gaps(rows: Iterable[ReconciliationRow]) -> dict[str, Decimal]:
    gaps: dict[str, Decimal] = {}
    for row in rows:
        if row.gap:
            gaps[row.reason.value] = gaps.get(row.reason.value, Decimal(0)) + row.gap
    return dict(sorted(gaps.items(), key=lambda item: (-abs(item[1]), item[0])))


def _day(pending: Any, dates: DateSettings) -> date | None:
    for doc in pending.docs:
        if isinstance(doc.model, ReceivablesInvoice | ReceivablesCreditMemo):
            day: date = doc.model.transaction_date
            return day
    # Nothing mapped (a skip, a failure): the label's date under the same posting-date rule.
    changed = pending.label.changed_at
    if changed is None:
        return None
    return posting_date(changed, dates, field="changed_at")


def _verdict(
    pending: Any, latest: AuditEvent | None, original_posted: bool
) -> tuple[ReasonCode, str, Decimal | None, Decimal | None]:
    docs = pending.docs
    expected: Decimal | None = None
    found_amount: Decimal | None = None
    main = next((d for d in docs if d.kind in (INVOICE, CREDIT_MEMO)), None)
    if main is not None:
        expected = main.model.total
        if main.amount is not None:
            found_amount = Decimal(str(main.amount))
    twice = [d for d in docs if isinstance(d.error, ConflictError) or d.copies > 1]
    if twice:
        return (
            ReasonCode.POSTED_TWICE,
            f"{', '.join(d.key for d in twice)} held by more than one document in Oracle",
            expected,
            found_amount,
        )
    error = pending.error
    trail_error = latest.error if latest is not None and latest.stage is Stage.FAILED else None
    if isinstance(error, CustomerLookupError):
        # The customer may well be in Oracle: nothing is known until the look-up succeeds.
        return ReasonCode.LOOKUP_FAILED, error.message, expected, found_amount
    if trail_error is not None and trail_error.get("type") == CustomerLookupError.__name__:
        # The run's look-up failed, this one's did not: the record just awaits its replay.
        field = getattr(error, "field", None)
    else:
        field = getattr(error, "field", None) or (trail_error or {}).get("field")
    if expected is None and pending.result is not None:
        # A record its customer blocks was priced with a stand-in customer (see _plan.py).
        expected = pending.result.total
    if field == "customer" and (error is not None or trail_error is not None):
        message = error.message if error is not None else str((trail_error or {}).get("message"))
        return ReasonCode.CUSTOMER_UNMATCHED, message, expected, found_amount
    if trail_error is not None:
        return (
            ReasonCode.FAILED_AWAITING_REPLAY,
            f"failed (attempt {latest.attempt if latest else 1}): {trail_error.get('message')}",
            expected,
            found_amount,
        )
    if error is not None and not isinstance(error, MappingError):
        # A look-up failed while planning (a void's original in Oracle, the order's labels in
        # ShipStation): nothing is known about the record, so it is not "missing". Reconcile
        # again once the system answers.
        return (
            ReasonCode.LOOKUP_FAILED,
            f"could not look up what this record needs: {error.message}",
            expected,
            found_amount,
        )
    if error is not None:
        return ReasonCode.MISSING_IN_ORACLE, f"cannot be mapped: {error.message}", expected, None
    if pending.result is not None:
        return ReasonCode.OK, f"skipped: {pending.result.detail}", None, None
    refused = [d for d in docs if isinstance(d.error, InventoryTransactionError)]
    if refused:
        # Oracle holds the row with its own error: fixed or deleted in Oracle, then replayed.
        error = refused[0].error
        assert error is not None
        return ReasonCode.FAILED_AWAITING_REPLAY, error.message, expected, found_amount
    unknown = [d for d in docs if d.state == "failed" and d.error is not None]
    if unknown:
        # Oracle could not be asked (after every retry): nothing is known about the document,
        # so it is neither missing nor in order. Reconcile again when Oracle answers.
        first = unknown[0]
        error = first.error
        assert error is not None
        return (
            ReasonCode.LOOKUP_FAILED,
            f"could not look up {', '.join(d.key for d in unknown)} in Oracle: {error.message}",
            expected,
            found_amount,
        )
    missing = [d for d in docs if d.state != "found"]
    is_reversal = pending.ref == pending.label.void_ref
    if missing and pending.may_create:
        keys = ", ".join(d.key for d in missing)
        if is_reversal and original_posted:
            return (
                ReasonCode.VOIDED_NOT_REVERSED,
                f"label voided, original posted, not reversed: {keys}",
                expected,
                found_amount,
            )
        return ReasonCode.MISSING_IN_ORACLE, f"not in Oracle: {keys}", expected, found_amount
    waiting = [d for d in docs if d.kind == INVENTORY and d.pending]
    if waiting:
        return (
            ReasonCode.PENDING_IN_ORACLE,
            f"waiting in Oracle's inventory interface: {', '.join(d.key for d in waiting)} "
            "(processed by the Concurrent job or Manage Inventory Transactions)",
            expected,
            found_amount,
        )
    if expected is not None and found_amount is not None and expected != found_amount:
        return (
            ReasonCode.AMOUNT_MISMATCH,
            f"{main.key if main else ''}: expected {expected}, Oracle holds {found_amount}",
            expected,
            found_amount,
        )
    return (
        ReasonCode.OK,
        "; ".join(d.describe() for d in docs) or "nothing to post",
        expected,
        (found_amount),
    )


def reconcile_flow(core: _ShipmentCore, window: SyncWindow) -> Flow[ReconciliationReport]:
    """Plan and look up every record of ``window``, then judge each (read-only).

    The window is read as a run reads it, chunk by chunk through the same stream and order
    cache, with the trail read for each chunk's records; the rows come out in label order
    (kind, then id), each original before its reversal.
    """
    counter = _Counter(core.options.progress)
    size = core.options.chunk_size
    stream = _WindowLabels(window, size)
    orders = _OrderCache(window, core.order_cache, size)
    carry = _Carry(_LedgerCache(core.order_cache))
    seen: dict[str, _IdSet] = {}
    pendings: list[_Pending] = []
    latest: dict[RecordRef, AuditEvent] = {}
    labels = yield from stream.next_flow()
    while labels:
        # Progress in two steps: the labels read so far, then every record judged.
        counter.update(fetched=stream.fetched)
        fresh = [label for label in labels if seen.setdefault(label.kind, _IdSet()).add(label.id)]
        latest.update(
            latest_of(core.options.audit, [ref for label in fresh for ref in _refs(label)])
        )
        # As in a run: a split order's labels complete each other from the labels listed so
        # far, and a label whose order the order list has not reached yet waits for a later
        # chunk (bounded, see _Carry) instead of costing single look-ups in ShipStation.
        pendings += yield from core.planner.plan_flow(
            carry.listed(fresh),
            {},
            True,
            orders=orders,
            carry=carry,
            final=len(labels) < size,
        )
        labels = yield from stream.next_flow()
    if carry.deferred:
        # The labels still waiting for their order's other labels: decided now.
        pendings += yield from core.planner.plan_flow(
            carry.take(), {}, True, orders=orders, carry=carry, final=True
        )
    pendings.sort(key=lambda pending: (pending.label.kind, pending.label.id))
    # Labels listed but not decodable: no plan, no look-up; each a row of its own, so the
    # report says what it could not compare instead of passing for clean.
    odd: dict[RecordRef, UndecodableRecord] = {}
    for record in stream.undecodable:
        odd.setdefault(undecodable_result(record).record, record)
    latest.update(latest_of(core.options.audit, list(odd)))
    counter.update(total=len(pendings) + len(odd))
    mapping = core.options.mapping
    names = {wid: w.name for wid, w in mapping.warehouses.items() if w.name}
    currency = mapping.receivables.currency
    return ReconciliationReport(
        start=window.start,
        end=window.end,
        rows=(
            *_rows(pendings, latest, mapping.dates, currency, names),
            *_undecodable_rows(odd.values(), latest, mapping.dates, currency, names),
        ),
        currency=currency,
        minor_unit=mapping.receivables.minor_unit,
        date_zone=mapping.dates.zone_name,
        warehouse_names=names,
    )


def _rows(
    pendings: Sequence[Any],
    latest: Mapping[RecordRef, AuditEvent],
    dates: DateSettings,
    currency: str,
    names: Mapping[str, str],
) -> Iterable[ReconciliationRow]:
    originals = {
        p.label.ref: any(d.state == "found" for d in p.docs)
        for p in pendings
        if p.ref == p.label.ref
    }
    # The number each original invoice has in Oracle, for the credit memo that reverses it.
    invoice_numbers = {
        p.label.ref: doc.number
        for p in pendings
        if p.ref == p.label.ref
        for doc in p.docs[:1]
        if doc.kind == INVOICE and doc.number is not None
    }
    for pending in pendings:
        ref: RecordRef = pending.ref
        reason, detail, expected, found = _verdict(
            pending, latest.get(ref), originals.get(pending.label.ref, False)
        )
        main = pending.docs[0].key if pending.docs else None
        first = pending.docs[0] if pending.docs else None
        apply_to = None
        plan = pending.plan
        if (
            first is not None
            and first.kind == CREDIT_MEMO
            and first.state == "found"
            and plan is not None
            and plan.original_key is not None
        ):
            apply_to = invoice_numbers.get(pending.label.ref) or plan.original_key
            detail += f"; on account: apply to invoice {apply_to}"
        # A record that failed before planning still names its order and warehouse (the
        # controller's first question), through its result.
        result = pending.result
        warehouse = pending.warehouse_id or (result.warehouse_id if result else None)
        yield ReconciliationRow(
            record=str(ref),
            kind=ref.kind,
            source_id=ref.id,
            order_number=pending.order_number or (result.order_number if result else None),
            warehouse_id=warehouse,
            day=_day(pending, dates),
            reason=reason,
            posting_key=main,
            expected_amount=expected,
            oracle_amount=found,
            detail=detail,
            oracle_number=first.number if first is not None else None,
            apply_to=apply_to,
            currency=currency,
            warehouse_name=names.get(warehouse or "", ""),
        )


def _undecodable_rows(
    records: Iterable[UndecodableRecord],
    latest: Mapping[RecordRef, AuditEvent],
    dates: DateSettings,
    currency: str,
    names: Mapping[str, str],
) -> Iterable[ReconciliationRow]:
    for record in records:
        result = undecodable_result(record)
        ref = result.record
        raw = record.raw if isinstance(record.raw, Mapping) else {}
        number = raw.get("orderNumber")
        warehouse = raw.get("warehouseId")
        warehouse_id = str(warehouse) if isinstance(warehouse, int | str) else None
        day: date | None = None
        created = raw.get("createDate")
        if isinstance(created, str):
            try:
                day = posting_date(parse_pacific(created), dates, field="createDate")
            except (ValueError, MappingError):
                day = None
        at = f" at {record.field}" if record.field else ""
        detail = scrub_text(
            f"listed by ShipStation but undecodable: {record.model} "
            f"{record.record_id or '(no id)'}{at}: {record.reason}; not compared"
        )
        event = latest.get(ref)
        if event is not None and event.stage in FINAL_STAGES:
            detail += f" (the trail says {event.stage.value}, so Oracle may hold it)"
        elif event is not None:
            detail += f" (the trail says {event.stage.value}, attempt {event.attempt})"
        yield ReconciliationRow(
            record=str(ref),
            kind=ref.kind,
            source_id=ref.id,
            order_number=number if isinstance(number, str) else None,
            warehouse_id=warehouse_id,
            day=day,
            reason=ReasonCode.UNDECODABLE,
            posting_key=None,
            expected_amount=None,
            oracle_amount=None,
            detail=detail,
            currency=currency,
            warehouse_name=names.get(warehouse_id or "", ""),
        )


def reconcile(
    *,
    shipstation: ShipStationReader,
    oracle: OracleWriter,
    mapping: MappingConfig,
    audit: AuditSink,
    window: SyncWindow | tuple[datetime, datetime],
    clock: Clock | None = None,
    directory: CustomerDirectory | None = None,
    fulfillment_keys: PostingKeyFormats | None = None,
    progress: ProgressCallback | None = None,
) -> ReconciliationReport:
    """Reconcile ``window``: rows with reason codes and totals (see docs/reconciliation.md).

    Read-only on both sides: ShipStation and Oracle see GET requests only, the trail is read.
    ``progress`` is called with the labels fetched, then with the records judged (``total``).
    """
    check_clients("reconcile", shipstation=shipstation, oracle=oracle, asynchronous=False)
    options = ShipmentSyncOptions.of({**locals(), "preflight": False})
    flow = reconcile_flow(_ShipmentCore(options, oracle=oracle), SyncWindow.of(window))
    result: ReconciliationReport = run_flow(flow, {"shipstation": shipstation, "oracle": oracle})
    return result


async def async_reconcile(
    *,
    shipstation: AsyncShipStationReader,
    oracle: AsyncOracleWriter,
    mapping: MappingConfig,
    audit: AuditSink,
    window: SyncWindow | tuple[datetime, datetime],
    clock: Clock | None = None,
    directory: CustomerDirectory | None = None,
    fulfillment_keys: PostingKeyFormats | None = None,
    concurrency: int = 8,
    progress: ProgressCallback | None = None,
) -> ReconciliationReport:
    """The async twin of :func:`reconcile`."""
    check_clients("async_reconcile", shipstation=shipstation, oracle=oracle, asynchronous=True)
    options = ShipmentSyncOptions.of({**locals(), "preflight": False})
    result: ReconciliationReport = await arun_flow(
        reconcile_flow(_ShipmentCore(options, oracle=oracle), SyncWindow.of(window)),
        {"shipstation": shipstation, "oracle": oracle},
        asyncio.Semaphore(options.concurrency),
    )
    return result
