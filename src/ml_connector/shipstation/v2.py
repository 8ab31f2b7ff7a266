"""ShipStation V2 clients: inventory levels, inventory warehouses and inventory locations.

``ShipStationV2Client`` and ``AsyncShipStationV2Client`` share :class:`_V2Core` (request
building, decoding, error checks) and differ only in how they send.

Facts this module relies on:

- Authentication is a single key in the ``api-key`` header
  (https://docs.shipstation.com/getting-started); V1 key/secret pairs do not work here.
- Lists carry ``links.next.href``, followed verbatim
  (https://docs.shipstation.com/apis/shipengine/docs/reference/pagination).
- Errors are ``{"request_id", "errors": [{"error_source", "error_type", "error_code",
  "message"}]}``, and a 2xx answer may still carry errors
  (https://docs.shipstation.com/apis/shipengine/docs/reference/errors-codes); those are raised,
  not swallowed.
- Over the limit (200 a minute by default) the API answers 429 with ``Retry-After``
  (https://docs.shipstation.com/rate-limits), which the HTTP core honours.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Generator, Iterator, Mapping
from typing import Any, TypedDict, TypeVar, Unpack

import attrs
import httpx

from ml_connector._clock import Clock
from ml_connector._errors import ApiError, ConfigurationError, UnsafeUrlError, truncate_body
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
from ml_connector._redact import Secret, redact_url
from ml_connector._settings import HttpSettings, of_type

from ._common import (
    Exchange,
    UndecodableLog,
    V2Pager,
    encode_filters,
    exchange,
    non_empty_secret,
    to_secret,
)
from ._converter import Decoder
from ._credentials import looks_like_v1_key, wrong_key_hint
from .models import (
    InventoryLevel,
    InventoryLocation,
    InventoryWarehouse,
    Page,
    UndecodableRecord,
)
from .webhooks import WebhookPointer, WebhookUrlPolicy

__all__ = [
    "V2_BASE_URL",
    "AsyncShipStationV2Client",
    "InventoryFilters",
    "ShipStationV2Auth",
    "ShipStationV2Client",
    "ShipStationV2Settings",
]

V2_BASE_URL = "https://api.shipstation.com"

T = TypeVar("T")


def _default_http() -> HttpSettings:
    return HttpSettings(base_url=V2_BASE_URL)


@attrs.frozen
class ShipStationV2Settings:
    """Credentials and HTTP settings for the V2 API.

    V2 needs a V2 API key (ShipStation Settings > Account > API Settings; shown only when
    generated). Inventory endpoints also need the "Inventory API" add-on enabled. A V1 key and
    secret pair does not work here.

    Attributes:
        api_key: The V2 API key (a ``str`` is wrapped in :class:`~ml_connector.Secret`).
        http: Base URL (default ``https://api.shipstation.com``), timeouts, retry policy.
    """

    api_key: Secret = attrs.field(converter=to_secret, validator=non_empty_secret("api_key"))
    http: HttpSettings = attrs.field(
        factory=_default_http, validator=of_type(HttpSettings, "an HttpSettings")
    )


class ShipStationV2Auth(httpx.Auth):
    """Sets the ``api-key`` header."""

    requires_request_body = False

    def __init__(self, api_key: Secret) -> None:
        self._key = api_key

    def __repr__(self) -> str:
        return "ShipStationV2Auth(api_key=***)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["api-key"] = self._key.reveal()
        yield request


def _errors_of(body: Any) -> list[Mapping[str, Any]]:
    if not isinstance(body, Mapping):
        return []
    errors = body.get("errors")
    if not isinstance(errors, list):
        return []
    return [e for e in errors if isinstance(e, Mapping)]


def _describe(errors: list[Mapping[str, Any]]) -> tuple[str | None, str | None]:
    messages: list[str] = []
    for error in errors:
        text = error.get("message")
        code = error.get("error_code")
        if isinstance(text, str) and text.strip():
            messages.append(f"{text.strip()} ({code})" if isinstance(code, str) else text.strip())
    first = errors[0].get("error_code") if errors else None
    return ("; ".join(messages) or None), (first if isinstance(first, str) else None)


def make_v2_error_parser(*, key_looks_like_v1: bool) -> Any:
    """An error parser for V2's ``errors[]`` + ``request_id`` bodies.

    Args:
        key_looks_like_v1: Computed once from the configured key, to explain a 401 caused by
            using a V1 key on V2.
    """

    def parse(response: httpx.Response, body: Any) -> ErrorInfo:
        errors = _errors_of(body)
        message, code = _describe(errors)
        if message is None:
            message = f"HTTP {response.status_code} {response.reason_phrase}".strip()
        if response.status_code == 401:
            message = f"{message}; {wrong_key_hint('V2', key_looks_like_v1)}"
        request_id = body.get("request_id") if isinstance(body, Mapping) else None
        return ErrorInfo(
            message=message,
            code=code,
            request_id=request_id if isinstance(request_id, str) else None,
            details=tuple(dict(e) for e in errors),
        )

    return parse


class InventoryFilters(TypedDict, total=False):
    """Filters of ``GET /v2/inventory``. ``group_by`` is ``warehouse`` or ``location``."""

    sku: str
    inventory_warehouse_id: str
    inventory_location_id: str
    group_by: str
    limit: int


_INVENTORY_SPEC = {
    "sku": ("sku", "str"),
    "inventory_warehouse_id": ("inventory_warehouse_id", "str"),
    "inventory_location_id": ("inventory_location_id", "str"),
    "group_by": ("group_by", "str"),
    "limit": ("limit", "int"),
}
_V2_ID = re.compile(r"[A-Za-z0-9_-]{1,100}")


class _V2Core:
    """Everything the V2 twins share: request building, body decoding and error checks."""

    def __init__(self, settings: ShipStationV2Settings, webhook_policy: WebhookUrlPolicy | None):
        self.settings = settings
        self.http = settings.http
        self.auth = ShipStationV2Auth(settings.api_key)
        self.webhook_policy = webhook_policy or WebhookUrlPolicy()
        self.error_parser = make_v2_error_parser(
            key_looks_like_v1=looks_like_v1_key(settings.api_key.reveal())
        )
        self.decoder = Decoder("V2")
        self.undecodable = UndecodableLog()
        """Records of listings that could not be decoded (see :class:`UndecodableLog`)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.http.base_url!r})"

    @staticmethod
    def _id(value: str, name: str) -> str:
        if not isinstance(value, str) or _V2_ID.fullmatch(value) is None:
            raise ConfigurationError("must be a ShipStation id such as 'se-1234'", setting=name)
        return value

    def _body_of(self, response: httpx.Response) -> Any:
        """The decoded body; a 2xx that carries ``errors`` is raised as an :class:`ApiError`."""
        body = read_json(response)
        errors = _errors_of(body)
        if errors:
            message, code = _describe(errors)
            request_id = body.get("request_id") if isinstance(body, Mapping) else None
            raise ApiError(
                f"ShipStation answered {response.status_code} with errors: "
                f"{message or 'unspecified'}",
                method=response.request.method,
                url=redact_url(str(response.request.url)),
                status=response.status_code,
                request_id=request_id if isinstance(request_id, str) else None,
                body=truncate_body(response.content),
                code=code,
                details=tuple(dict(e) for e in errors),
            )
        return body

    def _get(self, path: str, model: type[T]) -> Exchange[T]:
        return exchange(
            Request("GET", path), lambda body: self.decoder.one(model, body), self._body_of
        )

    def _pager(self, path: str, params: dict[str, Any], key: str, model: type[T]) -> V2Pager[T]:
        return V2Pager(self.http.base_url, path, params, key, model, decoder=self.decoder)

    def _first_page(self, pager: V2Pager[T]) -> Exchange[Page[T]]:
        return exchange(pager.first(), pager.decode, self._body_of)

    def _inventory_pager(self, filters: Mapping[str, Any]) -> V2Pager[InventoryLevel]:
        params = encode_filters(filters, _INVENTORY_SPEC)
        return self._pager("/v2/inventory", params, "inventory", InventoryLevel)

    def _warehouses_pager(self, limit: int | None) -> V2Pager[InventoryWarehouse]:
        params = encode_filters({"limit": limit}, {"limit": ("limit", "int")})
        return self._pager(
            "/v2/inventory_warehouses", params, "inventory_warehouses", InventoryWarehouse
        )

    def _locations_pager(
        self, inventory_warehouse_id: str | None, limit: int | None
    ) -> V2Pager[InventoryLocation]:
        params = encode_filters(
            {"inventory_warehouse_id": inventory_warehouse_id, "limit": limit},
            {
                "inventory_warehouse_id": ("inventory_warehouse_id", "str"),
                "limit": ("limit", "int"),
            },
        )
        return self._pager(
            "/v2/inventory_locations", params, "inventory_locations", InventoryLocation
        )

    def _webhook_call(self, pointer: WebhookPointer) -> Exchange[Any]:
        if pointer.api_version != "v2":
            raise UnsafeUrlError(
                f"{pointer.resource_type!r} is a V1 event; resolve it with the V1 client"
            )
        url = self.webhook_policy.check(pointer)
        return exchange(Request("GET", url), lambda body: body, self._body_of)


