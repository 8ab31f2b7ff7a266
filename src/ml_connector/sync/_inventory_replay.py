"""Replay of the inventory job's failed records: a :class:`~ml_connector.audit.ReplayTarget`.

An inventory adjustment cannot be mapped again: its quantity is the difference between two
snapshots that are gone, and its posting key names both snapshot times. So its replay re-posts
exactly the staged transaction the failed event planned, rebuilt from the payload the trail
kept (``{"transaction": <Oracle wire form>}``); a payload that does not rebuild to the very same
wire form fails again, naming the attribute, and nothing is posted.

- ``remap`` rebuilds the transaction (nothing is read from ShipStation);
- ``find`` looks its posting key up in Oracle exactly as the inventory run does (the staged
  interface and the completed transactions; :func:`~._documents.lookup_flow`), so a posting
  whose answer was lost is found, never doubled; a row waiting in the interface with an error
  fails the replay with Oracle's error (fix or delete the row in Oracle, then replay);
- ``create`` posts it through the client's find-before-create ``post_staged_transaction_once``;
  a transaction someone staged between ``find`` and ``create`` is reported as a
  :class:`~ml_connector.ConflictError`, which replay resolves by finding it again
  (``already-posted``).

The job's undecodable records (``inventory-level``, ``inventory-shipment``) post nothing of
their own: they are decoded again from their kept payload with the current quirk rules
(:func:`~._undecodable.redecode_inventory`), as the shipment job's replay does.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ml_connector._errors import ConflictError, ConnectorError, MappingError
from ml_connector.audit import AuditEvent, AuditSink, Remapped, canonical_json
from ml_connector.oracle import InventoryStagedTransaction, to_wire
from ml_connector.oracle._converter import WIRE_NAMES

from ._documents import INVENTORY, Doc, lookup_flow, post_one_flow, resource_of
from ._flow import Flow
from ._targets import AsyncFlowReplayTarget, FlowReplayTarget
from ._undecodable import INVENTORY_KINDS, kept_payload, redecode_inventory

__all__ = [
    "INVENTORY_ADJUSTMENT",
    "INVENTORY_REPLAY_KINDS",
    "AsyncInventoryReplayTarget",
    "InventoryReplayCore",
    "InventoryReplayTarget",
    "transaction_of",
]

INVENTORY_ADJUSTMENT = "inventory-adjustment"
"""Record kind of a staged transaction the inventory job planned (its id is the posting key)."""
INVENTORY_REPLAY_KINDS = frozenset({INVENTORY_ADJUSTMENT, *INVENTORY_KINDS})
"""The record kinds the inventory job owns and replays."""

_FIELDS = {wire: field for field, wire in WIRE_NAMES[InventoryStagedTransaction].items()}
_DECIMALS = frozenset({"transaction_quantity", "transaction_cost"})


def _value(field: str, wire: str, value: Any, record: str) -> Any:
    """A wire value as the model's field holds it (the trail keeps Decimals and dates as text)."""

    def bad(why: str) -> MappingError:
        return MappingError(f"the kept transaction's {wire} {why}", field=wire, record=record)

    if field in _DECIMALS:
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            raise bad("is not a number")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise bad("is not a number") from None
        if not number.is_finite():
            raise bad("is not a finite number")
        return number
    if field == "transaction_date":
        if not isinstance(value, str):
            raise bad("is not a date-time")
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise bad("is not a date-time") from None
        if parsed.tzinfo is None:
            raise bad("has no time zone")
        return parsed.astimezone(UTC)
    if field == "use_current_cost":
        if not isinstance(value, bool):
            raise bad("is not true or false")
        return value
    if not isinstance(value, str):
        raise bad("is not text")
    return value


