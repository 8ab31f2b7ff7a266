"""Typed ShipStation records (V1 and V2), as frozen attrs classes.

The models hold no wire knowledge: camelCase names, Pacific wall-clock timestamps and money as
JSON numbers are turned into snake_case fields, aware UTC datetimes and :class:`~decimal.Decimal`
by the converters in :mod:`ml_connector.shipstation._converter`.

Conventions shared by every model:

- Collections are tuples. A collection that arrives as ``null`` becomes ``()``, except
  :attr:`Shipment.shipment_items`, which is ``None`` when ShipStation was not asked for the items
  (``includeShipmentItems=false``) so that "not requested" and "no items" stay distinguishable.
- Money and fractional quantities are ``Decimal``; timestamps are aware UTC ``datetime``;
  date-only fields (``shipDate``, ``shipByDate``, ``holdUntilDate``) are ``date``.
- Fields the record cannot be identified or counted without (ids, quantities) are required;
  everything else is optional and ``None`` when absent.
- Flags that ShipStation always sends and that callers test in ``if`` statements
  (``voided``, ``adjustment``, ``is_return_label``) are ``bool`` with a ``False`` default.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

import attrs

from ml_connector._errors import ResponseDecodeError

__all__ = [
    "Address",
    "AdvancedOptions",
    "CustomsItem",
    "Customer",
    "CustomerTag",
    "Dimensions",
    "Fulfillment",
    "InsuranceOptions",
    "InternationalOptions",
    "InventoryLevel",
    "InventoryLocation",
    "InventoryWarehouse",
    "ItemOption",
    "MarketplaceUsername",
    "Money",
    "Order",
    "OrderItem",
    "Page",
    "Product",
    "ProductCategory",
    "ProductTag",
    "Shipment",
    "ShipmentItem",
    "Store",
    "UndecodableRecord",
    "Warehouse",
    "Webhook",
    "Weight",
]

T = TypeVar("T")


# -- shared value objects -------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Address:
    """A postal address (V1 ``billTo``, ``shipTo``, warehouse origin and return addresses).

    ``address_verified`` is ShipStation's read-only verdict text, e.g.
    ``"Address validation warning"``.
    """

    name: str | None = None
    company: str | None = None
    street1: str | None = None
    street2: str | None = None
    street3: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None
    phone: str | None = None
    residential: bool | None = None
    address_verified: str | None = None


@attrs.frozen(kw_only=True)
class Weight:
    """A weight: ``units`` is ``pounds``, ``ounces`` or ``grams``."""

    value: Decimal | None = None
    units: str | None = None
    weight_units: int | None = None
    """ShipStation's read-only numeric unit code (wire ``WeightUnits``)."""


@attrs.frozen(kw_only=True)
class Dimensions:
    """Package dimensions: ``units`` is ``inches`` or ``centimeters``."""

    length: Decimal | None = None
    width: Decimal | None = None
    height: Decimal | None = None
    units: str | None = None


@attrs.frozen(kw_only=True)
class Money:
    """A V2 money object: an amount in a currency (ISO 4217 code, lower or upper case).

    Both are optional, as in the V2 spec (``average_cost: {amount: number, currency: string}``
    with no required list,
    https://docs.shipstation.com/openapi/inventory/getinventorylevels): a SKU that has no cost
    yet answers ``"amount": null``.
    """

    amount: Decimal | None = None
    currency: str | None = None


@attrs.frozen(kw_only=True)
class ItemOption:
    """A name/value option on an order item (size, colour, engraving text)."""

    name: str | None = None
    value: str | None = None


@attrs.frozen(kw_only=True)
class InsuranceOptions:
    """How a shipment is insured."""

    provider: str | None = None
    insure_shipment: bool | None = None
    insured_value: Decimal | None = None


@attrs.frozen(kw_only=True)
class CustomsItem:
    """One customs declaration line."""

    customs_item_id: int | None = None
    description: str | None = None
    quantity: int | None = None
    value: Decimal | None = None
    harmonized_tariff_code: str | None = None
    country_of_origin: str | None = None


@attrs.frozen(kw_only=True)
class InternationalOptions:
    """Customs information for an international order."""

    contents: str | None = None
    customs_items: tuple[CustomsItem, ...] = ()
    non_delivery: str | None = None


