"""ShipStation V1 simulator: documented shapes, paging, filters, auth, rate window, webhooks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from ml_connector._http import read_json
from ml_connector._time import parse_pacific
from ml_connector.testing import (
    GeneratedDay,
    ShipStationData,
    ShipStationSimulator,
    ShipStationV1Simulator,
    VirtualClock,
)

from .conftest import example, same_shape

BASE = "https://ssapi.shipstation.com"
V1_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}")


@pytest.fixture
def sim(small_day: GeneratedDay, clock: VirtualClock) -> ShipStationV1Simulator:
    data = ShipStationData()
    data.load(small_day)
    return ShipStationV1Simulator(data, clock=clock, rate_limit=None)


@pytest.fixture
def client(sim: ShipStationV1Simulator) -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=sim.transport(), base_url=BASE, auth=("sim-key", "sim-secret")
    ) as client:
        yield client


def test_order_list_has_the_documented_shape(client: httpx.Client) -> None:
    body = read_json(client.get("/orders", params={"pageSize": 5}))
    assert same_shape(body, example("v1-order-list-response.ABRIDGED.example.json")) == []
    assert set(body) == {"orders", "total", "page", "pages"}


def test_timestamps_are_pacific_wall_time_with_seven_digits(client: httpx.Client) -> None:
    order = client.get("/orders", params={"pageSize": 1}).json()["orders"][0]
    for field in ("orderDate", "createDate", "modifyDate", "paymentDate"):
        assert V1_STAMP.fullmatch(order[field]), (field, order[field])
    # Generated orders are placed between 00:00 and 20:00 Pacific on 2026-01-15 (PST = UTC-8).
    placed = parse_pacific(order["orderDate"])
    assert datetime(2026, 1, 15, 8, tzinfo=UTC) <= placed < datetime(2026, 1, 16, 4, tzinfo=UTC)


def test_customer_and_warehouse_have_the_documented_shape(
    client: httpx.Client, sim: ShipStationV1Simulator
) -> None:
    customers = client.get("/customers", params={"pageSize": 1}).json()
    assert same_shape(customers["customers"][0], example("v1-customer.example.json")) == []
    one = client.get(f"/customers/{customers['customers'][0]['customerId']}").json()
    assert one == customers["customers"][0]
    warehouses = client.get("/warehouses").json()
    assert isinstance(warehouses, list)  # a bare array, no paging wrapper
    assert same_shape(warehouses[0], example("v1-warehouse.example.json")) == []


def test_money_survives_the_wire_exactly(client: httpx.Client, small_day: GeneratedDay) -> None:
    order = read_json(client.get("/orders", params={"pageSize": 1}))["orders"][0]
    generated = small_day.bundle(0).order
    assert order["orderTotal"] == generated["orderTotal"]
    assert isinstance(order["orderTotal"], Decimal)
    items = sum(i["unitPrice"] * i["quantity"] for i in order["items"])
    assert order["orderTotal"] == items + order["taxAmount"] + order["shippingAmount"]


def test_paging_walks_every_shipment_once(client: httpx.Client, small_day: GeneratedDay) -> None:
    seen: list[int] = []
    page, pages = 1, 1
    while page <= pages:
        body = client.get("/shipments", params={"page": page, "pageSize": 100}).json()
        pages = body["pages"]
        seen += [s["shipmentId"] for s in body["shipments"]]
        page += 1
    expected = [s["shipmentId"] for s in small_day.iter_shipments()]
    assert seen == expected
    assert body["total"] == len(expected) and pages == -(-len(expected) // 100)


def test_page_size_over_500_is_refused(client: httpx.Client) -> None:
    response = client.get("/orders", params={"pageSize": 501})
    assert response.status_code == 400
    assert "pageSize" in response.json()["message"]


def test_date_window_is_read_in_pacific_time(client: httpx.Client) -> None:
    # 10:00-11:00 Pacific is 18:00-19:00 UTC in January.
    params = {"createDateStart": "2026-01-15 10:00:00", "createDateEnd": "2026-01-15 11:00:00"}
    orders = client.get("/orders", params=dict(params, pageSize=500)).json()["orders"]
    assert orders
    low, high = datetime(2026, 1, 15, 18, tzinfo=UTC), datetime(2026, 1, 15, 19, tzinfo=UTC)
    assert all(low <= parse_pacific(o["createDate"]) <= high for o in orders)
    everything = client.get("/orders", params={"pageSize": 500}).json()["orders"]
    inside = [o for o in everything if low <= parse_pacific(o["createDate"]) <= high]
    assert len(orders) == len(inside)


def test_filters_order_number_order_id_store_and_items(
    client: httpx.Client, small_day: GeneratedDay
) -> None:
    bundle = next(b for b in small_day.iter_bundles() if b.kind == "split")
    order = bundle.order
    prefix = order["orderNumber"][:-2]
    by_number = client.get("/orders", params={"orderNumber": prefix}).json()["orders"]
    assert order["orderId"] in [o["orderId"] for o in by_number]
    assert all(o["orderNumber"].startswith(prefix) for o in by_number)

    shipments = client.get("/shipments", params={"orderId": order["orderId"]}).json()
    assert [s["shipmentId"] for s in shipments["shipments"]] == [
        s["shipmentId"] for s in bundle.shipments
    ]
    assert all(s["shipmentItems"] is None for s in shipments["shipments"])
    with_items = client.get(
        "/shipments", params={"orderId": order["orderId"], "includeShipmentItems": "true"}
    ).json()["shipments"]
    assert [len(s["shipmentItems"]) for s in with_items] == [
        len(s["shipmentItems"]) for s in bundle.shipments
    ]

    store = order["advancedOptions"]["storeId"]
    in_store = client.get("/orders", params={"storeId": store, "pageSize": 500}).json()
    assert in_store["orders"]
    assert all(o["advancedOptions"]["storeId"] == store for o in in_store["orders"])
    assert in_store["total"] < len(small_day.stores) * in_store["total"]


def test_sort_by_and_direction(client: httpx.Client) -> None:
    body = client.get(
        "/orders", params={"sortBy": "OrderDate", "sortDir": "DESC", "pageSize": 500}
    ).json()
    dates = [parse_pacific(o["orderDate"]) for o in body["orders"]]
    assert dates == sorted(dates, reverse=True)
    assert client.get("/orders", params={"sortBy": "Nonsense"}).status_code == 400


def test_fulfillments_and_voids(client: httpx.Client, small_day: GeneratedDay) -> None:
    fulfillments = client.get("/fulfillments", params={"pageSize": 500}).json()
    assert fulfillments["total"] == sum(1 for _ in small_day.iter_fulfillments()) > 0
    voided = [
        s
        for s in client.get("/shipments", params={"pageSize": 500}).json()["shipments"]
        if s["voided"]
    ]
    assert voided and all(V1_STAMP.fullmatch(s["voidDate"]) for s in voided)


def test_ship_date_window_takes_plain_dates(client: httpx.Client) -> None:
    body = client.get(
        "/shipments", params={"shipDateStart": "2026-01-16", "shipDateEnd": "2026-01-16"}
    ).json()
    assert all(s["shipDate"].startswith("2026-01-16") for s in body["shipments"])
    assert client.get("/shipments", params={"shipDateStart": "yesterday"}).status_code == 400


def test_void_shipment_changes_what_is_served(
    client: httpx.Client, sim: ShipStationV1Simulator, small_day: GeneratedDay
) -> None:
    target = next(s for s in small_day.iter_shipments() if not s["voided"])
    sim.data.void_shipment(target["shipmentId"], datetime(2026, 1, 16, 20, 30, tzinfo=UTC))
    served = client.get("/shipments", params={"orderId": target["orderId"]}).json()["shipments"]
    changed = next(s for s in served if s["shipmentId"] == target["shipmentId"])
    assert changed["voided"] is True
    assert changed["voidDate"] == "2026-01-16T12:30:00.0000000"  # Pacific wall time
    # The generator's own record is untouched (the row was copied before the change).
    assert small_day.bundle(target["orderId"] - 100_000_000).shipments[0]["voided"] is False


def test_wrong_credentials_get_401_with_message(sim: ShipStationV1Simulator) -> None:
    with httpx.Client(transport=sim.transport(), base_url=BASE, auth=("sim-key", "x")) as bad:
        response = bad.get("/orders")
    assert response.status_code == 401
    assert response.json() == {"message": "Invalid API credentials"}


def test_rate_window_of_40_a_minute(small_day: GeneratedDay, clock: VirtualClock) -> None:
    sim = ShipStationV1Simulator(clock=clock)
    with httpx.Client(
        transport=sim.transport(), base_url=BASE, auth=("sim-key", "sim-secret")
    ) as client:
        first = client.get("/warehouses")
        assert first.headers["X-Rate-Limit-Limit"] == "40"
        assert first.headers["X-Rate-Limit-Remaining"] == "39"
        assert first.headers["X-Rate-Limit-Reset"] == "60"
        clock.advance(15)
        for _ in range(39):
            last = client.get("/warehouses")
        assert last.status_code == 200
        assert last.headers["X-Rate-Limit-Remaining"] == "0"
        assert last.headers["X-Rate-Limit-Reset"] == "45"
        limited = client.get("/warehouses")
        assert limited.status_code == 429
        assert limited.json() == {"message": "Too Many Requests"}
        assert limited.headers["X-Rate-Limit-Reset"] == "45"
        clock.advance(45)
        again = client.get("/warehouses")
        assert again.status_code == 200
        assert again.headers["X-Rate-Limit-Remaining"] == "39"
    assert sim.rate_limited == 1


def test_webhook_pointer_resolves_to_its_batch(
    client: httpx.Client, sim: ShipStationV1Simulator, small_day: GeneratedDay
) -> None:
    store = small_day.stores[0]["storeId"]
    shipments = [s for s in small_day.iter_shipments() if s["advancedOptions"]["storeId"] == store]
    shipments = shipments[:3]
    hook = sim.make_webhook("SHIP_NOTIFY", [s["shipmentId"] for s in shipments], store_id=store)
    documented = example("v1-webhook-body.ILLUSTRATIVE.example.json")
    assert set(hook) == set(documented)
    url = urlsplit(hook["resource_url"])
    assert url.hostname == "ssapi.shipstation.com" and url.path == "/shipments"
    assert set(parse_qs(url.query)) == set(parse_qs(urlsplit(documented["resource_url"]).query))
    assert len(hook["resource_url"]) <= 200
    body = client.get(hook["resource_url"]).json()
    assert [s["shipmentId"] for s in body["shipments"]] == [s["shipmentId"] for s in shipments]

    order_hook = sim.make_webhook("ORDER_NOTIFY", [small_day.bundle(4).order["orderId"]])
    assert "importBatch=" in order_hook["resource_url"]
    orders = client.get(order_hook["resource_url"]).json()["orders"]
    assert [o["orderId"] for o in orders] == [small_day.bundle(4).order["orderId"]]
    with pytest.raises(ValueError, match="resource_type"):
        sim.make_webhook("NOPE", [])


def test_subscribe_and_list_webhooks(client: httpx.Client) -> None:
    created = client.post(
        "/webhooks/subscribe",
        json={"target_url": "https://example.com/hook", "event": "SHIP_NOTIFY"},
    )
    assert created.status_code == 200
    assert created.json()["HookType"] == "SHIP_NOTIFY"
    hooks = client.get("/webhooks").json()["webhooks"]
    assert [h["Url"] for h in hooks] == ["https://example.com/hook"]
    assert client.post("/webhooks/subscribe", json={"event": "X"}).status_code == 400


def test_unknown_route_and_record(client: httpx.Client) -> None:
    assert client.get("/nothing-here").status_code == 404
    assert client.get("/orders/1").status_code == 404


def test_facade_shares_one_dataset_between_v1_and_v2(
    small_day: GeneratedDay, clock: VirtualClock
) -> None:
    sim = ShipStationSimulator(clock=clock)
    sim.load(small_day)
    with httpx.Client(transport=sim.transport()) as client:
        v1 = client.get(f"{BASE}/stores", auth=("sim-key", "sim-secret"))
        v2 = client.get(
            "https://api.shipstation.com/v2/inventory", headers={"api-key": "sim-v2-key"}
        )
    assert [s["storeId"] for s in v1.json()] == [s["storeId"] for s in small_day.stores]
    assert v2.json()["total"] == len(small_day.inventory)
    assert sim.v1.data is sim.v2.data is sim.data


@pytest.mark.anyio
async def test_async_transport_serves_the_same_state(
    sim: ShipStationV1Simulator, small_day: GeneratedDay
) -> None:
    async with httpx.AsyncClient(
        transport=sim.async_transport(), base_url=BASE, auth=("sim-key", "sim-secret")
    ) as client:
        body = (await client.get("/orders", params={"pageSize": 2})).json()
    assert [o["orderId"] for o in body["orders"]] == [
        small_day.bundle(0).order["orderId"],
        small_day.bundle(1).order["orderId"],
    ]


def test_latency_runs_on_the_virtual_clock(clock: VirtualClock) -> None:
    sim = ShipStationV1Simulator(clock=clock, latency=0.25, rate_limit=None)
    with httpx.Client(
        transport=sim.transport(), base_url=BASE, auth=("sim-key", "sim-secret")
    ) as client:
        for _ in range(4):
            client.get("/warehouses")
    assert clock.monotonic() == pytest.approx(1.0)
    assert clock.sleeps == [0.25] * 4


def test_shipments_of_an_order_are_those_a_scan_finds_and_follow_changes(
    client: httpx.Client, sim: ShipStationV1Simulator, small_day: GeneratedDay
) -> None:
    every = client.get("/shipments", params={"pageSize": 500}).json()["shipments"]
    split = next(b for b in small_day.iter_bundles() if len(b.shipments) > 1)
    order_id = split.order["orderId"]

    def of_order(target: int, **params: str) -> list[int]:
        body = client.get("/shipments", params={"orderId": target, **params}).json()
        return [s["shipmentId"] for s in body["shipments"]]

    assert of_order(order_id) == [s["shipmentId"] for s in every if s["orderId"] == order_id]
    dates = of_order(order_id, sortBy="CreateDate", sortDir="DESC")
    assert sorted(dates) == sorted(of_order(order_id))
    # A shipment added later joins its order; one re-added under another order moves.
    extra = dict(split.shipments[0], shipmentId=1, trackingNumber="EXTRA")
    sim.data.add_shipment(extra)
    assert of_order(order_id) == [*[s["shipmentId"] for s in split.shipments], 1]
    # A later order, so the moved (earlier) row must come first, as in a scan of the table.
    other = next(b for b in small_day.iter_bundles() if b.index > split.index and b.shipments)
    moved = dict(split.shipments[0], orderId=other.order["orderId"])
    sim.data.add_shipment(moved)
    assert split.shipments[0]["shipmentId"] not in of_order(order_id)
    assert of_order(other.order["orderId"]) == [
        moved["shipmentId"],
        *[s["shipmentId"] for s in other.shipments],
    ]
    assert of_order(424242) == []


def test_paging_a_listing_is_unaffected_by_look_ups_between_pages(
    client: httpx.Client, small_day: GeneratedDay
) -> None:
    seen: list[int] = []
    page = 1
    while True:
        body = client.get("/shipments", params={"page": page, "pageSize": 50}).json()
        seen += [s["shipmentId"] for s in body["shipments"]]
        order_id = body["shipments"][0]["orderId"]
        assert client.get("/shipments", params={"orderId": order_id}).json()["total"] >= 1
        if page >= body["pages"]:
            break
        page += 1
    assert seen == [s["shipmentId"] for s in small_day.iter_shipments()]


def test_fulfillments_of_an_order(client: httpx.Client, small_day: GeneratedDay) -> None:
    every = client.get("/fulfillments", params={"pageSize": 500}).json()["fulfillments"]
    target = every[-1]["orderId"]
    body = client.get("/fulfillments", params={"orderId": target}).json()
    assert [f["fulfillmentId"] for f in body["fulfillments"]] == [
        f["fulfillmentId"] for f in every if f["orderId"] == target
    ]
