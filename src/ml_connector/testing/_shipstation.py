"""Stateful in-process simulators of ShipStation V1 and V2 (inventory).

Wire shapes follow the public documentation (see the docstrings' URLs):

- V1 (https://docs.shipstation.com/apis/shipstation-v1): camelCase JSON; Pacific wall-clock
  timestamps without offset, 7 fractional digits; lists as ``{orders|shipments|fulfillments|
  customers: [...], total, page, pages}``; warehouses and stores as bare arrays; Basic auth;
  40 requests a minute per key pair with ``X-Rate-Limit-Limit/Remaining/Reset`` on every
  response and ``429 {"message": "Too Many Requests"}`` past it
  (https://www.shipstation.com/docs/api/requirements/#api-rate-limits).
- V2 (https://docs.shipstation.com/manage-inventory-levels): ``api-key`` header; ``/v2/inventory``
  paged with ``links.next.href``; error bodies ``{"request_id", "errors": [...]}``
  (https://docs.shipstation.com/apis/shipengine/docs/reference/errors-codes); 429 with
  ``Retry-After`` (https://docs.shipstation.com/rate-limits).

Both simulators can share one :class:`ShipStationData`, as :class:`ShipStationSimulator` does.
"""

from __future__ import annotations

import base64
import math
import operator
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any, NamedTuple, TypeVar
from urllib.parse import urlencode, urlsplit

import httpx

from ml_connector._clock import Clock
from ml_connector._time import parse_pacific, repeated_hour

from ._base import Latency, Outcome, SimulatorBase
from ._faults import FaultKind, FaultPlan, Faults
from ._generator import GeneratedDay
from ._products import ProductCatalog  # GET /products (catalog check)
from ._tables import Record, Table
from ._wire import format_v1_timestamp, json_response, parse_v1_bound, utc_seconds

__all__ = [
    "ShipStationData",
    "ShipStationSimulator",
    "ShipStationV1Simulator",
    "ShipStationV2Simulator",
    "WEBHOOK_RESOURCE_TYPES",
]

WEBHOOK_RESOURCE_TYPES = (
    "ORDER_NOTIFY",
    "ITEM_ORDER_NOTIFY",
    "SHIP_NOTIFY",
    "ITEM_SHIP_NOTIFY",
    "FULFILLMENT_SHIPPED",
    "FULFILLMENT_REJECTED",
)
"""V1 webhook ``resource_type`` values (https://docs.shipstation.com/apis/shipstation-v1/docs/models/webhook)."""

V1_BASE_URL = "https://ssapi.shipstation.com"
V2_BASE_URL = "https://api.shipstation.com"
MAX_PAGE_SIZE = 500
IndexT = TypeVar("IndexT")


class _BadRequest(Exception):
    """A query the real API would refuse with 400."""


def _ts(value: Any) -> float | None:
    return utc_seconds(parse_pacific(value)) if isinstance(value, str) and value else None


def _day(value: Any) -> str | None:
    return value[:10] if isinstance(value, str) and value else None


def _store_of(record: Mapping[str, Any]) -> int | None:
    options = record.get("advancedOptions")
    return options.get("storeId") if isinstance(options, Mapping) else None


def _name(address: Any) -> str:
    return str(address.get("name") or "") if isinstance(address, Mapping) else ""


class OrderIndex(NamedTuple):
    order_id: int
    order_number: str
    status: str
    store_id: int | None
    customer_name: str
    order_date: float | None
    create_date: float | None
    modify_date: float | None
    payment_date: float | None


def _order_index(o: Record) -> OrderIndex:
    return OrderIndex(
        o["orderId"],
        str(o.get("orderNumber") or ""),
        str(o.get("orderStatus") or ""),
        _store_of(o),
        _name(o.get("billTo")) or _name(o.get("shipTo")),
        _ts(o.get("orderDate")),
        _ts(o.get("createDate")),
        _ts(o.get("modifyDate")),
        _ts(o.get("paymentDate")),
    )


class ShipmentIndex(NamedTuple):
    shipment_id: int
    order_id: int | None
    order_number: str
    store_id: int | None
    create_date: float | None
    ship_date: str | None
    void_date: float | None
    tracking_number: str
    carrier_code: str
    service_code: str
    recipient_name: str
    recipient_country: str


def _shipment_index(s: Record) -> ShipmentIndex:
    raw = s.get("shipTo")
    ship_to: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    return ShipmentIndex(
        s["shipmentId"],
        s.get("orderId"),
        str(s.get("orderNumber") or ""),
        _store_of(s),
        _ts(s.get("createDate")),
        _day(s.get("shipDate")),
        _ts(s.get("voidDate")),
        str(s.get("trackingNumber") or ""),
        str(s.get("carrierCode") or ""),
        str(s.get("serviceCode") or ""),
        _name(ship_to),
        str(ship_to.get("country") or ""),
    )


class FulfillmentIndex(NamedTuple):
    fulfillment_id: int
    order_id: int | None
    order_number: str
    create_date: float | None
    ship_date: str | None
    tracking_number: str
    recipient_name: str


def _fulfillment_index(f: Record) -> FulfillmentIndex:
    return FulfillmentIndex(
        f["fulfillmentId"],
        f.get("orderId"),
        str(f.get("orderNumber") or ""),
        _ts(f.get("createDate")),
        _day(f.get("shipDate")),
        str(f.get("trackingNumber") or ""),
        _name(f.get("shipTo")),
    )


def _pick(day: GeneratedDay, i: int, what: str, k: int = 0) -> Record:
    bundle = day.bundle(i)
    if what == "order":
        return bundle.order
    if what == "shipment":
        return bundle.shipments[k]
    return bundle.fulfillments[k]


