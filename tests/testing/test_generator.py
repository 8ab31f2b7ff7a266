"""The seeded day generator: reproducible, realistic, internally consistent, lazy."""

from __future__ import annotations

import tracemalloc
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from ml_connector._time import parse_pacific
from ml_connector.testing import BAD_SKU, GeneratedDay, ShipStationData, generate_day

from .conftest import example, same_shape


def test_same_seed_same_day_different_seed_different_day() -> None:
    one, two, other = (
        generate_day(5, orders=60),
        generate_day(5, orders=60),
        generate_day(6, orders=60),
    )
    assert list(one.iter_orders()) == list(two.iter_orders())
    assert list(one.iter_shipments()) == list(two.iter_shipments())
    assert list(one.iter_oracle_customer_sites()) == list(two.iter_oracle_customer_sites())
    assert list(one.iter_orders()) != list(other.iter_orders())
    # Random access gives the same record as iteration, in any order.
    assert one.bundle(42).order == list(two.iter_orders())[42]


def test_records_have_the_documented_shapes(small_day: GeneratedDay) -> None:
    order = small_day.bundle(0).order
    documented = example("v1-order-list-response.ABRIDGED.example.json")["orders"][0]
    assert same_shape(order, documented) == []
    assert same_shape(small_day.customer(0), example("v1-customer.example.json")) == []
    assert same_shape(small_day.warehouses[0], example("v1-warehouse.example.json")) == []
    inventory = example("v2-inventory-list-response.SCHEMA-DERIVED.example.json")["inventory"][0]
    assert same_shape(small_day.inventory[0], inventory) == []
    site = example("customer_account_sites_get_collection_response_truncated.json")["items"][0]
    assert same_shape(next(small_day.iter_oracle_customer_sites()), site) == []


def test_totals_add_up_for_every_order(small_day: GeneratedDay) -> None:
    for order in small_day.iter_orders():
        items = sum((i["unitPrice"] * i["quantity"] for i in order["items"]), Decimal(0))
        assert order["orderTotal"] == items + order["taxAmount"] + order["shippingAmount"]
        assert all(isinstance(i["unitPrice"], Decimal) for i in order["items"])
        assert order["taxAmount"] == order["taxAmount"].quantize(Decimal("0.01"))


def test_orders_fall_on_the_pacific_day(small_day: GeneratedDay) -> None:
    for order in small_day.iter_orders():
        placed = parse_pacific(order["orderDate"])
        assert datetime(2026, 1, 15, 8, tzinfo=UTC) <= placed < datetime(2026, 1, 16, 8, tzinfo=UTC)


def test_the_mix_has_splits_partials_voids_and_fulfillments(small_day: GeneratedDay) -> None:
    kinds = Counter(b.kind for b in small_day.iter_bundles())
    assert {"single", "split", "partial", "void", "fulfillment", "awaiting"} <= set(kinds)
    for bundle in small_day.iter_bundles():
        ordered = Counter()
        for item in bundle.order["items"]:
            ordered[item["orderItemId"]] += item["quantity"]
        live = [s for s in bundle.shipments if not s["voided"]]
        shipped: Counter[int] = Counter()
        for shipment in live:
            for item in shipment["shipmentItems"]:
                shipped[item["orderItemId"]] += item["quantity"]
        if bundle.kind in ("single", "split", "void"):
            assert shipped == ordered, bundle.kind
            assert bundle.order["orderStatus"] == "shipped"
        if bundle.kind == "split":
            assert len(bundle.shipments) == 2
        if bundle.kind == "partial":
            assert shipped and all(shipped[k] <= ordered[k] for k in shipped) and shipped != ordered
            assert bundle.order["orderStatus"] == "awaiting_shipment"
        if bundle.kind == "void":
            voided, reshipped = bundle.shipments
            assert voided["voided"] and voided["voidDate"] and not reshipped["voided"]
            assert voided["shipmentId"] != reshipped["shipmentId"]
        if bundle.kind == "fulfillment":
            assert not bundle.shipments and len(bundle.fulfillments) == 1
            assert bundle.fulfillments[0]["orderNumber"] == bundle.order["orderNumber"]