@attrs.frozen(kw_only=True)
class AdvancedOptions:
    """Order and shipment options. ``store_id`` (the selling channel) lives here.

    The field list follows the V1 documentation as remembered by the reference notes and is
    partly unverified; unknown fields are ignored rather than refused.
    """

    warehouse_id: int | None = None
    non_machinable: bool | None = None
    saturday_delivery: bool | None = None
    contains_alcohol: bool | None = None
    merged_or_split: bool | None = None
    merged_ids: tuple[int, ...] = ()
    parent_id: int | None = None
    store_id: int | None = None
    custom_field1: str | None = None
    custom_field2: str | None = None
    custom_field3: str | None = None
    source: str | None = None
    bill_to_party: str | None = None
    bill_to_account: str | None = None
    bill_to_postal_code: str | None = None
    bill_to_country_code: str | None = None
    bill_to_my_other_account: int | None = None


# -- V1 orders and shipments ----------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class OrderItem:
    """A line of an order. ``adjustment`` lines (discounts, fees) usually carry no SKU."""

    quantity: int
    order_item_id: int | None = None
    line_item_key: str | None = None
    sku: str | None = None
    name: str | None = None
    image_url: str | None = None
    weight: Weight | None = None
    unit_price: Decimal | None = None
    tax_amount: Decimal | None = None
    shipping_amount: Decimal | None = None
    warehouse_location: str | None = None
    options: tuple[ItemOption, ...] = ()
    product_id: int | None = None
    fulfillment_sku: str | None = None
    adjustment: bool = False
    upc: str | None = None
    create_date: datetime | None = None
    modify_date: datetime | None = None


@attrs.frozen(kw_only=True)
class Order:
    """A ShipStation V1 order.

    Customer identity on an order is ``customer_id``, ``customer_username`` and
    ``customer_email``; ``advanced_options.store_id`` names the selling channel.
    """

    order_id: int
    order_number: str
    order_status: str
    order_key: str | None = None
    order_date: datetime | None = None
    create_date: datetime | None = None
    modify_date: datetime | None = None
    payment_date: datetime | None = None
    ship_by_date: date | None = None
    customer_id: int | None = None
    customer_username: str | None = None
    customer_email: str | None = None
    bill_to: Address | None = None
    ship_to: Address | None = None
    items: tuple[OrderItem, ...] = ()
    order_total: Decimal | None = None
    amount_paid: Decimal | None = None
    tax_amount: Decimal | None = None
    shipping_amount: Decimal | None = None
    customer_notes: str | None = None
    internal_notes: str | None = None
    gift: bool | None = None
    gift_message: str | None = None
    payment_method: str | None = None
    requested_shipping_service: str | None = None
    carrier_code: str | None = None
    service_code: str | None = None
    package_code: str | None = None
    confirmation: str | None = None
    ship_date: date | None = None
    hold_until_date: date | None = None
    weight: Weight | None = None
    dimensions: Dimensions | None = None
    insurance_options: InsuranceOptions | None = None
    international_options: InternationalOptions | None = None
    advanced_options: AdvancedOptions | None = None
    tag_ids: tuple[int, ...] = ()
    user_id: str | None = None
    externally_fulfilled: bool | None = None
    externally_fulfilled_by: str | None = None
    externally_fulfilled_by_id: int | None = None
    externally_fulfilled_by_name: str | None = None

    @property
    def store_id(self) -> int | None:
        """The store (selling channel) the order came from, from ``advanced_options``."""
        return self.advanced_options.store_id if self.advanced_options else None


@attrs.frozen(kw_only=True)
class ShipmentItem:
    """A line of a shipment (only present when listed with ``includeShipmentItems=true``)."""

    quantity: int
    order_item_id: int | None = None
    line_item_key: str | None = None
    sku: str | None = None
    name: str | None = None
    image_url: str | None = None
    weight: Weight | None = None
    unit_price: Decimal | None = None
    tax_amount: Decimal | None = None
    shipping_amount: Decimal | None = None
    warehouse_location: str | None = None
    options: tuple[ItemOption, ...] = ()
    product_id: int | None = None
    fulfillment_sku: str | None = None
    adjustment: bool = False
    upc: str | None = None
    create_date: datetime | None = None
    modify_date: datetime | None = None


