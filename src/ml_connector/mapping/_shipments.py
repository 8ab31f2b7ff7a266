"""Shared steps of shipment mapping: which order item each shipped line is, dates, items."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import attrs

from ml_connector._errors import MappingError
from ml_connector.shipstation.models import Order, OrderItem, Shipment, ShipmentItem

from ._items import item_number, unit_of_measure
from ._time import posting_date
from .config import MappingConfig

__all__ = [
    "ShippedLine",
    "check_money",
    "item_number",
    "order_item_keys",
    "resolve_lines",
    "shipment_moment",
    "unit_of_measure",
]


# Dict-backed (slots=False): attrs writes fields straight into the instance dictionary, a
# third faster to build than a frozen slotted class (one or more of these per shipment line).
@attrs.frozen(slots=False)
class ShippedLine:
    """A shipment item resolved to its order item.

    Attributes:
        index: 1-based position in the shipment's items.
        item: The shipment item.
        order_key: Key of the order item it ships (see :func:`order_item_keys`).
        order_item: The order item.
        quantity: Quantity shipped.
    """

    index: int
    item: ShipmentItem
    order_key: str
    order_item: OrderItem
    quantity: Decimal


def check_money(value: Decimal | None, *, field: str, record: str) -> Decimal:
    """A finite Decimal (None reads as zero).

    Raises:
        MappingError: the value is NaN or infinite.
    """
    if value is None:
        return Decimal(0)
    if not isinstance(value, Decimal) or not value.is_finite():
        raise MappingError(f"amount {value!r} is not a finite decimal", field=field, record=record)
    return value


def order_item_keys(order: Order) -> list[tuple[str, OrderItem]]:
    """Stable keys of an order's shippable (non-adjustment) items, in order.

    The key is the ``orderItemId``; else ``lineItemKey``; else the SKU; else the position.
    A repeated key gets its position appended so that every key is unique.
    """
    keys: list[tuple[str, OrderItem]] = []
    seen: set[str] = set()
    for position, item in enumerate(order.items, start=1):
        if item.adjustment:
            continue
        if item.order_item_id is not None:
            key = str(item.order_item_id)
        elif item.line_item_key:
            key = f"key:{item.line_item_key}"
        elif item.sku:
            key = f"sku:{item.sku}"
        else:
            key = f"line:{position}"
        if key in seen:
            key = f"{key}#{position}"
        seen.add(key)
        keys.append((key, item))
    return keys


def resolve_lines(
    shipment: Shipment, keyed: Sequence[tuple[str, OrderItem]], *, record: str
) -> tuple[ShippedLine, ...]:
    """Each non-adjustment shipment item with the order item it ships.

    Matching: ``orderItemId``, else ``lineItemKey``, else a SKU held by exactly one order item.

    Raises:
        MappingError: items were not listed, a quantity is negative, or an item matches no
            order item.
    """
    if shipment.shipment_items is None:
        raise MappingError(
            "shipment was listed without its items; list shipments with includeShipmentItems=true",
            field="shipment_items",
            record=record,
        )
    lines: list[ShippedLine] = []
    for index, item in enumerate(shipment.shipment_items, start=1):
        if item.adjustment:
            continue
        if not isinstance(item.quantity, int) or item.quantity < 0:
            raise MappingError(
                f"quantity {item.quantity!r} is not a whole number of units",
                field=f"shipment_items[{index - 1}].quantity",
                record=record,
            )
        # The order items the item names by orderItemId, else lineItemKey, else SKU: counted
        # in plain loops (the last one found is the only one when the count is one).
        found = 0
        key, order_item = "", None
        wanted: object = item.order_item_id
        if wanted is not None:
            for k, o in keyed:
                if o.order_item_id == wanted:
                    found += 1
                    key, order_item = k, o
        if not found and item.line_item_key:
            wanted = item.line_item_key
            for k, o in keyed:
                if o.line_item_key == wanted:
                    found += 1
                    key, order_item = k, o
        if not found and item.sku:
            wanted = item.sku
            for k, o in keyed:
                if o.sku == wanted:
                    found += 1
                    key, order_item = k, o
        if found != 1 or order_item is None:
            what = "matches no order item" if not found else "matches several order items"
            raise MappingError(
                f"item (orderItemId {item.order_item_id}, SKU {item.sku}) {what}",
                field=f"shipment_items[{index - 1}].order_item_id",
                record=record,
            )
        lines.append(ShippedLine(index, item, key, order_item, Decimal(item.quantity)))
    return tuple(lines)


def shipment_moment(
    shipment: Shipment, config: MappingConfig, *, record: str, explain: bool = True
) -> tuple[date, datetime, str]:
    """The shipment's posting date, its UTC instant for inventory, and an explanation (empty
    when not ``explain``).

    With ``dates.source = "label_created"`` both come from ``createDate`` under the configured
    basis. With ``"ship_date"`` the date is ShipStation's ``shipDate`` as is, and the inventory
    instant is noon of that date in the basis zone (noon keeps the date whatever zone Oracle
    displays it in, within twelve hours of it).

    Raises:
        MappingError: the field the configuration names is missing.
    """
    settings = config.dates
    if settings.source == "ship_date":
        if not isinstance(shipment.ship_date, date):
            raise MappingError("shipment has no shipDate", field="ship_date", record=record)
        zone = ZoneInfo(settings.zone) if settings.basis == "zone" and settings.zone else UTC
        instant = datetime.combine(shipment.ship_date, time(12), tzinfo=zone).astimezone(UTC)
        return (
            shipment.ship_date,
            instant,
            f"shipDate {shipment.ship_date.isoformat()}" if explain else "",
        )
    created = shipment.create_date
    if created is None:
        raise MappingError("shipment has no createDate", field="create_date", record=record)
    day = posting_date(created, settings, field="create_date", record=record)
    instant = created.astimezone(UTC)
    if not explain:
        return day, instant, ""
    basis = f"{settings.zone} calendar" if settings.basis == "zone" else "UTC calendar"
    return day, instant, f"label created {instant.isoformat()} -> {day.isoformat()} ({basis})"
