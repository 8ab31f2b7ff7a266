"""Planning a chunk: orders, ledgers, customers, mapping, reversals and Oracle look-ups.

:class:`_Planner` turns a chunk's open labels into :class:`_Pending` records: each with its
documents (an invoice and its inventory issues, or for a voided label the credit memo and
reversing receipts of what its original posted), each document looked up in Oracle by posting
key, or with the result that settles it already (a skip with its reason, a failure). Mapping
itself is pure (:mod:`ml_connector.mapping`); everything here is a flow, with no I/O of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from types import FrameType
from typing import Any, TypeVar

import attrs

from ml_connector._collector import pausing
from ml_connector._errors import ConnectorError, MappingError
from ml_connector.audit import AuditEvent, RecordRef
from ml_connector.mapping import (
    CustomerDirectory,
    MappingConfig,
    Matched,
    MatchRule,
    ShipmentPlan,
    Skip,
    SkipReason,
    map_shipment,
    match_customer,
)
from ml_connector.shipstation import Order, Shipment

from ._bulk import Answers, prefetch_flow
from ._directory import directory_flow
from ._documents import CREDIT_MEMO, INVENTORY, INVOICE, Doc, lookup_flow
from ._flow import Fanout, Flow
from ._labels import SHIPMENT, Label, labels_from, needs_order_labels
from ._protocols import ShipStationReader, shipstation_list
from ._results import RecordResult, _failure, _is_final, _skip_result, _warehouse
from ._window import _Carry, _OrderCache

__all__: list[str] = []


@attrs.define(eq=False)
class _Memo:
    """A chunk's plans by (label kind, label id, unvoided): each label is mapped once; and the
    documents made of a plan for the bulk look-up, handed on to the record that posts them
    (so each document, and its wire form, is made once).

    ``docs`` is keyed by the plan's ``id``: only plans of ``plans`` are looked up, and the memo
    keeps them alive, so an id names one plan for the memo's whole life (no pair of the plan
    and its documents to hold for each record).
    """

    plans: dict[tuple[str, int, bool], ShipmentPlan | Skip] = attrs.Factory(dict)
    docs: dict[int, list[Doc]] = attrs.Factory(dict)

    def looked_up(self, plan: ShipmentPlan) -> list[Doc]:
        """``plan``'s documents (``plan`` is one of :attr:`plans`), kept for :meth:`take`."""
        kept = self.docs.get(id(plan))
        if kept is None:
            kept = self.docs[id(plan)] = _docs(plan)
        return kept

    def take(self, plan: ShipmentPlan) -> list[Doc]:
        """``plan``'s documents: those :meth:`looked_up` made (once), else new ones."""
        kept = self.docs.pop(id(plan), None)
        return kept if kept is not None else _docs(plan)


def _docs_of(plan: ShipmentPlan, memo: _Memo | None) -> list[Doc]:
    return _docs(plan) if memo is None else memo.take(plan)


@attrs.define(eq=False)
class _Pending:
    """One record on its way: its documents and what was decided so far."""

    ref: RecordRef
    label: Label
    docs: Sequence[Doc] = ()
    """Its documents (none, shared, for a record settled without any)."""
    may_create: bool = True
    result: RecordResult | None = None
    plan: ShipmentPlan | None = None
    order_number: str | None = None
    warehouse_id: str | None = None
    error: ConnectorError | None = None
    announced: AuditEvent | None = None
    """The ``posting`` event written ahead of its post, which its outcome event follows."""