@attrs.frozen(kw_only=True)
class Shipment:
    """A label created in ShipStation (V1 ``/shipments``).

    Orders marked shipped outside ShipStation labels are not shipments: see :class:`Fulfillment`.
    A voided label stays listed with ``voided=True``; a re-shipment is a new ``shipment_id`` for
    the same ``order_id``.
    """

    shipment_id: int
    order_id: int | None = None
    order_key: str | None = None
    order_number: str | None = None
    user_id: str | None = None
    customer_email: str | None = None
    create_date: datetime | None = None
    ship_date: date | None = None
    shipment_cost: Decimal | None = None
    insurance_cost: Decimal | None = None
    tracking_number: str | None = None
    is_return_label: bool = False
    batch_number: str | None = None
    carrier_code: str | None = None
    service_code: str | None = None
    package_code: str | None = None
    confirmation: str | None = None
    warehouse_id: int | None = None
    voided: bool = False
    void_date: datetime | None = None
    marketplace_notified: bool | None = None
    notify_error_message: str | None = None
    ship_to: Address | None = None
    weight: Weight | None = None
    dimensions: Dimensions | None = None
    insurance_options: InsuranceOptions | None = None
    advanced_options: AdvancedOptions | None = None
    shipment_items: tuple[ShipmentItem, ...] | None = None

    @property
    def store_id(self) -> int | None:
        """The store the shipment's order came from, when ``advanced_options`` carries it."""
        return self.advanced_options.store_id if self.advanced_options else None


@attrs.frozen(kw_only=True)
class Fulfillment:
    """An order fulfilled outside ShipStation labels (mark-as-shipped, 3PL), V1 ``/fulfillments``.

    The field list is from the reference notes and partly unverified; unknown fields are ignored.
    """

    fulfillment_id: int
    order_id: int | None = None
    order_number: str | None = None
    user_id: str | None = None
    customer_email: str | None = None
    tracking_number: str | None = None
    create_date: datetime | None = None
    ship_date: date | None = None
    void_date: datetime | None = None
    delivery_date: datetime | None = None
    carrier_code: str | None = None
    seller_fill_provider_id: int | None = None
    seller_fill_provider_name: str | None = None
    fulfillment_provider_code: str | None = None
    fulfillment_service_code: str | None = None
    fulfillment_fee: Decimal | None = None
    void_requested: bool | None = None
    voided: bool = False
    marketplace_notified: bool | None = None
    notify_error_message: str | None = None
    ship_to: Address | None = None


# -- V1 customers, warehouses, products, stores, webhooks ----------------------------------------


@attrs.frozen(kw_only=True)
class MarketplaceUsername:
    """A customer's user name on one selling channel."""

    customer_user_id: int | None = None
    customer_id: int | None = None
    create_date: datetime | None = None
    modify_date: datetime | None = None
    marketplace_id: int | None = None
    marketplace: str | None = None
    username: str | None = None


@attrs.frozen(kw_only=True)
class CustomerTag:
    """A tag on a customer."""

    tag_id: int | None = None
    name: str | None = None


@attrs.frozen(kw_only=True)
class Customer:
    """A V1 customer. The address is flat on the record (``country_code``, not ``country``)."""

    customer_id: int
    create_date: datetime | None = None
    modify_date: datetime | None = None
    name: str | None = None
    company: str | None = None
    street1: str | None = None
    street2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country_code: str | None = None
    phone: str | None = None
    email: str | None = None
    address_verified: str | None = None
    marketplace_usernames: tuple[MarketplaceUsername, ...] = ()
    tags: tuple[CustomerTag, ...] = ()


@attrs.frozen(kw_only=True)
class Warehouse:
    """A V1 warehouse: in the ShipStation app this is a "Ship From" location."""

    warehouse_id: int
    warehouse_name: str | None = None
    origin_address: Address | None = None
    return_address: Address | None = None
    create_date: datetime | None = None
    is_default: bool | None = None


@attrs.frozen(kw_only=True)
class ProductCategory:
    """A product category or product type."""

    category_id: int | None = None
    name: str | None = None


@attrs.frozen(kw_only=True)
class ProductTag:
    """A tag on a product."""

    tag_id: int | None = None
    name: str | None = None


@attrs.frozen(kw_only=True)
class Product:
    """A V1 product."""

    product_id: int
    sku: str | None = None
    name: str | None = None
    price: Decimal | None = None
    default_cost: Decimal | None = None
    length: Decimal | None = None
    width: Decimal | None = None
    height: Decimal | None = None
    weight_oz: Decimal | None = None
    internal_notes: str | None = None
    fulfillment_sku: str | None = None
    create_date: datetime | None = None
    modify_date: datetime | None = None
    active: bool | None = None
    product_category: ProductCategory | None = None
    product_type: ProductCategory | None = None
    warehouse_location: str | None = None
    default_carrier_code: str | None = None
    default_service_code: str | None = None
    default_package_code: str | None = None
    default_intl_carrier_code: str | None = None
    default_intl_service_code: str | None = None
    default_intl_package_code: str | None = None
    default_confirmation: str | None = None
    default_intl_confirmation: str | None = None
    customs_description: str | None = None
    customs_value: Decimal | None = None
    customs_tariff_no: str | None = None
    customs_country_code: str | None = None
    no_customs: bool | None = None
    tags: tuple[ProductTag, ...] = ()


