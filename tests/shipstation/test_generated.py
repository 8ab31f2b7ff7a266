"""The generated structuring functions against the reference: cattrs' own code over the same hooks.

A decoder structures each model with one function generated from the model's attrs fields
(``_Generator`` in ``ml_connector.shipstation._converter``). Its shortcuts (a value already of
the field's type, null, a dict for a model, a timestamp's text), its direct slot stores and its
shared value objects must give exactly what the hooks and the class's own ``__init__`` give:
the reference here is ``make_v1_converter(detailed_validation=True)``, cattrs' generated code
calling the same scalar hooks, which also names the field of a failure. Results are compared by
``repr``, so a Decimal's digits (``8`` against ``8.0``) count, not only its value.
"""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ml_connector import ResponseDecodeError
from ml_connector._time import PARSE_CACHE_SIZE, parse_pacific
from ml_connector.shipstation import (
    Address,
    Customer,
    Decoder,
    Fulfillment,
    Order,
    Product,
    Shipment,
    Store,
    Warehouse,
    Weight,
    make_v1_converter,
    make_v2_converter,
)
from ml_connector.shipstation import models as shipstation_models
from ml_connector.shipstation._converter import (
    SHARED_VALUE_OBJECTS,
    SHARED_VALUES_KEPT,
    _Generator,
    _share_plan,
    camel,
)
from ml_connector.testing import generate_day

from ._fixtures import load

REFERENCE = make_v1_converter(detailed_validation=True)
FAST = Decoder("V1")


def _outcome(run: Any) -> tuple[str, str]:
    try:
        return "ok", repr(run())
    except Exception:
        return "failed", ""


def _same_as_reference(cls: type[Any], data: Any) -> None:
    fast = _outcome(lambda: FAST.one(cls, data))
    reference = _outcome(lambda: REFERENCE.structure(data, cls))
    assert fast == reference, (cls.__name__, data)


def _day_records() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    day = generate_day(5, orders=40, warehouses=2)
    return list(day.iter_orders()), list(day.iter_shipments())


def test_generated_days_decode_exactly_as_the_reference() -> None:
    orders, shipments = _day_records()
    assert orders and shipments
    decoder = Decoder("V1")
    for data in orders:
        assert repr(decoder.one(Order, data)) == repr(REFERENCE.structure(data, Order))
    for data in shipments:
        assert repr(decoder.one(Shipment, data)) == repr(REFERENCE.structure(data, Shipment))


@pytest.mark.parametrize(
    ("cls", "fixture", "key"),
    [
        (Order, "v1-order.full.json", None),
        (Shipment, "v1-shipment-list.json", "shipments"),
        (Fulfillment, "v1-fulfillment-list.json", "fulfillments"),
        (Customer, "v1-customer.example.json", None),
        (Product, "v1-product.json", None),
        (Warehouse, "v1-warehouse.example.json", None),
        (Store, "v1-store-list.json", ""),
    ],
)
def test_captured_fixtures_decode_exactly_as_the_reference(
    cls: type[Any], fixture: str, key: str | None
) -> None:
    body = load(fixture)
    records = body if key == "" else ([body] if key is None else body[key])
    for data in records:
        _same_as_reference(cls, data)


# Every kind of JSON value a field can meet, quirks included.
WIRE_VALUES: list[Any] = [
    None,
    "",
    " ",
    "12",
    "12.50",
    "1.5",
    "-3",
    "x",
    "2026-01-15T08:45:42.2470000",
    "2026-11-01T01:30:00.0000000",
    "2026-02-30T10:00:00.0000000",
    "2026-01-15",
    12,
    0,
    -1,
    True,
    False,
    Decimal("12.50"),
    Decimal("8.0"),
    Decimal("NaN"),
    [],
    [1, 2],
    ["a"],
    {},
    {"name": "A", "value": "B"},
]


def _mutations(cls: type[Any], base: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for field in attrs.fields(cls):
        wire = camel(field.name)
        for value in WIRE_VALUES:
            data = copy.deepcopy(base)
            data[wire] = value
            out.append(data)
        data = copy.deepcopy(base)
        data.pop(wire, None)
        out.append(data)
    return out


def test_every_wire_value_in_every_field_decodes_or_fails_as_the_reference() -> None:
    orders, shipments = _day_records()
    attrs.resolve_types(Order)
    attrs.resolve_types(Shipment)
    for data in _mutations(Order, orders[0]):
        _same_as_reference(Order, data)
    for data in _mutations(Shipment, shipments[0]):
        _same_as_reference(Shipment, data)
    item = orders[0]["items"][0]
    for data in _mutations(shipstation_models.OrderItem, item):
        _same_as_reference(Order, {**orders[0], "items": [data]})
    for value in WIRE_VALUES:
        _same_as_reference(Order, {**orders[0], "shipTo": value})
        _same_as_reference(Order, {**orders[0], "items": value})
        _same_as_reference(Order, {**orders[0], "weight": {"value": value}})


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["value", "units", "WeightUnits", "weightUnits"]),
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(-(10**6), 10**6),
            st.decimals(allow_nan=False, places=3, min_value=-1000, max_value=1000),
            st.text(max_size=6),
        ),
    )
)
def test_any_weight_decodes_or_fails_as_the_reference(data: dict[str, Any]) -> None:
    _same_as_reference(Weight, data)


