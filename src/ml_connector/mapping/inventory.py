"""Stock movements: shipments to inventory issues, voids to receipts, counts to adjustments.

Payloads are ``inventoryStagedTransactions`` creates
(https://docs.oracle.com/en/cloud/saas/supply-chain-and-manufacturing/23d/fasrp/api-inventory-management-inventory-staged-transactions.html).
Per shipped item line: organization and subinventory of the mapped warehouse, item from the
SKU map, the configured transaction type (a Miscellaneous Issue by default) and quantity sign,
unit of measure, UTC transaction date, ``SourceCode`` from the configuration,
``SourceHeaderId`` = shipment id, ``SourceLineId`` = order item id (the line's position when
the shipment ships one order item on several lines), ``TransactionReference`` = order number,
and the warehouse's inventory-issue account (with its cost center) as ``AccountCombination``.

Adjustments (ShipStation V2 inventory levels) compare two snapshots: for each SKU at a mapped
location, ``current on hand - previous on hand + quantity shipped in between`` is a change the
shipments do not explain, posted as a receipt (positive) or issue (negative) to the
warehouse's adjustment account.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal

import attrs

from ml_connector._errors import MappingError
from ml_connector.oracle.models import InventoryStagedTransaction, _positional
from ml_connector.shipstation.models import InventoryLevel, Shipment

from ._bounds import check_payload
from ._shipments import ShippedLine, item_number, unit_of_measure
from ._time import posting_date
from .accounts import AccountPurpose, account_for
from .config import MappingConfig, WarehouseMapping, _named_fields_only
from .plans import InventoryPosting

__all__ = [
    "InventoryAdjustment",
    "InventoryAdjustmentPlan",
    "InventorySnapshot",
    "issue_postings",
    "plan_adjustments",
    "reversal_postings",
    "shipped_quantities",
]


_INVENTORY_ISSUE = AccountPurpose.INVENTORY_ISSUE
# A positional constructor (see oracle.models._positional): the same transaction as the
# keyword constructor builds, its date checked as aware UTC the same way.
_issue = _positional(
    InventoryStagedTransaction,
    "item_number",
    "subinventory_code",
    "transaction_quantity",
    "transaction_unit_of_measure",
    "transaction_date",
    "transaction_type_name",
    "source_code",
    "source_header_id",
    "source_line_id",
    "transaction_reference",
    "organization_code",
    "organization_name",
    "locator_name",
    "distribution_account",
    "transaction_mode",
)


def _signed_issue(quantity: Decimal, config: MappingConfig) -> Decimal:
    return -quantity if config.inventory.issue_sign == "negative" else quantity


def issue_postings(
    shipment: Shipment,
    lines: tuple[ShippedLine, ...],
    warehouse: WarehouseMapping,
    config: MappingConfig,
    *,
    instant: datetime,
    order_number: str,
    store_id: str | None,
    record: str,
    explain: bool = True,
) -> tuple[tuple[InventoryPosting, ...], tuple[str, ...]]:
    """One issue per shipped item line, with explanation notes (none when not ``explain``).

    Raises:
        MappingError: an item has no SKU or an unmapped one, a key is too long, or an
            account is incomplete.
    """
    account = account_for(config, _INVENTORY_ISSUE, warehouse.warehouse_id, store_id, record=record)
    per_item: dict[str, int] = {}
    for line in lines:
        per_item[line.order_key] = per_item.get(line.order_key, 0) + 1
    postings: list[InventoryPosting] = []
    notes: list[str] = []
    settings = config.inventory
    issue_type = settings.issue_transaction_type
    by_posting_key = settings.reference == "posting_key"
    negative = settings.issue_sign == "negative"
    header = str(shipment.shipment_id)
    formats = config.posting_keys
    # The inventory template, read and classified once a shipment (PostingKeyFormats._render
    # fills it the same way, and raises for a key over the limit).
    template = str(formats.inventory)
    named = _named_fields_only(template)
    max_length = formats.max_length
    key_values: dict[str, object] = {
        "shipment_id": shipment.shipment_id,
        "order_id": shipment.order_id,
        "order_number": order_number,
        "line": 0,
    }
    # Per-shipment values, read once for all its lines.
    subinventory = warehouse.subinventory
    source_code = settings.source_code
    organization_code = _organization(warehouse, "code")
    organization_name = _organization(warehouse, "name")
    locator = warehouse.locator
    mode = settings.transaction_mode
    items = config.items  # item_number() and unit_of_measure(), their usual cases inline
    item_map = items.map
    identity = items.identity
    uom_by_sku = items.uom_by_sku
    uom = items.uom
    place = f"{warehouse.inventory_organization}/{warehouse.subinventory}" if explain else ""
    for line in lines:
        quantity = line.quantity
        if quantity == 0:
            if explain:
                notes.append(f"inventory line {line.index}: quantity 0, nothing to issue")
            continue
        index = line.index
        order_item = line.order_item
        sku = line.item.sku or order_item.sku
        number = item_map.get(sku) if sku else None
        if number is None:
            if sku and identity:
                number = sku
            else:  # raises, naming the field
                number = item_number(
                    sku, config, field=f"shipment_items[{index - 1}].sku", record=record
                )
        key_values["line"] = index
        key = template.format_map(key_values) if named else template.format(**key_values)
        if len(key) > max_length:
            key = formats._render("inventory", key_values, record)  # raises, naming the field
        source_line = (
            str(order_item.order_item_id)
            if order_item.order_item_id is not None and per_item[line.order_key] == 1
            else str(index)
        )
        sent = -quantity if negative else quantity
        unit = uom_by_sku.get(sku, uom) if sku else uom
        transaction = _issue(
            number,
            subinventory,
            sent,
            unit,
            instant,
            issue_type,
            source_code,
            header,
            source_line,
            key if by_posting_key else order_number,
            organization_code,
            organization_name,
            locator,
            account,
            mode,
        )
        postings.append(InventoryPosting(key, transaction, index))
        if explain:
            notes.append(
                f"inventory {key}: {issue_type} of {quantity} {unit} of item {number} "
                f"(SKU {sku}) from {place}, quantity sent as {sent}, offset account {account}"
            )
    return tuple(postings), tuple(notes)


def _organization(warehouse: WarehouseMapping, kind: str) -> str | None:
    """The warehouse's organization if the mapping says it is a ``kind`` (``code`` is sent as
    ``OrganizationCode``, ``name`` as ``OrganizationName``), else ``None`` (not sent)."""
    if warehouse.inventory_organization_kind == kind:
        return warehouse.inventory_organization
    return None


def reversal_postings(
    issues: Iterable[InventoryPosting],
    config: MappingConfig,
    *,
    shipment: Shipment,
    order_number: str,
    instant: datetime,
    record: str,
    explain: bool = True,
) -> tuple[tuple[InventoryPosting, ...], tuple[str, ...]]:
    """The receipts that put back exactly what ``issues`` took, keyed from them (with notes
    when ``explain``)."""
    postings: list[InventoryPosting] = []
    notes: list[str] = []
    for issue in issues:
        original = issue.transaction
        line = issue.line if issue.line is not None else original.source_line_id
        key = config.posting_keys.render(
            "inventory_reversal",
            record=record,
            shipment_id=shipment.shipment_id,
            order_id=shipment.order_id,
            order_number=order_number,
            line=line,
        )
        quantity = abs(original.transaction_quantity)
        receipt = attrs.evolve(
            original,
            transaction_quantity=quantity,
            transaction_type_name=config.inventory.receipt_transaction_type,
            transaction_date=instant,
            transaction_reference=(
                key
                if config.inventory.reference == "posting_key"
                else original.transaction_reference
            ),
        )
        postings.append(InventoryPosting(key, receipt, issue.line))
        if not explain:
            continue
        notes.append(
            f"inventory {key}: {config.inventory.receipt_transaction_type} of {quantity} of item "
            f"{original.item_number} reverses {issue.key}"
        )
    return tuple(postings), tuple(notes)


# -- adjustments (ShipStation V2 inventory levels) -------------------------------------------------


@attrs.frozen
class InventorySnapshot:
    """Inventory levels as read at one instant (V2 ``/v2/inventory``, grouped by location).

    Attributes:
        taken_at: Aware instant the levels were read.
        levels: The levels read.
    """

    taken_at: datetime
    levels: tuple[InventoryLevel, ...]


@attrs.frozen
class InventoryAdjustment:
    """A change in stock that shipments do not explain, and its posting.

    Attributes:
        warehouse_id: The mapped ShipStation warehouse.
        subinventory: The Oracle subinventory.
        sku: The ShipStation SKU.
        previous_on_hand: On hand in the previous snapshot.
        current_on_hand: On hand in the current snapshot.
        shipped: Quantity issued by shipments in between (net of voids).
        delta: ``current - previous + shipped``; positive is a receipt.
        posting: The staged transaction and its key.
    """

    warehouse_id: str
    subinventory: str
    sku: str
    previous_on_hand: Decimal
    current_on_hand: Decimal
    shipped: Decimal
    delta: Decimal
    posting: InventoryPosting


@attrs.frozen
class InventoryAdjustmentPlan:
    """The adjustments between two snapshots.

    Attributes:
        adjustments: One per SKU and subinventory whose change shipments do not explain.
        unmapped: V2 locations (or warehouses) present in a snapshot but not in the
            configuration's ``[inventory_locations]``; their levels were not compared.
        explanation: Every comparison, for people.
    """

    adjustments: tuple[InventoryAdjustment, ...]
    unmapped: tuple[str, ...]
    explanation: tuple[str, ...]


def shipped_quantities(
    shipments: Iterable[Shipment], *, after: datetime, until: datetime
) -> dict[tuple[str, str], Decimal]:
    """Net quantity shipped per (ShipStation warehouse id, SKU) in ``(after, until]``.

    A label created in the window adds its quantities; a label voided in the window takes
    them back. Return labels are ignored.

    Raises:
        MappingError: a shipment in the window has no items listed or no warehouse.
    """
    totals: dict[tuple[str, str], Decimal] = {}
    for shipment in shipments:
        if shipment.is_return_label:
            continue
        record = f"shipment {shipment.shipment_id}"
        created = shipment.create_date
        signs: list[int] = []
        if created is not None and after < created <= until:
            signs.append(1)
        voided_at = shipment.void_date if shipment.voided else None
        if voided_at is not None and after < voided_at <= until:
            signs.append(-1)
        if not signs:
            continue
        if shipment.shipment_items is None:
            raise MappingError(
                "shipment was listed without its items", field="shipment_items", record=record
            )
        if shipment.warehouse_id is None:
            raise MappingError("shipment has no warehouseId", field="warehouse_id", record=record)
        for item in shipment.shipment_items:
            if item.adjustment or not item.sku:
                continue
            key = (str(shipment.warehouse_id), item.sku)
            totals[key] = totals.get(key, Decimal(0)) + sum(signs) * Decimal(item.quantity)
    return totals


def _location_of(level: InventoryLevel, config: MappingConfig) -> tuple[str, str | None] | None:
    for key in (level.inventory_location_id, level.inventory_warehouse_id):
        if key is not None and key in config.inventory_locations:
            return config.inventory_locations[key]
    return None


def plan_adjustments(
    previous: InventorySnapshot,
    current: InventorySnapshot,
    shipped: Mapping[tuple[str, str], Decimal],
    config: MappingConfig,
) -> InventoryAdjustmentPlan:
    """Adjustments for stock changes between two snapshots that shipments do not explain.

    ``shipped`` is :func:`shipped_quantities` for the window between the snapshots; shipped
    quantities count against the warehouse's configured subinventory.

    Raises:
        MappingError: the snapshots are out of order or naive, or a mapped item cannot be.
    """
    record = f"inventory snapshot {current.taken_at.isoformat()}"
    try:
        plan = _plan_adjustments(previous, current, shipped, config, record)
        for adjustment in plan.adjustments:
            # Quantities Oracle cannot hold exactly are refused, never rounded silently.
            check_payload(adjustment.posting, record=f"{record} sku {adjustment.sku}")
        return plan
    except MappingError:
        raise
    except (ArithmeticError, ValueError, TypeError, AttributeError, KeyError) as exc:
        raise MappingError(
            f"cannot be mapped ({type(exc).__name__}: {exc})", record=record
        ) from exc


def _plan_adjustments(
    previous: InventorySnapshot,
    current: InventorySnapshot,
    shipped: Mapping[tuple[str, str], Decimal],
    config: MappingConfig,
    record: str,
) -> InventoryAdjustmentPlan:
    for snapshot in (previous, current):
        if snapshot.taken_at.utcoffset() is None:
            raise MappingError("snapshot time has no time zone", field="taken_at", record=record)
    if previous.taken_at >= current.taken_at:
        raise MappingError(
            "previous snapshot is not older than the current one", field="taken_at", record=record
        )
    levels: dict[tuple[str, str, str], list[Decimal]] = {}
    unmapped: set[str] = set()
    for position, snapshot in enumerate((previous, current)):
        for level in snapshot.levels:
            place = _location_of(level, config)
            if place is None:
                unmapped.add(
                    level.inventory_location_id or level.inventory_warehouse_id or "(none)"
                )
                continue
            warehouse_id, sub = place
            subinventory = sub or config.warehouse(warehouse_id, record=record).subinventory
            key = (warehouse_id, subinventory, level.sku)
            pair = levels.setdefault(key, [Decimal(0), Decimal(0)])
            pair[position] += Decimal(level.on_hand)
    explanation: list[str] = [
        f"compare {previous.taken_at.isoformat()} with {current.taken_at.isoformat()}"
    ]
    for name in sorted(unmapped):
        explanation.append(f"location {name} is not in [inventory_locations]: not compared")
    default_sub = {wid: w.subinventory for wid, w in config.warehouses.items()}
    for (warehouse_id, sku), quantity in sorted(shipped.items()):
        if (warehouse_id, default_sub.get(warehouse_id, ""), sku) not in levels:
            explanation.append(
                f"{sku} shipped {quantity} from warehouse {warehouse_id}, which no snapshot "
                "tracks: nothing to compare"
            )
    posted_date = posting_date(current.taken_at, config.dates, field="taken_at", record=record)
    instant = current.taken_at.astimezone(UTC)
    adjustments: list[InventoryAdjustment] = []
    for (warehouse_id, subinventory, sku), (before, after) in sorted(levels.items()):
        warehouse = config.warehouse(warehouse_id, record=record)
        out = (
            shipped.get((warehouse_id, sku), Decimal(0))
            if subinventory == warehouse.subinventory
            else Decimal(0)
        )
        delta = after - before + out
        line = f"{sku} at {warehouse.label}/{subinventory}: {before} -> {after}, shipped {out}"
        if delta == 0:
            explanation.append(f"{line}: explained by shipments")
            continue
        digest = hashlib.sha256(
            "|".join(
                (
                    warehouse_id,
                    subinventory,
                    sku,
                    previous.taken_at.isoformat(),
                    current.taken_at.isoformat(),
                )
            ).encode()
        ).hexdigest()[:12]
        posting_key = config.posting_keys.render(
            "adjustment", record=record, digest=digest, warehouse_id=warehouse_id, sku=sku
        )
        receipt = delta > 0
        kind = (
            config.inventory.adjustment_receipt_type
            if receipt
            else config.inventory.adjustment_issue_type
        )
        quantity = delta if receipt else _signed_issue(-delta, config)
        account = account_for(
            config, AccountPurpose.INVENTORY_ADJUSTMENT, warehouse_id, record=record
        )
        number = item_number(sku, config, field="sku", record=record)
        transaction = InventoryStagedTransaction(
            item_number=number,
            subinventory_code=subinventory,
            transaction_quantity=quantity,
            transaction_unit_of_measure=unit_of_measure(sku, config),
            transaction_date=instant,
            transaction_type_name=kind,
            source_code=config.inventory.source_code,
            source_header_id=str(int(digest, 16)),
            source_line_id="1",
            transaction_reference=posting_key,
            organization_code=_organization(warehouse, "code"),
            organization_name=_organization(warehouse, "name"),
            locator_name=warehouse.locator,
            distribution_account=account,
            transaction_mode=config.inventory.transaction_mode,
        )
        explanation.append(
            f"{line}: unexplained {delta:+} -> {posting_key} {kind} of {abs(delta)} dated "
            f"{posted_date.isoformat()}, account {account}"
        )
        adjustments.append(
            InventoryAdjustment(
                warehouse_id=warehouse_id,
                subinventory=subinventory,
                sku=sku,
                previous_on_hand=before,
                current_on_hand=after,
                shipped=out,
                delta=delta,
                posting=InventoryPosting(posting_key, transaction),
            )
        )
    return InventoryAdjustmentPlan(
        adjustments=tuple(adjustments),
        unmapped=tuple(sorted(unmapped)),
        explanation=tuple(explanation),
    )