def test_customers_marketplaces_unmatched_and_bad_sku(small_day: GeneratedDay) -> None:
    emails = [small_day.customer(j)["email"] for j in range(small_day.customer_count)]
    assert any(e.endswith("@marketplace.amazon.com") for e in emails)
    assert any(e.endswith("@members.ebay.com") for e in emails)
    parties = {p["EmailAddress"] for p in small_day.iter_oracle_parties()}
    web = [e for e in emails if e.endswith("@example.com")]
    unmatched = [e for e in web if e not in parties]
    assert unmatched and len(unmatched) < len(web) / 2  # "most customers" match
    assert not any("marketplace" in p or "ebay" in p for p in parties)
    accounts = {s["AccountNumber"] for s in small_day.iter_oracle_customer_sites()}
    assert set(small_day.marketplace_accounts.values()) <= accounts
    bad = [b for b in small_day.iter_bundles() if b.bad_sku]
    assert len(bad) == 1
    assert BAD_SKU in [i["sku"] for i in bad[0].order["items"]]
    assert BAD_SKU not in small_day.oracle_items


def test_every_matched_orders_customer_has_an_oracle_account(small_day: GeneratedDay) -> None:
    accounts = {s["AccountNumber"] for s in small_day.iter_oracle_customer_sites()}
    for bundle in small_day.iter_bundles():
        number = small_day.oracle_account_number(bundle.customer_index)
        if number is not None:
            assert number in accounts


def test_account_combinations_cover_each_warehouse(small_day: GeneratedDay) -> None:
    for warehouse in small_day.warehouses:
        for purpose in ("revenue", "receivable", "freight", "tax", "inventory", "cogs"):
            assert small_day.account_for(purpose, warehouse["warehouseId"]) in (
                small_day.account_combinations
            )


def test_ids_are_unique(small_day: GeneratedDay) -> None:
    shipments = [s["shipmentId"] for s in small_day.iter_shipments()]
    numbers = [o["orderNumber"] for o in small_day.iter_orders()]
    tracking = [s["trackingNumber"] for s in small_day.iter_shipments()]
    assert len(set(shipments)) == len(shipments)
    assert len(set(numbers)) == len(numbers)
    assert len(set(tracking)) == len(tracking)


def test_streaming_a_large_day_keeps_memory_flat() -> None:
    day = generate_day(1, orders=4000, customers=200)
    tracemalloc.start()
    try:
        count = sum(1 for _ in day.iter_shipments())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count > 3500
    assert peak < 3_000_000  # a few records and the bundle cache, not 4,000 orders


def test_lazy_loading_keeps_only_indexes() -> None:
    day = generate_day(2, orders=600)
    data = ShipStationData()
    data.load(day)
    row = next(iter(data.shipments))
    assert row._record is None  # regenerated on demand
    assert row.record() == next(day.iter_shipments())


@pytest.mark.parametrize(
    "kwargs",
    [{"orders": 0}, {"stores": []}, {"split_rate": 0.9, "void_rate": 0.2}, {"void_rate": -0.1}],
)
def test_bad_arguments_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 (each case has its own message)
        generate_day(1, **kwargs)  # type: ignore[arg-type]


def test_day_and_stores_are_configurable() -> None:
    day = generate_day(1, orders=20, stores=["web"], day=date(2026, 7, 4), warehouses=1)
    assert [s["storeName"] for s in day.stores] == ["Web Store"]
    order = day.bundle(0).order
    # July: Pacific daylight time, UTC-7.
    placed = parse_pacific(order["orderDate"])
    assert datetime(2026, 7, 4, 7, tzinfo=UTC) <= placed < datetime(2026, 7, 5, 7, tzinfo=UTC)
    assert day.marketplace_accounts == {}
    with pytest.raises(IndexError):
        day.bundle(20)


def test_account_numbers_by_email_are_the_matched_customers_accounts() -> None:
    day = generate_day(7, orders=200, unmatched_email_rate=0.3)
    by_email = day.account_numbers_by_email()
    parties = {party["EmailAddress"] for party in day.iter_oracle_parties()}
    assert set(by_email) == parties and by_email  # matched emails only, and some are
    sites = {site["AccountNumber"] for site in day.iter_oracle_customer_sites()}
    assert {number for numbers in by_email.values() for number in numbers} <= sites
    unmatched = {c["email"] for c in day.iter_customers()} - parties
    assert unmatched and not unmatched & set(by_email)