class ShipStationData:
    """One ShipStation account's data, shared by the V1 and V2 simulators.

    Seed it with ``add_*`` (wire dicts, exactly as the API sends them) or :meth:`load` (a
    :class:`~ml_connector.testing.GeneratedDay`); inspect it with the getters. All methods are
    thread-safe.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.orders: Table[OrderIndex] = Table("order", lambda r: r["orderId"], _order_index)
        # The sync asks for the shipments of one order per record (GET /shipments?orderId=).
        self.shipments: Table[ShipmentIndex] = Table(
            "shipment",
            lambda r: r["shipmentId"],
            _shipment_index,
            lookups={"order_id": lambda ix: ix.order_id},
        )
        self.fulfillments: Table[FulfillmentIndex] = Table(
            "fulfillment",
            lambda r: r["fulfillmentId"],
            _fulfillment_index,
            lookups={"order_id": lambda ix: ix.order_id},
        )
        self.customers: dict[int, Record] = {}
        self.warehouses: dict[int, Record] = {}
        self.stores: dict[int, Record] = {}
        self.products = ProductCatalog()  # testing/_products.py
        self.inventory_warehouses: dict[str, Record] = {}
        self.inventory_locations: dict[str, Record] = {}
        # (sku, inventory_location_id) -> level
        self.inventory: dict[tuple[str, str], Record] = {}
        # webhook batch id -> (collection, ids)
        self.batches: dict[str, tuple[str, tuple[int, ...]]] = {}
        self._next_id = 900_000_000
        self.realistic = False
        """Set by :meth:`load` from a day generated with ``realism``: the simulators then list
        in ShipStation's documented default order and show late voids only once they happen."""

    def __repr__(self) -> str:
        return (
            f"ShipStationData(orders={len(self.orders)}, shipments={len(self.shipments)}, "
            f"fulfillments={len(self.fulfillments)}, customers={len(self.customers)})"
        )

    def new_id(self) -> int:
        with self.lock:
            self._next_id += 1
            return self._next_id

    # -- seeding -----------------------------------------------------------------------------

    def add_order(self, order: Record) -> None:
        """Add or replace a V1 order (a wire dict)."""
        with self.lock:
            self.orders.add(order)

    def add_shipment(self, shipment: Record) -> None:
        """Add or replace a V1 shipment; keep ``shipmentItems`` in it (served on request)."""
        with self.lock:
            self.shipments.add(shipment)

    def add_fulfillment(self, fulfillment: Record) -> None:
        """Add or replace a V1 fulfillment."""
        with self.lock:
            self.fulfillments.add(fulfillment)

    def add_customer(self, customer: Record) -> None:
        """Add or replace a V1 customer."""
        with self.lock:
            self.customers[customer["customerId"]] = customer

    def add_warehouse(self, warehouse: Record) -> None:
        """Add or replace a V1 warehouse (ship-from location)."""
        with self.lock:
            self.warehouses[warehouse["warehouseId"]] = warehouse

    def add_store(self, store: Record) -> None:
        """Add or replace a V1 store."""
        with self.lock:
            self.stores[store["storeId"]] = store

    def add_inventory_warehouse(self, warehouse: Record) -> None:
        """Add a V2 inventory warehouse."""
        with self.lock:
            self.inventory_warehouses[warehouse["inventory_warehouse_id"]] = warehouse

    def add_inventory_location(self, location: Record) -> None:
        """Add a V2 inventory location."""
        with self.lock:
            self.inventory_locations[location["inventory_location_id"]] = location

    def set_inventory_level(self, level: Record) -> None:
        """Set a V2 inventory level (``sku``, ``inventory_location_id``, ``on_hand``, ...)."""
        with self.lock:
            self.inventory[(level["sku"], level["inventory_location_id"])] = dict(level)

    def load(self, day: GeneratedDay, *, lazy: bool = True) -> None:
        """Load a generated day. With ``lazy`` (the default) orders, shipments and fulfillments
        are kept as small indexes and regenerated from the seed when served."""
        with self.lock:
            self.realistic = self.realistic or day.realism is not None
            for store in day.stores:
                self.add_store(store)
            for warehouse in day.warehouses:
                self.add_warehouse(warehouse)
            for inv_warehouse in day.inventory_warehouses:
                self.add_inventory_warehouse(inv_warehouse)
            for location in day.inventory_locations:
                self.add_inventory_location(location)
            for level in day.inventory:
                self.set_inventory_level(level)
            for customer in day.iter_customers():
                self.add_customer(customer)
            self.products.load_catalog(day.catalog)
            for bundle in day.iter_bundles():
                i = bundle.index
                self.orders.add(bundle.order, partial(_pick, day, i, "order") if lazy else None)
                for k, shipment in enumerate(bundle.shipments):
                    loader = partial(_pick, day, i, "shipment", k) if lazy else None
                    self.shipments.add(shipment, loader)
                for k, fulfillment in enumerate(bundle.fulfillments):
                    loader = partial(_pick, day, i, "fulfillment", k) if lazy else None
                    self.fulfillments.add(fulfillment, loader)

    # -- changes and inspection --------------------------------------------------------------

    def void_shipment(self, shipment_id: int, at: datetime) -> Record:
        """Void a shipment's label at ``at`` (aware); returns the changed shipment."""
        with self.lock:
            record = self.shipments.reindex(shipment_id)
            record["voided"] = True
            record["voidDate"] = format_v1_timestamp(at)
            self.shipments.touched(shipment_id)
            return record

    def order(self, order_id: int) -> Record | None:
        with self.lock:
            return self.orders.get(order_id)

    def shipment(self, shipment_id: int) -> Record | None:
        with self.lock:
            return self.shipments.get(shipment_id)

    def fulfillment(self, fulfillment_id: int) -> Record | None:
        with self.lock:
            return self.fulfillments.get(fulfillment_id)

    def inventory_level(self, sku: str, inventory_location_id: str) -> Record | None:
        with self.lock:
            level = self.inventory.get((sku, inventory_location_id))
            return None if level is None else dict(level)

    def store_of_order(self, order_id: int | None) -> int | None:
        row = self.orders.rows.get(order_id) if order_id is not None else None
        return None if row is None else row.index.store_id


