"""ShipStation V2 clients (inventory), sync and async, against a fake transport."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from ml_connector import (
    ApiError,
    AuthenticationError,
    ClientError,
    ConfigurationError,
    PaginationLoopError,
    RetryPolicy,
    UnsafeUrlError,
    no_jitter,
)
from ml_connector._settings import HttpSettings
from ml_connector.shipstation import (
    AsyncShipStationV2Client,
    InventoryLevel,
    ShipStationV2Client,
    ShipStationV2Settings,
)
from ml_connector.testing import VirtualClock

from ._fake import Recorder, call, close, json_response, refuse
from ._fixtures import load, raw

V2_KEY = "TEST_3v0sd9Tb+LQrM8Yq1Hh0aX2kWvN7pL5eR4tU6yI8oP0"
BASE = "https://api.shipstation.com"


def settings(key: str = V2_KEY) -> ShipStationV2Settings:
    return ShipStationV2Settings(
        api_key=key,
        http=HttpSettings(base_url=BASE, retry=RetryPolicy(max_attempts=3, jitter=no_jitter)),
    )


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def make(
    mode: str, recorder: Recorder, clock: VirtualClock, config: ShipStationV2Settings | None = None
) -> ShipStationV2Client | AsyncShipStationV2Client:
    config = config or settings()
    if mode == "sync":
        return ShipStationV2Client(config, transport=recorder.transport, clock=clock)
    return AsyncShipStationV2Client(config, transport=recorder.transport, clock=clock)


def level(sku: str) -> dict[str, Any]:
    return {"sku": sku, "on_hand": 5, "allocated": 1, "available": 4}


def test_documented_inventory_and_api_key_header(mode: str, clock: VirtualClock) -> None:
    body = raw("v2-inventory-list-response.SCHEMA-DERIVED.example.json")
    recorder = Recorder(
        lambda r: httpx.Response(200, content=body, headers={"content-type": "application/json"})
    )
    client = make(mode, recorder, clock)
    levels = call(client, "iter_inventory", sku="ABC123", group_by="location")
    close(client)
    assert levels == [
        InventoryLevel(
            sku="ABC123",
            on_hand=10,
            allocated=2,
            available=8,
            average_cost=levels[0].average_cost,
            inventory_warehouse_id="se-1234",
            inventory_location_id="se-5678",
        )
    ]
    assert levels[0].average_cost.amount == Decimal("4.5")
    (sent,) = recorder.requests
    assert sent.headers["api-key"] == V2_KEY
    assert "Authorization" not in sent.headers
    assert sent.url.path == "/v2/inventory"
    assert dict(sent.url.params) == {"sku": "ABC123", "group_by": "location"}


def test_links_next_is_followed_verbatim(mode: str, clock: VirtualClock) -> None:
    second = f"{BASE}/v2/inventory?cursor=abc%2Fdef%3D%3D&limit=2"
    third = f"{BASE}/v2/inventory?cursor=ghi&limit=2"

    def answer(request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        if url == f"{BASE}/v2/inventory?limit=2":
            return json_response(
                {"inventory": [level("A"), level("B")], "links": {"next": {"href": second}}}
            )
        if url == second:
            return json_response({"inventory": [level("C")], "links": {"next": {"href": third}}})
        if url == third:
            return json_response({"inventory": [], "links": {"next": {}}})
        raise AssertionError(url)

    recorder = Recorder(answer)
    client = make(mode, recorder, clock)
    skus = [lv.sku for lv in call(client, "iter_inventory", limit=2)]
    close(client)
    assert skus == ["A", "B", "C"]
    assert [str(r.url) for r in recorder.requests][1:] == [second, third]


def test_next_link_back_to_the_first_page_is_a_loop(mode: str, clock: VirtualClock) -> None:
    first = f"{BASE}/v2/inventory_warehouses"
    recorder = Recorder(
        lambda r: json_response(
            {"inventory_warehouses": [], "links": {"next": {"href": first}}},
        )
    )
    client = make(mode, recorder, clock)
    with pytest.raises(PaginationLoopError):
        call(client, "iter_inventory_warehouses")
    close(client)
    assert len(recorder.requests) == 1


def test_next_link_to_another_host_is_refused(mode: str, clock: VirtualClock) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.host == "api.shipstation.com"
        return json_response(
            {"inventory": [], "links": {"next": {"href": "https://evil.example/v2/inventory"}}}
        )

    recorder = Recorder(answer)
    client = make(mode, recorder, clock)
    with pytest.raises(UnsafeUrlError):
        call(client, "iter_inventory")
    close(client)
    assert len(recorder.requests) == 1


def test_first_page_exposes_next_url(mode: str, clock: VirtualClock) -> None:
    nxt = f"{BASE}/v2/inventory_locations?page=2"
    recorder = Recorder(
        lambda r: json_response(
            {
                "inventory_locations": [{"inventory_location_id": "se-1", "name": "A1"}],
                "total": 2,
                "page": 1,
                "pages": 2,
                "links": {"next": {"href": nxt}},
            }
        )
    )
    client = make(mode, recorder, clock)
    page = call(client, "list_inventory_locations", inventory_warehouse_id="se-9")
    close(client)
    assert page.next_url == nxt
    assert page.items[0].name == "A1"
    assert recorder.requests[0].url.params["inventory_warehouse_id"] == "se-9"


def test_get_by_id(mode: str, clock: VirtualClock) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/inventory_warehouses/se-1":
            return json_response({"inventory_warehouse_id": "se-1", "name": "Main"})
        return json_response({"inventory_location_id": "se-2", "inventory_warehouse_id": "se-1"})

    client = make(mode, Recorder(answer), clock)
    assert call(client, "get_inventory_warehouse", "se-1").name == "Main"
    assert call(client, "get_inventory_location", "se-2").inventory_warehouse_id == "se-1"
    with pytest.raises(ConfigurationError):
        call(client, "get_inventory_location", "../inventory")
    close(client)


def test_v2_error_body(mode: str, clock: VirtualClock) -> None:
    recorder = Recorder(
        lambda r: json_response(load("v2-error-response.SCHEMA-DERIVED.example.json"), 400)
    )
    client = make(mode, recorder, clock)
    with pytest.raises(ClientError) as info:
        call(client, "list_inventory")
    close(client)
    error = info.value
    assert "Body of request cannot be null." in error.message
    assert error.code == "request_body_required"
    assert error.request_id == "aa3d8e8e-462b-4476-9618-72db7f7b7009"
    assert error.details[0]["error_source"] == "ShipStation"


def test_2xx_with_errors_is_raised(mode: str, clock: VirtualClock) -> None:
    body = {
        "request_id": "r-1",
        "inventory": [],
        "errors": [
            {
                "error_source": "ShipStation",
                "error_type": "business_rules",
                "error_code": "unspecified",
                "message": "Partial failure",
            }
        ],
    }
    client = make(mode, Recorder(lambda r: json_response(body)), clock)
    with pytest.raises(ApiError) as info:
        call(client, "iter_inventory")
    close(client)
    assert info.value.status == 200
    assert info.value.request_id == "r-1"
    assert "Partial failure" in str(info.value)


def test_429_honours_retry_after(mode: str, clock: VirtualClock) -> None:
    answers = iter(
        [
            json_response(
                {"errors": [{"error_code": "rate_limit_exceeded", "message": "slow down"}]},
                429,
                **{"Retry-After": "3"},
            ),
            json_response({"inventory": [level("A")]}),
        ]
    )
    recorder = Recorder(lambda r: next(answers))
    client = make(mode, recorder, clock)
    assert [lv.sku for lv in call(client, "iter_inventory")] == ["A"]
    close(client)
    assert clock.sleeps == [3.0]


def test_v1_key_on_v2_is_explained(mode: str, clock: VirtualClock) -> None:
    recorder = Recorder(
        lambda r: json_response(
            {"errors": [{"error_code": "unauthorized", "message": "Access denied."}]}, 401
        )
    )
    client = make(mode, recorder, clock, settings("0123456789abcdef0123456789abcdef"))
    with pytest.raises(AuthenticationError) as info:
        call(client, "list_inventory")
    close(client)
    assert "this looks like a V1 key; V2 needs a V2 API key" in str(info.value)
    assert "0123456789abcdef" not in str(info.value)


def test_settings() -> None:
    config = ShipStationV2Settings(api_key="k")
    assert config.http.base_url == "https://api.shipstation.com"
    assert "k" not in repr(config).replace("api_key", "").replace("Secret", "")
    with pytest.raises(ConfigurationError):
        ShipStationV2Settings(api_key=" ")


def test_client_repr_hides_key() -> None:
    client = ShipStationV2Client(settings(), transport=httpx.MockTransport(refuse))
    assert V2_KEY not in repr(client)
    assert V2_KEY not in repr(client.auth)
    client.close()
