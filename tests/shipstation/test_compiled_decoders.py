"""The compiled per-class decoders behave exactly like the cattrs converters they replace.

Decoding goes through functions generated per model class (``_converter._Compiler``); the
converters from ``make_v1_converter`` / ``make_v2_converter`` remain the reference. Every
fixture record, and the same records with one value replaced or one key deleted, must give
the same model or fail on both.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import cattrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ml_connector.shipstation import (
    Customer,
    Fulfillment,
    InventoryLevel,
    InventoryLocation,
    InventoryWarehouse,
    Order,
    Product,
    Shipment,
    Warehouse,
    Webhook,
)
from ml_connector.shipstation._converter import _hook, make_v1_converter, make_v2_converter

from ._fixtures import load

# (fixture, key of the records or None for one record, model, V1?)
CASES: list[tuple[str, str | None, type[Any], bool]] = [
    ("v1-order.full.json", None, Order, True),
    ("v1-order-list-response.ABRIDGED.example.json", "orders", Order, True),
    ("v1-shipment-list.json", "shipments", Shipment, True),
    ("v1-fulfillment-list.json", "fulfillments", Fulfillment, True),
    ("v1-customer.example.json", None, Customer, True),
    ("v1-product.json", None, Product, True),
    ("v1-warehouse.example.json", None, Warehouse, True),
    ("v1-webhook-list.json", "webhooks", Webhook, True),
    ("v2-inventory-list-response.SCHEMA-DERIVED.example.json", "inventory", InventoryLevel, False),
    ("v2-inventory-warehouses.json", "inventory_warehouses", InventoryWarehouse, False),
    ("v2-inventory-locations.json", "inventory_locations", InventoryLocation, False),
]

V1 = make_v1_converter()
V2 = make_v2_converter()

JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.decimals(allow_nan=True, allow_infinity=True, places=3),
    st.sampled_from(
        [
            "",
            " 12 ",
            "1.5",
            "x",
            "2026-01-15T08:00:00.1234567",
            "2026-03-08T02:30:00",
            "2026-11-01T01:30:00.0000000",
            "2026-13-01T00:00:00.0000000",
            "2026-01-15T08:00:00Z",
            "2026-01-15",
        ]
    ),
    st.just([]),
    st.just([1, "a"]),
    st.just({}),
    st.just({"value": 1}),
)


def _records() -> list[tuple[Any, type[Any], bool]]:
    out: list[tuple[Any, type[Any], bool]] = []
    for name, key, cls, v1 in CASES:
        body = load(name)
        for record in body[key] if key else [body]:
            out.append((record, cls, v1))
    return out


RECORDS = _records()


def _outcome(decode: Any, data: Any, cls: type[Any]) -> tuple[str, Any]:
    try:
        # repr: a Decimal NaN read from the wire is never equal to itself.
        return "ok", repr(decode(data, cls))
    except Exception as exc:
        return "error", type(exc)


def _reference(v1: bool) -> Any:
    return (V1 if v1 else V2).structure


def _compare(data: Any, cls: type[Any], v1: bool) -> None:
    compiled = _outcome(_hook(v1, cls), data, cls)
    reference = _outcome(_reference(v1), data, cls)
    if compiled[0] == "ok" or reference[0] == "ok":
        assert compiled == reference
    else:
        # cattrs wraps failures in its own exception group when validating in detail; the
        # fast converter raises the leaf. Both must fail.
        assert reference[1] is cattrs.ClassValidationError or reference[1] is compiled[1]


@pytest.mark.parametrize(("data", "cls", "v1"), RECORDS)
def test_fixture_records_decode_the_same(data: Any, cls: type[Any], v1: bool) -> None:
    assert _outcome(_hook(v1, cls), data, cls) == _outcome(_reference(v1), data, cls)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield (*prefix, key)
            yield from _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield (*prefix, index)
            yield from _paths(inner, (*prefix, index))


@settings(max_examples=300, deadline=None)
@given(st.data(), JUNK, st.booleans())
def test_broken_records_decode_or_fail_the_same(
    data: st.DataObject, junk: Any, delete: bool
) -> None:
    record, cls, v1 = data.draw(st.sampled_from(RECORDS))
    broken = copy.deepcopy(record)
    paths = list(_paths(broken))
    path = data.draw(st.sampled_from(paths))
    parent = broken
    for step in path[:-1]:
        parent = parent[step]
    if delete and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = copy.deepcopy(junk)
    _compare(broken, cls, v1)


def test_non_dict_mappings_and_non_objects_take_the_converter_path() -> None:
    from types import MappingProxyType

    record = load("v1-shipment-list.json")["shipments"][0]
    proxy = MappingProxyType(record)
    assert _hook(True, Shipment)(proxy, Shipment) == V1.structure(record, Shipment)
    for value in ("text", [record], 12, None, Decimal(1)):
        with pytest.raises(ValueError, match="expected a JSON object"):
            _hook(True, Shipment)(value, Shipment)