def _redirect_refused(error: ApiError) -> UnsafeUrlError:
    return UnsafeUrlError(
        f"refusing to follow a redirect (status {error.status}) from a webhook resource_url",
        method=error.method,
        url=error.url,
        status=error.status,
    )


class ShipStationV2Client(SyncClientMixin, _V2Core):
    """Blocking ShipStation V2 client (inventory).

    Args:
        settings: Credentials and HTTP settings.
        client: An ``httpx.Client`` to send with (not closed by this client).
        transport: A transport for the ``httpx.Client`` this client creates.
        limiter: A rate limiter to share with the async twin.
        clock: The time source for waits.
        webhook_policy: Which webhook ``resource_url`` values may be fetched.
    """

    def __init__(
        self,
        settings: ShipStationV2Settings,
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

    def _iterate(self, pager: V2Pager[T]) -> Iterator[T]:
        request: Request | None = pager.first()
        while request is not None:
            body = self._body_of(self._sender.send(request))
            page = pager.decode(body)
            self.undecodable.add(page.failed)
            yield from page.items
            request = pager.next(body)

    def take_undecodable(self) -> tuple[UndecodableRecord, ...]:
        """Records of listings read so far that no quirk rule could decode (then forgotten)."""
        return self.undecodable.take()

    # inventory

    def list_inventory(self, **filters: Unpack[InventoryFilters]) -> Page[InventoryLevel]:
        """The first page of ``GET /v2/inventory`` (``Page.next_url`` leads on)."""
        return self._call(self._first_page(self._inventory_pager(filters)))

    def iter_inventory(self, **filters: Unpack[InventoryFilters]) -> Iterator[InventoryLevel]:
        """Every inventory level matching ``filters``, following ``links.next`` lazily."""
        return self._iterate(self._inventory_pager(filters))

    def get_inventory_warehouse(self, inventory_warehouse_id: str) -> InventoryWarehouse:
        """``GET /v2/inventory_warehouses/{id}``."""
        wid = self._id(inventory_warehouse_id, "inventory_warehouse_id")
        return self._call(self._get(f"/v2/inventory_warehouses/{wid}", InventoryWarehouse))

    def list_inventory_warehouses(self, *, limit: int | None = None) -> Page[InventoryWarehouse]:
        """The first page of ``GET /v2/inventory_warehouses``."""
        return self._call(self._first_page(self._warehouses_pager(limit)))

    def iter_inventory_warehouses(
        self, *, limit: int | None = None
    ) -> Iterator[InventoryWarehouse]:
        """Every inventory warehouse, following ``links.next`` lazily."""
        return self._iterate(self._warehouses_pager(limit))

    def get_inventory_location(self, inventory_location_id: str) -> InventoryLocation:
        """``GET /v2/inventory_locations/{id}``."""
        lid = self._id(inventory_location_id, "inventory_location_id")
        return self._call(self._get(f"/v2/inventory_locations/{lid}", InventoryLocation))

    def list_inventory_locations(
        self, *, inventory_warehouse_id: str | None = None, limit: int | None = None
    ) -> Page[InventoryLocation]:
        """The first page of ``GET /v2/inventory_locations``."""
        return self._call(self._first_page(self._locations_pager(inventory_warehouse_id, limit)))

    def iter_inventory_locations(
        self, *, inventory_warehouse_id: str | None = None, limit: int | None = None
    ) -> Iterator[InventoryLocation]:
        """Every inventory location, following ``links.next`` lazily."""
        return self._iterate(self._locations_pager(inventory_warehouse_id, limit))

    # webhooks

    def resolve_webhook(self, pointer: WebhookPointer) -> Any:
        """GET a V2 webhook's ``resource_url`` after the allowlist check; the decoded JSON.

        Raises:
            UnsafeUrlError: a URL, host, path or redirect that must not get credentials.
        """
        call = self._webhook_call(pointer)
        try:
            return self._call(call)
        except ApiError as error:
            if error.status is not None and 300 <= error.status < 400:
                raise _redirect_refused(error) from None
            raise


class AsyncShipStationV2Client(AsyncClientMixin, _V2Core):
    """The asyncio twin of :class:`ShipStationV2Client` (same methods, awaited)."""

    def __init__(
        self,
        settings: ShipStationV2Settings,
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

    async def _iterate(self, pager: V2Pager[T]) -> AsyncIterator[T]:
        request: Request | None = pager.first()
        while request is not None:
            body = self._body_of(await self._sender.send(request))
            page = pager.decode(body)
            self.undecodable.add(page.failed)
            for item in page.items:
                yield item
            request = pager.next(body)

    async def take_undecodable(self) -> tuple[UndecodableRecord, ...]:
        """Records of listings read so far that no quirk rule could decode (then forgotten)."""
        return self.undecodable.take()

    # inventory

    async def list_inventory(self, **filters: Unpack[InventoryFilters]) -> Page[InventoryLevel]:
        """The first page of ``GET /v2/inventory`` (``Page.next_url`` leads on)."""
        return await self._call(self._first_page(self._inventory_pager(filters)))

    def iter_inventory(self, **filters: Unpack[InventoryFilters]) -> AsyncIterator[InventoryLevel]:
        """Every inventory level matching ``filters``, following ``links.next`` lazily."""
        return self._iterate(self._inventory_pager(filters))

    async def get_inventory_warehouse(self, inventory_warehouse_id: str) -> InventoryWarehouse:
        """``GET /v2/inventory_warehouses/{id}``."""
        wid = self._id(inventory_warehouse_id, "inventory_warehouse_id")
        return await self._call(self._get(f"/v2/inventory_warehouses/{wid}", InventoryWarehouse))

    async def list_inventory_warehouses(
        self, *, limit: int | None = None
    ) -> Page[InventoryWarehouse]:
        """The first page of ``GET /v2/inventory_warehouses``."""
        return await self._call(self._first_page(self._warehouses_pager(limit)))

    def iter_inventory_warehouses(
        self, *, limit: int | None = None
    ) -> AsyncIterator[InventoryWarehouse]:
        """Every inventory warehouse, following ``links.next`` lazily."""
        return self._iterate(self._warehouses_pager(limit))

    async def get_inventory_location(self, inventory_location_id: str) -> InventoryLocation:
        """``GET /v2/inventory_locations/{id}``."""
        lid = self._id(inventory_location_id, "inventory_location_id")
        return await self._call(self._get(f"/v2/inventory_locations/{lid}", InventoryLocation))

    async def list_inventory_locations(
        self, *, inventory_warehouse_id: str | None = None, limit: int | None = None
    ) -> Page[InventoryLocation]:
        """The first page of ``GET /v2/inventory_locations``."""
        pager = self._locations_pager(inventory_warehouse_id, limit)
        return await self._call(self._first_page(pager))

    def iter_inventory_locations(
        self, *, inventory_warehouse_id: str | None = None, limit: int | None = None
    ) -> AsyncIterator[InventoryLocation]:
        """Every inventory location, following ``links.next`` lazily."""
        return self._iterate(self._locations_pager(inventory_warehouse_id, limit))

    # webhooks

    async def resolve_webhook(self, pointer: WebhookPointer) -> Any:
        """GET a V2 webhook's ``resource_url`` after the allowlist check; the decoded JSON.

        Raises:
            UnsafeUrlError: a URL, host, path or redirect that must not get credentials.
        """
        call = self._webhook_call(pointer)
        try:
            return await self._call(call)
        except ApiError as error:
            if error.status is not None and 300 <= error.status < 400:
                raise _redirect_refused(error) from None
            raise
