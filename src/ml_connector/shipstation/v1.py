"""ShipStation V1 clients: orders, shipments, fulfillments, customers, warehouses, products,
stores and webhook subscriptions.

``ShipStationV1Client`` and ``AsyncShipStationV1Client`` share :class:`_V1Core`, which builds
every request and decodes every body without I/O; the twins only send (through the HTTP core's
:class:`~ml_connector._http.SyncSender` / :class:`~ml_connector._http.AsyncSender`) and loop.

Facts this module relies on (https://www.shipstation.com/docs/api/requirements/):

- HTTP Basic authentication with the API key as user name and the API secret as password.
- 40 requests a minute per key pair, reported in ``X-Rate-Limit-*`` headers; the HTTP core waits
  proactively when the budget is spent and honours ``X-Rate-Limit-Reset`` after a 429.
- Lists answer ``{<collection>: [...], total, page, pages}``; ``pageSize`` is at most 500.
- Timestamps are US Pacific wall-clock time.

No method here writes financial data; the only non-GET calls are webhook subscribe and
unsubscribe.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Generator, Iterator
from datetime import date, datetime
from typing import Any, TypedDict, TypeVar, Unpack, get_type_hints

import attrs
import httpx

from ml_connector._clock import Clock
from ml_connector._errors import ApiError, ConfigurationError, ResponseDecodeError, UnsafeUrlError
from ml_connector._flow import adrive, drive
from ml_connector._http import (
    AsyncClientMixin,
    AsyncSender,
    ErrorInfo,
    Request,
    SyncClientMixin,
    SyncSender,
    read_json,
)
from ml_connector._ratelimit import RateLimiter
from ml_connector._redact import Secret, basic_authorization
from ml_connector._settings import HttpSettings, of_type

from ._common import (
    MAX_PAGE_SIZE,
    Exchange,
    UndecodableLog,
    V1Pager,
    check_page,
    encode_filters,
    exchange,
    non_empty_secret,
    to_secret,
)
from ._converter import Decoder
from ._credentials import looks_like_v1_key, wrong_key_hint
from .models import (
    Customer,
    Fulfillment,
    Order,
    Page,
    Product,
    Shipment,
    Store,
    UndecodableRecord,
    Warehouse,
    Webhook,
)
from .webhooks import V1_EVENTS, WebhookPointer, WebhookUrlPolicy

__all__ = [
    "V1_BASE_URL",
    "AsyncShipStationV1Client",
    "CustomerFilters",
    "FulfillmentFilters",
    "OrderFilters",
    "ProductFilters",
    "ShipStationV1Auth",
    "ShipStationV1Client",
    "ShipStationV1Settings",
    "ShipmentFilters",
    "V1Record",
]

V1_BASE_URL = "https://ssapi.shipstation.com"
V1_NUMBERED_HOSTS = r"ssapi\d+\.shipstation\.com"
"""Webhook ``resource_url`` values may name numbered hosts such as ``ssapi6.shipstation.com``."""

T = TypeVar("T")
V1Record = Order | Shipment | Fulfillment


def _default_http() -> HttpSettings:
    return HttpSettings(base_url=V1_BASE_URL, extra_hosts=V1_NUMBERED_HOSTS)


@attrs.frozen
class ShipStationV1Settings:
    """Credentials and HTTP settings for the V1 API.

    V1 needs the API **key and secret pair** from ShipStation's Settings > Account > API
    Settings (the "legacy" V1 section); a V2 API key is a different credential and does not
    work here.

    Attributes:
        api_key: The V1 API key (a ``str`` is wrapped in :class:`~ml_connector.Secret`).
        api_secret: The V1 API secret.
        http: Base URL (default ``https://ssapi.shipstation.com``), timeouts, retry policy.
            When ``extra_hosts`` is empty, ShipStation's numbered ``ssapiN`` hosts are allowed
            so that webhook ``resource_url`` values can be fetched.
    """

    api_key: Secret = attrs.field(converter=to_secret, validator=non_empty_secret("api_key"))
    api_secret: Secret = attrs.field(converter=to_secret, validator=non_empty_secret("api_secret"))
    http: HttpSettings = attrs.field(
        factory=_default_http, validator=of_type(HttpSettings, "an HttpSettings")
    )

    def effective_http(self) -> HttpSettings:
        """``http`` with the numbered ``ssapiN`` hosts allowed when no other rule is set."""
        if self.http.extra_hosts:
            return self.http
        return attrs.evolve(self.http, extra_hosts=V1_NUMBERED_HOSTS)


class ShipStationV1Auth(httpx.Auth):
    """HTTP Basic with the V1 key (user name) and secret (password)."""

    requires_request_body = False

    def __init__(self, api_key: Secret, api_secret: Secret) -> None:
        # Built once; its base64 is remembered as a secret, so an echoed header is masked.
        self._header = Secret(basic_authorization(api_key.reveal(), api_secret.reveal()))

    def __repr__(self) -> str:
        return "ShipStationV1Auth(api_key=***, api_secret=***)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header.reveal()
        yield request


def make_v1_error_parser(*, key_looks_like_v2: bool) -> Any:
    """An error parser for V1's ``{"message": ...}`` bodies.

    Args:
        key_looks_like_v2: Computed once from the configured key (the key itself is not kept),
            to explain a 401 caused by using a V2 key on V1.
    """

    def parse(response: httpx.Response, body: Any) -> ErrorInfo:
        message: str | None = None
        if isinstance(body, dict):
            for name in ("message", "Message", "ExceptionMessage"):
                value = body.get(name)
                if isinstance(value, str) and value.strip():
                    message = value.strip()
                    break
        if message is None:
            message = f"HTTP {response.status_code} {response.reason_phrase}".strip()
        if response.status_code == 401:
            message = f"{message}; {wrong_key_hint('V1', key_looks_like_v2)}"
        return ErrorInfo(message=message)

    return parse


# -- filters --------------------------------------------------------------------------------------


class OrderFilters(TypedDict, total=False):
    """Filters of ``GET /orders``. Date-times must be timezone-aware (sent as Pacific time)."""

    customer_name: str
    item_keyword: str
    create_date_start: datetime
    create_date_end: datetime
    modify_date_start: datetime
    modify_date_end: datetime
    order_date_start: datetime
    order_date_end: datetime
    order_number: str
    order_status: str
    payment_date_start: datetime
    payment_date_end: datetime
    store_id: int
    sort_by: str
    sort_dir: str


class ShipmentFilters(TypedDict, total=False):
    """Filters of ``GET /shipments``. ``ship_date_*`` are dates; the rest of the windows are
    aware datetimes. ``include_shipment_items`` defaults to false on the server."""

    recipient_name: str
    recipient_country_code: str
    order_number: str
    order_id: int
    carrier_code: str
    service_code: str
    tracking_number: str
    create_date_start: datetime
    create_date_end: datetime
    ship_date_start: date
    ship_date_end: date
    void_date_start: datetime
    void_date_end: datetime
    store_id: int
    include_shipment_items: bool
    sort_by: str
    sort_dir: str


class FulfillmentFilters(TypedDict, total=False):
    """Filters of ``GET /fulfillments`` (partly unverified against the official reference)."""

    fulfillment_id: int
    order_id: int
    order_number: str
    tracking_number: str
    recipient_name: str
    create_date_start: datetime
    create_date_end: datetime
    ship_date_start: date
    ship_date_end: date
    sort_by: str
    sort_dir: str


class CustomerFilters(TypedDict, total=False):
    """Filters of ``GET /customers``."""

    state_code: str
    country_code: str
    marketplace_id: int
    tag_id: int
    sort_by: str
    sort_dir: str


class ProductFilters(TypedDict, total=False):
    """Filters of ``GET /products`` (names from the generated spec; unverified)."""

    sku: str
    name: str
    product_category_id: int
    product_type_id: int
    tag_id: int
    start_date: datetime
    end_date: datetime
    show_inactive: bool
    sort_by: str
    sort_dir: str


def _spec(cls: type[Any]) -> dict[str, tuple[str, str]]:
    # Wire names are the camelCase of the filter names; the kind follows the annotation.
    kinds = {str: "str", int: "int", bool: "bool", datetime: "datetime", date: "date"}
    spec: dict[str, tuple[str, str]] = {}
    for name, hint in get_type_hints(cls).items():
        wire = re.sub(r"_([a-z])", lambda m: m.group(1).upper(), name)
        spec[name] = (wire, kinds[hint])
    return spec


_ORDER_SPEC = _spec(OrderFilters)
_SHIPMENT_SPEC = _spec(ShipmentFilters)
_FULFILLMENT_SPEC = _spec(FulfillmentFilters)
_CUSTOMER_SPEC = _spec(CustomerFilters)
_PRODUCT_SPEC = _spec(ProductFilters)


# -- the I/O-free core ----------------------------------------------------------------------------


class _V1Core:
    """Everything the V1 twins share: request building and body decoding."""

    def __init__(self, settings: ShipStationV1Settings, webhook_policy: WebhookUrlPolicy | None):
        self.settings = settings
        self.http = settings.effective_http()
        self.auth = ShipStationV1Auth(settings.api_key, settings.api_secret)
        self.webhook_policy = webhook_policy or WebhookUrlPolicy()
        self.error_parser = make_v1_error_parser(
            key_looks_like_v2=not looks_like_v1_key(settings.api_key.reveal())
        )
        self.decoder = Decoder("V1")
        self.undecodable = UndecodableLog()
        """Records of listings that could not be decoded (see :class:`UndecodableLog`)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.http.base_url!r})"

    # calls

    def _get(self, path: str, model: type[T]) -> Exchange[T]:
        return exchange(Request("GET", path), lambda body: self.decoder.one(model, body))

    def _pager(self, url: str, params: dict[str, Any], key: str, model: type[T]) -> V1Pager[T]:
        return V1Pager(url, params, key, model, decoder=self.decoder)

    @staticmethod
    def _id(value: int, name: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigurationError("must be a non-negative integer", setting=name)
        return value

    def _page_call(
        self,
        path: str,
        key: str,
        model: type[T],
        params: dict[str, Any],
        page: int,
        page_size: int,
    ) -> Exchange[Page[T]]:
        check_page(page, page_size)
        request = Request("GET", path, params={**params, "page": page, "pageSize": page_size})
        return exchange(request, lambda body: self.decoder.page(body, key, model))

    def _bare_list(
        self, path: str, model: type[T], params: dict[str, Any] | None = None
    ) -> Exchange[Any]:
        def decode(body: Any) -> tuple[T, ...]:
            # A bare array has no page to carry failures: they go to the client's log.
            items, failed = self.decoder.records(model, _array(body, path), path.strip("/"))
            self.undecodable.add(failed)
            return items

        return exchange(Request("GET", path, params=params), decode)

    def _webhook_pager(self, pointer: WebhookPointer) -> V1Pager[Any]:
        """A pager over a V1 webhook pointer's ``resource_url``, after the allowlist check."""
        if pointer.resource_type not in V1_EVENTS:
            raise UnsafeUrlError(
                f"{pointer.resource_type!r} is not a V1 event; resolve it with the V2 client"
            )
        self.webhook_policy.check(pointer)
        key, model = V1_EVENTS[pointer.resource_type]
        return self._pager(pointer.resource_url, {}, key, model)

    def _subscribe_call(
        self, target_url: str, event: str, store_id: int | None, friendly_name: str | None
    ) -> Exchange[int]:
        if event not in V1_EVENTS:
            raise ConfigurationError(f"unknown V1 event {event!r}", setting="event")
        body: dict[str, Any] = {"target_url": target_url, "event": event}
        if store_id is not None:
            body["store_id"] = store_id
        if friendly_name is not None:
            body["friendly_name"] = friendly_name
        # A repeated subscribe would create a second hook: never retried blindly.
        return exchange(Request("POST", "/webhooks/subscribe", json=body), _subscribed_id)


def _array(body: Any, path: str) -> Any:
    if isinstance(body, dict):
        # Tolerate a wrapped answer ({"warehouses": [...]}) as well as the documented bare array.
        for value in body.values():
            if isinstance(value, list):
                return value
    return body


def _subscribed_id(body: Any) -> int:
    # Current docs answer {"WebHookID": ...}; older docs and clients show {"id": ...}.
    if isinstance(body, dict):
        for key in ("WebHookID", "id", "webhookId", "WebhookId"):
            value = body.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                return value
    raise ResponseDecodeError("webhook subscribe answered without a webhook id", field="WebHookID")


def _redirect_refused(error: ApiError) -> UnsafeUrlError:
    return UnsafeUrlError(
        f"refusing to follow a redirect (status {error.status}) from a webhook resource_url",
        method=error.method,
        url=error.url,
        status=error.status,
    )


# -- the twins ------------------------------------------------------------------------------------


class ShipStationV1Client(SyncClientMixin, _V1Core):
    """Blocking ShipStation V1 client.

    Args:
        settings: Credentials and HTTP settings.
        client: An ``httpx.Client`` to send with (not closed by this client).
        transport: A transport for the ``httpx.Client`` this client creates (tests, simulators).
        limiter: A rate limiter to share, e.g. with the async twin using the same key pair.
        clock: The time source for waits (a virtual clock in tests).
        webhook_policy: Which webhook ``resource_url`` values may be fetched.

    Use as a context manager, or call :meth:`close`.
    """

    def __init__(
        self,
        settings: ShipStationV1Settings,
        *,
        client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        limiter: RateLimiter | None = None,
        clock: Clock | None = None,
        webhook_policy: WebhookUrlPolicy | None = None,
    ) -> None:
        super().__init__(settings, webhook_policy)
        self._sender = SyncSender(
            self.http,
            auth=self.auth,
            client=client,
            transport=transport,
            limiter=limiter,
            clock=clock,
            error_parser=self.error_parser,
        )

    # the only methods that send

    def _call(self, flow: Exchange[T]) -> T:
        return drive(flow, self._sender.send)

    def _iterate(self, pager: V1Pager[T]) -> Iterator[T]:
        request: Request | None = pager.first()
        while request is not None:
            body = read_json(self._sender.send(request))
            page = pager.decode(body)
            self.undecodable.add(page.failed)
            body = _paging(body)  # the raw records are freed while the decoded ones are read
            yield from page.items
            request = pager.next(body)

    def take_undecodable(self) -> tuple[UndecodableRecord, ...]:
        """Records of listings read so far that no quirk rule could decode (then forgotten)."""
        return self.undecodable.take()

    # orders

    def get_order(self, order_id: int) -> Order:
        """``GET /orders/{orderId}``."""
        return self._call(self._get(f"/orders/{self._id(order_id, 'order_id')}", Order))

    def list_orders(
        self, *, page: int = 1, page_size: int = MAX_PAGE_SIZE, **filters: Unpack[OrderFilters]
    ) -> Page[Order]:
        """One page of ``GET /orders``."""
        params = encode_filters(filters, _ORDER_SPEC)
        return self._call(self._page_call("/orders", "orders", Order, params, page, page_size))

    def iter_orders(self, **filters: Unpack[OrderFilters]) -> Iterator[Order]:
        """Every order matching ``filters``, 500 a page, fetched lazily."""
        params = encode_filters(filters, _ORDER_SPEC)
        return self._iterate(self._pager("/orders", params, "orders", Order))

    # shipments

    def list_shipments(
        self,
        *,
        page: int = 1,
        page_size: int = MAX_PAGE_SIZE,
        **filters: Unpack[ShipmentFilters],
    ) -> Page[Shipment]:
        """One page of ``GET /shipments`` (labels created in ShipStation only)."""
        params = encode_filters(filters, _SHIPMENT_SPEC)
        call = self._page_call("/shipments", "shipments", Shipment, params, page, page_size)
        return self._call(call)

    def iter_shipments(self, **filters: Unpack[ShipmentFilters]) -> Iterator[Shipment]:
        """Every shipment matching ``filters``, 500 a page, fetched lazily."""
        params = encode_filters(filters, _SHIPMENT_SPEC)
        return self._iterate(self._pager("/shipments", params, "shipments", Shipment))

    # fulfillments

    def list_fulfillments(
        self,
        *,
        page: int = 1,
        page_size: int = MAX_PAGE_SIZE,
        **filters: Unpack[FulfillmentFilters],
    ) -> Page[Fulfillment]:
        """One page of ``GET /fulfillments`` (orders shipped outside ShipStation labels)."""
        params = encode_filters(filters, _FULFILLMENT_SPEC)
        call = self._page_call(
            "/fulfillments", "fulfillments", Fulfillment, params, page, page_size
        )
        return self._call(call)

    def iter_fulfillments(self, **filters: Unpack[FulfillmentFilters]) -> Iterator[Fulfillment]:
        """Every fulfillment matching ``filters``, 500 a page, fetched lazily."""
        params = encode_filters(filters, _FULFILLMENT_SPEC)
        return self._iterate(self._pager("/fulfillments", params, "fulfillments", Fulfillment))

    # customers

    def get_customer(self, customer_id: int) -> Customer:
        """``GET /customers/{customerId}``."""
        path = f"/customers/{self._id(customer_id, 'customer_id')}"
        return self._call(self._get(path, Customer))

    def list_customers(
        self,
        *,
        page: int = 1,
        page_size: int = MAX_PAGE_SIZE,
        **filters: Unpack[CustomerFilters],
    ) -> Page[Customer]:
        """One page of ``GET /customers``."""
        params = encode_filters(filters, _CUSTOMER_SPEC)
        call = self._page_call("/customers", "customers", Customer, params, page, page_size)
        return self._call(call)

    def iter_customers(self, **filters: Unpack[CustomerFilters]) -> Iterator[Customer]:
        """Every customer matching ``filters``, 500 a page, fetched lazily."""
        params = encode_filters(filters, _CUSTOMER_SPEC)
        return self._iterate(self._pager("/customers", params, "customers", Customer))

    # warehouses, products, stores

    def get_warehouse(self, warehouse_id: int) -> Warehouse:
        """``GET /warehouses/{warehouseId}``."""
        path = f"/warehouses/{self._id(warehouse_id, 'warehouse_id')}"
        return self._call(self._get(path, Warehouse))

    def list_warehouses(self) -> tuple[Warehouse, ...]:
        """``GET /warehouses`` (a bare array: no pages)."""
        result: tuple[Warehouse, ...] = self._call(self._bare_list("/warehouses", Warehouse))
        return result

    def get_product(self, product_id: int) -> Product:
        """``GET /products/{productId}``."""
        path = f"/products/{self._id(product_id, 'product_id')}"
        return self._call(self._get(path, Product))

    def list_products(
        self, *, page: int = 1, page_size: int = MAX_PAGE_SIZE, **filters: Unpack[ProductFilters]
    ) -> Page[Product]:
        """One page of ``GET /products``."""
        params = encode_filters(filters, _PRODUCT_SPEC)
        call = self._page_call("/products", "products", Product, params, page, page_size)
        return self._call(call)

    def iter_products(self, **filters: Unpack[ProductFilters]) -> Iterator[Product]:
        """Every product matching ``filters``, 500 a page, fetched lazily."""
        params = encode_filters(filters, _PRODUCT_SPEC)
        return self._iterate(self._pager("/products", params, "products", Product))

    def get_store(self, store_id: int) -> Store:
        """``GET /stores/{storeId}``."""
        return self._call(self._get(f"/stores/{self._id(store_id, 'store_id')}", Store))

    def list_stores(
        self, *, show_inactive: bool | None = None, marketplace_id: int | None = None
    ) -> tuple[Store, ...]:
        """``GET /stores`` (a bare array: no pages)."""
        params = {"showInactive": show_inactive, "marketplaceId": marketplace_id}
        result: tuple[Store, ...] = self._call(self._bare_list("/stores", Store, params))
        return result

    # webhooks

    def list_webhooks(self) -> tuple[Webhook, ...]:
        """``GET /webhooks``."""
        result: tuple[Webhook, ...] = self._call(self._bare_list("/webhooks", Webhook))
        return result

    def subscribe_webhook(
        self,
        target_url: str,
        event: str,
        *,
        store_id: int | None = None,
        friendly_name: str | None = None,
    ) -> int:
        """``POST /webhooks/subscribe``; returns the new webhook's id.

        Put a secret token in ``target_url``: V1 webhooks carry no signature.
        """
        return self._call(self._subscribe_call(target_url, event, store_id, friendly_name))

    def unsubscribe_webhook(self, webhook_id: int) -> None:
        """``DELETE /webhooks/{webhookId}``."""
        path = f"/webhooks/{self._id(webhook_id, 'webhook_id')}"
        self._call(exchange(Request("DELETE", path), None))

    def iter_webhook_records(self, pointer: WebhookPointer) -> Iterator[Any]:
        """The orders, shipments or fulfillments a V1 webhook points at, every page.

        The ``resource_url`` is checked against the webhook policy before any request.

        Raises:
            UnsafeUrlError: a URL, host, path or redirect that must not get credentials.
        """
        return self._iterate_pointer(self._webhook_pager(pointer))

    def _iterate_pointer(self, pager: V1Pager[Any]) -> Iterator[Any]:
        try:
            yield from self._iterate(pager)
        except ApiError as error:
            if error.status is not None and 300 <= error.status < 400:
                raise _redirect_refused(error) from None
            raise

    def resolve_webhook(self, pointer: WebhookPointer) -> list[Any]:
        """All records a V1 webhook points at (see :meth:`iter_webhook_records`)."""
        return list(self.iter_webhook_records(pointer))


class AsyncShipStationV1Client(AsyncClientMixin, _V1Core):
    """The asyncio twin of :class:`ShipStationV1Client` (same methods, awaited).

    Use ``async with``, or call :meth:`aclose`.
    """

    def __init__(
        self,
        settings: ShipStationV1Settings,
        *,
        client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        limiter: RateLimiter | None = None,
        clock: Clock | None = None,
        webhook_policy: WebhookUrlPolicy | None = None,
    ) -> None:
        super().__init__(settings, webhook_policy)
        self._sender = AsyncSender(
            self.http,
            auth=self.auth,
            client=client,
            transport=transport,
            limiter=limiter,
            clock=clock,
            error_parser=self.error_parser,
        )

    # the only methods that send

    async def _call(self, flow: Exchange[T]) -> T:
        return await adrive(flow, self._sender.send)

    async def _iterate(self, pager: V1Pager[T]) -> AsyncIterator[T]:
        request: Request | None = pager.first()
        while request is not None:
            body = read_json(await self._sender.send(request))
            page = pager.decode(body)
            self.undecodable.add(page.failed)
            body = _paging(body)  # the raw records are freed while the decoded ones are read
            for item in page.items:
                yield item
            request = pager.next(body)

    async def take_undecodable(self) -> tuple[UndecodableRecord, ...]:
        """Records of listings read so far that no quirk rule could decode (then forgotten)."""
        return self.undecodable.take()

    # orders

    async def get_order(self, order_id: int) -> Order:
        """``GET /orders/{orderId}``."""
        return await self._call(self._get(f"/orders/{self._id(order_id, 'order_id')}", Order))

    async def list_orders(
        self, *, page: int = 1, page_size: int = MAX_PAGE_SIZE, **filters: Unpack[OrderFilters]
    ) -> Page[Order]:
        """One page of ``GET /orders``."""
        params = encode_filters(filters, _ORDER_SPEC)
        return await self._call(
            self._page_call("/orders", "orders", Order, params, page, page_size)
        )

    def iter_orders(self, **filters: Unpack[OrderFilters]) -> AsyncIterator[Order]:
        """Every order matching ``filters``, 500 a page, fetched lazily."""
        params = encode_filters(filters, _ORDER_SPEC)
        return self._iterate(self._pager("/orders", params, "orders", Order))

    # shipments

    async def list_shipments(
        self,
        *,
        page: int = 1,
        page_size: int = MAX_PAGE_SIZE,
        **filters: Unpack[ShipmentFilters],
    ) -> Page[Shipment]:
        """One page of ``GET /shipments`` (labels created in ShipStation only)."""
        params = encode_filters(filters, _SHIPMENT_SPEC)
        call = self._page_call("/shipments", "shipments", Shipment, params, page, page_size)
        return await self._call(call)

    def iter_shipments(self, **filters: Unpack[ShipmentFilters]) -> AsyncIterator[Shipment]:
        """Every shipment matching ``filters``, 500 a page, fetched lazily."""
        params = encode_filters(filters, _SHIPMENT_SPEC)
        return self._iterate(self._pager("/shipments", params, "shipments", Shipment))

    # fulfillments

    async def list_fulfillments(
        self,
        *,
        page: int = 1,
        page_size: int = MAX_PAGE_SIZE,
        **filters: Unpack[FulfillmentFilters],
    ) -> Page[Fulfillment]:
        """One page of ``GET /fulfillments`` (orders shipped outside ShipStation labels)."""
        params = encode_filters(filters, _FULFILLMENT_SPEC)
        call = self._page_call(
            "/fulfillments", "fulfillments", Fulfillment, params, page, page_size
        )
        return await self._call(call)

    def iter_fulfillments(
        self, **filters: Unpack[FulfillmentFilters]
    ) -> AsyncIterator[Fulfillment]:
        """Every fulfillment matching ``filters``, 500 a page, fetched lazily."""
        params = encode_filters(filters, _FULFILLMENT_SPEC)
        return self._iterate(self._pager("/fulfillments", params, "fulfillments", Fulfillment))

    # customers

    async def get_customer(self, customer_id: int) -> Customer:
        """``GET /customers/{customerId}``."""
        path = f"/customers/{self._id(customer_id, 'customer_id')}"
        return await self._call(self._get(path, Customer))

    async def list_customers(
        self,
        *,
        page: int = 1,
        page_size: int = MAX_PAGE_SIZE,
        **filters: Unpack[CustomerFilters],
    ) -> Page[Customer]:
        """One page of ``GET /customers``."""
        params = encode_filters(filters, _CUSTOMER_SPEC)
        call = self._page_call("/customers", "customers", Customer, params, page, page_size)
        return await self._call(call)

    def iter_customers(self, **filters: Unpack[CustomerFilters]) -> AsyncIterator[Customer]:
        """Every customer matching ``filters``, 500 a page, fetched lazily."""
        params = encode_filters(filters, _CUSTOMER_SPEC)
        return self._iterate(self._pager("/customers", params, "customers", Customer))

    # warehouses, products, stores

    async def get_warehouse(self, warehouse_id: int) -> Warehouse:
        """``GET /warehouses/{warehouseId}``."""
        path = f"/warehouses/{self._id(warehouse_id, 'warehouse_id')}"
        return await self._call(self._get(path, Warehouse))

    async def list_warehouses(self) -> tuple[Warehouse, ...]:
        """``GET /warehouses`` (a bare array: no pages)."""
        result: tuple[Warehouse, ...] = await self._call(self._bare_list("/warehouses", Warehouse))
        return result

    async def get_product(self, product_id: int) -> Product:
        """``GET /products/{productId}``."""
        path = f"/products/{self._id(product_id, 'product_id')}"
        return await self._call(self._get(path, Product))

    async def list_products(
        self, *, page: int = 1, page_size: int = MAX_PAGE_SIZE, **filters: Unpack[ProductFilters]
    ) -> Page[Product]:
        """One page of ``GET /products``."""
        params = encode_filters(filters, _PRODUCT_SPEC)
        call = self._page_call("/products", "products", Product, params, page, page_size)
        return await self._call(call)

    def iter_products(self, **filters: Unpack[ProductFilters]) -> AsyncIterator[Product]:
        """Every product matching ``filters``, 500 a page, fetched lazily."""
        params = encode_filters(filters, _PRODUCT_SPEC)
        return self._iterate(self._pager("/products", params, "products", Product))

    async def get_store(self, store_id: int) -> Store:
        """``GET /stores/{storeId}``."""
        return await self._call(self._get(f"/stores/{self._id(store_id, 'store_id')}", Store))

    async def list_stores(
        self, *, show_inactive: bool | None = None, marketplace_id: int | None = None
    ) -> tuple[Store, ...]:
        """``GET /stores`` (a bare array: no pages)."""
        params = {"showInactive": show_inactive, "marketplaceId": marketplace_id}
        result: tuple[Store, ...] = await self._call(self._bare_list("/stores", Store, params))
        return result

    # webhooks

    async def list_webhooks(self) -> tuple[Webhook, ...]:
        """``GET /webhooks``."""
        result: tuple[Webhook, ...] = await self._call(self._bare_list("/webhooks", Webhook))
        return result

    async def subscribe_webhook(
        self,
        target_url: str,
        event: str,
        *,
        store_id: int | None = None,
        friendly_name: str | None = None,
    ) -> int:
        """``POST /webhooks/subscribe``; returns the new webhook's id.

        Put a secret token in ``target_url``: V1 webhooks carry no signature.
        """
        return await self._call(self._subscribe_call(target_url, event, store_id, friendly_name))

    async def unsubscribe_webhook(self, webhook_id: int) -> None:
        """``DELETE /webhooks/{webhookId}``."""
        path = f"/webhooks/{self._id(webhook_id, 'webhook_id')}"
        await self._call(exchange(Request("DELETE", path), None))

    def iter_webhook_records(self, pointer: WebhookPointer) -> AsyncIterator[Any]:
        """The orders, shipments or fulfillments a V1 webhook points at, every page.

        The ``resource_url`` is checked against the webhook policy before any request.

        Raises:
            UnsafeUrlError: a URL, host, path or redirect that must not get credentials.
        """
        return self._iterate_pointer(self._webhook_pager(pointer))

    async def _iterate_pointer(self, pager: V1Pager[Any]) -> AsyncIterator[Any]:
        try:
            async for item in self._iterate(pager):
                yield item
        except ApiError as error:
            if error.status is not None and 300 <= error.status < 400:
                raise _redirect_refused(error) from None
            raise

    async def resolve_webhook(self, pointer: WebhookPointer) -> list[Any]:
        """All records a V1 webhook points at (see :meth:`iter_webhook_records`)."""
        return [item async for item in self.iter_webhook_records(pointer)]


def _paging(body: Any) -> Any:
    """What a decoded page's body is still needed for: its paging fields (``page``, ``pages``),
    not its lists of raw records, which a paused listing would otherwise hold until the next
    page is asked for."""
    if isinstance(body, dict):
        return {key: value for key, value in body.items() if not isinstance(value, list)}
    return body
