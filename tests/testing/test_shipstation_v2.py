"""ShipStation V2 inventory simulator: shapes, links.next paging, updates, errors, limits."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from ml_connector._pagination import LinksNextPaginator
from ml_connector.testing import GeneratedDay, ShipStationData, ShipStationV2Simulator, VirtualClock

from .conftest import example, same_shape

V2 = "https://api.shipstation.com"


@pytest.fixture
def sim(small_day: GeneratedDay, clock: VirtualClock) -> ShipStationV2Simulator:
    data = ShipStationData()
    data.load(small_day)
    return ShipStationV2Simulator(data, clock=clock)


@pytest.fixture
def client(sim: ShipStationV2Simulator) -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=sim.transport(), base_url=V2, headers={"api-key": "sim-v2-key"}
    ) as client:
        yield client


def test_inventory_list_has_the_documented_shape(client: httpx.Client) -> None:
    body = client.get("/v2/inventory", params={"limit": 10}).json()
    assert same_shape(body, example("v2-inventory-list-response.SCHEMA-DERIVED.example.json")) == []
    assert body["links"]["prev"] == {}
    level = body["inventory"][0]
    assert level["available"] == level["on_hand"] - level["allocated"]


def test_links_next_paging_reaches_every_level(
    client: httpx.Client, small_day: GeneratedDay
) -> None:
    paginator = LinksNextPaginator()
    url = f"{V2}/v2/inventory?limit=25"
    paginator.mark(url)
    seen = []
    while url:
        body = client.get(url).json()
        seen += [(lv["sku"], lv["inventory_location_id"]) for lv in body["inventory"]]
        nxt = paginator.next(body)
        url = nxt.url if nxt is not None and nxt.url else ""
    expected = {(lv["sku"], lv["inventory_location_id"]) for lv in small_day.inventory}
    assert len(seen) == len(set(seen)) == len(expected)
    assert set(seen) == expected
    assert body["links"]["next"] == {}


def test_filters_and_group_by_warehouse(client: httpx.Client, small_day: GeneratedDay) -> None:
    sku = small_day.catalog[0]["sku"]
    per_location = client.get("/v2/inventory", params={"sku": sku}).json()["inventory"]
    assert len(per_location) == len(small_day.inventory_locations)
    grouped = client.get("/v2/inventory", params={"sku": sku, "group_by": "warehouse"}).json()
    assert [g["on_hand"] for g in grouped["inventory"]] == [lv["on_hand"] for lv in per_location]
    warehouse = small_day.inventory_warehouses[1]["inventory_warehouse_id"]
    only = client.get("/v2/inventory", params={"inventory_warehouse_id": warehouse}).json()
    assert only["total"] == len(small_day.catalog)
    assert client.get("/v2/inventory", params={"group_by": "shelf"}).status_code == 400


def test_increment_decrement_and_adjust(
    client: httpx.Client, sim: ShipStationV2Simulator, small_day: GeneratedDay
) -> None:
    level = small_day.inventory[0]
    sku, location = level["sku"], level["inventory_location_id"]
    base = {"sku": sku, "inventory_location_id": location}
    increment = base | {"transaction_type": "increment", "quantity": 5}
    assert client.post("/v2/inventory", json=increment).status_code == 204
    raised = sim.data.inventory_level(sku, location)
    assert raised is not None and raised["on_hand"] == level["on_hand"] + 5
    client.post("/v2/inventory", json=base | {"transaction_type": "adjust", "quantity": 3})
    after = sim.data.inventory_level(sku, location)
    assert after is not None and after["on_hand"] == 3
    assert after["available"] == 3 - after["allocated"]
    refused = client.post(
        "/v2/inventory", json=base | {"transaction_type": "decrement", "quantity": 4}
    )
    assert refused.status_code == 400
    assert (
        same_shape(refused.json(), example("v2-error-response.SCHEMA-DERIVED.example.json")) == []
    )


def test_missing_field_and_unknown_location(client: httpx.Client) -> None:
    missing = client.post("/v2/inventory", json={"transaction_type": "increment", "sku": "X"})
    assert missing.json()["errors"][0]["error_code"] == "field_value_required"
    unknown = client.post(
        "/v2/inventory",
        json={"transaction_type": "increment", "sku": "X", "quantity": 1,
              "inventory_location_id": "se-0"},
    )  # fmt: skip
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["error_code"] == "invalid_identifier"


def test_warehouses_and_locations(client: httpx.Client) -> None:
    warehouse = client.post("/v2/inventory_warehouses", json={"name": "Overflow"}).json()
    location = client.post(
        "/v2/inventory_locations",
        json={"name": "Bay 1", "inventory_warehouse_id": warehouse["inventory_warehouse_id"]},
    ).json()
    listed = client.get("/v2/inventory_locations").json()["inventory_locations"]
    assert location["inventory_location_id"] in [loc["inventory_location_id"] for loc in listed]
    one = client.get(f"/v2/inventory_warehouses/{warehouse['inventory_warehouse_id']}").json()
    assert one["name"] == "Overflow"
    assert client.get("/v2/inventory_warehouses/se-nope").status_code == 404


def test_bad_key_gets_a_v2_401(sim: ShipStationV2Simulator) -> None:
    with httpx.Client(transport=sim.transport(), headers={"api-key": "wrong"}) as client:
        response = client.get(f"{V2}/v2/inventory")
    assert response.status_code == 401
    body = response.json()
    assert same_shape(body, example("v2-error-response.SCHEMA-DERIVED.example.json")) == []
    assert body["errors"][0]["error_code"] == "unauthorized"


def test_rate_limit_answers_429_with_retry_after(clock: VirtualClock) -> None:
    sim = ShipStationV2Simulator(clock=clock, rate_limit=3, rate_window=60)
    with httpx.Client(transport=sim.transport(), headers={"api-key": "sim-v2-key"}) as client:
        statuses = [client.get(f"{V2}/v2/inventory").status_code for _ in range(4)]
        limited = client.get(f"{V2}/v2/inventory")
        clock.advance(60)
        after = client.get(f"{V2}/v2/inventory")
    assert statuses == [200, 200, 200, 429]
    assert limited.headers["Retry-After"] == "60"
    assert limited.json()["errors"][0]["error_code"] == "rate_limit_exceeded"
    assert after.status_code == 200