class _Window:
    """A fixed rate-limit window per credential, on the simulator's clock."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit = limit
        self.seconds = seconds
        self._windows: dict[str, tuple[float, int]] = {}

    def hit(self, who: str, now: float) -> tuple[bool, int, int]:
        """Count a request; returns (allowed, remaining, seconds until reset)."""
        start, used = self._windows.get(who, (now, 0))
        if now >= start + self.seconds:
            start, used = now, 0
        allowed = used < self.limit
        if allowed:
            used += 1
        self._windows[who] = (start, used)
        reset = max(0, math.ceil(start + self.seconds - now))
        return allowed, self.limit - used, reset


def _int(params: Mapping[str, str], name: str) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise _BadRequest(f"The request is invalid: {name} must be an integer") from None


def _bool(params: Mapping[str, str], name: str) -> bool:
    return str(params.get(name, "")).strip().lower() in ("true", "1", "yes")


def _param(params: Mapping[str, str], *names: str) -> str | None:
    """First non-empty value among ``names`` (query names are matched case-insensitively)."""
    lowered = {k.lower(): v for k, v in params.items()}
    for name in names:
        value = lowered.get(name.lower())
        if value:
            return value
    return None


def _bound(params: Mapping[str, str], name: str, *, end: bool) -> float | None:
    value = params.get(name)
    if not value:
        return None
    try:
        instant = parse_v1_bound(value, end=end)
    except ValueError:
        raise _BadRequest(f"The request is invalid: {name} is not a valid date") from None
    span = repeated_hour(instant)
    if span is not None and not end:
        # A bound in the repeated fall-back hour could mean either occurrence; the docs
        # (https://www.shipstation.com/docs/api/requirements/#datetime-format) do not say which.
        # The stricter reading: the narrowest window (a start means the later occurrence, an end
        # the earlier one), so a client that sends such a bound loses records here too.
        instant += span[1] - span[0]
    return utc_seconds(instant)


def _day_bound(params: Mapping[str, str], name: str) -> str | None:
    value = params.get(name)
    if not value:
        return None
    text = value.strip()[:10]
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        raise _BadRequest(f"The request is invalid: {name} is not a valid date")
    return text


def _window(
    predicates: list[Callable[[IndexT], bool]],
    getter: Callable[[IndexT], Any],
    low: Any,
    high: Any,
) -> None:
    if low is not None:
        predicates.append(lambda ix: (v := getter(ix)) is not None and v >= low)
    if high is not None:
        predicates.append(lambda ix: (v := getter(ix)) is not None and v <= high)


def _equals(attr: str, value: Any) -> Callable[[Any], bool]:
    get = operator.attrgetter(attr)
    return lambda ix: bool(get(ix) == value)


class ShipStationV1Simulator(SimulatorBase):
    """ShipStation V1 (``https://ssapi.shipstation.com``), in process.

    Args:
        data: The account's data (default: a new, empty :class:`ShipStationData`).
        api_key: The API key the simulator accepts (Basic auth user name).
        api_secret: The API secret (Basic auth password).
        rate_limit: Requests per window per key pair (ShipStation's is 40 a minute);
            ``None`` turns limiting off.
        rate_window: Window length in seconds.
        base_url: Used in webhook ``resource_url`` values.
        clock: Clock for latency and the rate window (default: a new ``VirtualClock``).
        latency: Seconds per response on that clock.
        faults: Fault plan (or a shared running :class:`Faults`).
        realistic: Behave like ShipStation rather than a tidy test double (default: as the
            loaded day, see :attr:`ShipStationData.realistic`): lists in the documented default
            order (orders by ``orderId``, shipments and fulfillments by ``createDate``), and a
            fulfillment voided later shows ``voided``/``voidDate`` only once the clock has
            passed its ``voidDate``. Otherwise lists keep insertion order.

    Routes: ``GET /orders``, ``/orders/{id}``, ``/shipments``, ``/fulfillments``,
    ``/customers``, ``/customers/{id}``, ``/warehouses``, ``/warehouses/{id}``, ``/stores``,
    ``/stores/{id}``, ``/products``, ``/products/{id}``; ``POST /webhooks/subscribe``;
    ``GET /webhooks``.
    """

    def __init__(
        self,
        data: ShipStationData | None = None,
        *,
        api_key: str = "sim-key",
        api_secret: str = "sim-secret",  # noqa: S107 (the simulator's own test credential)
        rate_limit: int | None = 40,
        rate_window: float = 60.0,
        base_url: str = V1_BASE_URL,
        clock: Clock | None = None,
        latency: Latency = 0.0,
        faults: FaultPlan | Faults | None = None,
        realistic: bool | None = None,
    ) -> None:
        self.data = data if data is not None else ShipStationData()
        super().__init__(clock=clock, latency=latency, faults=faults, lock=self.data.lock)
        self._realistic = realistic
        self.base_url = base_url.rstrip("/")
        token = base64.b64encode(f"{api_key}:{api_secret}".encode()).decode("ascii")
        self._auth = f"Basic {token}"
        self._window = None if rate_limit is None else _Window(rate_limit, rate_window)
        self.webhooks: list[Record] = []
        self.rate_limited = 0

    @property
    def realistic(self) -> bool:
        """Whether lists and late voids behave like ShipStation (see the class docstring)."""
        return self.data.realistic if self._realistic is None else self._realistic

    def _default_sort(
        self, field: str | None, getter: Callable[[Any], Any]
    ) -> Callable[[Any], Any] | None:
        """The sort key: ``sortBy``'s field, else the documented default in realistic mode."""
        if field is not None:
            return lambda ix: getattr(ix, field)
        return getter if self.realistic else None

    # -- wire helpers ------------------------------------------------------------------------

    def _rate_headers(self, request: httpx.Request) -> tuple[bool, dict[str, str]]:
        if self._window is None:
            return True, {}
        who = request.headers.get("Authorization", "")
        allowed, remaining, reset = self._window.hit(who, self.clock.monotonic())
        headers = {
            "X-Rate-Limit-Limit": str(self._window.limit),
            "X-Rate-Limit-Remaining": str(remaining),
            "X-Rate-Limit-Reset": str(reset),
        }
        return allowed, headers

    def fault_response(self, kind: FaultKind, request: httpx.Request) -> httpx.Response:
        _, headers = self._rate_headers(request)
        if kind is FaultKind.RATE_LIMIT:
            headers["X-Rate-Limit-Remaining"] = "0"
            return json_response(429, {"message": "Too Many Requests"}, headers=headers)
        status = self.faults.plan.server_error_status
        return json_response(status, {"message": "An internal error occurred"}, headers=headers)

    def handle(self, request: httpx.Request) -> httpx.Response:
        allowed, headers = self._rate_headers(request)
        if not allowed:
            self.rate_limited += 1
            return json_response(429, {"message": "Too Many Requests"}, headers=headers)
        if request.headers.get("Authorization") != self._auth:
            return json_response(401, {"message": "Invalid API credentials"}, headers=headers)
        try:
            status, body = self._route(request)
        except _BadRequest as exc:
            status, body = 400, {"message": str(exc)}
        return json_response(status, body, headers=headers)

    def _route(self, request: httpx.Request) -> tuple[int, Any]:
        method = request.method.upper()
        parts = [p for p in request.url.path.split("/") if p]
        params = dict(request.url.params.items())
        if not parts:
            return 404, {"message": "Not Found"}
        resource = parts[0].lower()
        if method == "GET" and len(parts) == 1:
            listing = {
                "orders": self._list_orders,
                "shipments": self._list_shipments,
                "fulfillments": self._list_fulfillments,
                "customers": self._list_customers,
            }.get(resource)
            if listing is not None:
                return 200, listing(params)
            if resource == "warehouses":
                return 200, list(self.data.warehouses.values())
            if resource == "products":  # testing/_products.py
                return 200, self.data.products.listing(
                    params, paging=self._paging, sort=self._sort, bound=_bound, created=_ts
                )
            if resource == "stores":
                show_inactive = _bool(params, "showInactive")
                return 200, [s for s in self.data.stores.values() if show_inactive or s["active"]]
            if resource == "webhooks":
                return 200, {"webhooks": list(self.webhooks)}
        if method == "GET" and len(parts) == 2:
            try:
                key = int(parts[1])
            except ValueError:
                return 404, {"message": "Not Found"}
            getters: dict[str, Callable[[int], Record | None]] = {
                "orders": self.data.orders.get,
                "customers": self.data.customers.get,
                "warehouses": self.data.warehouses.get,
                "stores": self.data.stores.get,
                "products": self.data.products.get,
            }
            getter = getters.get(resource)
            record = None if getter is None else getter(key)
            if record is not None:
                return 200, record
            return 404, {"message": f"The requested {resource[:-1]} was not found"}
        if method == "POST" and parts == ["webhooks", "subscribe"]:
            return self._subscribe(request)
        return 404, {"message": "No HTTP resource was found that matches the request URI"}

    @staticmethod
    def _paging(params: Mapping[str, str]) -> tuple[int, int]:
        page = _int(params, "page") or 1
        size = _int(params, "pageSize") or 100
        if page < 1:
            raise _BadRequest("The request is invalid: page must be 1 or more")
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise _BadRequest(f"The request is invalid: pageSize must be 1 to {MAX_PAGE_SIZE}")
        return page, size

    @staticmethod
    def _sort(params: Mapping[str, str], allowed: Mapping[str, str]) -> tuple[str | None, bool]:
        sort_by = params.get("sortBy")
        field = None
        if sort_by:
            field = allowed.get(sort_by.lower())
            if field is None:
                raise _BadRequest(f"The request is invalid: sortBy {sort_by!r} is not supported")
        direction = (params.get("sortDir") or "ASC").upper()
        if direction not in ("ASC", "DESC"):
            raise _BadRequest("The request is invalid: sortDir must be ASC or DESC")
        return field, direction == "DESC"

    def _page(
        self,
        collection: str,
        rows: Sequence[Any],
        params: Mapping[str, str],
        render: Callable[[Record], Record] | None = None,
    ) -> Record:
        page, size = self._paging(params)
        total = len(rows)
        chunk = rows[(page - 1) * size : page * size]
        records = [row.record() for row in chunk]
        if render is not None:
            records = [render(r) for r in records]
        return {collection: records, "total": total, "page": page, "pages": math.ceil(total / size)}

    def _batch_ids(self, params: Mapping[str, str], collection: str) -> frozenset[int] | None:
        batch = _param(params, "batchId", "importBatch")
        if batch is None:
            return None
        kind, ids = self.data.batches.get(batch, (collection, ()))
        return frozenset(ids) if kind == collection else frozenset()

    def _list_orders(self, params: Mapping[str, str]) -> Record:
        preds: list[Callable[[OrderIndex], bool]] = []
        for name, getter in (
            ("createDate", lambda ix: ix.create_date),
            ("modifyDate", lambda ix: ix.modify_date),
            ("orderDate", lambda ix: ix.order_date),
            ("paymentDate", lambda ix: ix.payment_date),
        ):
            low = _bound(params, f"{name}Start", end=False)
            high = _bound(params, f"{name}End", end=True)
            _window(preds, getter, low, high)
        number = params.get("orderNumber")
        if number:
            # "starts with" search (https://docs.shipstation.com/apis/shipstation-v1/openapi/orders/list_orders)
            preds.append(lambda ix: ix.order_number.lower().startswith(number.lower()))
        status = params.get("orderStatus")
        if status:
            preds.append(lambda ix: ix.status == status)
        store = _int({"storeId": _param(params, "storeId") or ""}, "storeId")
        if store is not None:
            preds.append(lambda ix: ix.store_id == store)
        customer = (params.get("customerName") or "").lower()
        if customer:
            preds.append(lambda ix: customer in ix.customer_name.lower())
        ids = self._batch_ids(params, "orders")
        if ids is not None:
            preds.append(lambda ix: ix.order_id in ids)
        record_preds: list[Callable[[Record], bool]] = []
        keyword = params.get("itemKeyword")
        if keyword:
            needle = keyword.lower()
            record_preds.append(
                lambda o: any(
                    needle in str(item.get(f) or "").lower()
                    for item in o.get("items") or ()
                    for f in ("sku", "name")
                )
            )
        field, reverse = self._sort(
            params,
            {"orderdate": "order_date", "modifydate": "modify_date", "createdate": "create_date"},
        )
        rows = self.data.orders.query(
            ("orders", _filter_key(params)),
            preds,
            # Default: ascending orderId ("If left empty, the response will be sorted by
            # ascending orderId", https://docs.shipstation.com/apis/shipstation-v1/openapi/orders,
            # quoted in marketvision/ShipStation4Net Filters/OrdersFilter.cs).
            self._default_sort(field, lambda ix: ix.order_id),
            reverse=reverse,
            record_predicates=record_preds,
        )
        return self._page("orders", rows, params)

    def _list_shipments(self, params: Mapping[str, str]) -> Record:
        preds: list[Callable[[ShipmentIndex], bool]] = []
        _window(
            preds,
            lambda ix: ix.create_date,
            _bound(params, "createDateStart", end=False),
            _bound(params, "createDateEnd", end=True),
        )
        _window(
            preds,
            lambda ix: ix.void_date,
            _bound(params, "voidDateStart", end=False),
            _bound(params, "voidDateEnd", end=True),
        )
        _window(
            preds,
            lambda ix: ix.ship_date,
            _day_bound(params, "shipDateStart"),
            _day_bound(params, "shipDateEnd"),
        )
        order_id = _int(params, "orderId")
        if order_id is not None:
            preds.append(lambda ix: ix.order_id == order_id)
        store = _int({"storeId": _param(params, "storeId") or ""}, "storeId")
        if store is not None:
            preds.append(lambda ix: ix.store_id == store)
        for param, attr in (
            ("orderNumber", "order_number"),
            ("trackingNumber", "tracking_number"),
            ("carrierCode", "carrier_code"),
            ("serviceCode", "service_code"),
            ("recipientCountryCode", "recipient_country"),
        ):
            value = params.get(param)
            if value:
                preds.append(_equals(attr, value))
        recipient = params.get("recipientName")
        if recipient:
            preds.append(lambda ix: recipient.lower() in ix.recipient_name.lower())
        ids = self._batch_ids(params, "shipments")
        if ids is not None:
            preds.append(lambda ix: ix.shipment_id in ids)
        field, reverse = self._sort(params, {"shipdate": "ship_date", "createdate": "create_date"})
        rows = self.data.shipments.query(
            ("shipments", _filter_key(params)),
            preds,
            # Default: ascending createDate ("If left empty, the response will be sorted by
            # ascending createDate", https://docs.shipstation.com/apis/shipstation-v1/docs/shipments/list,
            # quoted in marketvision/ShipStation4Net Filters/ShipmentsFilter.cs); ties by id.
            self._default_sort(field, lambda ix: (ix.create_date or 0.0, ix.shipment_id)),
            reverse=reverse,
            narrow=None if order_id is None else ("order_id", order_id),
        )
        with_items = _bool(params, "includeShipmentItems")

        def render(shipment: Record) -> Record:
            # shipmentItems is only populated with includeShipmentItems=true
            # (https://docs.shipstation.com/apis/shipstation-v1/docs/shipments/list).
            if with_items:
                return shipment
            return dict(shipment, shipmentItems=None)

        return self._page("shipments", rows, params, render)

    def _list_fulfillments(self, params: Mapping[str, str]) -> Record:
        preds: list[Callable[[FulfillmentIndex], bool]] = []
        _window(
            preds,
            lambda ix: ix.create_date,
            _bound(params, "createDateStart", end=False),
            _bound(params, "createDateEnd", end=True),
        )
        _window(
            preds,
            lambda ix: ix.ship_date,
            _day_bound(params, "shipDateStart"),
            _day_bound(params, "shipDateEnd"),
        )
        order_id: int | None = None
        for param, attr in (("fulfillmentId", "fulfillment_id"), ("orderId", "order_id")):
            number = _int(params, param)
            if number is not None:
                preds.append(_equals(attr, number))
                if attr == "order_id":
                    order_id = number
        for param, attr in (("orderNumber", "order_number"), ("trackingNumber", "tracking_number")):
            value = params.get(param)
            if value:
                preds.append(_equals(attr, value))
        recipient = params.get("recipientName")
        if recipient:
            preds.append(lambda ix: recipient.lower() in ix.recipient_name.lower())
        store = _int({"storeId": _param(params, "storeId") or ""}, "storeId")
        if store is not None:
            preds.append(lambda ix: self.data.store_of_order(ix.order_id) == store)
        ids = self._batch_ids(params, "fulfillments")
        if ids is not None:
            preds.append(lambda ix: ix.fulfillment_id in ids)
        field, reverse = self._sort(params, {"shipdate": "ship_date", "createdate": "create_date"})
        rows = self.data.fulfillments.query(
            ("fulfillments", _filter_key(params)),
            preds,
            # Default: ascending createDate, as for shipments (marketvision/ShipStation4Net
            # Filters/FulfillmentsFilter.cs quotes the same sentence); ties by id.
            self._default_sort(field, lambda ix: (ix.create_date or 0.0, ix.fulfillment_id)),
            reverse=reverse,
            narrow=None if order_id is None else ("order_id", order_id),
        )
        render = self._pending_void_hidden() if self.realistic else None
        return self._page("fulfillments", rows, params, render)

    def _pending_void_hidden(self) -> Callable[[Record], Record]:
        now = utc_seconds(self.clock.now())

        def render(fulfillment: Record) -> Record:
            # A generated late void (voidDate in the future) has not happened yet on our clock.
            void = _ts(fulfillment.get("voidDate"))
            if void is not None and void > now:
                return dict(fulfillment, voided=False, voidRequested=False, voidDate=None)
            return fulfillment

        return render

    def _list_customers(self, params: Mapping[str, str]) -> Record:
        customers = list(self.data.customers.values())
        state = params.get("stateCode")
        if state:
            customers = [c for c in customers if c.get("state") == state]
        country = params.get("countryCode")
        if country:
            customers = [c for c in customers if c.get("countryCode") == country]
        marketplace = _int(params, "marketplaceId")
        if marketplace is not None:
            customers = [
                c
                for c in customers
                if any(
                    m.get("marketplaceId") == marketplace
                    for m in c.get("marketplaceUsernames") or ()
                )
            ]
        tag = _int(params, "tagId")
        if tag is not None:
            customers = [
                c for c in customers if any(t.get("tagId") == tag for t in c.get("tags") or ())
            ]
        field, reverse = self._sort(
            params, {"name": "name", "modifydate": "modifyDate", "createdate": "createDate"}
        )
        if field is not None:
            customers.sort(key=lambda c: str(c.get(field) or ""), reverse=reverse)
        elif reverse:
            customers.reverse()
        page, size = self._paging(params)
        return {
            "customers": customers[(page - 1) * size : page * size],
            "total": len(customers),
            "page": page,
            "pages": math.ceil(len(customers) / size),
        }

    def _subscribe(self, request: httpx.Request) -> tuple[int, Any]:
        try:
            body = httpx.Response(200, content=request.content).json()
        except ValueError:
            raise _BadRequest("The request is invalid: body is not JSON") from None
        if not isinstance(body, Mapping) or not body.get("target_url") or not body.get("event"):
            raise _BadRequest("The request is invalid: target_url and event are required")
        if body["event"] not in WEBHOOK_RESOURCE_TYPES:
            raise _BadRequest(f"The request is invalid: unknown event {body['event']!r}")
        hook_id = self.data.new_id()
        self.webhooks.append(
            {
                "IsLabelAPIHook": False,
                "WebHookID": hook_id,
                "SellerID": 1,
                "StoreID": body.get("store_id"),
                "HookType": body["event"],
                "MessageFormat": "Json",
                "Url": body["target_url"],
                "Name": body.get("friendly_name"),
                "BulkCopyBatchID": None,
                "BulkCopyRecordID": None,
                "Active": True,
                "WebhookLogs": None,
                "Seller": None,
                "Store": None,
            }
        )
        # docs.shipstation.com documents WebHookID/HookType/Url/Name; older docs show {"id": n}.
        return 200, {
            "id": hook_id,
            "WebHookID": hook_id,
            "HookType": body["event"],
            "Url": body["target_url"],
            "Name": body.get("friendly_name"),
        }

    # -- webhooks ----------------------------------------------------------------------------

    def make_webhook(
        self,
        resource_type: str,
        ids: Iterable[int],
        *,
        store_id: int | None = None,
    ) -> dict[str, str]:
        """A V1 webhook body ``{"resource_url", "resource_type"}`` pointing at ``ids``.

        The pointer is thin, as ShipStation's is: the receiver GETs ``resource_url`` with its
        own credentials and pages through the result
        (https://docs.shipstation.com/apis/shipstation-v1/docs/models/webhook).

        Args:
            resource_type: One of :data:`WEBHOOK_RESOURCE_TYPES`.
            ids: Order ids (``*ORDER_NOTIFY``), shipment ids (``*SHIP_NOTIFY``) or fulfillment
                ids (``FULFILLMENT_*``) the batch holds.
            store_id: The store the batch belongs to.
        """
        if resource_type not in WEBHOOK_RESOURCE_TYPES:
            raise ValueError(f"unknown resource_type {resource_type!r}")
        batch = str(self.data.new_id())
        query: dict[str, Any] = {}
        if store_id is not None:
            query["storeID"] = store_id
        if resource_type.endswith("ORDER_NOTIFY"):
            collection = "orders"
            batch = str(uuid.UUID(int=int(batch)))
            query["importBatch"] = batch
        elif resource_type.endswith("SHIP_NOTIFY"):
            collection = "shipments"
            query["batchId"] = batch
            query["includeShipmentItems"] = "True" if resource_type.startswith("ITEM") else "False"
        else:
            collection = "fulfillments"
            query["batchId"] = batch
        with self.data.lock:
            self.data.batches[batch] = (collection, tuple(ids))
        url = f"{self.base_url}/{collection}?{urlencode(query)}"
        return {"resource_url": url, "resource_type": resource_type}


def _filter_key(params: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in params.items() if k not in ("page", "pageSize")))


class ShipStationV2Simulator(SimulatorBase):
    """ShipStation V2 inventory (``https://api.shipstation.com/v2``), in process.

    Args:
        data: The account's data (share it with a V1 simulator for one dataset).
        api_key: The key the ``api-key`` header must carry.
        rate_limit: Requests per window (V2 default is 200 a minute); ``None``: no limit.
        rate_window: Window length in seconds.
        base_url: Used in ``links`` hrefs.
        clock: The time source (a :class:`VirtualClock` in tests).
        latency: Simulated latency per response, as for :class:`ShipStationV1Simulator`.
        faults: The fault plan, as for :class:`ShipStationV1Simulator`.

    Routes: ``GET``/``POST /v2/inventory``; ``GET``/``POST /v2/inventory_warehouses``,
    ``GET /v2/inventory_warehouses/{id}``; ``GET``/``POST /v2/inventory_locations``,
    ``GET /v2/inventory_locations/{id}``.
    """

    def __init__(
        self,
        data: ShipStationData | None = None,
        *,
        api_key: str = "sim-v2-key",
        rate_limit: int | None = 200,
        rate_window: float = 60.0,
        base_url: str = V2_BASE_URL,
        clock: Clock | None = None,
        latency: Latency = 0.0,
        faults: FaultPlan | Faults | None = None,
    ) -> None:
        self.data = data if data is not None else ShipStationData()
        super().__init__(clock=clock, latency=latency, faults=faults, lock=self.data.lock)
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        self._window = None if rate_limit is None else _Window(rate_limit, rate_window)
        self._request_ids = 0

    def _error(
        self,
        status: int,
        error_type: str,
        code: str,
        message: str,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        # {"request_id", "errors": [{error_source, error_type, error_code, message}]}
        # (https://docs.shipstation.com/apis/shipengine/docs/reference/errors-codes)
        self._request_ids += 1
        body = {
            "request_id": str(uuid.UUID(int=self._request_ids)),
            "errors": [
                {
                    "error_source": "ShipStation",
                    "error_type": error_type,
                    "error_code": code,
                    "message": message,
                }
            ],
        }
        return json_response(status, body, headers=headers)

    def fault_response(self, kind: FaultKind, request: httpx.Request) -> httpx.Response:
        if kind is FaultKind.RATE_LIMIT:
            return self._error(
                429,
                "system",
                "rate_limit_exceeded",
                "You have exceeded the rate limit.",
                {"Retry-After": "60"},
            )
        status = self.faults.plan.server_error_status
        return self._error(status, "system", "unspecified", "An unexpected error occurred.")

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self._window is not None:
            who = request.headers.get("api-key", "")
            allowed, _remaining, reset = self._window.hit(who, self.clock.monotonic())
            if not allowed:
                return self._error(
                    429,
                    "system",
                    "rate_limit_exceeded",
                    "You have exceeded the rate limit.",
                    {"Retry-After": str(max(1, reset))},
                )
        if request.headers.get("api-key") != self.api_key:
            return self._error(401, "security", "unauthorized", "The API key is invalid.")
        method = request.method.upper()
        path = request.url.path.rstrip("/")
        params = dict(request.url.params.items())
        try:
            if path == "/v2/inventory":
                if method == "GET":
                    return self._list_inventory(params)
                if method == "POST":
                    return self._update_inventory(_json_body(request))
            if path in ("/v2/inventory_warehouses", "/v2/inventory_locations"):
                collection = path.rsplit("/", 1)[1]
                if method == "GET":
                    return self._list_simple(collection, params)
                if method == "POST":
                    return self._create(collection, _json_body(request))
            for collection in ("inventory_warehouses", "inventory_locations"):
                prefix = f"/v2/{collection}/"
                if path.startswith(prefix) and method == "GET":
                    found = self._table(collection).get(path[len(prefix) :])
                    if found is None:
                        return self._error(
                            404, "validation", "invalid_identifier", f"{collection} not found"
                        )
                    return json_response(200, found)
        except _BadRequest as exc:
            return self._error(400, "validation", "invalid_field_value", str(exc))
        return self._error(404, "validation", "invalid_identifier", "Resource not found.")

    def _table(self, collection: str) -> dict[str, Record]:
        if collection == "inventory_warehouses":
            return self.data.inventory_warehouses
        return self.data.inventory_locations

    def _links(self, path: str, params: Mapping[str, str], page: int, pages: int) -> Record:
        def href(n: int) -> dict[str, str]:
            query = {k: v for k, v in params.items() if k != "page"}
            if n > 1:
                query["page"] = str(n)
            suffix = f"?{urlencode(query)}" if query else ""
            return {"href": f"{self.base_url}{path}{suffix}"}

        # Absent neighbours are empty objects, as in the documented example.
        return {
            "first": href(1),
            "last": href(max(pages, 1)),
            "prev": href(page - 1) if page > 1 else {},
            "next": href(page + 1) if page < pages else {},
        }

    def _paged(
        self, path: str, collection: str, items: list[Record], params: Mapping[str, str]
    ) -> httpx.Response:
        limit = _int(params, "limit") or 100
        page = _int(params, "page") or 1
        if limit < 1 or page < 1:
            raise _BadRequest("limit and page must be positive")
        pages = math.ceil(len(items) / limit)
        body = {
            collection: items[(page - 1) * limit : page * limit],
            "total": len(items),
            "page": page,
            "pages": pages,
            "links": self._links(path, params, page, pages),
        }
        return json_response(200, body)

    def _list_inventory(self, params: Mapping[str, str]) -> httpx.Response:
        levels = list(self.data.inventory.values())
        skus = params.get("sku")
        if skus:
            wanted = {s.strip() for s in skus.split(",")}
            levels = [lv for lv in levels if lv["sku"] in wanted]
        for name in ("inventory_warehouse_id", "inventory_location_id"):
            value = params.get(name)
            if value:
                levels = [lv for lv in levels if lv.get(name) == value]
        group_by = params.get("group_by")
        if group_by not in (None, "", "warehouse", "location"):
            raise _BadRequest("group_by must be 'warehouse' or 'location'")
        if group_by == "warehouse":
            grouped: dict[tuple[str, str], Record] = {}
            for lv in levels:
                key = (lv["sku"], lv["inventory_warehouse_id"])
                total = grouped.setdefault(
                    key,
                    dict(lv, on_hand=0, allocated=0, available=0, inventory_location_id=None),
                )
                for field in ("on_hand", "allocated", "available"):
                    total[field] += lv[field]
            levels = list(grouped.values())
        levels.sort(key=lambda lv: (lv["sku"], lv.get("inventory_location_id") or ""))
        return self._paged("/v2/inventory", "inventory", levels, params)

    def _update_inventory(self, body: Record) -> httpx.Response:
        # https://docs.shipstation.com/manage-inventory-levels
        for required in ("transaction_type", "sku", "quantity", "inventory_location_id"):
            if body.get(required) in (None, ""):
                return self._error(
                    400, "validation", "field_value_required", f"{required} is required"
                )
        kind = body["transaction_type"]
        location = body["inventory_location_id"]
        if location not in self.data.inventory_locations:
            return self._error(
                400, "validation", "invalid_identifier", f"inventory location {location} not found"
            )
        quantity = body["quantity"]
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
            return self._error(
                400, "validation", "invalid_field_value", "quantity must be a whole number >= 0"
            )
        key = (body["sku"], location)
        warehouse = self.data.inventory_locations[location]["inventory_warehouse_id"]
        level = self.data.inventory.get(key) or {
            "sku": body["sku"],
            "on_hand": 0,
            "allocated": 0,
            "available": 0,
            "average_cost": {"amount": Decimal("0"), "currency": "USD"},
            "inventory_warehouse_id": warehouse,
            "inventory_location_id": location,
        }
        if kind == "increment":
            on_hand = level["on_hand"] + quantity
        elif kind == "decrement":
            on_hand = level["on_hand"] - quantity
            if on_hand < 0:
                return self._error(
                    400,
                    "business_rules",
                    "invalid_field_value",
                    f"cannot decrement {body['sku']} below zero at {location}",
                )
        elif kind == "adjust":
            on_hand = quantity
        elif kind == "modify":
            on_hand = level["on_hand"]
            if body.get("new_cost"):
                level["average_cost"] = body["new_cost"]
        else:
            return self._error(
                400,
                "validation",
                "invalid_field_value",
                "transaction_type must be increment, decrement, adjust or modify",
            )
        level["on_hand"] = on_hand
        level["available"] = on_hand - level["allocated"]
        self.data.inventory[key] = level
        return httpx.Response(204)

    def _list_simple(self, collection: str, params: Mapping[str, str]) -> httpx.Response:
        items = list(self._table(collection).values())
        return self._paged(f"/v2/{collection}", collection, items, params)

    def _create(self, collection: str, body: Record) -> httpx.Response:
        if not body.get("name"):
            return self._error(400, "validation", "field_value_required", "name is required")
        now = self.clock.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        new_id = f"se-{self.data.new_id()}"
        if collection == "inventory_warehouses":
            record = {
                "inventory_warehouse_id": new_id,
                "name": body["name"],
                "created_at": now,
                "updated_at": now,
            }
            self.data.inventory_warehouses[new_id] = record
        else:
            warehouse = body.get("inventory_warehouse_id")
            if warehouse not in self.data.inventory_warehouses:
                return self._error(
                    400, "validation", "invalid_identifier", "inventory_warehouse_id not found"
                )
            record = {
                "inventory_location_id": new_id,
                "name": body["name"],
                "inventory_warehouse_id": warehouse,
                "created_at": now,
                "updated_at": now,
            }
            self.data.inventory_locations[new_id] = record
        return json_response(200, record)


def _json_body(request: httpx.Request) -> Record:
    try:
        body = httpx.Response(200, content=request.content).json()
    except ValueError:
        raise _BadRequest("Body of request must be JSON.") from None
    if not isinstance(body, dict):
        raise _BadRequest("Body of request must be a JSON object.")
    return body


class _RoutingTransport(SimulatorBase):
    """Routes by host: ``api.shipstation.com`` to V2, anything else to V1."""

    def __init__(self, v1: ShipStationV1Simulator, v2: ShipStationV2Simulator) -> None:
        super().__init__(clock=v1.clock, faults=None, lock=v1.data.lock)
        self._v1 = v1
        self._v2 = v2
        self._v2_host = urlsplit(v2.base_url).hostname

    def dispatch(self, request: httpx.Request) -> Outcome:
        if request.url.host == self._v2_host or request.url.path.startswith("/v2/"):
            return self._v2.dispatch(request)
        return self._v1.dispatch(request)


class ShipStationSimulator:
    """V1 and V2 over one :class:`ShipStationData`, with one transport that routes by host.

    Args:
        data: The shared data (default: new and empty).
        clock: One clock for both.
        faults: One running :class:`Faults` (or plan) for both, so figures add up.
        v1_options: Extra keyword arguments for :class:`ShipStationV1Simulator`.
        v2_options: Extra keyword arguments for :class:`ShipStationV2Simulator`.
    """

    def __init__(
        self,
        data: ShipStationData | None = None,
        *,
        clock: Clock | None = None,
        faults: FaultPlan | Faults | None = None,
        v1_options: Mapping[str, Any] | None = None,
        v2_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.data = data if data is not None else ShipStationData()
        shared = faults if isinstance(faults, Faults) else Faults(faults)
        self.v1 = ShipStationV1Simulator(
            self.data, clock=clock, faults=shared, **dict(v1_options or {})
        )
        self.v2 = ShipStationV2Simulator(
            self.data, clock=self.v1.clock, faults=shared, **dict(v2_options or {})
        )
        self.faults = shared
        self.clock = self.v1.clock
        self._router = _RoutingTransport(self.v1, self.v2)

    def __repr__(self) -> str:
        return f"ShipStationSimulator({self.data!r})"

    def load(self, day: GeneratedDay, *, lazy: bool = True) -> None:
        """Load a generated day into the shared data."""
        self.data.load(day, lazy=lazy)

    def transport(self) -> httpx.BaseTransport:
        """One sync transport for both APIs (routes by host)."""
        return self._router.transport()

    def async_transport(self) -> httpx.AsyncBaseTransport:
        """One async transport for both APIs (routes by host)."""
        return self._router.async_transport()

    def make_webhook(
        self, resource_type: str, ids: Iterable[int], *, store_id: int | None = None
    ) -> dict[str, str]:
        """See :meth:`ShipStationV1Simulator.make_webhook`."""
        return self.v1.make_webhook(resource_type, ids, store_id=store_id)
