"""Oracle documents of one record, and the flows that find and post them exactly once.

Every document (AR invoice, AR credit memo, staged inventory transaction) carries a
deterministic posting key. Nothing is created without looking the key up first
(find-before-create); a create whose answer is lost or unreadable is resolved by looking again,
never by posting again (the Oracle client's ``post_*_once`` methods do this for single posts,
:func:`post_batch_flow` does it for batches).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from ml_connector._collector import pausing
from ml_connector._errors import (
    AuditError,
    ConflictError,
    ConnectorError,
)
from ml_connector.oracle import (
    InventoryStagedTransaction,
    InventoryTransactionError,
    PostingKeyNotKeptError,
    PostResult,
    ReceivablesCreditMemo,
    ReceivablesInvoice,
    to_wire,
)
from ml_connector.oracle._inventory import InventoryPostResult, is_online

from ._flow import Flow
from ._protocols import OracleWriter, oracle_call

__all__ = [
    "CREDIT_MEMO",
    "INVENTORY",
    "INVOICE",
    "Doc",
    "lookup_flow",
    "post_batch_flow",
    "post_one_flow",
    "resource_of",
    "stop_error",
]

INVOICE = "invoice"
CREDIT_MEMO = "credit_memo"
INVENTORY = "inventory"
_RESOURCES = {
    INVOICE: "receivablesInvoices",
    CREDIT_MEMO: "receivablesCreditMemos",
    INVENTORY: "inventoryStagedTransactions",
}


def resource_of(kind: str) -> str:
    """The Oracle resource a document kind is posted to."""
    return _RESOURCES[kind]


@attrs.define(eq=False)
class Doc:
    """One document to post, and what is known about it in Oracle.

    ``state`` moves from ``unknown`` to ``found`` (already in Oracle), ``missing`` (looked up,
    not there; or never sent, by the word of a trusted audit trail), ``created`` (posted by
    this run) or ``failed`` (``error`` says why).
    """

    kind: str
    key: str
    model: ReceivablesInvoice | ReceivablesCreditMemo | InventoryStagedTransaction
    line: int | None = None
    state: str = "unknown"
    oracle_id: str | None = None
    error: ConnectorError | None = None
    recovered: bool = False
    amount: Any = None
    """The amount Oracle holds for the found document (AR documents; for reconciliation)."""
    copies: int = 0
    """How many good copies Oracle holds (more than one is a duplicate posting)."""
    pending: bool = False
    """Inventory only: Oracle holds the row in its interface, not processed yet
    (``pending_in_oracle``): staged, never to be posted again, but not a stock movement yet."""
    number: str | None = None
    """The AR document's number in Oracle (``TransactionNumber``); differs from ``key`` when
    an automatically numbered transaction source replaced our posting key."""
    stop: PostingKeyNotKeptError | None = None
    """Set when this run created the document under Oracle's own number: the job records it,
    then stops posting (see :func:`stop_error`)."""

    @property
    def business_unit(self) -> str | None:
        """The business unit that scopes the key lookup (AR documents only)."""
        if isinstance(self.model, ReceivablesInvoice | ReceivablesCreditMemo):
            return self.model.business_unit
        return None

    # The wire form and the converter it was made with (two fields, not a pair: one object
    # fewer a document for the garbage collector to follow).
    _wire: dict[str, Any] | None = attrs.field(default=None, init=False, repr=False)
    _wire_converter: Any = attrs.field(default=None, init=False, repr=False)

    def wire(self, converter: Any) -> dict[str, Any]:
        """The Oracle wire payload (made once per converter: the model is frozen)."""
        made = self._wire
        if made is None or self._wire_converter is not converter:
            made = self._wire = to_wire(self.model, converter)
            self._wire_converter = converter
        return made

    def fail(self, error: ConnectorError) -> None:
        """Mark the document failed (audit-trail errors are never swallowed)."""
        if isinstance(error, AuditError):
            raise error
        self.state = "failed"
        self.error = error

    def describe(self) -> str:
        """``invoice SS1 created (id 3001)`` and the like."""
        what = {INVOICE: "invoice", CREDIT_MEMO: "credit memo", INVENTORY: "inventory"}[self.kind]
        text = f"{what} {self.key} {self.state}"
        if self.oracle_id is not None:
            text += f" (id {self.oracle_id})"
        if self.number is not None and self.number != self.key:
            text += f" under Oracle's number {self.number}"
        if self.pending:
            text += ", pending in Oracle's interface"
        if self.recovered:
            text += " after a lost answer"
        if self.error is not None:
            text += f": {self.error.message}"
        return text


def _staged_error(status: Any, key: str) -> InventoryTransactionError:
    message = status.error_explanation or status.error_code or "error"
    return InventoryTransactionError(
        f"inventory transaction {key} is in Oracle's interface with an error: {message}; "
        "correct or delete it in Oracle, then replay",
        code=status.error_code,
        details=({"ErrorCode": status.error_code, "ErrorExplanation": message},),
    )


def _ar_found(doc: Doc, record: Any) -> str | None:
    """The Oracle id of the AR document found for ``doc`` (None: not there)."""
    if record is None:
        return None
    doc.copies = 1
    doc.number = record.transaction_number
    amount = getattr(record, "entered_amount", None)
    doc.amount = amount if amount is not None else record.raw.get("EnteredAmount")
    return str(record.customer_transaction_id)


def _inventory_found(doc: Doc, status: Any) -> str | None:
    """The Oracle id of the inventory line found for ``doc``; raises for a row in error."""
    doc.copies = status.copies
    if status.copies:
        doc.amount = status.quantity
        doc.pending = str(status.state) == "pending_in_oracle"
        return str(status.oracle_id)
    if status.found:
        # A row in the interface with an error blocks the key: posting again would be refused
        # as a duplicate (or stage the movement twice once the first row is fixed).
        raise _staged_error(status, doc.key)
    return None


def _answered(doc: Doc, answer: Any) -> str | None:
    """``doc``'s find answered from a bulk look-up (``sync/_bulk.py``), as the single find
    would answer it: a key held by two AR documents raises ConflictError."""
    if doc.kind == INVENTORY:
        return _inventory_found(doc, answer)
    records = list(answer)
    if len(records) > 1:
        what = f"{len(records)} {resource_of(doc.kind)} records"
        raise ConflictError(f"{what} carry posting key {doc.key!r}")
    return _ar_found(doc, records[0] if records else None)


def _find_flow(doc: Doc) -> Flow[str | None]:
    """The Oracle id of the document with ``doc.key``, or None. Raises ConnectorError.

    A key held by two AR documents raises :class:`~ml_connector.ConflictError` (the client's
    find refuses to choose).
    """
    if doc.kind in (INVOICE, CREDIT_MEMO):
        find = OracleWriter.find_invoice if doc.kind == INVOICE else OracleWriter.find_credit_memo
        record = yield oracle_call(find, doc.key, business_unit=doc.business_unit)
        return _ar_found(doc, record)
    assert isinstance(doc.model, InventoryStagedTransaction)  # the third kind
    # Staged and completed: a processed row has left the interface (see oracle/_inventory.py).
    status = yield oracle_call(OracleWriter.find_inventory_transaction, doc.model)
    return _inventory_found(doc, status)


def lookup_flow(docs: Sequence[Doc], answers: Mapping[int, Any] | None = None) -> Flow[None]:
    """Look every document up; each ends ``found``, ``missing`` or ``failed``.

    ``answers``: what a bulk look-up of the chunk learned, per ``id(doc.model)``
    (``sync/_bulk.py``); a document it does not cover is looked up on its own.
    """
    for doc in docs:
        try:
            if answers is not None and id(doc.model) in answers:
                found = _answered(doc, answers[id(doc.model)])
            else:
                found = yield from _find_flow(doc)
        except ConnectorError as exc:
            doc.fail(exc)
            continue
        if found is None:
            doc.state = "missing"
        else:
            doc.state, doc.oracle_id = "found", found


def post_one_flow(doc: Doc, *, after_lost_batch: bool = False) -> Flow[None]:
    """Post one document through the client's find-before-create ``post_*_once``.

    ``after_lost_batch``: the document was in a batch whose answer was lost, so finding it now
    means this run created it. A document Oracle created under its own number
    (:class:`~ml_connector.oracle.PostingKeyNotKeptError`) is recorded as created, under that
    number, and marks the run to stop.
    """
    result: PostResult[Any] | InventoryPostResult
    try:
        if isinstance(doc.model, ReceivablesInvoice):
            result = yield oracle_call(OracleWriter.post_invoice_once, doc.model, doc.key)
        elif isinstance(doc.model, ReceivablesCreditMemo):
            result = yield oracle_call(OracleWriter.post_credit_memo_once, doc.model, doc.key)
        else:
            result = yield oracle_call(OracleWriter.post_staged_transaction_once, doc.model)
    except PostingKeyNotKeptError as exc:
        result = exc.result
        doc.stop = exc
    except ConnectorError as exc:
        doc.fail(exc)
        return
    if isinstance(result, InventoryPostResult):
        doc.oracle_id = str(result.oracle_id)
        doc.pending = str(result.state) == "pending_in_oracle"
    else:
        doc.oracle_id = str(result.record.customer_transaction_id)
        doc.number = result.number
    if result.created or after_lost_batch:
        doc.state = "created"
        doc.recovered = bool(result.recovered or (after_lost_batch and not result.created))
    else:
        doc.state = "found"


def stop_error(docs: Sequence[Doc]) -> PostingKeyNotKeptError | None:
    """The first document this run created under a number of Oracle's, if any.

    The job raises it once the chunk's outcomes are recorded: the document is in Oracle and in
    the trail (under Oracle's number), and nothing more is posted until the transaction source
    keeps our keys.
    """
    return next((doc.stop for doc in docs if doc.stop is not None), None)


def batchable(doc: Doc, settings: Any, converter: Any) -> bool:
    """Whether ``doc`` already carries its key where the client looks it up.

    Batch parts are sent as they are; a document whose key the client would have to add itself
    (``post_*_once`` does that) is posted alone instead.
    """
    if doc.kind == INVENTORY:
        return True
    if doc.kind == INVOICE:
        attribute = settings.invoice_key_attribute
    else:
        attribute = settings.credit_memo_key_attribute
    value = doc.wire(converter).get(attribute)
    return value is not None and str(value) == doc.key


def _created_id(payload: Mapping[str, Any] | None, kind: str) -> str | None:
    if not payload:
        return None
    name = "TransactionInterfaceId" if kind == INVENTORY else "CustomerTransactionId"
    value = payload.get(name)
    return None if value is None else str(value)


def _check_key_kept(doc: Doc, payload: Mapping[str, Any], settings: Any) -> None:
    """Mark ``doc`` to stop the run when Oracle replaced its posting key (a batch part)."""
    number = payload.get("TransactionNumber")
    doc.number = None if number is None else str(number)
    attribute = (
        settings.invoice_key_attribute
        if doc.kind == INVOICE
        else settings.credit_memo_key_attribute
    )
    held = payload.get(attribute)
    if held is None or str(held) == doc.key:
        return
    assert isinstance(doc.model, ReceivablesInvoice | ReceivablesCreditMemo)
    source = doc.model.transaction_source
    what = "invoice" if doc.kind == INVOICE else "credit memo"
    setting = (
        "receivables.transaction_source"
        if doc.kind == INVOICE
        else "receivables.credit_memo_transaction_source"
    )
    doc.stop = PostingKeyNotKeptError(
        f"Oracle posted {what} {doc.key} as number {doc.number} (CustomerTransactionId "
        f"{doc.oracle_id}): transaction source {source!r} numbers {resource_of(doc.kind)} "
        f"automatically and ignores the {attribute} we send. The document is posted and "
        f"recorded under Oracle's number; posting stops until transaction source {source!r} "
        "uses manual numbering (Manage Transaction Sources: clear 'Automatic transaction "
        "numbering')",
        result=PostResult(payload, created=True, key_kept=False, number=doc.number),
        key=doc.key,
        transaction_source=source,
        setting=setting,
    )


@pausing  # a batch's parts, no cycles: see ml_connector._collector
def _parts(docs: Sequence[Doc], oracle: Any) -> list[Any]:
    converter = oracle.converter
    return [
        oracle.batch_part(f"p{n}", doc.model, wire=doc.wire(converter))
        for n, doc in enumerate(docs)
    ]


def post_batch_flow(docs: Sequence[Doc], oracle: Any) -> Flow[None]:
    """Post missing documents in one logical batch (the client splits it by ``batch_size``).

    A part Oracle rejects is looked up again (someone may have posted the key in between) and
    otherwise fails alone. A batch whose outcome is unknown (timeout, 5xx, lost answer) is
    resolved document by document with find-before-create.
    """
    parts = _parts(docs, oracle)
    try:
        results = yield oracle_call(OracleWriter.post_batch, parts)
    except ConnectorError as exc:
        if isinstance(exc, AuditError):
            raise
        for doc in docs:
            yield from post_one_flow(doc, after_lost_batch=True)
        return
    settings = oracle.settings
    for doc, result in zip(docs, results, strict=True):
        if result.ok:
            payload = result.payload or {}
            doc.oracle_id = _created_id(payload, doc.kind)
            # A part whose answer carried no id was looked up by the client and found.
            doc.recovered = result.looked_up
            if doc.kind in (INVOICE, CREDIT_MEMO):
                _check_key_kept(doc, payload, settings)
            error_code = payload.get("ErrorCode")
            explanation = payload.get("ErrorExplanation")
            if doc.kind == INVENTORY and (error_code or explanation):
                message = explanation or error_code
                doc.fail(
                    InventoryTransactionError(
                        f"inventory transaction {doc.key} failed in Oracle: {message}",
                        code=error_code,
                        details=({"ErrorCode": error_code, "ErrorExplanation": message},),
                    )
                )
            else:
                doc.state = "created"
                if doc.kind == INVENTORY:
                    # Only Online mode processes the row during the request; otherwise it
                    # waits in the interface (oracle/_inventory.py).
                    mode = getattr(doc.model, "transaction_mode", None)
                    doc.pending = not is_online(mode)
            continue
        try:
            found = yield from _find_flow(doc)
        except ConnectorError:
            found = None
        if found is not None:
            doc.state, doc.oracle_id = "found", found
        else:
            doc.fail(result.error or ConnectorError(f"batch part for {doc.key} failed"))