def transaction_of(payload: Mapping[str, Any], record: str) -> InventoryStagedTransaction:
    """The staged transaction a failed adjustment's kept payload planned, exactly.

    Attributes the model does not name go back in ``extra``, verbatim. The rebuilt transaction
    must write the very wire form that was kept, or nothing is posted.

    Raises:
        MappingError: the payload holds no transaction, or not one that rebuilds exactly.
    """
    wire = payload.get("transaction")
    if not isinstance(wire, Mapping) or not wire:
        raise MappingError(
            "the failed event kept no staged transaction; run the inventory job again instead",
            field="transaction",
            record=record,
        )
    fields: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for name, value in wire.items():
        field = _FIELDS.get(name)
        if field is None:
            extra[name] = value
        elif value is not None:
            fields[field] = _value(field, name, value, record)
    try:
        transaction = InventoryStagedTransaction(**fields, extra=extra)
    except (TypeError, ValueError) as exc:
        raise MappingError(
            f"the kept transaction cannot be rebuilt: {exc}", field="transaction", record=record
        ) from None
    if canonical_json(to_wire(transaction)) != canonical_json(dict(wire)):
        raise MappingError(
            "the kept transaction does not rebuild to the payload that was planned; nothing posted",
            field="transaction",
            record=record,
        )
    return transaction


class InventoryReplayCore:
    """The I/O-free replay decisions for the inventory job's records, as flows."""

    def __init__(self, audit: AuditSink) -> None:
        self.audit = audit
        self._docs: dict[str, tuple[Mapping[str, Any], Doc]] = {}

    def remap_flow(self, failed: AuditEvent) -> Flow[Remapped]:
        """The transaction the failed event planned (or, for an undecodable record, a skip)."""
        ref = failed.record
        if ref.kind in INVENTORY_KINDS:
            # A skip: find and create are never called.
            return redecode_inventory(failed, self.audit)
        if ref.kind != INVENTORY_ADJUSTMENT:
            raise MappingError(f"{ref} is not an inventory record", record=str(ref))
        payload = kept_payload(self.audit, failed)
        transaction = transaction_of(payload, str(ref))
        key = failed.posting_key or ref.id
        wire = payload["transaction"]
        self._docs[key] = (wire, Doc(INVENTORY, key, transaction))
        return Remapped(
            payload={"transaction": wire}, posting_key=key, target=resource_of(INVENTORY)
        )
        yield  # a flow, though it reads nothing

    def _doc(self, key: str, step: str) -> Doc:
        kept = self._docs.get(key)
        if kept is None:
            raise MappingError(f"{step} before remap", field="posting_key", record=key)
        return kept[1]

    def find_flow(self, posting_key: str) -> Flow[str | None]:
        """The Oracle id of the transaction with ``posting_key``, staged or completed."""
        doc = self._doc(posting_key, "find")
        doc.state, doc.error, doc.oracle_id = "unknown", None, None
        yield from lookup_flow([doc])
        if doc.state == "failed":
            raise doc.error or ConnectorError(f"{doc.key}: look-up failed")
        return doc.oracle_id if doc.state == "found" else None

    def create_flow(self, payload: Mapping[str, Any]) -> Flow[str]:
        """Post the remapped transaction (find-before-create); its Oracle id."""
        wire = payload.get("transaction")
        key = next((k for k, (kept, _doc) in self._docs.items() if kept == wire), None)
        if key is None:
            raise MappingError("create before remap", field="transaction", record=str(wire))
        doc = self._doc(key, "create")
        yield from post_one_flow(doc)
        if doc.state == "failed":
            raise doc.error or ConnectorError(f"{doc.key}: post failed")
        if doc.state == "found":
            # Staged by someone else since our find: replay looks again and records it.
            raise ConflictError(f"inventory transaction {doc.key} is already in Oracle")
        return str(doc.oracle_id)


class InventoryReplayTarget(FlowReplayTarget):
    """Replays the inventory job's failed records (a :class:`~ml_connector.audit.ReplayTarget`):
    the staged transaction a failed event planned is rebuilt from its kept payload, found in
    Oracle by its posting key (staged or completed) or staged (find-before-create).

    Built by :meth:`InventorySync.replay_target`; see :meth:`InventorySync.replay`.
    """

    def __init__(self, audit: AuditSink, clients: Mapping[str, Any]) -> None:
        super().__init__(InventoryReplayCore(audit), clients)


class AsyncInventoryReplayTarget(AsyncFlowReplayTarget):
    """The async twin of :class:`InventoryReplayTarget`."""

    def __init__(self, audit: AuditSink, clients: Mapping[str, Any], concurrency: int) -> None:
        super().__init__(InventoryReplayCore(audit), clients, concurrency)
