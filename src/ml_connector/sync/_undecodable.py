"""Records ShipStation listed but nothing could decode: each a failed record of its own.

The V1 client keeps such a record (its raw payload, the model it should have been, the failing
field) instead of stopping the page (see :class:`~ml_connector.shipstation.UndecodableRecord`).
A window run takes them after every page it reads and records each as a failed record with its
payload, so the run goes on, the trail says exactly what was wrong, and replay has the raw
record to work from once the data (or a new quirk rule) allows.
"""

from __future__ import annotations

from ml_connector.audit import RecordRef, redact_error
from ml_connector.shipstation import UndecodableRecord

from ._labels import SYSTEM
from ._results import Outcome, RecordResult
from ._window import LABEL_MODELS

__all__ = ["undecodable_result"]


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
            "raw": record.raw,
            "field": record.field,
        },
    )
