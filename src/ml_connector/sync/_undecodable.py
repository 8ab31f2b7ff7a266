"""Records ShipStation listed but nothing could decode: each a failed record of its own.

The V1 client keeps such a record (its raw payload, the model it should have been, the failing
field) instead of stopping the page (see :class:`~ml_connector.shipstation.UndecodableRecord`).
A window run takes them after every page it reads and records each as a failed record with its
payload, so the run goes on, the trail says exactly what was wrong, and replay has the raw
record to work from once the data (or a new quirk rule) allows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ml_connector._errors import ResponseDecodeError
from ml_connector._json import dumps
from ml_connector._redact import scrub
from ml_connector.audit import (
    AuditEvent,
    AuditSink,
    RecordRef,
    Remapped,
    payload_of,
    redact_error,
)
from ml_connector.shipstation import Decoder, InventoryLevel, Shipment, UndecodableRecord

from ._labels import SYSTEM
from ._results import Outcome, RecordResult
from ._window import LABEL_MODELS

__all__ = [
    "INVENTORY_KINDS",
    "INVENTORY_LEVEL",
    "INVENTORY_SHIPMENT",
    "inventory_ref",
    "inventory_undecodable_result",
    "kept_payload",
    "level_place",
    "raw_digest",
    "redecode_inventory",
    "shipment_skus",
    "undecodable_result",
]


def undecodable_result(record: UndecodableRecord) -> RecordResult:
    """The failed result of ``record``: the error names the field, the payload keeps the raw
    record for replay."""
    kind = LABEL_MODELS.get(record.model, record.model.lower())
    ident = record.record_id or f"undecodable-{record.collection or kind}"
    error = record.error()
    raw = record.raw if isinstance(record.raw, dict) else {}
    order_id = raw.get("orderId")
    return RecordResult(
        record=RecordRef(SYSTEM, kind, ident),
        outcome=Outcome.FAILED,
        detail=f"{kind} {ident} could not be read: {error.message}",
        error=redact_error(error),
        payload={
            "source": {
                "kind": kind,
                "id": record.record_id,
                # Replay fetches the order's labels again by this id (see _replay).
                "order_id": order_id if isinstance(order_id, int) else None,
                "undecodable": True,
            },
            # Scrubbed here as well as in the trail: results are returned and rendered.
            "raw": scrub(record.raw),
            "field": record.field,
        },
    )


# -- the inventory job -----------------------------------------------------------------------------

INVENTORY_LEVEL = "inventory-level"
"""Record kind of a V2 inventory level the inventory job could not decode."""
INVENTORY_SHIPMENT = "inventory-shipment"
"""Record kind of a V1 shipment the inventory job could not decode (distinct from the shipment
job's ``shipment`` record, which that job records and replays on its own)."""
INVENTORY_KINDS = frozenset({INVENTORY_LEVEL, INVENTORY_SHIPMENT})


def raw_digest(raw: Any) -> str:
    """A stable id for a record without a readable id: a digest of its payload."""
    text = dumps(raw, sort_keys=True, floats=True, default=str)
    return "raw-" + hashlib.sha256(text.encode()).hexdigest()[:12]


def _text(raw: Any, key: str) -> str | None:
    value = raw.get(key) if isinstance(raw, Mapping) else None
    return value if isinstance(value, str) and value else None


def level_place(record: UndecodableRecord) -> tuple[str | None, str | None, str | None]:
    """The SKU, inventory location and inventory warehouse of an undecodable level, as far as
    its payload says (each ``None`` when it does not)."""
    raw = record.raw
    return (
        _text(raw, "sku"),
        _text(raw, "inventory_location_id"),
        _text(raw, "inventory_warehouse_id"),
    )


def shipment_skus(record: UndecodableRecord) -> frozenset[str] | None:
    """The SKUs an undecodable shipment moves, or ``None`` when its items cannot be read (then
    every SKU is in doubt). A return label moves nothing here, as in ``shipped_quantities``."""
    raw = record.raw
    if not isinstance(raw, Mapping):
        return None
    if raw.get("isReturnLabel") is True:
        return frozenset()
    items = raw.get("shipmentItems")
    if not isinstance(items, list):
        return None
    skus: set[str] = set()
    for item in items:
        if not isinstance(item, Mapping):
            return None
        sku = item.get("sku")
        if isinstance(sku, str) and sku:
            skus.add(sku)
        elif sku not in (None, ""):
            return None
    return frozenset(skus)


def inventory_ref(record: UndecodableRecord) -> RecordRef:
    """The audit record of an undecodable record the inventory job read: a level is named by
    its SKU and location (stable from run to run), a shipment by its id; a digest of the
    payload when nothing else names it."""
    if record.model == "Shipment":
        return RecordRef(SYSTEM, INVENTORY_SHIPMENT, record.record_id or raw_digest(record.raw))
    sku, location, warehouse = level_place(record)
    place = location or warehouse
    ident = f"{sku}@{place}" if sku and place else sku or raw_digest(record.raw)
    return RecordRef(SYSTEM, INVENTORY_LEVEL, ident)


def inventory_undecodable_result(
    record: UndecodableRecord, skus: frozenset[str] | None, since: datetime | None
) -> RecordResult:
    """The failed result of an undecodable record the inventory job read.

    ``skus`` are the SKUs whose comparison now waits for it (``None``: every SKU the snapshot
    could not account for); ``since`` is when their last known levels were read. The payload
    keeps the raw record (scrubbed) for replay, the failing field and the held SKUs.
    """
    ref = inventory_ref(record)
    error = record.error()
    held = "every SKU it could be" if skus is None else ", ".join(sorted(skus)) or "no SKU"
    what = "inventory level" if ref.kind == INVENTORY_LEVEL else "shipment"
    detail = (
        f"{what} {ref.id} could not be read: {error.message}; held: {held} (compared once it "
        "reads again"
        + (f", from the level kept since {since.isoformat()})" if since is not None else ")")
    )
    sku, location, warehouse = level_place(record)
    return RecordResult(
        record=ref,
        outcome=Outcome.FAILED,
        detail=detail,
        error=redact_error(error),
        payload={
            "source": {
                "kind": ref.kind,
                "model": record.model,
                "version": record.version,
                "id": record.record_id,
                "undecodable": True,
                **(
                    {
                        "sku": sku,
                        "inventory_location_id": location,
                        "inventory_warehouse_id": warehouse,
                    }
                    if ref.kind == INVENTORY_LEVEL
                    else {}
                ),
            },
            "held_skus": None if skus is None else sorted(skus),
            "held_since": since.isoformat() if since is not None else None,
            "raw": scrub(record.raw),
            "field": record.field,
        },
    )


def kept_payload(audit: AuditSink, failed: AuditEvent) -> Mapping[str, Any]:
    """The payload a failed record keeps: the failed event's own, else (a replay that failed
    before it re-mapped stores none) the latest earlier event of the record that has one."""
    payload = payload_of(failed)
    if isinstance(payload, Mapping):
        return payload
    for event in reversed(audit.events(record=failed.record)):
        payload = payload_of(event)
        if isinstance(payload, Mapping):
            return payload
    return {}


def redecode_inventory(failed: AuditEvent, audit: AuditSink) -> Remapped:
    """Replay of an inventory job's undecodable record: decode the kept payload again with the
    current quirk rules.

    Nothing is posted for the record itself: its SKUs are compared by the inventory run (which
    holds them while it cannot read them), so a record that decodes now is settled as a skip
    that says so. One that still cannot be decoded raises, naming the field again; the next
    inventory run reads ShipStation again and settles it if the data was fixed there.

    Raises:
        ResponseDecodeError: the kept payload still cannot be decoded.
    """
    ref = failed.record
    payload = kept_payload(audit, failed)
    level = ref.kind == INVENTORY_LEVEL
    model: type[Any] = InventoryLevel if level else Shipment
    try:
        Decoder("V2" if level else "V1").one(model, payload.get("raw"))
    except ResponseDecodeError as exc:
        raise ResponseDecodeError(
            f"{exc.message}; still not decodable from the kept payload (the next inventory run "
            "reads ShipStation again)",
            field=exc.field,
            record=str(ref),
        ) from None
    skus = payload.get("held_skus")
    since = payload.get("held_since")
    held = ", ".join(skus) if isinstance(skus, list) and skus else "its SKUs"
    return Remapped(
        payload={"source": payload.get("source"), "decoded": True, "held_skus": skus},
        posting_key=f"{ref.kind}:{ref.id}",
        skip=(
            f"decodes with the current quirk rules; {held} compared by the next inventory run"
            + (f" from the level kept since {since}" if since else "")
        ),
    )