class _Planner:
    """The planning stages of a shipment run, as flows."""

    def __init__(
        self,
        *,
        mapping: MappingConfig,
        fulfillment_mapping: MappingConfig,
        directory: CustomerDirectory | None,
    ) -> None:
        self.mapping = mapping
        self.fulfillment_mapping = fulfillment_mapping
        self.directory = directory
        self.bulk: Any = None
        """The Oracle client's settings when it looks keys up in bulk (``sync/_bulk.py``)."""
        self.converter: Any = None
        """The Oracle client's converter (documents' wire forms are made with it once)."""

    def plan_flow(
        self,
        work: Sequence[Label],
        latest: Mapping[RecordRef, AuditEvent],
        dry_run: bool,
        *,
        orders: _OrderCache,
        trusted: bool = False,
        carry: _Carry | None = None,
        final: bool = True,
    ) -> Flow[list[_Pending]]:
        """Orders, ledgers, customers, mapping and Oracle look-ups for ``work``'s open records.

        ``orders`` carries the orders and their customer look-ups from chunk to chunk.
        ``trusted``: ``latest`` is the whole trail's word on these records, so a record absent
        from it is created without a look-up (see :meth:`prepare_flow`). ``carry``: the labels
        the run has listed so far complete a split order's ledger; a label whose order's other
        labels are not listed yet is put off to a later chunk (unless ``final``), instead of
        asking ShipStation for them.
        """
        order_ids = {label.order_id for label in work if label.order_id is not None}
        waiting = carry is not None and not final
        if waiting:
            found = yield from orders.get_flow(order_ids, labels=work, fetch_missing=False)
        else:
            found = yield from orders.get_flow(order_ids, labels=work, to_end=carry is not None)
        if carry is not None and waiting:
            # Labels whose order the window's order list has not reached yet wait for a
            # later chunk (in whatever order ShipStation lists, an order is then read once,
            # with its page of the list), within the carry's bounds.
            absent = [
                label
                for label in work
                if label.order_id is not None and label.order_id not in found
            ]
            later = [label for label in absent if carry.may_defer(label, final=False)]
            carry.defer(later)
            put_off = {(label.kind, label.id) for label in later}
            work = [label for label in work if (label.kind, label.id) not in put_off]
            due = [label for label in absent if (label.kind, label.id) not in put_off]
            if due:
                # Their wait is over: the list has passed their creation, so it is not read
                # further for them (their horizon), and what it lacks is fetched one by one.
                fetched_now = yield from orders.get_flow(
                    {label.order_id for label in due if label.order_id is not None}, labels=due
                )
                found.update(fetched_now)
        labels, extra = yield from self._complete_ledgers_flow(list(work), found, carry, final)
        ledgers = _ledgers([*(label.shipment for label in labels), *extra])
        good_orders = [order for order in found.values() if isinstance(order, Order)]
        directory = self.directory
        if directory is None:
            directory = yield from directory_flow(good_orders, self.mapping, orders.customers)

        memo = _Memo()
        answers: Answers | None = None
        if self.bulk is not None:
            # Every document the chunk may look up, mapped once (the plans are kept for the
            # records below), then looked up many keys a read.
            wanted = self._all_wanted(labels, found, ledgers, directory, latest, trusted, memo)
            answers = yield from prefetch_flow(wanted, self.bulk, self.converter)
        prepared = yield Fanout(
            tuple(
                self.prepare_flow(
                    label,
                    found,
                    ledgers,
                    directory,
                    latest,
                    dry_run,
                    trusted=trusted,
                    memo=memo,
                    answers=answers,
                    keep_traceback=False,
                )
                for label in labels
            )
        )
        return [p for group in prepared for p in group]

    def _complete_ledgers_flow(
        self,
        work: list[Label],
        orders: Mapping[int, Order | ConnectorError],
        carry: _Carry | None = None,
        final: bool = True,
    ) -> Flow[tuple[list[Label], list[Shipment]]]:
        work, wanted, known = _labels_wanted(work, orders, carry, final)
        fetched = yield Fanout(tuple(self._order_labels_flow(order_id) for order_id in wanted))
        extra: list[Shipment] = list(known)
        for result in fetched:
            if isinstance(result, list):
                extra.extend(result)
        if not extra:
            return work, []
        # Other labels of the order join the ledger; labels being processed take their items
        # (a webhook lists shipments without them).
        at_hand = {(label.kind, label.id): label for label in work}
        shipments = [label.shipment for label in work if label.shipment is not None]
        refreshed = labels_from(
            [*extra, *shipments], [lab.fulfillment for lab in work if lab.fulfillment]
        )
        others = [s for s in extra if (SHIPMENT, s.shipment_id) not in at_hand]
        # A label whose shipment the order's labels did not replace is the one at hand (it
        # keeps its records' refs): only the labels that took items are new.
        return [
            _same_or(at_hand[label.kind, label.id], label)
            for label in refreshed
            if (label.kind, label.id) in at_hand
        ], others

    # -- one label -------------------------------------------------------------------------------

    @pausing  # a chunk's plans, no cycles: see ml_connector._collector
    def _all_wanted(
        self,
        labels: Sequence[Label],
        orders: Mapping[int, Order | ConnectorError],
        ledgers: Mapping[int, Sequence[Shipment]],
        directory: CustomerDirectory,
        latest: Mapping[RecordRef, AuditEvent],
        trusted: bool,
        memo: _Memo,
    ) -> list[Doc]:
        """The documents :meth:`prepare_flow` may look up for ``labels`` (for a voided label,
        the original's and the reversal's), each label mapped once (kept in ``memo``)."""
        docs: list[Doc] = []
        for label in labels:
            order = orders.get(label.order_id) if label.order_id is not None else None
            if not isinstance(order, Order):
                continue
            if not label.voided and trusted and label.ref not in latest:
                continue
            ledger = ledgers.get(order.order_id, ())
            for unvoided in (True, False) if label.voided else (False,):
                try:
                    plan = self._mapped(
                        label, order, ledger, directory, unvoided=unvoided, memo=memo
                    )
                except MappingError:
                    continue
                if isinstance(plan, ShipmentPlan):
                    docs += memo.looked_up(plan)
        return docs

    def _mapped(
        self,
        label: Label,
        order: Order,
        ledger: Sequence[Shipment],
        directory: CustomerDirectory,
        *,
        unvoided: bool,
        memo: _Memo | None,
    ) -> ShipmentPlan | Skip:
        """:meth:`_map`, once per label and chunk when ``memo`` is given."""
        if memo is None:
            return self._map(label, order, ledger, directory, unvoided=unvoided)
        key = (label.kind, label.id, unvoided)
        plan = memo.plans.get(key)
        if plan is None:
            plan = memo.plans[key] = self._map(label, order, ledger, directory, unvoided=unvoided)
        return plan

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

    def _price(self, label: Label, order: Order, ledger: Sequence[Shipment]) -> Decimal | None:
        """What the invoice would total, for a record only its customer blocks.

        The amounts never depend on who is billed, so the shipment is mapped with a stand-in
        customer: finance sees the money a missing customer account holds back.
        """
        shipment = attrs.evolve(label.as_shipment(order), voided=False, void_date=None)
        config = self.mapping if label.kind == SHIPMENT else self.fulfillment_mapping
        others = ledger if label.kind == SHIPMENT else ()
        try:
            plan = map_shipment(shipment, order, _STAND_IN, config, order_shipments=others)
        except MappingError:
            return None
        if isinstance(plan, ShipmentPlan) and plan.invoice is not None:
            total: Decimal = plan.invoice.total
            return total
        return None

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
        memo: _Memo | None = None,
        answers: Answers | None = None,
        keep_traceback: bool = True,
    ) -> Flow[list[_Pending]]:
        """The records of ``label`` that are still open, mapped, with their documents looked up.

        ``trusted``: a label that is not voided and whose record has no event in ``latest`` (the
        trail holds nothing about it, so no run over this trail ever sent it) has its documents
        marked ``missing`` without asking Oracle. Voided labels and reversals are always looked
        up: what they post depends on what Oracle holds. ``memo`` holds the chunk's plans,
        ``answers`` its bulk look-ups (a document they do not cover is looked up alone).
        ``keep_traceback=False``: a mapping error is kept without its traceback (see
        :func:`_untraced`), for a run that records it and never raises it.
        """
        # No comprehension or closure here reads this generator's locals (the helpers below
        # do that work): its frame then holds no cells, which would outlive the look-up with it.
        open_refs = _open_refs(label, latest)
        order = orders.get(label.order_id) if label.order_id is not None else None
        if label.order_id is None or order is None:
            skip = Skip(label.id, SkipReason.NO_ORDER, "label has no order to invoice")
            return _all_skipped(open_refs, label, skip)
        if isinstance(order, ConnectorError):
            return _all_failed(open_refs, label, order)
        ledger = ledgers.get(order.order_id, ())
        warehouse = _warehouse(label, order)
        try:
            plan = self._mapped(label, order, ledger, directory, unvoided=label.voided, memo=memo)
        except MappingError as exc:
            priced = self._price(label, order, ledger) if exc.field == "customer" else None
            error = exc if keep_traceback else _untraced(exc)
            return _all_failed(open_refs, label, error, order, priced)
        if not label.voided:
            pending = _Pending(
                label.ref, label, order_number=order.order_number, warehouse_id=warehouse
            )
            if isinstance(plan, Skip):
                pending.result = _skip_result(label.ref, label, plan, order)
                return [pending]
            pending.plan = plan
            pending.docs = _docs_of(plan, memo)
            if trusted and label.ref not in latest:
                for doc in pending.docs:
                    doc.state = "missing"
            else:
                yield from lookup_flow(pending.docs, answers)
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
            original.result = _skip_result(label.ref, label, plan, order)
            void_skip = Skip(
                label.id,
                SkipReason.ORIGINAL_NOT_POSTED,
                f"the original posted nothing ({plan.reason.value})",
            )
            reversal.result = _skip_result(label.void_ref, label, void_skip, order)
            return _still_open((original, reversal), open_refs)
        original.plan = plan
        original.docs = _docs_of(plan, memo)
        yield from lookup_flow(original.docs, answers)
        posted = [doc for doc in original.docs if doc.state == "found"]
        if not posted and not any(doc.state == "failed" for doc in original.docs):
            original.result = _skip_result(
                label.ref,
                label,
                Skip(label.id, SkipReason.ORIGINAL_NOT_POSTED, "label voided before it was posted"),
                order,
            )
        if reversal.ref in open_refs:
            yield from self._prepare_reversal(
                reversal,
                original,
                order,
                ledger,
                directory,
                memo=memo,
                answers=answers,
                keep_traceback=keep_traceback,
            )
        return _still_open((original, reversal), open_refs)

    def _prepare_reversal(
        self,
        reversal: _Pending,
        original: _Pending,
        order: Order,
        ledger: Sequence[Shipment],
        directory: CustomerDirectory,
        *,
        memo: _Memo | None = None,
        answers: Answers | None = None,
        keep_traceback: bool = True,
    ) -> Flow[None]:
        label = reversal.label
        found = {doc.kind: doc for doc in original.docs if doc.state == "found"}
        lines = {
            doc.line for doc in original.docs if doc.kind == INVENTORY and doc.state == "found"
        }
        failed = [doc for doc in original.docs if doc.state == "failed"]
        if failed and not found:
            error = failed[0].error or ConnectorError("original lookup failed")
            broken = _failed(reversal.ref, label, error, order)
            reversal.result, reversal.error = broken.result, broken.error
            return
        if not found and not lines:
            skip = Skip(label.id, SkipReason.ORIGINAL_NOT_POSTED, "the original was never posted")
            reversal.result = _skip_result(reversal.ref, label, skip, order)
            return
        try:
            plan = self._mapped(label, order, ledger, directory, unvoided=False, memo=memo)
        except MappingError as exc:
            error = exc if keep_traceback else _untraced(exc)
            broken = _failed(reversal.ref, label, error, order)
            reversal.result, reversal.error = broken.result, broken.error
            return
        if isinstance(plan, Skip):
            reversal.result = _skip_result(reversal.ref, label, plan, order)
            return
        docs = [
            doc
            for doc in _docs_of(plan, memo)
            if (doc.kind == CREDIT_MEMO and INVOICE in found)
            or (doc.kind == INVENTORY and doc.line in lines)
        ]
        reversal.plan = plan
        reversal.docs = docs
        yield from lookup_flow(docs, answers)

    # -- posting ---------------------------------------------------------------------------------

    @staticmethod
    def _order_labels_flow(order_id: int) -> Flow[list[Shipment] | ConnectorError]:
        try:
            shipments = yield shipstation_list(
                ShipStationReader.iter_shipments, order_id=order_id, include_shipment_items=True
            )
        except ConnectorError as exc:
            return exc
        result: list[Shipment] = shipments
        return result


