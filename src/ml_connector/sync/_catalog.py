"""The catalog both sides share: ShipStation's SKUs checked against Oracle's item master.

Pricing and the product catalog live in ShipStation and are referenced from Oracle. A SKU that
Oracle's item master does not know would otherwise be found only when its inventory transaction
is refused mid-run. This check reads, and writes nothing to either side:

1. ShipStation V1 products (``GET /products``) and the orders of a window (orders modified in
   it, as the shipment job reads them), keeping per SKU where it was seen, which warehouses
   its orders ship from and the unit prices they charged;
2. maps every SKU through the mapping's SKU-to-item rules (``[items]``: the map, identity, the
   units of measure);
3. looks the item numbers up in bulk in Oracle's item master (``itemsV2``), once per inventory
   organization the mapping uses: a product is checked in every organization, an order's SKU
   in the organization of the order's warehouse (every organization when that is unknown);
4. reports every SKU that is unmapped, unknown in an organization, not enabled there (an
   inactive status or a required flag off), or whose primary unit of measure differs from the
   one the mapping sends, all at once; and, per SKU, ShipStation's product price next to the
   lowest and highest price the window's orders charged.

One flow serves :class:`CatalogCheck` and :class:`AsyncCatalogCheck`; the lookups of the
organizations run concurrently in the async twin.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

from ml_connector._errors import (
    ConfigurationError,
    ConnectorError,
    MappingError,
    OutageError,
    is_outage,
)
from ml_connector.mapping import MappingConfig, item_number, unit_of_measure
from ml_connector.oracle import ItemMasterRecord
from ml_connector.oracle._items import DEFAULT_ITEM_FLAGS, item_number_queryable
from ml_connector.shipstation import Order, Product

from ._catalog_report import CatalogFinding, CatalogIssue, CatalogReport, SkuPrice
from ._documents import INVENTORY
from ._flow import Cursor, Fanout, Flow, Take, arun_flow, run_flow
from ._protocols import (
    CATALOG_SHIPSTATION,
    ITEM_MASTER,
    AsyncCatalogReader,
    AsyncItemMasterReader,
    CatalogReader,
    ItemMasterReader,
    ShipStationReader,
    check_clients,
    oracle_call,
    shipstation_call,
)
from ._window import SyncWindow

__all__ = [
    "INVOICE_ITEM_FLAGS",
    "AsyncCatalogCheck",
    "CatalogCheck",
    "CatalogOptions",
    "SkuUse",
    "add_orders",
    "add_products",
    "catalog_flow",
    "check_uses_flow",
    "gate_flow",
]

INVOICE_ITEM_FLAGS = ("InvoiceEnabledFlag",)
"""Also required when invoice lines carry item numbers (``receivables.item_numbers``)."""

_PRODUCT = "product"
_ORDERS = "orders"


@attrs.frozen
class CatalogOptions:
    """How the catalog check reads both sides.

    Attributes:
        organization_attribute: The ``itemsV2`` attribute the mapping's
            ``inventory_organization`` values are matched on (``OrganizationCode``; the mapping
            may hold names, then use ``OrganizationName`` if your pod's ``itemsV2`` has it).
        flags: Item flags that must be true in the organization; None: the inventory flags
            (inventory item, stock enabled, transactable), plus invoice enabled when invoice
            lines carry item numbers.
        inactive_statuses: ``ItemStatusValue`` values that count as not enabled.
        products: Read the V1 product list (else only the window's orders).
        include_inactive_products: Read inactive products too (``showInactive``).
        page: Records read per step while streaming the ShipStation lists.
    """

    organization_attribute: str = "OrganizationCode"
    flags: tuple[str, ...] | None = None
    inactive_statuses: tuple[str, ...] = ("Inactive",)
    products: bool = True
    include_inactive_products: bool = False
    page: int = attrs.field(default=500, validator=attrs.validators.ge(1))

    def required_flags(self, mapping: MappingConfig) -> tuple[str, ...]:
        """The flags that must be true, for this mapping."""
        if self.flags is not None:
            return self.flags
        extra = INVOICE_ITEM_FLAGS if mapping.receivables.item_numbers else ()
        return DEFAULT_ITEM_FLAGS + extra


@attrs.define
class SkuUse:
    """Where a SKU was seen and what it was sold for (accumulated while reading).

    Attributes:
        sku: The SKU.
        sources: ``product`` and/or ``orders``.
        organizations: Organizations it must be valid in (empty with ``everywhere``).
        everywhere: Check it in every organization of the mapping.
        product_price: The V1 product's price.
        order_min: Lowest unit price charged by an order line.
        order_max: Highest.
        order_lines: Order lines with a price.
    """

    sku: str
    sources: set[str] = attrs.field(factory=set)
    organizations: set[str] = attrs.field(factory=set)
    everywhere: bool = False
    product_price: Decimal | None = None
    order_min: Decimal | None = None
    order_max: Decimal | None = None
    order_lines: int = 0

    def charged(self, price: Decimal) -> None:
        """Count one order line's unit price."""
        self.order_lines += 1
        self.order_min = price if self.order_min is None else min(self.order_min, price)
        self.order_max = price if self.order_max is None else max(self.order_max, price)


def _organizations(mapping: MappingConfig) -> tuple[str, ...]:
    return tuple(sorted({w.inventory_organization for w in mapping.warehouses.values()}))


def _use(uses: dict[str, SkuUse], sku: str) -> SkuUse:
    found = uses.get(sku)
    if found is None:
        found = uses[sku] = SkuUse(sku)
    return found


def add_products(uses: dict[str, SkuUse], products: Iterable[Product]) -> int:
    """Record V1 products (checked in every organization); returns how many were read."""
    count = 0
    for product in products:
        count += 1
        if not product.sku:
            continue
        use = _use(uses, product.sku)
        use.sources.add(_PRODUCT)
        use.everywhere = True
        if product.price is not None:
            use.product_price = product.price
    return count


def add_orders(uses: dict[str, SkuUse], orders: Iterable[Order], mapping: MappingConfig) -> int:
    """Record the SKUs of orders (checked where the order ships from); returns the count."""
    count = 0
    for order in orders:
        count += 1
        if order.order_status == "cancelled":
            continue
        warehouse_id = order.advanced_options.warehouse_id if order.advanced_options else None
        warehouse = mapping.warehouses.get(str(warehouse_id)) if warehouse_id else None
        for line in order.items:
            if line.adjustment or not line.sku:
                continue
            use = _use(uses, line.sku)
            use.sources.add(_ORDERS)
            if warehouse is None:
                use.everywhere = True
            else:
                use.organizations.add(warehouse.inventory_organization)
            if line.unit_price is not None:
                use.charged(line.unit_price)
    return count


def _lookup_flow(
    organization: str,
    numbers: Sequence[str],
    options: CatalogOptions,
    flags: Sequence[str],
    *,
    outages: bool = False,
) -> Flow[dict[str, ItemMasterRecord] | ConnectorError]:
    """The item master's answer, or the error that kept it (an outage raised with ``outages``,
    as an :class:`~ml_connector.OutageError` naming Oracle)."""
    if not numbers:
        return {}
    try:
        found: dict[str, ItemMasterRecord] = yield oracle_call(
            ItemMasterReader.find_items,
            tuple(numbers),
            organization=organization,
            organization_attribute=options.organization_attribute,
            flags=tuple(flags),
        )
    except ConnectorError as exc:
        if outages and is_outage(exc):
            if isinstance(exc, OutageError):
                raise
            raise OutageError.of(exc, system="oracle", step="catalog check") from exc
        return exc
    return found


def _finding(
    issue: CatalogIssue, use: SkuUse, number: str | None, organization: str | None, detail: str
) -> CatalogFinding:
    return CatalogFinding(issue, use.sku, number, organization, detail, tuple(sorted(use.sources)))


def check_uses_flow(
    uses: Mapping[str, SkuUse],
    mapping: MappingConfig,
    options: CatalogOptions,
    *,
    framework_version: str = "4",
    outages: bool = False,
) -> Flow[tuple[CatalogFinding, ...]]:
    """Map ``uses`` through the mapping and look them up; every finding, in a stable order.

    With ``outages``, Oracle being unavailable raises :class:`~ml_connector.OutageError`
    instead of becoming ``lookup_failed`` findings (the preflight's reading).
    """
    everywhere = _organizations(mapping)
    flags = options.required_flags(mapping)
    findings: list[CatalogFinding] = []
    wanted: dict[str, dict[str, list[SkuUse]]] = {}  # organization -> item number -> uses
    numbers: dict[str, str] = {}
    for sku in sorted(uses):
        use = uses[sku]
        try:
            number = item_number(sku, mapping, field="sku", record=sku)
        except MappingError as exc:
            findings.append(_finding(CatalogIssue.UNMAPPED, use, None, None, exc.message))
            continue
        numbers[sku] = number
        for organization in sorted(set(everywhere) if use.everywhere else use.organizations):
            if not item_number_queryable(number, framework_version=framework_version):
                detail = f"item number {number!r} cannot be written in an Oracle query"
                findings.append(
                    _finding(CatalogIssue.LOOKUP_FAILED, use, number, organization, detail)
                )
                continue
            wanted.setdefault(organization, {}).setdefault(number, []).append(use)
    organizations = sorted(wanted)
    answers = yield Fanout(
        tuple(
            _lookup_flow(org, sorted(wanted[org]), options, flags, outages=outages)
            for org in organizations
        )
    )
    for organization, answer in zip(organizations, answers, strict=True):
        for number, users in sorted(wanted[organization].items()):
            for use in users:
                findings.extend(_judge(use, number, organization, answer, mapping, options, flags))
    order = {issue: n for n, issue in enumerate(CatalogIssue)}
    findings.sort(key=lambda f: (order[f.issue], f.sku, f.organization or ""))
    return tuple(findings)


def _judge(
    use: SkuUse,
    number: str,
    organization: str,
    answer: dict[str, ItemMasterRecord] | ConnectorError,
    mapping: MappingConfig,
    options: CatalogOptions,
    flags: Sequence[str],
) -> list[CatalogFinding]:
    if isinstance(answer, ConnectorError):
        detail = f"the item master could not be read: {type(answer).__name__}: {answer.message}"
        return [_finding(CatalogIssue.LOOKUP_FAILED, use, number, organization, detail)]
    record = answer.get(number)
    if record is None:
        detail = f"item {number} is not in the item master of {organization}"
        return [_finding(CatalogIssue.UNKNOWN, use, number, organization, detail)]
    found: list[CatalogFinding] = []
    disabled = record.disabled(flags)
    inactive = record.status in options.inactive_statuses
    if disabled or inactive:
        why = [f"status {record.status}"] if inactive else []
        why += [f"{flag} off" for flag in disabled]
        found.append(
            attrs.evolve(
                _finding(
                    CatalogIssue.NOT_ENABLED,
                    use,
                    number,
                    organization,
                    f"item {number} is not enabled in {organization}: {', '.join(why)}",
                ),
                disabled_flags=disabled,
                status=record.status,
            )
        )
    expected = unit_of_measure(use.sku, mapping)
    if not record.uom_matches(expected):
        found.append(
            attrs.evolve(
                _finding(
                    CatalogIssue.UOM_MISMATCH,
                    use,
                    number,
                    organization,
                    f"the mapping sends {expected!r}, the item's primary unit in "
                    f"{organization} is {record.primary_uom!r}",
                ),
                expected_uom=expected,
                oracle_uom=record.primary_uom,
                status=record.status,
            )
        )
    return found


def _prices(uses: Mapping[str, SkuUse]) -> tuple[SkuPrice, ...]:
    return tuple(
        SkuPrice(sku, use.product_price, use.order_min, use.order_max, use.order_lines)
        for sku, use in sorted(uses.items())
        if use.product_price is not None or use.order_lines
    )


Window = SyncWindow | tuple[datetime, datetime] | None
"""A window of orders to check (a :class:`SyncWindow` or aware ``(start, end)``), or None."""


def _window(value: Window) -> tuple[datetime, datetime] | None:
    if value is None:
        return None
    start, end = (value.start, value.end) if isinstance(value, SyncWindow) else value
    if start.tzinfo is None or end.tzinfo is None:
        raise ConfigurationError("window bounds must be timezone-aware", setting="window")
    if end <= start:
        raise ConfigurationError("end must be after start", setting="window")
    return start, end


def catalog_flow(
    mapping: MappingConfig,
    options: CatalogOptions,
    window: Window = None,
    *,
    framework_version: str = "4",
    outages: bool = False,
) -> Flow[CatalogReport]:
    """The whole check as a flow (see the module docstring); read-only on both sides.

    ``outages``: see :func:`check_uses_flow`.
    """
    span = _window(window)
    uses: dict[str, SkuUse] = {}
    products = orders = 0
    if options.products:
        listing = (
            shipstation_call(CatalogReader.iter_products, show_inactive=True)
            if options.include_inactive_products
            else shipstation_call(CatalogReader.iter_products)
        )
        cursor = Cursor(listing)
        while page := (yield Take(cursor, options.page)):
            products += add_products(uses, page)
    if span is not None:
        cursor = Cursor(
            shipstation_call(
                ShipStationReader.iter_orders, modify_date_start=span[0], modify_date_end=span[1]
            )
        )
        while page := (yield Take(cursor, options.page)):
            orders += add_orders(uses, page, mapping)
    findings = yield from check_uses_flow(
        uses, mapping, options, framework_version=framework_version, outages=outages
    )
    return CatalogReport(
        window=span,
        organizations=_organizations(mapping),
        skus=len(uses),
        products=products,
        orders=orders,
        findings=findings,
        prices=_prices(uses),
    )


def _framework(oracle: ItemMasterReader | AsyncItemMasterReader) -> str:
    return str(oracle.settings.framework_version)


class CatalogCheck:
    """Check ShipStation's catalog against Oracle's item master (blocking; read-only).

    Args:
        shipstation: A ShipStation V1 client (products, orders; GET only).
        oracle: An Oracle Fusion client (``find_items``; GET only).
        mapping: The mapping configuration (``[items]``, warehouses' organizations).
        options: What to read and what counts as enabled.

    Example::

        report = CatalogCheck(shipstation=v1, oracle=oracle, mapping=mapping).run(window)
        if not report.ok:
            print(report.describe())
    """

    def __init__(
        self,
        *,
        shipstation: CatalogReader,
        oracle: ItemMasterReader,
        mapping: MappingConfig,
        options: CatalogOptions | None = None,
    ) -> None:
        check_clients(
            "CatalogCheck",
            shipstation=shipstation,
            oracle=oracle,
            asynchronous=False,
            reads=CATALOG_SHIPSTATION,
            writes=ITEM_MASTER,
        )
        self.mapping = mapping
        self.options = options if options is not None else CatalogOptions()
        self._clients = {"shipstation": shipstation, "oracle": oracle}
        self._framework = _framework(oracle)

    def run(self, window: Window = None) -> CatalogReport:
        """The report for the products and the orders of ``window`` (a ``SyncWindow`` or a
        ``(start, end)`` pair of aware datetimes; None: products only)."""
        flow = catalog_flow(self.mapping, self.options, window, framework_version=self._framework)
        return run_flow(flow, self._clients)


class AsyncCatalogCheck:
    """The asyncio twin of :class:`CatalogCheck` (organizations looked up concurrently)."""

    def __init__(
        self,
        *,
        shipstation: AsyncCatalogReader,
        oracle: AsyncItemMasterReader,
        mapping: MappingConfig,
        options: CatalogOptions | None = None,
        concurrency: int = 4,
    ) -> None:
        check_clients(
            "AsyncCatalogCheck",
            shipstation=shipstation,
            oracle=oracle,
            asynchronous=True,
            reads=CATALOG_SHIPSTATION,
            writes=ITEM_MASTER,
        )
        self.mapping = mapping
        self.options = options if options is not None else CatalogOptions()
        self._clients = {"shipstation": shipstation, "oracle": oracle}
        self._framework = _framework(oracle)
        self._concurrency = concurrency

    async def run(self, window: Window = None) -> CatalogReport:
        """See :meth:`CatalogCheck.run`."""
        flow = catalog_flow(self.mapping, self.options, window, framework_version=self._framework)
        report: CatalogReport = await arun_flow(
            flow, self._clients, asyncio.Semaphore(self._concurrency)
        )
        return report


# -- the gate before posting (preflight of each chunk, and dry runs) -------------------------------


def _item_problem(
    record: ItemMasterRecord | None,
    number: str,
    organization: str,
    uom: str,
    options: CatalogOptions,
    flags: Sequence[str],
) -> str | None:
    if record is None:
        return f"item {number} is not in the item master of {organization}"
    why = [f"status {record.status}"] if record.status in options.inactive_statuses else []
    why += [f"{flag} off" for flag in record.disabled(flags)]
    if why:
        return f"item {number} is not enabled in {organization}: {', '.join(why)}"
    if not record.uom_matches(uom):
        return (
            f"item {number} is in {record.primary_uom!r} in {organization}, the mapping "
            f"sends {uom!r}"
        )
    return None


def gate_flow(
    pendings: Sequence[Any],
    mapping: MappingConfig,
    options: CatalogOptions,
    *,
    framework_version: str = "4",
) -> Flow[int]:
    """Fail the records whose inventory items Oracle's item master would refuse.

    Looks the items of the documents still to post up in bulk, per organization; a record with
    one that is unknown there, not enabled or in another unit of measure gets that document
    failed with a :class:`~ml_connector.MappingError` and posts nothing (in a dry run it shows
    as failed in the plan). An item master that cannot be read fails no record: posting then
    finds out as before. Returns how many records were failed.
    """
    flags = options.required_flags(mapping)
    wanted: dict[str, set[str]] = {}
    targets: list[tuple[Any, Any, str, str]] = []  # (pending, doc, organization, number)
    for pending in pendings:
        if pending.result is not None or not pending.may_create:
            continue
        for doc in pending.docs:
            model = doc.model
            if doc.kind != INVENTORY or doc.state != "missing":
                continue
            organization = model.organization_code or model.organization_name
            number = model.item_number
            if not organization or not item_number_queryable(
                number, framework_version=framework_version
            ):
                continue
            wanted.setdefault(organization, set()).add(number)
            targets.append((pending, doc, organization, number))
    organizations = sorted(wanted)
    answers = yield Fanout(
        tuple(_lookup_flow(org, sorted(wanted[org]), options, flags) for org in organizations)
    )
    found = dict(zip(organizations, answers, strict=True))
    failed: set[int] = set()
    for pending, doc, organization, number in targets:
        answer = found[organization]
        if isinstance(answer, ConnectorError):
            continue
        uom = doc.model.transaction_unit_of_measure
        problem = _item_problem(answer.get(number), number, organization, uom, options, flags)
        if problem is None:
            continue
        doc.fail(
            MappingError(
                f"catalog: {problem} (ml-connector catalog lists every such SKU)",
                field="ItemNumber",
                record=doc.key,
            )
        )
        pending.may_create = False
        failed.add(id(pending))
    return len(failed)
