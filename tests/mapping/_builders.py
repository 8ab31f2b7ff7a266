"""Small builders of ShipStation records and the retailer configuration for mapping tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from ml_connector.mapping import Matched, MatchRule, load_mapping_config
from ml_connector.mapping.config import MappingConfig
from ml_connector.shipstation.models import (
    Address,
    AdvancedOptions,
    Order,
    OrderItem,
    Shipment,
    ShipmentItem,
)

CONFIG_PATH = Path(__file__).with_name("retailer.toml")


def retailer_config() -> MappingConfig:
    return load_mapping_config(CONFIG_PATH)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def item(
    order_item_id: int,
    sku: str,
    quantity: int,
    price: str,
    *,
    name: str | None = None,
    adjustment: bool = False,
) -> OrderItem:
    return OrderItem(
        order_item_id=order_item_id,
        sku=sku,
        name=name or sku,
        quantity=quantity,
        unit_price=Decimal(price),
        adjustment=adjustment,
    )


def order(
    items: Sequence[OrderItem],
    *,
    order_id: int = 9001,
    number: str = "CO-1001",
    tax: str = "0",
    shipping: str = "0",
    store_id: int | None = 2001,
    customer_id: int | None = 5001,
    email: str | None = "pat@example.com",
    custom_field1: str | None = None,
    bill_to: Address | None = None,
    tag_ids: tuple[int, ...] = (),
) -> Order:
    return Order(
        order_id=order_id,
        order_number=number,
        order_status="shipped",
        customer_id=customer_id,
        customer_email=email,
        items=tuple(items),
        tax_amount=Decimal(tax),
        shipping_amount=Decimal(shipping),
        advanced_options=AdvancedOptions(store_id=store_id, custom_field1=custom_field1),
        bill_to=bill_to,
        tag_ids=tag_ids,
    )


def shipment(
    shipment_id: int,
    the_order: Order,
    lines: Sequence[tuple[int, int]],
    *,
    created: datetime | None = None,
    warehouse_id: int | None = 16079,
    voided: bool = False,
    void_date: datetime | None = None,
    is_return_label: bool = False,
) -> Shipment:
    by_id = {i.order_item_id: i for i in the_order.items}
    return Shipment(
        shipment_id=shipment_id,
        order_id=the_order.order_id,
        order_number=the_order.order_number,
        create_date=created or utc(2026, 3, 10, 18, 0),
        warehouse_id=warehouse_id,
        voided=voided,
        void_date=void_date,
        is_return_label=is_return_label,
        shipment_items=tuple(
            ShipmentItem(
                order_item_id=oid,
                sku=by_id[oid].sku if oid in by_id else None,
                quantity=qty,
                unit_price=by_id[oid].unit_price if oid in by_id else None,
            )
            for oid, qty in lines
        ),
    )


MATCH = Matched("10050", "10050-HQ", MatchRule.EXPLICIT_CUSTOMER_ID, "test")
