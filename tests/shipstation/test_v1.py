"""ShipStation V1 clients, sync and async, against a fake transport."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from ml_connector import (
    AuthenticationError,
    ClientError,
    ConfigurationError,
    PaginationLoopError,
    RateLimiter,
    ResponseDecodeError,
    RetryPolicy,
    Secret,
    no_jitter,
)
from ml_connector._settings import HttpSettings
from ml_connector.shipstation import (
    AsyncShipStationV1Client,
    Order,
    Shipment,
    ShipStationV1Client,
    ShipStationV1Settings,
    Warehouse,
)
from ml_connector.testing import VirtualClock

from ._fake import Recorder, call, close, json_response, refuse
from ._fixtures import load, raw

V1_KEY = "0123456789abcdef0123456789abcdef"
V1_SECRET = "fedcba9876543210fedcba9876543210"


def settings(key: str = V1_KEY, secret: str = V1_SECRET) -> ShipStationV1Settings:
    return ShipStationV1Settings(
        api_key=key,
        api_secret=secret,
        http=HttpSettings(
            base_url="https://ssapi.shipstation.com",
            retry=RetryPolicy(max_attempts=3, jitter=no_jitter),
        ),
    )


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def make(
    mode: str, recorder: Recorder, clock: VirtualClock, **kwargs: Any
) -> ShipStationV1Client | AsyncShipStationV1Client:
    config = kwargs.pop("config", None) or settings()
    if mode == "sync":
        return ShipStationV1Client(config, transport=recorder.transport, clock=clock, **kwargs)
    return AsyncShipStationV1Client(config, transport=recorder.transport, clock=clock, **kwargs)


def order(n: int) -> dict[str, Any]:
    return {"orderId": n, "orderNumber": f"N{n}", "orderStatus": "shipped", "items": []}


def paged(key: str, pages: list[list[dict[str, Any]]]) -> Any:
    def answer(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        items = pages[page - 1] if pages else []
        total = sum(len(p) for p in pages)
        return json_response({key: items, "total": total, "page": page, "pages": len(pages)})

    return answer


# -- auth and requests --------------------------------------------------------------------------


def test_basic_auth_matches_the_documented_example(clock: VirtualClock) -> None:
    # https://www.shipstation.com/docs/api/requirements/#authentication
    recorder = Recorder(lambda r: json_response(load("v1-warehouse.example.json")))
    with ShipStationV1Client(
        settings("ShipStation", "Rocks"), transport=recorder.transport, clock=clock
    ) as client:
        warehouse = client.get_warehouse(12345)
    assert isinstance(warehouse, Warehouse)
    sent = recorder.requests[0]
    assert sent.headers["Authorization"] == "Basic U2hpcFN0YXRpb246Um9ja3M="
    assert sent.url == "https://ssapi.shipstation.com/warehouses/12345"
    assert "api-key" not in sent.headers


def test_get_order(mode: str, clock: VirtualClock) -> None:
    recorder = Recorder(lambda r: json_response(json.loads(raw("v1-order.full.json"))))
    client = make(mode, recorder, clock)
    result = call(client, "get_order", 123456789)
    close(client)
    assert isinstance(result, Order)
    assert str(result.order_total) == "194.43"
    assert recorder.requests[0].url.path == "/orders/123456789"


def test_iter_orders_walks_every_page_with_500_a_page(mode: str, clock: VirtualClock) -> None:
    pages = [[order(1), order(2)], [order(3)], [order(4), order(5)]]
    recorder = Recorder(paged("orders", pages))
    client = make(mode, recorder, clock)
    orders = call(client, "iter_orders", order_status="shipped")
    close(client)
    assert [o.order_id for o in orders] == [1, 2, 3, 4, 5]
    assert [r.url.params["page"] for r in recorder.requests] == ["1", "2", "3"]
    assert {r.url.params["pageSize"] for r in recorder.requests} == {"500"}
    assert {r.url.params["orderStatus"] for r in recorder.requests} == {"shipped"}


def test_iter_is_lazy(clock: VirtualClock) -> None:
    recorder = Recorder(paged("orders", [[order(1)], [order(2)], [order(3)]]))
    with ShipStationV1Client(settings(), transport=recorder.transport, clock=clock) as client:
        iterator = client.iter_orders()
        assert recorder.requests == []
        assert next(iterator).order_id == 1
        assert len(recorder.requests) == 1
        assert next(iterator).order_id == 2
        assert len(recorder.requests) == 2


@pytest.mark.anyio
async def test_async_iter_is_lazy(clock: VirtualClock) -> None:
    recorder = Recorder(paged("orders", [[order(1)], [order(2)]]))
    async with AsyncShipStationV1Client(
        settings(), transport=recorder.transport, clock=clock
    ) as client:
        iterator = client.iter_orders()
        assert recorder.requests == []
        first = await iterator.__anext__()
        assert first.order_id == 1
        assert len(recorder.requests) == 1
        rest = [o.order_id async for o in iterator]
    assert rest == [2]


def test_empty_results(mode: str, clock: VirtualClock) -> None:
    recorder = Recorder(
        lambda r: json_response({"shipments": [], "total": 0, "page": 1, "pages": 0})
    )
    client = make(mode, recorder, clock)
    assert call(client, "iter_shipments") == []
    close(client)
    assert len(recorder.requests) == 1


def test_page_loop_is_detected(mode: str, clock: VirtualClock) -> None:
    # A server that keeps answering "page 1 of 3" whatever page is asked for.
    recorder = Recorder(
        lambda r: json_response({"orders": [order(1)], "total": 3, "page": 1, "pages": 3})
    )
    client = make(mode, recorder, clock)
    with pytest.raises(PaginationLoopError):
        call(client, "iter_orders")
    close(client)
    assert len(recorder.requests) == 2


def test_429_waits_for_the_reset_then_retries(mode: str, clock: VirtualClock) -> None:
    answers = iter(
        [
            json_response(
                {"message": "Too Many Requests"},
                429,
                **{"X-Rate-Limit-Limit": "40", "X-Rate-Limit-Remaining": "0"},
                **{"X-Rate-Limit-Reset": "17"},
            ),
            json_response({"orders": [order(1)], "total": 1, "page": 1, "pages": 1}),
        ]
    )
    recorder = Recorder(lambda r: next(answers))
    client = make(mode, recorder, clock)
    orders = call(client, "iter_orders")
    close(client)
    assert [o.order_id for o in orders] == [1]
    assert len(recorder.requests) == 2
    assert clock.monotonic() >= 17
    assert any(s >= 17 for s in clock.sleeps)


def test_spent_budget_waits_before_the_next_page(mode: str, clock: VirtualClock) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        return json_response(
            {"orders": [order(page)], "total": 2, "page": page, "pages": 2},
            **{"X-Rate-Limit-Limit": "40", "X-Rate-Limit-Remaining": "0"},
            **{"X-Rate-Limit-Reset": "30"},
        )

    recorder = Recorder(answer)
    client = make(mode, recorder, clock)
    call(client, "iter_orders")
    close(client)
    # No 429 was drawn: the client waited for the window instead.
    assert len(recorder.requests) == 2
    assert clock.sleeps and clock.sleeps[0] >= 30


def test_shared_limiter(clock: VirtualClock) -> None:
    limiter = RateLimiter()
    recorder = Recorder(refuse)
    sync = ShipStationV1Client(settings(), transport=recorder.transport, limiter=limiter)
    asyn = AsyncShipStationV1Client(settings(), transport=recorder.transport, limiter=limiter)
    assert sync.limiter is limiter
    assert asyn.limiter is limiter


# -- filters and time --------------------------------------------------------------------------


def test_date_windows_are_sent_as_pacific_time(mode: str, clock: VirtualClock) -> None:
    recorder = Recorder(paged("orders", []))
    client = make(mode, recorder, clock)
    call(
        client,
        "list_orders",
        modify_date_start=datetime(2024, 7, 1, 12, 0, tzinfo=UTC),  # PDT, UTC-7
        modify_date_end=datetime(2024, 1, 15, 12, 0, tzinfo=UTC),  # PST, UTC-8
        store_id=42,
        page=2,
        page_size=50,
    )
    close(client)
    params = recorder.requests[0].url.params
    assert params["modifyDateStart"] == "2024-07-01 05:00:00"
    assert params["modifyDateEnd"] == "2024-01-15 04:00:00"
    assert params["storeId"] == "42"
    assert (params["page"], params["pageSize"]) == ("2", "50")


def test_shipment_filters(mode: str, clock: VirtualClock) -> None:
    recorder = Recorder(paged("shipments", [[]]))
    client = make(mode, recorder, clock)
    call(
        client,
        "iter_shipments",
        ship_date_start=date(2024, 3, 10),
        ship_date_end=datetime(2024, 3, 11, 5, 0, tzinfo=UTC),  # still March 10 in Pacific
        include_shipment_items=True,
        void_date_start=datetime(2024, 11, 3, 8, 30, tzinfo=UTC),  # 01:30 PDT, first pass
    )
    close(client)
    params = recorder.requests[0].url.params
    assert params["shipDateStart"] == "2024-03-10"
    assert params["shipDateEnd"] == "2024-03-10"
    assert params["includeShipmentItems"] == "true"
    # 01:30 happens twice that night: the start is widened to before the repeated hour, so it
    # means one instant only and both occurrences are in the window.
    assert params["voidDateStart"] == "2024-11-03 00:59:59"


@pytest.mark.parametrize(
    ("kwargs", "setting"),
    [
        ({"create_date_start": datetime(2024, 1, 1)}, "create_date_start"),  # naive
        ({"create_date_start": date(2024, 1, 1)}, "create_date_start"),
        ({"store_id": "42"}, "store_id"),
        ({"page": 0}, "page"),
        ({"page_size": 501}, "page_size"),
    ],
)
def test_bad_filters_are_refused_before_sending(
    mode: str, clock: VirtualClock, kwargs: dict[str, Any], setting: str
) -> None:
    recorder = Recorder(refuse)
    client = make(mode, recorder, clock)
    with pytest.raises(ConfigurationError) as info:
        call(client, "list_orders", **kwargs)
    close(client)
    assert info.value.setting == setting
    assert recorder.requests == []


def test_unknown_filter_is_a_type_error(mode: str, clock: VirtualClock) -> None:
    client = make(mode, Recorder(refuse), clock)
    with pytest.raises(TypeError, match="unknown filter"):
        call(client, "iter_orders", ship_date_start=date(2024, 1, 1))
    close(client)


# -- other resources ------------------------------------------------------------------------


def test_bare_arrays_and_pages(mode: str, clock: VirtualClock) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/warehouses":
            return json_response([load("v1-warehouse.example.json")])
        if path == "/stores":
            return json_response(json.loads(raw("v1-store-list.json")))
        if path == "/webhooks":
            return json_response(json.loads(raw("v1-webhook-list.json")))
        if path == "/customers":
            return json_response(
                {"customers": [load("v1-customer.example.json")], "page": 1, "pages": 1}
            )
        if path == "/fulfillments":
            return json_response(json.loads(raw("v1-fulfillment-list.json")))
        if path == "/products":
            return json_response({"products": [json.loads(raw("v1-product.json"))], "pages": 1})
        if path == "/shipments":
            return json_response(json.loads(raw("v1-shipment-list.json")))
        raise AssertionError(path)

    recorder = Recorder(answer)
    client = make(mode, recorder, clock)
    assert call(client, "list_warehouses")[0].warehouse_id == 12345
    assert call(client, "list_stores", show_inactive=True)[0].store_id == 12345
    assert call(client, "list_webhooks")[0].hook_type == "SHIP_NOTIFY"
    assert call(client, "iter_customers", country_code="US")[0].customer_id == 12345678
    assert call(client, "list_customers").items[0].name == "Cam Newton"
    assert call(client, "iter_fulfillments")[0].fulfillment_id == 33974374
    assert call(client, "list_fulfillments", order_id=5).total == 1
    assert call(client, "iter_products", sku="1004")[0].sku == "1004"
    assert call(client, "list_products").items[0].product_id == 7854008
    shipments = call(client, "list_shipments", include_shipment_items=True)
    assert isinstance(shipments.items[0], Shipment)
    close(client)
    stores = next(r for r in recorder.requests if r.url.path == "/stores")
    assert stores.url.params["showInactive"] == "true"


def test_get_endpoints(mode: str, clock: VirtualClock) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        kind = request.url.path.split("/")[1]
        return json_response(
            {
                "customers": load("v1-customer.example.json"),
                "products": json.loads(raw("v1-product.json")),
                "stores": json.loads(raw("v1-store-list.json"))[0],
            }[kind]
        )

    client = make(mode, Recorder(answer), clock)
    assert call(client, "get_customer", 12345678).customer_id == 12345678
    assert call(client, "get_product", 7854008).product_id == 7854008
    assert call(client, "get_store", 12345).store_name == "WooCommerce Store"
    with pytest.raises(ConfigurationError):
        call(client, "get_store", "12345/../accounts")
    close(client)


def test_webhook_subscription(mode: str, clock: VirtualClock) -> None:
    answers = iter(
        [
            json_response({"WebHookID": 5, "HookType": "SHIP_NOTIFY", "Url": "x", "Name": "n"}),
            json_response({"id": 6}),
            httpx.Response(200),
        ]
    )
    recorder = Recorder(lambda r: next(answers))
    client = make(mode, recorder, clock)
    target = "https://hooks.example.com/ss?token=t"
    assert call(client, "subscribe_webhook", target, "SHIP_NOTIFY", store_id=12) == 5
    assert call(client, "subscribe_webhook", target, "ORDER_NOTIFY", friendly_name="o") == 6
    assert call(client, "unsubscribe_webhook", 5) is None
    with pytest.raises(ConfigurationError):
        call(client, "subscribe_webhook", target, "EVERYTHING")
    close(client)
    first, second, third = recorder.requests
    assert first.method == "POST"
    assert first.url.path == "/webhooks/subscribe"
    assert json.loads(first.content) == {
        "target_url": target,
        "event": "SHIP_NOTIFY",
        "store_id": 12,
    }
    assert json.loads(second.content)["friendly_name"] == "o"
    assert (third.method, third.url.path) == ("DELETE", "/webhooks/5")


# -- errors ------------------------------------------------------------------------------------


def test_v2_key_on_v1_is_explained(mode: str, clock: VirtualClock) -> None:
    recorder = Recorder(lambda r: json_response({"message": "Invalid API credentials"}, 401))
    v2_like = settings(key="TEST_3v0sd9Tb+LQrM8Yq1Hh0aX2kWvN7pL5eR4tU6yI8oP0", secret="x")
    client = make(mode, recorder, clock, config=v2_like)
    with pytest.raises(AuthenticationError) as info:
        call(client, "get_order", 1)
    close(client)
    text = str(info.value)
    assert "Invalid API credentials" in text
    assert "this looks like a V2 key; V1 needs the API key and secret pair" in text
    assert "TEST_3v0sd9Tb" not in text
    assert len(recorder.requests) == 1  # a 401 is not retried


def test_v1_key_401_has_no_wrong_api_hint(mode: str, clock: VirtualClock) -> None:
    recorder = Recorder(lambda r: json_response({"message": "Invalid API credentials"}, 401))
    client = make(mode, recorder, clock)
    with pytest.raises(AuthenticationError) as info:
        call(client, "get_order", 1)
    close(client)
    assert "looks like a V2 key" not in str(info.value)
    assert "check the V1 API key and secret pair" in str(info.value)


def test_v1_error_message(mode: str, clock: VirtualClock) -> None:
    recorder = Recorder(lambda r: json_response({"message": "Invalid request parameters"}, 400))
    client = make(mode, recorder, clock)
    with pytest.raises(ClientError, match="Invalid request parameters") as info:
        call(client, "list_orders")
    close(client)
    assert info.value.status == 400


def test_html_with_200_is_a_decode_error(mode: str, clock: VirtualClock) -> None:
    recorder = Recorder(
        lambda r: httpx.Response(
            200, content=b"<html>maintenance</html>", headers={"content-type": "text/html"}
        )
    )
    client = make(mode, recorder, clock)
    with pytest.raises(ResponseDecodeError, match="HTML"):
        call(client, "iter_orders")
    close(client)


def test_an_undecodable_record_is_kept_and_the_rest_of_the_page_goes_on(
    mode: str, clock: VirtualClock
) -> None:
    bad = {
        "orders": [order(1), {"orderId": 2, "orderNumber": "x"}, order(3)],
        "page": 1,
        "pages": 1,
    }
    client = make(mode, Recorder(lambda r: json_response(bad)), clock)
    orders = call(client, "iter_orders")
    (failed,) = client.undecodable.take()
    close(client)
    assert [o.order_id for o in orders] == [1, 3]
    assert (failed.field, failed.record_id, failed.model) == ("order_status", "2", "Order")
    assert failed.raw == {"orderId": 2, "orderNumber": "x"}
    assert failed.error().field == "order_status"
    assert len(client.undecodable) == 0


def test_ping_works_on_a_warehouse_whose_address_has_an_empty_residential_flag(
    mode: str, clock: VirtualClock
) -> None:
    # Captured in agritheory/shipstation-client tests/api_data.py (LIST_WAREHOUSES).
    warehouse = {
        "warehouseId": 456789,
        "warehouseName": "Test Company",
        "originAddress": {"residential": False, "street3": ""},
        "returnAddress": {"residential": "", "name": ""},
        "isDefault": False,
    }
    client = make(mode, Recorder(lambda r: json_response([warehouse])), clock)
    (found,) = call(client, "list_warehouses")
    close(client)
    assert found.return_address is not None and found.return_address.residential is None
    assert found.origin_address is not None and found.origin_address.residential is False


# -- settings and secrets ----------------------------------------------------------------------


def test_settings_defaults_and_validation() -> None:
    config = ShipStationV1Settings(api_key="k", api_secret=Secret("s"))
    assert config.http.base_url == "https://ssapi.shipstation.com"
    assert config.http.host_allowed("ssapi6.shipstation.com")
    assert not config.http.host_allowed("evil.shipstation.com")
    assert isinstance(config.api_key, Secret)
    with pytest.raises(ConfigurationError) as info:
        ShipStationV1Settings(api_key="k", api_secret="")
    assert info.value.setting == "api_secret"
    custom = ShipStationV1Settings(
        api_key="k", api_secret="s", http=HttpSettings(base_url="https://ssapi.shipstation.com")
    )
    assert custom.effective_http().host_allowed("ssapi12.shipstation.com")


def test_secrets_stay_out_of_reprs() -> None:
    config = settings()
    client = ShipStationV1Client(config, transport=httpx.MockTransport(refuse))
    for text in (repr(config), str(config), repr(client), repr(client.auth)):
        assert V1_KEY not in text
        assert V1_SECRET not in text
    client.close()


def test_context_managers_close_owned_clients(clock: VirtualClock) -> None:
    with ShipStationV1Client(settings(), transport=httpx.MockTransport(refuse)) as client:
        inner = client._sender.client
    assert isinstance(inner, httpx.Client)
    assert inner.is_closed
    given = httpx.Client(transport=httpx.MockTransport(refuse))
    with ShipStationV1Client(settings(), client=given):
        pass
    assert not given.is_closed
    given.close()


@pytest.mark.anyio
async def test_async_context_manager_closes() -> None:
    async with AsyncShipStationV1Client(
        settings(), transport=httpx.MockTransport(refuse)
    ) as client:
        inner = client._sender.client
    assert inner.is_closed


def test_a_decoded_page_keeps_only_its_paging_fields() -> None:
    # A paused listing holds the page body until the next page is asked for: only what paging
    # reads is kept of it, not the raw records already decoded.
    from ml_connector.shipstation.v1 import _paging

    body = {"shipments": [{"shipmentId": 1}], "total": 3, "page": 1, "pages": 2}
    assert _paging(body) == {"total": 3, "page": 1, "pages": 2}
    assert body["shipments"]  # the caller's body is left as it was
    assert _paging(["not", "a", "page"]) == ["not", "a", "page"]
