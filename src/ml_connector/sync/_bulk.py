"""Bulk look-ups of a chunk's documents: one Oracle read answers many posting keys.

Before the records of a chunk are looked up one by one, :func:`prefetch_flow` reads what Oracle
holds for all their documents, ``bulk_lookup_size`` keys a read (invoices and credit memos by
posting key; inventory lines in the interface and among completed movements), through the
client's ``find_invoices`` / ``find_credit_memos`` / ``find_inventory_transactions`` (see
``oracle/_bulk.py`` for the query and its sources). The answers are kept per document model;
:func:`~ml_connector.sync._documents.lookup_flow` then answers each document's find from them,
exactly as the single find would have.

Safety: find-before-create is unchanged, only batched. A read that fails (any
:class:`~ml_connector.ConnectorError`: a 400 for a query the pod refuses, a timeout, a 5xx)
leaves its keys unanswered, and each of them is then looked up on its own, never created
blind. A client without these methods (a test double), or settings that rule them out
(``bulk_lookup_size`` 1, REST framework 1), gets the single look-ups.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

from ml_connector._errors import AuditError, ConnectorError
from ml_connector.oracle import InventoryStagedTransaction
from ml_connector.oracle._bulk import bulk_enabled, lookup_size

from ._documents import CREDIT_MEMO, INVENTORY, INVOICE, Doc
from ._flow import Call, Fanout, Flow
from ._protocols import AsyncBulkReader, BulkReader, oracle_call

__all__ = ["Answers", "bulk_settings", "prefetch_flow"]

Answers = dict[int, Any]
"""What Oracle holds per document model (``id(doc.model)``): a list of AR records carrying
the key, or an inventory status."""

_KINDS = (INVOICE, CREDIT_MEMO, INVENTORY)


def bulk_settings(oracle: Any) -> Any:
    """The client's settings when it can look keys up in bulk, else None."""
    settings = getattr(oracle, "settings", None)
    if settings is None or not isinstance(oracle, BulkReader | AsyncBulkReader):
        return None
    try:
        return settings if bulk_enabled(settings) else None
    except (AttributeError, TypeError, ValueError):
        return None


def _read(kind: str, docs: Sequence[Doc], converter: Any) -> Call:
    if kind == INVENTORY:
        models = [cast(InventoryStagedTransaction, doc.model) for doc in docs]
        if converter is None:
            return oracle_call(BulkReader.find_inventory_transactions, models)
        # The documents' wire forms, made once for the audit trail and the batch part too.
        wires = [doc.wire(converter) for doc in docs]
        return oracle_call(BulkReader.find_inventory_transactions, models, wires=wires)
    keys = [(doc.key, doc.business_unit) for doc in docs]
    if kind == INVOICE:
        return oracle_call(BulkReader.find_invoices, keys)
    return oracle_call(BulkReader.find_credit_memos, keys)


def _chunk_flow(kind: str, docs: Sequence[Doc], converter: Any) -> Flow[Answers]:
    try:
        found = yield _read(kind, docs, converter)
    except ConnectorError as exc:
        if isinstance(exc, AuditError):
            raise
        return {}  # nothing learned: each key is looked up on its own
    answers: Answers = {}
    for doc, answer in zip(docs, found, strict=True):
        answers[id(doc.model)] = answer
    return answers


def prefetch_flow(docs: Iterable[Doc], settings: Any, converter: Any = None) -> Flow[Answers]:
    """Look ``docs`` up in bulk, reads in parallel; the answers keyed by ``id(doc.model)``
    (``converter``: the client's, so each document's wire form is made once)."""
    if settings is None:
        return {}
    size = lookup_size(settings)
    by_kind: dict[str, list[Doc]] = {}
    seen: set[int] = set()
    for doc in docs:
        if id(doc.model) in seen or doc.kind not in _KINDS:
            continue
        seen.add(id(doc.model))
        by_kind.setdefault(doc.kind, []).append(doc)
    flows = [
        _chunk_flow(kind, group[n : n + size], converter)
        for kind, group in by_kind.items()
        for n in range(0, len(group), size)
    ]
    if not flows:
        return {}
    found = yield Fanout(tuple(flows))
    answers: Answers = {}
    for part in found:
        answers.update(part)
    return answers
