"""Labels: ShipStation shipments and fulfillments seen the same way by the shipment job.

A fulfillment (an order marked shipped outside ShipStation labels) carries no items: it ships
the whole order. :meth:`Label.as_shipment` turns it into a :class:`Shipment` with the order's
items and warehouse so that one mapping serves both. Fulfillments get their own record kind and
their own posting keys (``SF...`` by default) because their ids are a separate sequence from
shipment ids and could collide.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime

import attrs

from ml_connector.audit import RecordRef
from ml_connector.mapping import MappingConfig, PostingKeyFormats
from ml_connector.shipstation import (
    AdvancedOptions,
    Fulfillment,
    Order,
    Shipment,
    ShipmentItem,
)

__all__ = [
    "FULFILLMENT",
    "FULFILLMENT_VOID",
    "SHIPMENT",
    "SHIPMENT_VOID",
    "SYSTEM",
    "Label",
    "default_fulfillment_keys",
    "fulfillment_config",
    "labels_from",
    "needs_order_labels",
]

SYSTEM = "shipstation"
SHIPMENT = "shipment"
SHIPMENT_VOID = "shipment-void"
FULFILLMENT = "fulfillment"
FULFILLMENT_VOID = "fulfillment-void"
_VOID_KIND = {SHIPMENT: SHIPMENT_VOID, FULFILLMENT: FULFILLMENT_VOID}
BASE_KIND = {SHIPMENT: SHIPMENT, SHIPMENT_VOID: SHIPMENT, FULFILLMENT: FULFILLMENT}
BASE_KIND[FULFILLMENT_VOID] = FULFILLMENT


@attrs.frozen
class Label:
    """A shipment or a fulfillment, the unit the shipment job fetches and posts.

    Attributes:
        kind: ``"shipment"`` or ``"fulfillment"``.
        id: Its ShipStation id.
        shipment: The shipment (shipments only).
        fulfillment: The fulfillment (fulfillments only).
    """

    kind: str
    id: int
    shipment: Shipment | None = None
    fulfillment: Fulfillment | None = None

    @property
    def order_id(self) -> int | None:
        """The order it ships."""
        source = self.shipment if self.shipment is not None else self.fulfillment
        return None if source is None else source.order_id

    @property
    def voided(self) -> bool:
        """Whether the label (or fulfillment) was voided."""
        source = self.shipment if self.shipment is not None else self.fulfillment
        return bool(source is not None and source.voided)

    @property
    def changed_at(self) -> datetime | None:
        """The latest of creation and void, for ordering and checkpoints."""
        source = self.shipment if self.shipment is not None else self.fulfillment
        if source is None:
            return None
        times = [t for t in (source.create_date, source.void_date) if t is not None]
        return max(times) if times else None

    # The records' refs, made on first use (a chunk asks for them many times per label); the
    # void ref kept only by a voided label (a live one's reversal is no record: asked whether
    # a record is the reversal, it is made for the question, not kept with the label).
    _ref: RecordRef | None = attrs.field(default=None, init=False, eq=False, repr=False)
    _void_ref: RecordRef | None = attrs.field(default=None, init=False, eq=False, repr=False)

    @property
    def ref(self) -> RecordRef:
        """The audit record of the label's posting."""
        ref = self._ref
        if ref is None:
            ref = RecordRef(SYSTEM, self.kind, str(self.id))
            object.__setattr__(self, "_ref", ref)
        return ref

    @property
    def void_ref(self) -> RecordRef:
        """The audit record of the label's reversal."""
        ref = self._void_ref
        if ref is None:
            ref = RecordRef(SYSTEM, _VOID_KIND[self.kind], str(self.id))
            if self.voided:
                object.__setattr__(self, "_void_ref", ref)
        return ref

    @property
    def has_items(self) -> bool:
        """Whether the shipment was listed with its items (fulfillments use the order's)."""
        return self.shipment is None or self.shipment.shipment_items is not None

    def source_info(self) -> dict[str, object]:
        """What replay needs to fetch the label again, for the audit payload."""
        return {"kind": self.kind, "id": self.id, "order_id": self.order_id}

    def as_shipment(self, order: Order) -> Shipment:
        """The label as a :class:`Shipment` (a fulfillment ships the whole order)."""
        if self.shipment is not None:
            return self.shipment
        assert self.fulfillment is not None
        fulfillment = self.fulfillment
        options = order.advanced_options or AdvancedOptions()
        items = tuple(
            ShipmentItem(
                quantity=item.quantity,
                order_item_id=item.order_item_id,
                line_item_key=item.line_item_key,
                sku=item.sku,
                name=item.name,
                unit_price=item.unit_price,
            )
            for item in order.items
            if not item.adjustment
        )
        return Shipment(
            shipment_id=fulfillment.fulfillment_id,
            order_id=fulfillment.order_id,
            order_number=fulfillment.order_number or order.order_number,
            customer_email=fulfillment.customer_email,
            create_date=fulfillment.create_date,
            ship_date=fulfillment.ship_date,
            tracking_number=fulfillment.tracking_number,
            carrier_code=fulfillment.carrier_code,
            warehouse_id=options.warehouse_id,
            voided=fulfillment.voided,
            void_date=fulfillment.void_date,
            ship_to=fulfillment.ship_to,
            advanced_options=AdvancedOptions(store_id=options.store_id),
            shipment_items=items,
        )


