"""The realistic mode: generated days and simulators that behave like a real ShipStation account.

Every assertion here is a rule the generator or simulator cites (docs URL or captured answer).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from ml_connector._http import read_json
from ml_connector._time import parse_pacific
from ml_connector.shipstation import (
    Fulfillment,
    InventoryLevel,
    Shipment,
    ShipStationV1Client,
    ShipStationV1Settings,
    ShipStationV2Client,
    ShipStationV2Settings,
    Warehouse,
)
from ml_connector.testing import (
    REALISTIC,
    GeneratedDay,
    Realism,
    ShipStationSimulator,
    VirtualClock,
    generate_day,
)

BASE = "https://ssapi.shipstation.com"
DAY_END = datetime(2026, 1, 16, 8, tzinfo=UTC)  # 2026-01-16 00:00 Pacific


@pytest.fixture(scope="module")
def day() -> GeneratedDay:
    return generate_day(
        5, orders=300, warehouses=2, split_rate=0.2, fulfillment_rate=0.2, realism=REALISTIC
    )


def _sim(day: GeneratedDay, now: datetime) -> ShipStationSimulator:
    sim = ShipStationSimulator(clock=VirtualClock(now), v1_options={"rate_limit": None})
    sim.load(day)
    return sim


def _get(sim: ShipStationSimulator, path: str, **params: Any) -> Any:
    with httpx.Client(transport=sim.transport(), auth=("sim-key", "sim-secret")) as http:
        return read_json(http.get(BASE + path, params={"pageSize": 500, **params}))


def test_ids_grow_with_creation_time(day: GeneratedDay) -> None:
    for records, key in (
        (list(day.iter_orders()), "orderId"),
        (list(day.iter_shipments()), "shipmentId"),
        (list(day.iter_fulfillments()), "fulfillmentId"),
    ):
        by_time = sorted(
            records,
            key=lambda r: (parse_pacific(r["createDate"]).replace(microsecond=0), r[key]),
        )
        ids = [r[key] for r in by_time]
        assert ids == sorted(ids), key
        assert len(set(ids)) == len(ids)


def test_orders_are_created_hours_to_days_before_they_ship(day: GeneratedDay) -> None:
    leads = []
    for bundle in day.iter_bundles():
        if bundle.shipments:
            created = parse_pacific(bundle.order["createDate"])
            first = min(parse_pacific(s["createDate"]) for s in bundle.shipments)
            leads.append(first - created)
    assert min(leads) >= timedelta(hours=2)
    assert max(leads) > timedelta(days=1)


def test_split_orders_ship_hours_apart(day: GeneratedDay) -> None:
    gaps = [
        abs(
            parse_pacific(b.shipments[1]["createDate"])
            - parse_pacific(b.shipments[0]["createDate"])
        )
        for b in day.iter_bundles()
        if b.kind == "split"
    ]
    assert gaps and min(gaps) >= timedelta(hours=1)


def test_shipments_are_listed_by_creation_date_by_default(day: GeneratedDay) -> None:
    sim = _sim(day, DAY_END + timedelta(days=30))
    listed = _get(sim, "/shipments")["shipments"]
    stamps = [parse_pacific(s["createDate"]) for s in listed]
    assert stamps == sorted(stamps)
    # ... which is not order-id order: split and re-shipped orders interleave.
    order_ids = [s["orderId"] for s in listed]
    assert order_ids != sorted(order_ids)
    down = _get(sim, "/shipments", sortBy="CreateDate", sortDir="DESC")["shipments"]
    assert [s["shipmentId"] for s in down] == [s["shipmentId"] for s in reversed(listed)]
    orders = _get(sim, "/orders")["orders"]
    assert [o["orderId"] for o in orders] == sorted(o["orderId"] for o in orders)
    fulfillments = _get(sim, "/fulfillments")["fulfillments"]
    f_stamps = [parse_pacific(f["createDate"]) for f in fulfillments]
    assert f_stamps == sorted(f_stamps)


def test_tidy_days_keep_insertion_order() -> None:
    tidy = generate_day(5, orders=50, split_rate=0.3)
    sim = _sim(tidy, DAY_END)
    assert not sim.v1.realistic
    listed = _get(sim, "/shipments")["shipments"]
    assert [s["orderId"] for s in listed] == sorted(s["orderId"] for s in listed)


def test_fulfillments_are_voided_days_later_and_only_once_it_happened(day: GeneratedDay) -> None:
    late = [f for f in day.iter_fulfillments() if f["voided"]]
    assert late
    for fulfillment in late:
        delay = parse_pacific(fulfillment["voidDate"]) - parse_pacific(fulfillment["createDate"])
        assert delay >= timedelta(days=1)
    target = late[0]
    void_at = parse_pacific(target["voidDate"])
    before = _get(_sim(day, void_at - timedelta(hours=1)), "/fulfillments")["fulfillments"]
    after = _get(_sim(day, void_at + timedelta(hours=1)), "/fulfillments")["fulfillments"]
    (was,) = [f for f in before if f["fulfillmentId"] == target["fulfillmentId"]]
    (now,) = [f for f in after if f["fulfillmentId"] == target["fulfillmentId"]]
    assert (was["voided"], was["voidDate"]) == (False, None)
    assert (now["voided"], now["voidDate"]) == (True, target["voidDate"])


def test_captured_quirks_appear_and_every_record_decodes(day: GeneratedDay) -> None:
    shipments = list(day.iter_shipments())
    assert any(s["shipTo"]["residential"] == "" for s in shipments)
    assert any(isinstance(s["batchNumber"], str) for s in shipments)
    assert any(c["tags"] == "" for c in day.iter_customers())
    assert any(f["trackingNumber"] == "" for f in day.iter_fulfillments())
    assert day.warehouses[0]["returnAddress"]["residential"] == ""
    sim = _sim(day, DAY_END + timedelta(days=30))
    settings = ShipStationV1Settings(api_key="sim-key", api_secret="sim-secret")
    with ShipStationV1Client(settings, transport=sim.transport()) as client:
        assert len(list(client.iter_shipments(include_shipment_items=True))) == len(shipments)
        assert all(isinstance(f, Fulfillment) for f in client.iter_fulfillments())
        assert len(list(client.iter_customers())) == day.customer_count
        warehouses = client.list_warehouses()
        assert all(isinstance(w, Warehouse) for w in warehouses)
        assert client.undecodable.take() == ()


def test_quirks_are_configurable_per_day() -> None:
    clean = generate_day(5, orders=100, realism=Realism(quirk_rate=0.0))
    assert not any(s["shipTo"]["residential"] == "" for s in clean.iter_shipments())
    assert all(c["tags"] == [] for c in clean.iter_customers())


def test_an_undecodable_shipment_is_kept_and_the_others_are_listed() -> None:
    broken = generate_day(5, orders=60, realism=Realism(undecodable_shipments=2))
    sim = _sim(broken, DAY_END + timedelta(days=30))
    settings = ShipStationV1Settings(api_key="sim-key", api_secret="sim-secret")
    with ShipStationV1Client(settings, transport=sim.transport()) as client:
        listed = list(client.iter_shipments())
        failed = client.undecodable.take()
    assert len(listed) + len(failed) == broken.stats()["shipments"]
    assert len(failed) == 2
    assert {f.field for f in failed} == {"shipment_cost"}
    assert all(f.raw["shipmentCost"] == "n/a" for f in failed)
    assert all(isinstance(s, Shipment) for s in listed)


def test_v2_levels_follow_the_spec_optionality(day: GeneratedDay) -> None:
    assert any(level["average_cost"]["amount"] is None for level in day.inventory)
    sim = _sim(day, DAY_END)
    settings = ShipStationV2Settings(api_key="sim-v2-key")
    with ShipStationV2Client(settings, transport=sim.transport()) as client:
        levels = list(client.iter_inventory())
    assert all(isinstance(level, InventoryLevel) for level in levels)
    assert any(
        level.average_cost is not None and level.average_cost.amount is None for level in levels
    )