_E = TypeVar("_E", bound=BaseException)


def _untraced(error: _E) -> _E:
    """``error``, caught where it was just raised, without its traceback, nor those of the
    errors it chains that were raised below the frame that caught it (their types, messages
    and fields stay: what the run records of them).

    A traceback holds the frames the error passed through, and each frame the one that called
    it (``f_back``), with their locals: a mapping error caught while a chunk is planned held
    the planning generator's frame, so the chunk's look-up answers, memo and orders, for as
    long as its record lived (through the chunk's posting). An error it chains that was
    raised elsewhere (one its caller was handling) keeps its traceback: it may still be
    handled, and raised again, there.
    """
    if error.__traceback__ is None:
        return error
    here = error.__traceback__.tb_frame
    seen: set[int] = set()
    chained: list[BaseException] = [error]
    while chained:
        current = chained.pop()
        if id(current) in seen or not (current is error or _raised_below(current, here)):
            continue
        seen.add(id(current))
        current.__traceback__ = None
        chained.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return error


def _raised_below(error: BaseException, here: FrameType) -> bool:
    """Whether ``error`` was raised in a call made (directly or not) from ``here``."""
    frame = error.__traceback__.tb_frame if error.__traceback__ is not None else None
    while frame is not None:
        if frame is here:
            return True
        frame = frame.f_back
    return False