def labels_from(shipments: Iterable[Shipment], fulfillments: Iterable[Fulfillment]) -> list[Label]:
    """Labels, one per id; a later copy wins unless it lacks items that an earlier one had."""
    found: dict[tuple[str, int], Label] = {}
    for shipment in shipments:
        label = Label(SHIPMENT, shipment.shipment_id, shipment=shipment)
        previous = found.get((SHIPMENT, shipment.shipment_id))
        if previous is not None and previous.has_items and not label.has_items:
            assert previous.shipment is not None
            # Keep the items; take the newer void state.
            merged = attrs.evolve(shipment, shipment_items=previous.shipment.shipment_items)
            label = Label(SHIPMENT, shipment.shipment_id, shipment=merged)
        found[(SHIPMENT, shipment.shipment_id)] = label
    for fulfillment in fulfillments:
        key = (FULFILLMENT, fulfillment.fulfillment_id)
        found[key] = Label(FULFILLMENT, fulfillment.fulfillment_id, fulfillment=fulfillment)
    return sorted(found.values(), key=lambda label: (label.kind, label.id))


def _item_key(order_item_id: int | None, line_item_key: str | None, sku: str | None) -> str:
    if order_item_id is not None:
        return f"id:{order_item_id}"
    if line_item_key:
        return f"key:{line_item_key}"
    return f"sku:{sku}"


def needs_order_labels(order: Order, labels: Sequence[Label]) -> bool:
    """Whether the order's other labels must be fetched to map these exactly.

    Split orders are invoiced by cumulative quantity over the order's labels, so every label
    of the order is needed unless the labels at hand are live, listed with their items, and
    ship exactly what was ordered.
    """
    shipments = [label.shipment for label in labels if label.shipment is not None]
    if not shipments or any(
        s.shipment_items is None or s.voided or s.is_return_label for s in shipments
    ):
        return bool(shipments)
    ordered: Counter[str] = Counter()
    for item in order.items:
        if not item.adjustment:
            ordered[_item_key(item.order_item_id, item.line_item_key, item.sku)] += item.quantity
    shipped: Counter[str] = Counter()
    for shipment in shipments:
        for line in shipment.shipment_items or ():
            if not line.adjustment:
                shipped[_item_key(line.order_item_id, line.line_item_key, line.sku)] += (
                    line.quantity
                )
    return ordered != shipped


def default_fulfillment_keys(shipment_keys: PostingKeyFormats) -> PostingKeyFormats:
    """Fulfillment posting keys: the shipment formats with a leading ``SS`` turned to ``SF``.

    Formats that do not start with ``SS`` get an ``F`` prefix, so a fulfillment's key can never
    equal a shipment's.
    """

    def swap(template: str) -> str:
        return "SF" + template[2:] if template.startswith("SS") else "F" + template

    return attrs.evolve(
        shipment_keys,
        invoice=swap(shipment_keys.invoice),
        credit_memo=swap(shipment_keys.credit_memo),
        inventory=swap(shipment_keys.inventory),
        inventory_reversal=swap(shipment_keys.inventory_reversal),
    )


def fulfillment_config(config: MappingConfig, keys: PostingKeyFormats | None) -> MappingConfig:
    """``config`` with the posting keys fulfillments use."""
    return attrs.evolve(config, posting_keys=keys or default_fulfillment_keys(config.posting_keys))
