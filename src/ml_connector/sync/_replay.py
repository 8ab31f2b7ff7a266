"""Replay of failed shipment records: the concrete :class:`~ml_connector.audit.ReplayTarget`.

``remap`` fetches the label and its order again from ShipStation (GET only; the order id is in
the failed event's payload), matches the customer against Oracle as it is now and maps with
the current configuration; the documents are looked up in Oracle on the way. ``find`` answers
with the Oracle ids only when *every* document of the record is already there; ``create`` posts
the missing ones through the client's find-before-create ``post_*_once``. So a record that
failed half-way (invoice posted, one inventory line refused) is completed, never duplicated.

A record that maps to nothing any more (a label voided before it was posted, a rule that now
skips it) has nothing to post: ``remap`` says so (``Remapped.skip``) and replay records it as a
skip with that reason, never as ``already-posted`` with an Oracle id it does not have.

A label that still cannot be decoded when fetched again fails again with the field named. The
inventory job's undecodable records (``inventory-level``, ``inventory-shipment``) are decoded
again from their kept payload with the current quirk rules (see
:func:`~._undecodable.redecode_inventory`): their SKUs are the inventory run's to compare.

``ShipmentSync.replay()`` hands this target only the records of the kinds it replays (see
:mod:`._routing`); an inventory adjustment is the inventory job's (:mod:`._inventory_replay`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ml_connector._errors import ConnectorError, MappingError
from ml_connector.audit import AuditEvent, Remapped

from ._core import _ShipmentCore
from ._directory import directory_flow
from ._documents import lookup_flow, post_one_flow
from ._flow import Flow
from ._labels import BASE_KIND, SHIPMENT, Label, labels_from
from ._plan import _Pending
from ._protocols import ShipStationReader, shipstation_call, shipstation_list
from ._routing import replay_job_of
from ._targets import AsyncFlowReplayTarget, FlowReplayTarget
from ._undecodable import INVENTORY_KINDS, kept_payload, redecode_inventory
from ._window import LABEL_MODELS

__all__ = ["NOTHING_TO_POST", "AsyncShipmentReplayTarget", "ReplayCore", "ShipmentReplayTarget"]

NOTHING_TO_POST = "nothing-to-post"


class ReplayCore:
    """The I/O-free replay decisions over a shipment core, as flows."""

    def __init__(self, core: _ShipmentCore) -> None:
        self.core = core
        self._pending: dict[str, _Pending] = {}

    def remap_flow(self, failed: AuditEvent) -> Flow[Remapped]:
        ref = failed.record
        if ref.kind in INVENTORY_KINDS:
            # A skip: find and create are never called.
            return redecode_inventory(failed, self.core.options.audit)
        base = BASE_KIND.get(ref.kind)
        if base is None:
            owner = replay_job_of(ref.kind)
            hint = f"; the {owner} job replays it" if owner is not None else ""
            raise MappingError(f"{ref} is not a shipment record{hint}", record=str(ref))
        payload = kept_payload(self.core.options.audit, failed)
        source = payload.get("source") if isinstance(payload, Mapping) else None
        order_id = source.get("order_id") if isinstance(source, Mapping) else None
        if not isinstance(order_id, int):
            raise MappingError(
                "the failed event does not name the order; run the window again instead",
                field="source.order_id",
                record=str(ref),
            )
        label_id = int(ref.id)
        label: Label | None = None
        ledger: list[Any] = []
        if base == SHIPMENT:
            ledger = yield shipstation_list(
                ShipStationReader.iter_shipments, order_id=order_id, include_shipment_items=True
            )
            found = [lab for lab in labels_from(ledger, ()) if lab.id == label_id]
        else:
            fulfillments = yield shipstation_list(
                ShipStationReader.iter_fulfillments, order_id=order_id
            )
            found = [lab for lab in labels_from((), fulfillments) if lab.id == label_id]
        label = found[0] if found else None
        odd = yield shipstation_call(ShipStationReader.take_undecodable)
        if label is None:
            for record in odd:
                if record.record_id == ref.id and LABEL_MODELS.get(record.model) == base:
                    raise record.error()  # listed, and still not decodable: the field named
            raise MappingError(f"ShipStation no longer lists {ref}", record=str(ref))
        order = yield shipstation_call(ShipStationReader.get_order, order_id)
        directory = self.core.options.directory
        if directory is None:
            directory = yield from directory_flow([order], self.core.options.mapping)
        ledgers = {order_id: ledger} if base == SHIPMENT else {}
        pendings = yield from self.core.planner.prepare_flow(
            label, {order_id: order}, ledgers, directory, {}, True
        )
        pending = next(p for p in pendings if p.ref == ref)
        if pending.error is not None:
            raise pending.error
        if pending.result is not None:
            # Skipped now: nothing to post, settle the record.
            key = f"{ref.kind}:{ref.id}"
            self._pending[key] = pending
            return Remapped(
                payload={"source": label.source_info(), "skipped": pending.result.detail},
                posting_key=key,
                skip=pending.result.detail or "nothing to post",
            )
        result = self.core.poster.docs_result(pending, True)
        key = pending.docs[0].key if pending.docs else f"{ref.kind}:{ref.id}"
        self._pending[key] = pending
        return Remapped(payload=dict(result.payload or {}), posting_key=key)

    def find_flow(self, posting_key: str) -> Flow[str | None]:
        pending = self._pending.get(posting_key)
        if pending is None:
            raise MappingError("find before remap", field="posting_key", record=posting_key)
        if pending.result is not None or not pending.docs:
            return NOTHING_TO_POST
        if any(doc.state == "unknown" for doc in pending.docs):
            yield from lookup_flow(pending.docs)
        for doc in pending.docs:
            if doc.state == "failed" and doc.error is not None:
                raise doc.error
        if all(doc.state == "found" for doc in pending.docs):
            return ",".join(str(doc.oracle_id) for doc in pending.docs)
        return None

    def create_flow(self, payload: Mapping[str, Any]) -> Flow[str]:
        key = payload.get("posting_key")
        pending = self._pending.get(str(key)) if key is not None else None
        if pending is None:
            raise MappingError("create before remap", field="posting_key", record=str(key))
        for doc in pending.docs:
            if doc.state == "missing":
                yield from post_one_flow(doc)
        failed = [doc for doc in pending.docs if doc.state == "failed"]
        if failed:
            error = failed[0].error or ConnectorError(f"{failed[0].key} failed")
            raise error
        return ",".join(str(doc.oracle_id) for doc in pending.docs)


class ShipmentReplayTarget(FlowReplayTarget):
    """Replays this job's failed records (a :class:`~ml_connector.audit.ReplayTarget`): a
    record is fetched again and mapped with today's configuration; its documents already in
    Oracle are found, the missing ones posted (find-before-create each)."""

    def __init__(self, core: _ShipmentCore, clients: Mapping[str, Any]) -> None:
        super().__init__(ReplayCore(core), clients)


class AsyncShipmentReplayTarget(AsyncFlowReplayTarget):
    """The async twin of :class:`ShipmentReplayTarget`."""

    def __init__(self, core: _ShipmentCore, clients: Mapping[str, Any], concurrency: int) -> None:
        super().__init__(ReplayCore(core), clients, concurrency)