def test_a_failure_still_names_its_field() -> None:
    orders, _ = _day_records()
    bad = {**orders[0], "items": [{**orders[0]["items"][0], "quantity": "1.5"}]}
    with pytest.raises(ResponseDecodeError) as info:
        Decoder("V1").one(Order, bad)
    assert info.value.field == "items[0].quantity"


def test_slots_stored_directly_build_the_instance_init_would() -> None:
    orders, _ = _day_records()
    decoded = Decoder("V1").one(Order, orders[0])
    rebuilt = Order(**{f.name: getattr(decoded, f.name) for f in attrs.fields(Order)})
    assert decoded == rebuilt
    assert repr(decoded) == repr(rebuilt)
    assert hash(decoded.ship_to) == hash(rebuilt.ship_to)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        decoded.order_id = 2  # type: ignore[misc]


def test_equal_value_objects_are_shared_and_different_digits_are_not() -> None:
    # Weight is one of SHARED_VALUE_OBJECTS.
    decoder = Decoder("V1")
    one = decoder.one(Shipment, {"shipmentId": 1, "weight": {"value": 8, "units": "ounces"}})
    two = decoder.one(Shipment, {"shipmentId": 2, "weight": {"value": 8, "units": "ounces"}})
    three = decoder.one(
        Shipment, {"shipmentId": 3, "weight": {"value": Decimal("8.0"), "units": "ounces"}}
    )
    assert one.weight is two.weight
    assert three.weight == one.weight  # equal by value ...
    assert three.weight is not one.weight  # ... but its digits differ
    assert str(three.weight.value) == "8.0" and str(one.weight.value) == "8"
    # Another decoder hands out its own instances: nothing is shared between decoders.
    other = Decoder("V1").one(Shipment, {"shipmentId": 1, "weight": {"value": 8}})
    assert other.weight is not one.weight


def test_shared_value_objects_are_bounded_per_class() -> None:
    decoder = Decoder("V1")
    for n in range(SHARED_VALUES_KEPT + 10):
        decoder.one(Shipment, {"shipmentId": n, "weight": {"value": n}})
    assert 0 < len(decoder._generator._shared[Weight]) <= SHARED_VALUES_KEPT


def test_only_frozen_value_objects_are_shared() -> None:
    shared = []
    for name in shipstation_models.__all__:
        cls = getattr(shipstation_models, name)
        if not attrs.has(cls):
            continue
        attrs.resolve_types(cls)
        if _share_plan(cls, attrs.fields(cls)) is not None:
            shared.append(cls)
            with pytest.raises(attrs.exceptions.FrozenInstanceError):
                setattr(Decoder("V1")._generator.hook(cls)({}, cls), attrs.fields(cls)[0].name, 1)
    assert set(shared) == SHARED_VALUE_OBJECTS  # every listed class qualifies
    assert Address not in shared  # per customer: rarely equal
    assert Order not in shared and Shipment not in shared  # records with ids

    @attrs.define
    class Mutable:
        name: str | None = None

    assert _share_plan(Mutable, attrs.fields(Mutable)) is None


def test_options_with_customs_items_are_not_shared_and_without_are() -> None:
    decoder = Decoder("V1")
    base = {"orderId": 1, "orderNumber": "1", "orderStatus": "shipped"}
    empty = [
        decoder.one(Order, {**base, "internationalOptions": {"customsItems": None}})
        for _ in range(2)
    ]
    assert empty[0].international_options is empty[1].international_options
    customs = {"customsItems": [{"description": "Mug", "value": Decimal("3.0")}]}
    full = [decoder.one(Order, {**base, "internationalOptions": customs}) for _ in range(2)]
    assert full[0].international_options is not full[1].international_options
    assert full[0].international_options == full[1].international_options
    item = full[0].international_options.customs_items[0]
    assert item is full[1].international_options.customs_items[0]  # the item itself is
    assert str(item.value) == "3.0"


def test_generators_share_no_state_and_v2_uses_iso_timestamps() -> None:
    one, two = _Generator(v1=True), _Generator(v1=True)
    assert one.hook(Order) is not two.hook(Order)
    v2 = make_v2_converter()
    created = v2.structure(
        {"inventory_warehouse_id": "se-1", "created_at": "2026-01-15T08:45:42.123456789Z"},
        shipstation_models.InventoryWarehouse,
    ).created_at
    assert created == datetime(2026, 1, 15, 8, 45, 42, 123456, tzinfo=UTC)


def test_v1_date_and_timestamp_shortcuts_agree_with_the_hooks() -> None:
    base = {"fulfillmentId": 1}
    for value in ("2020-06-24T10:32:33.6870000", "2020-06-24", "", "nope", 5, None):
        _same_as_reference(Fulfillment, {**base, "shipDate": value, "createDate": value})
    decoded = Decoder("V1").one(
        Fulfillment, {**base, "shipDate": "2020-06-24T10:32:33.6870000", "createDate": ""}
    )
    assert decoded.ship_date == date(2020, 6, 24) and decoded.create_date is None


def test_timestamp_parses_are_remembered_in_a_bounded_cache() -> None:
    from ml_connector._time import _parse_usual

    info = _parse_usual.cache_info()
    assert info.maxsize == PARSE_CACHE_SIZE
    wire = "2026-03-08T02:30:00.0000000"  # in the spring gap: PST, as zoneinfo reads fold=0
    assert parse_pacific(wire) is parse_pacific(wire)
    assert parse_pacific(wire) == datetime(2026, 3, 8, 10, 30, tzinfo=UTC)