@attrs.frozen(kw_only=True)
class Store:
    """A V1 store (a selling channel connection)."""

    store_id: int
    store_name: str | None = None
    marketplace_id: int | None = None
    marketplace_name: str | None = None
    account_name: str | None = None
    email: str | None = None
    integration_url: str | None = None
    active: bool | None = None
    company_name: str | None = None
    phone: str | None = None
    public_email: str | None = None
    website: str | None = None
    refresh_date: datetime | None = None
    last_refresh_attempt: datetime | None = None
    create_date: datetime | None = None
    modify_date: datetime | None = None
    auto_refresh: bool | None = None


@attrs.frozen(kw_only=True)
class Webhook:
    """A V1 webhook subscription (``GET /webhooks`` answers in PascalCase: ``WebHookID``...)."""

    webhook_id: int
    hook_type: str | None = None
    url: str | None = None
    name: str | None = None
    store_id: int | None = None
    seller_id: int | None = None
    message_format: str | None = None
    active: bool | None = None
    is_label_api_hook: bool | None = None


# -- V2 inventory ---------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class InventoryLevel:
    """Stock of one SKU (V2 ``/v2/inventory``), per warehouse or location when grouped so.

    ``available`` is ``on_hand - allocated`` as computed by ShipStation. The V2 spec
    (https://docs.shipstation.com/openapi/inventory/getinventorylevels) marks no field
    required; ``sku`` and ``on_hand`` stay required here because a level without them cannot be
    compared (such a record becomes an :class:`UndecodableRecord`, never a stopped page); the
    rest follow the spec.
    """

    sku: str
    on_hand: int
    allocated: int | None = None
    available: int | None = None
    average_cost: Money | None = None
    inventory_warehouse_id: str | None = None
    inventory_location_id: str | None = None


@attrs.frozen(kw_only=True)
class InventoryWarehouse:
    """A V2 inventory warehouse (distinct from V1 ship-from warehouses)."""

    inventory_warehouse_id: str
    name: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@attrs.frozen(kw_only=True)
class InventoryLocation:
    """A V2 inventory location inside an inventory warehouse."""

    inventory_location_id: str
    name: str | None = None
    inventory_warehouse_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


# -- records that did not decode -----------------------------------------------------------------


@attrs.frozen(kw_only=True)
class UndecodableRecord:
    """A record of a list answer that no quirk rule could decode: kept, never dropped.

    The sync turns it into a failed record of its own (with ``raw`` kept for replay), and every
    other record of the page goes on.

    Attributes:
        version: ``"V1"`` or ``"V2"``.
        model: The model it should have been (``"Shipment"``).
        record_id: Its id from the payload, when present.
        field: The failing field's path (``"items[0].quantity"``), when known.
        reason: What was wrong with it.
        raw: The payload as received (decoded JSON), for replay.
        collection: The list it came from (``"shipments"``), when known.
    """

    version: str
    model: str
    record_id: str | None
    field: str | None
    reason: str
    raw: Any = attrs.field(repr=False, eq=False)
    collection: str | None = None

    def error(self) -> ResponseDecodeError:
        """This failure as the :class:`~ml_connector.ResponseDecodeError` to record or raise."""
        where = f" {self.model} {self.record_id}" if self.record_id else f" {self.model}"
        at = f" at {self.field}" if self.field else ""
        return ResponseDecodeError(
            f"ShipStation {self.version}{where}: {self.reason}{at}",
            field=self.field,
            record=self.record_id,
        )


# -- pages ----------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Page(Generic[T]):
    """One page of a list response.

    Attributes:
        items: The records on this page.
        total: Records across all pages, when the API says.
        page: This page's number (1-based), when the API says.
        pages: Number of pages, when the API says.
        next_url: V2 only: ``links.next.href``, verbatim.
        failed: Records of this page that could not be decoded (see
            :class:`UndecodableRecord`); ``items`` holds every other one.
    """

    items: tuple[T, ...]
    total: int | None = None
    page: int | None = None
    pages: int | None = None
    next_url: str | None = None
    failed: tuple[UndecodableRecord, ...] = ()

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)
