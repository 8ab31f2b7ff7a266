"""Decoding documented ShipStation payloads into typed models."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import attrs
import cattrs
import pytest

from ml_connector import ResponseDecodeError
from ml_connector.shipstation import (
    Customer,
    Fulfillment,
    InventoryLevel,
    InventoryLocation,
    InventoryWarehouse,
    Money,
    Order,
    Product,
    Shipment,
    Store,
    Warehouse,
    Webhook,
    decode_customer,
    decode_inventory_level,
    decode_order,
    decode_product,
    decode_shipment,
    decode_warehouse,
    make_v1_converter,
    make_v2_converter,
)
from ml_connector.shipstation._converter import (
    decode_v1,
    decode_v1_list,
    decode_v1_page,
    decode_v2,
    decode_v2_page,
    parse_iso_utc,
)

from ._fixtures import load

# -- documented examples -----------------------------------------------------------------------


def test_full_order_decodes_money_time_items_and_options() -> None:
    order = decode_order(load("v1-order.full.json"))

    assert order.order_id == 123456789
    assert order.order_number == "TEST-ORDER-API-DOCS"
    assert order.order_status == "awaiting_shipment"
    # 08:46:27 Pacific in June is PDT (UTC-7).
    assert order.order_date == datetime(2015, 6, 29, 15, 46, 27, tzinfo=UTC)
    assert order.create_date == datetime(2015, 7, 16, 21, 0, 34, 823000, tzinfo=UTC)
    assert order.ship_by_date == date(2015, 7, 5)
    assert order.ship_date == date(2015, 7, 2)
    assert order.hold_until_date is None
    assert order.order_total == Decimal("194.43")
    assert order.amount_paid == Decimal("218.73")
    assert type(order.tax_amount) is Decimal
    assert order.tax_amount == Decimal(5)
    assert order.ship_to is not None
    assert order.ship_to.postal_code == "20500"
    assert order.ship_to.residential is False
    assert order.bill_to is not None
    assert order.bill_to.street1 is None
    assert order.tag_ids == ()
    assert order.advanced_options is not None
    assert order.advanced_options.store_id == 12345
    assert order.store_id == 12345
    assert order.advanced_options.custom_field1 == "Custom data that you can add to an order."
    assert order.advanced_options.merged_ids == ()
    assert order.insurance_options is not None
    assert order.insurance_options.insured_value == Decimal(200)
    assert order.international_options is not None
    assert order.international_options.customs_items == ()
    assert order.dimensions is not None
    assert order.dimensions.length == Decimal(7)
    assert order.weight is not None
    assert order.weight.weight_units == 1

    first, discount = order.items
    assert isinstance(order.items, tuple)
    assert first.quantity == 2
    assert first.unit_price == Decimal("99.99")
    assert first.tax_amount == Decimal("2.5")
    assert first.shipping_amount == Decimal(5)
    assert first.options[0].name == "Size"
    assert first.adjustment is False
    assert first.create_date == datetime(2015, 7, 16, 21, 0, 34, 823000, tzinfo=UTC)
    assert discount.adjustment is True
    assert discount.unit_price == Decimal("-20.55")
    assert discount.fulfillment_sku == "SKU-Discount"


def test_abridged_documented_order_names_the_missing_quantity() -> None:
    # The mirror truncated the documented order after items[0].sku: the item has no quantity,
    # which a real order line always carries. The page still decodes; the order is kept as an
    # undecodable record with its payload, and as one record it raises.
    body = load("v1-order-list-response.ABRIDGED.example.json")
    page = decode_v1_page(body, "orders", Order)
    assert page.items == ()
    (failed,) = page.failed
    assert failed.field == "items[0].quantity"
    assert failed.record_id == "123456789"
    assert failed.raw is body["orders"][0]
    with pytest.raises(ResponseDecodeError) as info:
        decode_v1(Order, body["orders"][0])
    assert info.value.field == "items[0].quantity"
    assert info.value.record == "123456789"
    assert "123456789" in str(info.value)


def test_abridged_documented_order_fields_decode() -> None:
    body = load("v1-order-list-response.ABRIDGED.example.json")
    body["orders"][0]["items"][0]["quantity"] = 1
    page = decode_v1_page(body, "orders", Order)
    assert (page.total, page.page, page.pages) == (1, 1, 1)
    (order,) = page.items
    assert order.customer_username == "customer@example.com"
    assert order.payment_date == datetime(2015, 6, 29, 15, 46, 27, tzinfo=UTC)
    assert order.ship_to is not None
    assert order.ship_to.address_verified == "Address validation warning"
    assert order.items[0].line_item_key == "vd08-MSLbtx"


def test_documented_customer() -> None:
    customer = decode_customer(load("v1-customer.example.json"))
    assert customer.customer_id == 12345678
    assert customer.country_code == "US"
    # November is PST (UTC-8).
    assert customer.create_date == datetime(2014, 11, 18, 18, 33, 1, 190000, tzinfo=UTC)
    assert [m.marketplace for m in customer.marketplace_usernames] == [
        "ShipStation",
        "WooCommerce",
    ]
    assert customer.marketplace_usernames[1].marketplace_id == 36
    assert customer.tags[1].name == "00 BULK ORDERED"


def test_documented_warehouse() -> None:
    warehouse = decode_warehouse(load("v1-warehouse.example.json"))
    assert warehouse.warehouse_id == 12345
    assert warehouse.is_default is True
    assert warehouse.origin_address is not None
    assert warehouse.origin_address.city == "Austin"
    assert warehouse.return_address is not None
    assert warehouse.return_address.residential is None
    assert warehouse.create_date == datetime(2015, 7, 2, 15, 38, 31, 487000, tzinfo=UTC)


def test_shipments_voided_items_and_store() -> None:
    page = decode_v1_page(load("v1-shipment-list.json"), "shipments", Shipment)
    live, void = page.items
    assert live.ship_date == date(2014, 10, 3)
    assert live.shipment_cost == Decimal("1.93")
    assert live.voided is False
    assert live.store_id == 12345
    assert live.shipment_items is not None
    assert live.shipment_items[0].sku == "FD88821"
    assert live.shipment_items[0].options == ()
    assert live.shipment_items[0].unit_price == Decimal(0)
    assert void.voided is True
    # Seven fractional digits: the 100 ns digit is truncated.
    assert void.void_date == datetime(2014, 10, 4, 16, 0, 0, 123456, tzinfo=UTC)
    # Items not requested stay None (not "no items").
    assert void.shipment_items is None
    assert void.store_id is None
    assert void.dimensions is not None
    assert void.dimensions.height == Decimal("1.25")


def test_fulfillments() -> None:
    page = decode_v1_page(load("v1-fulfillment-list.json"), "fulfillments", Fulfillment)
    (ful,) = page.items
    assert ful.fulfillment_id == 33974374
    assert ful.ship_date == date(2016, 6, 7)
    assert ful.fulfillment_fee == Decimal(0)
    assert ful.voided is False
    assert ful.seller_fill_provider_name == "Example Fulfillment Provider"


def test_product_and_unknown_keys() -> None:
    product = decode_product(load("v1-product.json"))
    assert product.product_id == 7854008
    assert product.sku == "1004"
    assert product.weight_oz == Decimal("11.5")
    assert product.product_category is not None
    assert product.product_category.name == "Kitchenware"
    assert product.tags[0].tag_id == 8888


def test_stores_bare_array() -> None:
    (store,) = decode_v1_list(Store, load("v1-store-list.json"), "stores")
    assert store.store_id == 12345
    # Two fractional digits.
    assert store.modify_date == datetime(2014, 11, 12, 16, 45, 20, 550000, tzinfo=UTC)


def test_webhooks_are_pascal_case() -> None:
    (hook,) = decode_v1_list(Webhook, load("v1-webhook-list.json")["webhooks"], "webhooks")
    assert hook.webhook_id == 123456
    assert hook.hook_type == "SHIP_NOTIFY"
    assert hook.store_id == 12345
    assert hook.active is True
    assert hook.is_label_api_hook is False


def test_documented_v2_inventory() -> None:
    page = decode_v2_page(
        load("v2-inventory-list-response.SCHEMA-DERIVED.example.json"), "inventory", InventoryLevel
    )
    (level,) = page.items
    assert level == InventoryLevel(
        sku="ABC123",
        on_hand=10,
        allocated=2,
        available=8,
        average_cost=Money(amount=Decimal("4.5"), currency="USD"),
        inventory_warehouse_id="se-1234",
        inventory_location_id="se-5678",
    )
    # An empty ``next`` link object ends paging.
    assert page.next_url is None


def test_v2_inventory_warehouses_and_locations() -> None:
    (wh,) = decode_v2_page(
        load("v2-inventory-warehouses.json"), "inventory_warehouses", InventoryWarehouse
    ).items
    assert wh.created_at == datetime(2024, 3, 10, 9, 30, 0, 123000, tzinfo=UTC)
    assert wh.updated_at == datetime(2024, 11, 3, 8, 30, 0, 123456, tzinfo=UTC)
    (loc,) = decode_v2_page(
        load("v2-inventory-locations.json"), "inventory_locations", InventoryLocation
    ).items
    assert loc.inventory_warehouse_id == "se-1234"
    assert loc.created_at == datetime(2024, 3, 10, 9, 30, tzinfo=UTC)
    assert loc.updated_at is None


def test_v2_next_link_is_kept_verbatim() -> None:
    body = {
        "inventory": [],
        "links": {"next": {"href": "https://api.shipstation.com/v2/inventory?cursor=a%2Fb"}},
    }
    page = decode_v2_page(body, "inventory", InventoryLevel)
    assert page.items == ()
    assert page.next_url == "https://api.shipstation.com/v2/inventory?cursor=a%2Fb"


def test_v2_timestamp_without_offset_is_utc() -> None:
    assert parse_iso_utc("2024-01-02T03:04:05") == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


# -- required fields, strictness --------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "data", "field", "record"),
    [
        (Order, {"orderId": 7, "orderNumber": "A"}, "order_status", "7"),
        (Order, {"orderNumber": "A", "orderStatus": "shipped"}, "order_id", None),
        (Shipment, {"orderId": 1}, "shipment_id", None),
        (Customer, {"name": "x"}, "customer_id", None),
        (Warehouse, {"warehouseName": "x"}, "warehouse_id", None),
        (Product, {"productId": 3, "price": "cheap"}, "price", "3"),
        (Store, {"storeId": 4, "active": "yes"}, "active", "4"),
        (Webhook, {"HookType": "SHIP_NOTIFY"}, "webhook_id", None),
        (
            Order,
            {"orderId": 8, "orderNumber": "A", "orderStatus": "s", "items": [{"quantity": "two"}]},
            "items[0].quantity",
            "8",
        ),
        (
            Shipment,
            {"shipmentId": 9, "shipmentItems": [{"quantity": 1}, {"quantity": Decimal("1.5")}]},
            "shipment_items[1].quantity",
            "9",
        ),
        (Shipment, {"shipmentId": 10, "createDate": "yesterday"}, "create_date", "10"),
        (Shipment, {"shipmentId": 11, "shipTo": "nowhere"}, "ship_to", "11"),
    ],
)
def test_decode_errors_name_field_and_record(
    cls: type[Any], data: dict[str, Any], field: str, record: str | None
) -> None:
    with pytest.raises(ResponseDecodeError) as info:
        decode_v1(cls, data)
    assert info.value.field == field
    assert info.value.record == record


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"sku": "A", "allocated": 0}, "on_hand"),
        ({"sku": "A", "on_hand": 1, "average_cost": {"amount": "lots"}}, "average_cost.amount"),
    ],
)
def test_v2_decode_errors(data: dict[str, Any], field: str | None) -> None:
    with pytest.raises(ResponseDecodeError) as info:
        decode_inventory_level(data)
    assert info.value.record == "A"
    assert info.value.field == field


def test_v2_inventory_follows_the_spec_optionality() -> None:
    # https://docs.shipstation.com/openapi/inventory/getinventorylevels: no field is required;
    # a SKU without a cost answers a null amount.
    level = decode_inventory_level(
        {"sku": "A", "on_hand": 3, "average_cost": {"amount": None, "currency": "usd"}}
    )
    assert (level.allocated, level.available) == (None, None)
    assert level.average_cost is not None and level.average_cost.amount is None
    bare = decode_inventory_level({"sku": "B", "on_hand": 0, "average_cost": {}})
    assert bare.average_cost is not None and bare.average_cost.currency is None


def test_list_error_names_the_failing_record() -> None:
    items = [
        {"shipmentId": 1},
        {"shipmentId": 2, "voided": "no"},
    ]
    with pytest.raises(ResponseDecodeError) as info:
        decode_v1_list(Shipment, items, "shipments")
    assert (info.value.record, info.value.field) == ("2", "voided")


def test_list_with_a_non_object_record() -> None:
    with pytest.raises(ResponseDecodeError) as info:
        decode_v1_list(Shipment, [{"shipmentId": 1}, 5], "shipments")
    assert info.value.field == "shipments[1]"


@pytest.mark.parametrize(
    "body", [[], {"total": 0}, {"orders": {"x": 1}}, {"orders": [], "page": "1"}]
)
def test_malformed_pages(body: Any) -> None:
    with pytest.raises(ResponseDecodeError):
        decode_v1_page(body, "orders", Order)


def test_non_object_record() -> None:
    with pytest.raises(ResponseDecodeError, match="expected a JSON object"):
        decode_order([1, 2])


def test_null_collection_and_null_flags() -> None:
    order = decode_order(
        {
            "orderId": 1,
            "orderNumber": "N",
            "orderStatus": "shipped",
            "items": None,
            "tagIds": None,
            "unknownField": {"nested": True},
        }
    )
    assert order.items == ()
    shipment = decode_shipment({"shipmentId": 1, "voided": None, "isReturnLabel": None})
    assert shipment.voided is False
    assert shipment.is_return_label is False


def test_numbers_as_strings_and_floats() -> None:
    # Some integrations send money as strings; plain json.loads gives floats.
    order = decode_order(
        json.loads('{"orderId": "12", "orderNumber": 1001, "orderStatus": "s", "orderTotal": 0.1}')
    )
    assert order.order_id == 12
    assert order.order_number == "1001"
    assert order.order_total == Decimal("0.1")
    assert decode_order(
        {"orderId": 1, "orderNumber": "N", "orderStatus": "s", "orderTotal": "19.90"}
    ).order_total == Decimal("19.90")
    with pytest.raises(ResponseDecodeError):
        decode_order({"orderId": 1, "orderNumber": "N", "orderStatus": "s", "orderTotal": "NaN"})
    with pytest.raises(ResponseDecodeError):
        decode_order({"orderId": True, "orderNumber": "N", "orderStatus": "s"})


def test_models_are_frozen() -> None:
    order = decode_order({"orderId": 1, "orderNumber": "N", "orderStatus": "s"})
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        order.order_id = 2  # type: ignore[misc]


def test_converters_are_fresh_and_not_global() -> None:
    v1 = make_v1_converter()
    assert v1 is not make_v1_converter()
    assert v1 is not cattrs.global_converter
    order = v1.structure({"orderId": 1, "orderNumber": "N", "orderStatus": "s"}, Order)
    assert order.order_id == 1
    v2 = make_v2_converter()
    level = v2.structure({"sku": "A", "on_hand": 1, "allocated": 1, "available": 0}, InventoryLevel)
    assert level.available == 0
    # The global converter was never configured with our wire rules.
    with pytest.raises(Exception):  # noqa: PT011 - any failure proves it is untouched
        cattrs.global_converter.structure({"orderId": 1}, Order)


def test_decode_v2_generic() -> None:
    wh = decode_v2(InventoryWarehouse, {"inventory_warehouse_id": "se-1", "name": "W"})
    assert wh.name == "W"


# -- Pacific time through the decoder ------------------------------------------------------------


@pytest.mark.parametrize(
    ("wire", "utc"),
    [
        ("2024-01-15T09:00:00", datetime(2024, 1, 15, 17, 0, tzinfo=UTC)),  # PST
        ("2024-07-15T09:00:00", datetime(2024, 7, 15, 16, 0, tzinfo=UTC)),  # PDT
        # Spring forward: 02:00-02:59 does not exist; read with the PST offset.
        ("2024-03-10T01:59:59", datetime(2024, 3, 10, 9, 59, 59, tzinfo=UTC)),
        ("2024-03-10T02:30:00", datetime(2024, 3, 10, 10, 30, tzinfo=UTC)),
        ("2024-03-10T03:00:00", datetime(2024, 3, 10, 10, 0, tzinfo=UTC)),
        # Fall back: 01:00-01:59 happens twice; read as the first (PDT) occurrence.
        ("2024-11-03T00:59:59", datetime(2024, 11, 3, 7, 59, 59, tzinfo=UTC)),
        ("2024-11-03T01:30:00", datetime(2024, 11, 3, 8, 30, tzinfo=UTC)),
        ("2024-11-03T02:00:00", datetime(2024, 11, 3, 10, 0, tzinfo=UTC)),
        # 0 to 7 fractional digits.
        ("2015-07-16T14:00:34", datetime(2015, 7, 16, 21, 0, 34, tzinfo=UTC)),
        ("2015-07-16T14:00:34.8", datetime(2015, 7, 16, 21, 0, 34, 800000, tzinfo=UTC)),
        ("2015-07-16T14:00:34.55", datetime(2015, 7, 16, 21, 0, 34, 550000, tzinfo=UTC)),
        ("2015-07-16T14:00:34.283", datetime(2015, 7, 16, 21, 0, 34, 283000, tzinfo=UTC)),
        ("2015-07-16T14:00:34.8230000", datetime(2015, 7, 16, 21, 0, 34, 823000, tzinfo=UTC)),
        ("2015-07-16T14:00:34.1234567", datetime(2015, 7, 16, 21, 0, 34, 123456, tzinfo=UTC)),
    ],
)
def test_v1_timestamps_become_utc(wire: str, utc: datetime) -> None:
    order = decode_order({"orderId": 1, "orderNumber": "N", "orderStatus": "s", "modifyDate": wire})
    assert order.modify_date == utc
    assert order.modify_date is not None
    assert order.modify_date.tzinfo is UTC


def test_date_only_fields_do_not_shift() -> None:
    # Late-evening Pacific dates must not roll over to the next UTC day.
    shipment = decode_shipment({"shipmentId": 1, "shipDate": "2024-11-03T00:00:00.0000000"})
    assert shipment.ship_date == date(2024, 11, 3)