def _labels_wanted(
    work: list[Label],
    orders: Mapping[int, Order | ConnectorError],
    carry: _Carry | None,
    final: bool,
) -> tuple[list[Label], list[int], list[Shipment]]:
    """The labels of ``work`` not put off (with ``carry``, to wait for their order's other
    labels), the orders whose labels must be fetched, and the shipments the carry's ledgers
    complete them with. A function of its own: its labels by order are let go before the
    fetches (the flow's frame holds what it keeps through them)."""
    by_order: dict[int, list[Label]] = {}
    for label in work:
        if label.order_id is not None:
            by_order.setdefault(label.order_id, []).append(label)
    wanted: list[int] = []
    known: list[Shipment] = []
    put_off: set[tuple[str, int]] = set()
    for order_id, group in sorted(by_order.items()):
        order = orders.get(order_id)
        if not isinstance(order, Order) or not needs_order_labels(order, group):
            continue
        if carry is None:
            wanted.append(order_id)
            continue
        # The order's labels listed earlier in this run may complete it (a split order's
        # labels are listed hours apart in creation-date order).
        mine = {label.id for label in group if label.shipment is not None}
        seen = [s for s in carry.ledgers.get(order_id) if s.shipment_id not in mine]
        combined = labels_from(
            [*seen, *(label.shipment for label in group if label.shipment is not None)], ()
        )
        if seen and not needs_order_labels(order, combined):
            known.extend(seen)
            continue
        live = all(
            label.shipment is None
            or (
                label.shipment.shipment_items is not None
                and not label.shipment.voided
                and not label.shipment.is_return_label
            )
            for label in group
        )
        if (
            live
            and carry.may_list_more(order)
            and all(carry.may_defer(label, final=final) for label in group)
        ):
            # Wait for the order's other labels to be listed (bounded: see _Carry).
            carry.defer(group)
            put_off.update((label.kind, label.id) for label in group)
            continue
        wanted.append(order_id)
    if put_off:
        work = [label for label in work if (label.kind, label.id) not in put_off]
    return work, wanted, known


def _same_or(known: Label, label: Label) -> Label:
    """``known`` when ``label`` carries the same shipment or fulfillment, else ``label``."""
    if known.shipment is label.shipment and known.fulfillment is label.fulfillment:
        return known
    return label


def _open_refs(label: Label, latest: Mapping[RecordRef, AuditEvent]) -> list[RecordRef]:
    """The records of ``label`` whose latest event is not final."""
    refs = [label.ref, label.void_ref] if label.voided else [label.ref]
    return [ref for ref in refs if not _is_final(latest.get(ref))]


def _still_open(pendings: Sequence[_Pending], open_refs: Sequence[RecordRef]) -> list[_Pending]:
    return [p for p in pendings if p.ref in open_refs]


def _all_skipped(refs: Sequence[RecordRef], label: Label, skip: Skip) -> list[_Pending]:
    return [_skipped(ref, label, skip) for ref in refs]


def _all_failed(
    refs: Sequence[RecordRef],
    label: Label,
    error: ConnectorError,
    order: Order | None = None,
    priced: Decimal | None = None,
) -> list[_Pending]:
    """Each of ``refs`` failed with ``error`` (``priced``: the invoice total it would have)."""
    if order is None:
        return [_failed(ref, label, error) for ref in refs]
    return [_failed(ref, label, error, order, total=_signed(priced, ref, label)) for ref in refs]


def _skipped(ref: RecordRef, label: Label, skip: Skip) -> _Pending:
    return _Pending(ref, label, result=_skip_result(ref, label, skip, None))


def _failed(
    ref: RecordRef,
    label: Label,
    error: ConnectorError,
    order: Order | None = None,
    *,
    total: Decimal | None = None,
) -> _Pending:
    result = _failure(ref, label, error, order)
    if total is not None:
        result = attrs.evolve(result, total=total)
    return _Pending(ref, label, result=result, error=error)


_STAND_IN = Matched(
    account_number="(unmatched)",
    bill_to_site=None,
    rule=MatchRule.STORE_DEFAULT,
    detail="stand-in customer, to price a record whose customer is not matched",
)


def _signed(total: Decimal | None, ref: RecordRef, label: Label) -> Decimal | None:
    """The invoice total, negated for the credit memo a reversal would post."""
    if total is None:
        return None
    return -total if ref == label.void_ref else total


def _docs(plan: ShipmentPlan) -> list[Doc]:
    docs: list[Doc] = []
    if plan.invoice is not None and plan.posting_key is not None:
        docs.append(Doc(INVOICE, plan.posting_key, plan.invoice))
    if plan.credit_memo is not None and plan.posting_key is not None:
        docs.append(Doc(CREDIT_MEMO, plan.posting_key, plan.credit_memo))
    for posting in plan.inventory:
        docs.append(Doc(INVENTORY, posting.key, posting.transaction, line=posting.line))
    return docs


def _ledgers(shipments: Iterable[Shipment | None]) -> dict[int, tuple[Shipment, ...]]:
    """The chunk's shipments by order. Tuples: mapping keeps a plan's ledger to explain it
    later, as a tuple, and a tuple it is given is kept as is (a list would be copied, one
    more object a record)."""
    ledgers: dict[int, dict[int, Shipment]] = {}
    for shipment in shipments:
        if shipment is not None and shipment.order_id is not None:
            ledgers.setdefault(shipment.order_id, {})[shipment.shipment_id] = shipment
    return {order_id: tuple(found.values()) for order_id, found in ledgers.items()}


# -- the twins ------------------------------------------------------------------------------------
