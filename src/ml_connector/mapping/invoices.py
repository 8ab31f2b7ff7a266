"""A shipment to an AR invoice (or, voided, a credit memo) plus its inventory transactions.

One invoice per shipment (``receivablesInvoices`` create,
https://docs.oracle.com/en/cloud/saas/financials/25d/farfa/op-receivablesinvoices-post.html):

- one line per shipped order item, priced from the order item's ``unitPrice``, with its
  allocated amount (see :mod:`ml_connector.mapping.allocation` for the exact rule);
- the line's share of the customer's shipping charge as its ``AllocatedFreightAmount`` and
  its share of the order's tax as a manual tax line (``receivablesInvoiceLineTaxLines``), the
  way Oracle documents freight and tax at the invoice line level
  (https://docs.oracle.com/en/cloud/saas/financials/24c/farfa/Create_an_Invoice_with_Distributions_of_Type_Tax_Freight_Revenue_and_Receivables.html);
  with ``receivables.tax_mode = "oracle_tax"`` no tax is sent and Oracle Tax calculates it;
- a discount line for the shipment's share of the order's adjustment items, when not zero;
- manual distributions: per item line Revenue, Freight (naming the line) and Tax (naming the
  line and its tax line by ``DetailedTaxLineNumber``), Revenue for the discount line, and one
  Receivable for the total, on the warehouse's (or store's) accounts with its cost center;
- business unit, transaction source and type, payment terms and currency from the
  configuration; bill-to from the customer match; dates from the shipment (see ``_time``);
- a deterministic posting key (``SS<shipmentId>`` by default) in ``TransactionNumber`` (or
  ``CrossReference``), the same on every run, so find-before-create prevents duplicates.

A voided shipment maps to a credit memo that reverses exactly what the invoice posted (the
same lines, tax lines and distributions, negated, rebuilt deterministically or taken from the
posted invoice when given; the invoice's line freight becomes one freight line, as credit memo
lines document no freight attribute), dated at the void, keyed from the original, with
receipts reversing the inventory issues. Its distributions name their lines by
``CreditMemoLineNumber``. The REST resource creates on-account credit memos only
(https://docs.oracle.com/en/cloud/saas/financials/25d/farfa/Create_Receivables_Credit_Memos.html),
so the credit memo names the invoice it reverses and reconcile lists it until finance applies
it. Cases that post nothing return a :class:`~.plans.Skip` with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal

import attrs

from ml_connector._collector import pausing
from ml_connector._errors import CustomerLookupError, MappingError
from ml_connector.oracle.models import (
    ReceivablesCreditMemo,
    ReceivablesCreditMemoDistribution,
    ReceivablesCreditMemoLine,
    ReceivablesInvoice,
    ReceivablesInvoiceDistribution,
    ReceivablesInvoiceLine,
    ReceivablesTaxLine,
    _positional,
)
from ml_connector.shipstation.models import Order, OrderItem, Shipment

from ._bounds import (
    check_order_amounts,
    check_plan_payloads,
    check_shipped_quantities,
    shipped_sums,
)
from ._memo import per_order
from ._shipments import (
    ShippedLine,
    check_money,
    order_item_keys,
    resolve_lines,
    shipment_moment,
)
from ._time import posting_date
from .accounts import AccountPurpose, _accounts_for
from .allocation import (
    Component,
    OrderLineBasis,
    ShipmentQuantities,
    _only_label_amounts,
    _order_basis_rows,
    _order_pools,
    _replay,
    _Row,
    _scale,
    round_to_minor,
    void_shortfall_notes,
)
from .config import MappingConfig, StoreMapping, WarehouseMapping
from .customers import CustomerMatch, Matched, Unmatched
from .inventory import issue_postings, reversal_postings
from .plans import ShipmentPlan, Skip, SkipReason

__all__ = ["map_shipment", "reverse_invoice"]

_ZERO = Decimal(0)  # Decimals are immutable: one zero serves every default
_ONE = Decimal(1)

# Enum members read once: a class attribute lookup on an Enum goes through a descriptor.
_MERCHANDISE = Component.MERCHANDISE
_DISCOUNT = Component.DISCOUNT
_FREIGHT = Component.FREIGHT
_TAX = Component.TAX
# The accounts an invoice uses, looked up together (see accounts._accounts_for).
_INVOICE_PURPOSES = (
    AccountPurpose.REVENUE,
    AccountPurpose.DISCOUNT,
    AccountPurpose.FREIGHT,
    AccountPurpose.TAX,
    AccountPurpose.RECEIVABLE,
)
# The discount line: component, settings attributes, account class, and the position of the
# line's account in _INVOICE_PURPOSES. Freight and tax ride on the item lines.
_EXTRA_LINES = ((Component.DISCOUNT, "discount_description", "discount_memo_line", "revenue", 1),)


# Positional constructors of the payloads built per line (see oracle.models._positional):
# the same objects as the keyword constructors build.
_tax_line = _positional(ReceivablesTaxLine, "tax_amount", "tax_regime_code", "tax_rate_code")
_invoice_line = _positional(
    ReceivablesInvoiceLine,
    "line_number",
    "description",
    "quantity",
    "unit_selling_price",
    "amount",
    "memo_line",
    "item_number",
    "unit_of_measure",
    "tax_classification_code",
    "sales_order",
    "allocated_freight_amount",
    "tax_lines",
)
_distribution = _positional(
    ReceivablesInvoiceDistribution,
    "account_class",
    "account_combination",
    "amount",
    "line_number",
    "detailed_tax_line_number",
)
_invoice = _positional(
    ReceivablesInvoice,
    "business_unit",
    "transaction_source",
    "transaction_type",
    "transaction_date",
    "bill_to_customer_number",
    "invoice_currency_code",
    "payment_terms",
    "lines",
    "distributions",
    "transaction_number",
    "accounting_date",
    "bill_to_site",
    "cross_reference",
    "comments",
    "invoice_status",
)


def _money(value: Decimal | None, field: str, record: str) -> Decimal:
    """:func:`check_money`, with the common case (a finite Decimal) decided inline."""
    if type(value) is Decimal and value.is_finite():
        return value
    return check_money(value, field=field, record=record)


@pausing  # one record's plan, no cycles: see ml_connector._collector
def map_shipment(
    shipment: Shipment,
    order: Order,
    match: CustomerMatch,
    config: MappingConfig,
    *,
    order_shipments: Sequence[Shipment] = (),
    original: ReceivablesInvoice | None = None,
) -> ShipmentPlan | Skip:
    """Map one ShipStation shipment to what it posts in Oracle.

    Args:
        shipment: The shipment (label), listed with its items.
        order: Its order.
        match: The order's customer match (:func:`~.customers.match_customer`).
        config: The mapping configuration.
        order_shipments: Every shipment of the order known so far (with or without
            ``shipment``). Amounts of split orders depend on the shipments created before
            this one; pass them all so that the order's invoices add up exactly.
        original: For a voided shipment, the invoice as it was posted (from the audit trail);
            the credit memo then reverses exactly that. Without it the invoice is rebuilt.

    Returns:
        A :class:`~.plans.ShipmentPlan`, or a :class:`~.plans.Skip` with its reason.

    Raises:
        MappingError: the shipment cannot be mapped: unmapped warehouse, customer not matched,
            an item matching no order item, a missing date, more units than the order has
            left to ship, a price or amount with more digits than can be posted exactly (see
            :mod:`ml_connector.mapping._bounds`); the error names field and record.
    """
    record = f"shipment {getattr(shipment, 'shipment_id', '?')}"
    try:
        resolved: list[_Resolved] = []
        try:
            result = _map_shipment(
                shipment, order, match, config, order_shipments, original, record, resolved, None
            )
        except _StepsNeeded:
            # A skip carries its steps: this rare case maps again, explaining as it goes.
            resolved.clear()
            result = _map_shipment(
                shipment, order, match, config, order_shipments, original, record, resolved, []
            )
        if isinstance(result, ShipmentPlan):
            # Absurd quantities and amounts are refused, never posted or rounded silently.
            shared = _shared(shipment, order_shipments)
            if shared:
                per_order(config, order, "amounts checked", lambda: _check_amounts(order, record))
            else:
                check_order_amounts(order, record=record)
            check_shipped_quantities(
                shipment,
                order,
                order_shipments,
                record=record,
                keyed=resolved[0][0],
                lines=resolved[0][1],
                sums=(resolved[0][2], resolved[0][3]),
            )
            check_plan_payloads(result.invoice, result.credit_memo, result.inventory, record=record)
        return result
    except MappingError:
        raise
    except (ArithmeticError, ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
        # Only MappingError leaves mapping: a record the rules did not foresee is still named.
        raise MappingError(
            f"cannot be mapped ({type(exc).__name__}: {exc})", record=record
        ) from exc


_Resolved = tuple[
    list[tuple[str, OrderItem]],
    tuple[ShippedLine, ...],
    dict[str, Decimal],
    dict[str, ShippedLine],
]
"""The order's item keys, the shipment's resolved lines, and what it ships of each order item
with the first line that ships it (see :func:`shipped_sums`)."""


class _StepsNeeded(Exception):
    """Raised by a mapping that builds no steps when its result needs them at once."""


def _explain(
    shipment: Shipment,
    order: Order,
    match: CustomerMatch,
    config: MappingConfig,
    order_shipments: Sequence[Shipment],
    original: ReceivablesInvoice | None,
    record: str,
) -> tuple[str, ...]:
    """The explanation of a plan :func:`map_shipment` built without one: the same mapping
    again (it is deterministic: the same inputs give the same plan), collecting its steps."""
    steps: list[str] = []
    _map_shipment(shipment, order, match, config, order_shipments, original, record, [], steps)
    return tuple(steps)


def _check_amounts(order: Order, record: str) -> bool:
    check_order_amounts(order, record=record)
    return True


def _shared(shipment: Shipment, order_shipments: Sequence[Shipment]) -> bool:
    """Whether other labels of the order may ask for its per-order values (most orders ship on
    one label: their values are worked out and let go, not kept for a second label that never
    comes, where they would only lengthen the collector's walks)."""
    return len(order_shipments) > 1 or (
        len(order_shipments) == 1 and order_shipments[0].shipment_id != shipment.shipment_id
    )


def _keyed(order: Order, config: MappingConfig, shared: bool) -> list[tuple[str, OrderItem]]:
    """The order's item keys (:func:`order_item_keys`), worked out once per order when
    ``shared``."""
    if not shared:
        return order_item_keys(order)
    return per_order(config, order, "item keys", lambda: order_item_keys(order))


def _skip_rule(shipment: Shipment, order: Order, config: MappingConfig) -> Skip | None:
    rules = config.skip
    if shipment.is_return_label and rules.return_labels:
        return Skip(
            shipment.shipment_id,
            SkipReason.RETURN_LABEL,
            "return labels post nothing (returns are credited through an RMA)",
        )
    for prefix in rules.order_number_prefixes:
        if order.order_number.startswith(prefix):
            return Skip(
                shipment.shipment_id,
                SkipReason.TEST_ORDER,
                f"order number {order.order_number} starts with test prefix {prefix!r}",
            )
    tags = sorted(set(order.tag_ids) & rules.tag_ids) if order.tag_ids and rules.tag_ids else ()
    if tags:
        return Skip(
            shipment.shipment_id,
            SkipReason.SKIPPED_TAG,
            f"order carries tag {tags[0]}, configured to skip",
        )
    store = order.store_id if order.store_id is not None else shipment.store_id
    if store is not None and str(store) in rules.store_ids:
        return Skip(
            shipment.shipment_id, SkipReason.SKIPPED_STORE, f"store {store} is configured to skip"
        )
    return None


def _order_ledger(
    shipment: Shipment,
    order: Order,
    others: Iterable[Shipment],
    record: str,
    keyed_items: list[tuple[str, OrderItem]],
    shipment_lines: tuple[ShippedLine, ...],
) -> list[ShipmentQuantities]:
    """Quantities of every live-or-voided label of the order, for the cumulative split.

    ``keyed_items`` are the order's item keys and ``shipment_lines`` the shipment's resolved
    lines, both already worked out by the caller.
    """
    by_id: dict[int, Shipment] = {}
    for other in others:
        if other.order_id == order.order_id and not other.is_return_label:
            by_id[other.shipment_id] = other
    by_id[shipment.shipment_id] = shipment
    ledger: list[ShipmentQuantities] = []
    for shipment_id in sorted(by_id):
        label = by_id[shipment_id]
        where = record if label is shipment else f"shipment {shipment_id} of the same order"
        if label.create_date is None:
            raise MappingError("shipment has no createDate", field="create_date", record=where)
        lines = (
            shipment_lines if label is shipment else resolve_lines(label, keyed_items, record=where)
        )
        quantities: dict[str, Decimal] = {}
        for line in lines:
            quantities[line.order_key] = quantities.get(line.order_key, Decimal(0)) + line.quantity
        voided_at = None
        if label.voided:
            voided_at = label.void_date or label.create_date
        ledger.append(ShipmentQuantities(shipment_id, label.create_date, voided_at, quantities))
    return ledger


def _map_shipment(
    shipment: Shipment,
    order: Order,
    match: CustomerMatch,
    config: MappingConfig,
    order_shipments: Sequence[Shipment],
    original: ReceivablesInvoice | None,
    record: str,
    resolved: list[_Resolved],
    steps: list[str] | None,
) -> ShipmentPlan | Skip:
    """The plan or skip; ``resolved`` receives the order's item keys and the shipment's
    resolved lines, once known.

    ``steps`` collects the explanation; with None none is built, and a plan explains itself
    when its explanation is first read (:func:`_explain`).
    """
    if shipment.order_id is None:
        return Skip(shipment.shipment_id, SkipReason.NO_ORDER, "label has no order to invoice")
    if shipment.order_id != order.order_id:
        raise MappingError(
            f"shipment belongs to order {shipment.order_id}, not {order.order_id}",
            field="order_id",
            record=record,
        )
    skip = _skip_rule(shipment, order, config)
    if skip is not None:
        return skip
    warehouse = config.warehouse(shipment.warehouse_id, record=record)
    store_id = order.store_id if order.store_id is not None else shipment.store_id
    store = config.stores.get(str(store_id)) if store_id is not None else None
    store_key = str(store_id) if store is not None else None
    if steps is not None:
        steps.append(
            f"{record} of order {order.order_number} ships from warehouse {warehouse.label}"
            + (f", store {store.name or store.store_id}" if store is not None else "")
        )
    shared = _shared(shipment, order_shipments)
    keyed = _keyed(order, config, shared)
    lines = resolve_lines(shipment, keyed, record=record)
    seen, first = shipped_sums(lines)
    resolved.append((keyed, lines, seen, first))
    if not lines:
        if steps is None:
            raise _StepsNeeded
        return Skip(
            shipment.shipment_id, SkipReason.NO_ITEMS, "shipment lists no items", tuple(steps)
        )
    if not isinstance(match, Matched):
        why = match.reason if isinstance(match, Unmatched) else match.detail
        if isinstance(match, Unmatched) and match.lookup_failed:
            raise CustomerLookupError(
                f"customer of order {order.order_number} could not be matched: {why}",
                field="customer",
                record=record,
            )
        raise MappingError(
            f"customer of order {order.order_number} is not matched: {why}",
            field="customer",
            record=record,
        )
    day, instant, when = shipment_moment(shipment, config, record=record, explain=steps is not None)
    if steps is not None:
        steps.append(f"customer: {match.detail}")
        steps.append(f"dates: {when}")

    invoice, invoice_key, total = _build_invoice(
        shipment,
        order,
        match,
        config,
        order_shipments,
        warehouse,
        store,
        store_key,
        keyed,
        lines,
        seen,
        first,
        shared,
        day,
        record,
        steps,
    )
    zero = total == 0  # invoice.total, summed as the invoice was built
    if zero and config.skip.zero_value == "skip" and not (shipment.voided and original):
        if steps is None:
            raise _StepsNeeded
        reason = SkipReason.ORIGINAL_NOT_POSTED if shipment.voided else SkipReason.ZERO_VALUE
        return Skip(
            shipment.shipment_id,
            reason,
            "invoice total is zero (skip.zero_value = 'skip')",
            tuple(steps),
        )
    issues, inventory_steps = issue_postings(
        shipment,
        lines,
        warehouse,
        config,
        instant=instant,
        order_number=order.order_number,
        store_id=store_key,
        record=record,
        explain=steps is not None,
    )
    if not shipment.voided:
        if steps is None:
            return ShipmentPlan._deferred(
                (
                    _explain,
                    shipment,
                    order,
                    match,
                    config,
                    tuple(order_shipments),
                    original,
                    record,
                ),
                shipment_id=shipment.shipment_id,
                order_number=order.order_number,
                posting_key=None if zero else invoice_key,
                invoice=None if zero else invoice,
                credit_memo=None,
                original_key=None,
                inventory=issues,
                customer=match,
            )
        steps.extend(inventory_steps)
        if zero:
            steps.append("invoice total is zero: stock only (skip.zero_value = 'inventory_only')")
        return ShipmentPlan(
            shipment_id=shipment.shipment_id,
            order_number=order.order_number,
            posting_key=None if zero else invoice_key,
            invoice=None if zero else invoice,
            credit_memo=None,
            original_key=None,
            inventory=issues,
            customer=match,
            explanation=tuple(steps),
        )

    # Voided: reverse exactly what the original posted.
    void_instant = shipment.void_date or shipment.create_date or instant
    if shipment.void_date is None and steps is not None:
        steps.append("voidDate missing: the reversal is dated at the label's creation")
    void_day = posting_date(void_instant, config.dates, field="void_date", record=record)
    if steps is not None:
        steps.append(f"voided: reversal dated {void_day.isoformat()}")
    receipts, receipt_steps = reversal_postings(
        issues,
        config,
        shipment=shipment,
        order_number=order.order_number,
        instant=void_instant.astimezone(instant.tzinfo),
        record=record,
        explain=steps is not None,
    )
    credit_key = config.posting_keys.render(
        "credit_memo",
        record=record,
        shipment_id=shipment.shipment_id,
        order_id=shipment.order_id,
        order_number=order.order_number,
        warehouse_id=shipment.warehouse_id,
    )
    memo = None
    if original is not None or not zero:
        source = original if original is not None else invoice
        if original is not None and steps is not None:
            steps.append("credit memo reverses the invoice as posted (given by the caller)")
        memo = reverse_invoice(
            source,
            config,
            key=credit_key,
            original_key=invoice_key,
            transaction_date=void_day,
        )
        if steps is not None:
            steps.append(
                f"credit memo {credit_key} reverses invoice {invoice_key}: total {memo.total}"
            )
    if steps is None:
        return ShipmentPlan._deferred(
            (_explain, shipment, order, match, config, tuple(order_shipments), original, record),
            shipment_id=shipment.shipment_id,
            order_number=order.order_number,
            posting_key=credit_key if memo is not None else None,
            invoice=None,
            credit_memo=memo,
            original_key=invoice_key if memo is not None else None,
            inventory=receipts,
            customer=match,
        )
    steps.extend(receipt_steps)
    return ShipmentPlan(
        shipment_id=shipment.shipment_id,
        order_number=order.order_number,
        posting_key=credit_key if memo is not None else None,
        invoice=None,
        credit_memo=memo,
        original_key=invoice_key if memo is not None else None,
        inventory=receipts,
        customer=match,
        explanation=tuple(steps),
    )


def _invoice_key(shipment: Shipment, order: Order, config: MappingConfig, record: str) -> str:
    return config.posting_keys._render(
        "invoice",
        {
            "shipment_id": shipment.shipment_id,
            "order_id": shipment.order_id,
            "order_number": order.order_number,
            "warehouse_id": shipment.warehouse_id,
        },
        record,
    )


def _order_rows(
    order: Order, keyed: list[tuple[str, OrderItem]], minor: int
) -> tuple[list[_Row], Decimal, Decimal, Decimal, str]:
    """The order's item rows (see ``_order_basis_rows``), its tax, freight and discount, and
    the order's name for errors."""
    order_record = f"order {order.order_number}"
    rows: list[_Row] = []
    for key, item in keyed:
        if item.quantity < 0:
            raise MappingError(
                f"order item {key} has negative quantity {item.quantity}",
                field="items.quantity",
                record=order_record,
            )
        # _money, with its common case (a finite Decimal; items rarely have their own tax or
        # shipping) decided inline.
        price = item.unit_price
        if type(price) is not Decimal or not price.is_finite():
            price = check_money(price, field="items.unit_price", record=order_record)
        item_tax = item.tax_amount
        item_shipping = item.shipping_amount
        rows.append(
            (
                key,
                Decimal(item.quantity),
                price,
                None if item_tax is None else _money(item_tax, "items.tax_amount", order_record),
                None
                if item_shipping is None
                else _money(item_shipping, "items.shipping_amount", order_record),
            )
        )
    discount = _ZERO
    for item in order.items:
        if item.adjustment:
            price = _money(item.unit_price, "items.unit_price", order_record)
            discount += round_to_minor(Decimal(item.quantity) * price, minor)
    tax = _money(order.tax_amount, "tax_amount", order_record)
    freight = _money(order.shipping_amount, "shipping_amount", order_record)
    return rows, tax, freight, discount, order_record


def _order_basis(
    order: Order, keyed: list[tuple[str, OrderItem]], minor: int, explain: bool = True
) -> tuple[tuple[OrderLineBasis, ...], tuple[str, ...], dict[str, OrderLineBasis], bool]:
    """The order's per-item basis, its notes (none unless ``explain``), the basis by item key
    and whether its amounts were all built at the minor unit (see ``_order_basis_rows``)."""
    rows, tax, freight, discount, order_record = _order_rows(order, keyed, minor)
    basis, basis_notes, built = _order_basis_rows(
        rows, tax, freight, discount, minor, order_record, explain=explain
    )
    return basis, basis_notes, {line.key: line for line in basis}, built


def _shares(
    shipment: Shipment,
    order: Order,
    order_shipments: Sequence[Shipment],
    record: str,
    keyed: list[tuple[str, OrderItem]],
    lines: tuple[ShippedLine, ...],
    basis: tuple[OrderLineBasis, ...],
    basis_notes: tuple[str, ...],
    steps: list[str] | None,
    minor: int,
) -> Mapping[str, Mapping[Component, Decimal]]:
    """What the shipment invoices of each order item, by replaying the order's labels; the
    order's and the allocation's notes go to ``steps`` (if not None)."""
    ledger = _order_ledger(shipment, order, order_shipments, record, keyed, lines)
    target_id = shipment.shipment_id
    if steps is not None:
        steps.extend([f"order: {note}" for note in basis_notes])
    if steps is not None and len(ledger) > 1:
        target = next(s for s in ledger if s.shipment_id == target_id)
        live_before = [
            s for s in ledger if (s.created_at, s.shipment_id) < (target.created_at, target_id)
        ]
        if live_before:
            steps.append(
                "split order: amounts follow the cumulative quantity shipped by the order's "
                "labels created before this one "
                f"({', '.join(str(s.shipment_id) for s in live_before)})"
            )
    # shipment_shares, with the allocation's notes only when they are explained.
    shares = _replay(target_id, basis, ledger, minor, through_void=False, notes=steps is not None)
    if steps is not None:
        steps.extend([f"allocation: {note}" for note in shares.notes])
        if shipment.voided:
            notes = void_shortfall_notes(target_id, basis, ledger, minor)
            steps.extend([f"warning: {note}" for note in notes])
    return shares.amounts


def _build_invoice(
    shipment: Shipment,
    order: Order,
    match: Matched,
    config: MappingConfig,
    order_shipments: Sequence[Shipment],
    warehouse: WarehouseMapping,
    store: StoreMapping | None,
    store_key: str | None,
    keyed: list[tuple[str, OrderItem]],
    lines: tuple[ShippedLine, ...],
    seen: dict[str, Decimal],
    first: dict[str, ShippedLine],
    shared: bool,
    day: date,
    record: str,
    steps: list[str] | None,
) -> tuple[ReceivablesInvoice, str, Decimal]:
    """The invoice, its posting key and its total (:attr:`ReceivablesInvoice.total`, summed
    line by line in the same order); its explanation steps go to ``steps`` (if not None)."""
    settings = config.receivables
    minor = settings.minor_unit
    order_record = f"order {order.order_number}"
    # ``shared``: other labels of the order may ask for its per-order values (_shared).
    # ``seen``: what the shipment ships of each order item (the order's ledger holds the same
    # sums); ``first``: the first line of each.
    scale = _scale(minor)
    # Per item key: merchandise, discount, freight and tax the shipment invoices.
    four: Mapping[str, tuple[Decimal, Decimal, Decimal, Decimal]]
    by_key: dict[str, OrderLineBasis] = {}
    if steps is None and not shared and scale is not None and shipment.create_date is not None:
        # The order's only label, not explained: what shipment_shares gives for a ledger of
        # this label alone, without building the ledger, the basis or the notes.
        rows, tax, freight, discount, _ = _order_rows(order, keyed, minor)
        pools, _, built = _order_pools(
            rows, tax, freight, discount, minor, order_record, explain=False
        )
        position = {key: i for i, (key, _item) in enumerate(keyed)}
        four = _only_label_amounts(seen, position, rows, pools, scale, -minor, built)
    else:
        if shared:
            # Kept without its notes (the order's labels are rarely explained); an explained
            # label works them out again.
            basis, basis_notes, by_key, built = per_order(
                config, order, "basis", lambda: _order_basis(order, keyed, minor, False)
            )
            if steps is not None:
                basis_notes = _order_basis(order, keyed, minor)[1]
        else:
            basis, basis_notes, by_key, built = _order_basis(order, keyed, minor, steps is not None)
        share_amounts = _shares(
            shipment, order, order_shipments, record, keyed, lines, basis, basis_notes, steps, minor
        )
        empty: dict[Component, Decimal] = {}
        four = {}
        for key in seen:
            amounts = share_amounts.get(key, empty)
            four[key] = (
                amounts.get(_MERCHANDISE, _ZERO),
                amounts.get(_DISCOUNT, _ZERO),
                amounts.get(_FREIGHT, _ZERO),
                amounts.get(_TAX, _ZERO),
            )

    accounts = _accounts_for(
        config, _INVOICE_PURPOSES, warehouse.warehouse_id, store_key, record=record
    )
    revenue_account = accounts[0]
    receivable_account = accounts[4]
    classes = settings.account_classes
    revenue_class = classes["revenue"]
    item_numbers = settings.item_numbers
    item_map = config.items.map
    sales_order = order.order_number
    invoice_lines: list[ReceivablesInvoiceLine] = []
    distributions: list[ReceivablesInvoiceDistribution] = []
    # The order-level components summed over the lines: the discount line's amount and, with
    # Oracle Tax, the tax left to it (merchandise and freight ride on the lines).
    discount_total = tax_total = total = _ZERO
    freight_class = classes["freight"]
    tax_class = classes["tax"]
    freight_account = accounts[2]
    tax_account = accounts[3]
    oracle_tax = settings.tax_mode == "oracle_tax"
    uom_by_sku = config.items.uom_by_sku  # unit_of_measure(), read once per shipment
    uom = config.items.uom
    tax_regime_code = settings.tax_regime_code
    tax_rate_code = settings.tax_rate_code
    tax_classification_code = settings.tax_classification_code
    for key, quantity in seen.items():
        shipped = first[key]
        amount, discount, freight, item_tax = four[key]
        discount_total += discount
        tax_total += item_tax
        tax = _ZERO if oracle_tax else item_tax
        order_item = shipped.order_item
        price = order_item.unit_price  # _money, its common case inline
        if type(price) is not Decimal or not price.is_finite():
            price = check_money(price, field="items.unit_price", record=order_record)
        sku = shipped.item.sku or order_item.sku
        number = len(invoice_lines) + 1
        description = (order_item.name or shipped.item.name or sku or key)[:240]
        tax_lines: tuple[ReceivablesTaxLine, ...] = ()
        # The line's total (ReceivablesInvoiceLine.total, the same sums in the same order),
        # added to the invoice's total as the line is built.
        line_total = amount + (freight if freight else 0)
        if tax:  # a Decimal is true when it is not zero (as `!= 0`, without the int)
            tax_lines = (_tax_line(tax, tax_regime_code, tax_rate_code),)
            line_total += tax
        total += line_total
        invoice_lines.append(
            _invoice_line(
                number,
                description,
                quantity,
                price,
                amount,
                None,  # memo_line
                (item_map.get(sku, sku) if sku else None) if item_numbers else None,
                (uom_by_sku.get(sku, uom) if sku else uom) if item_numbers else None,
                tax_classification_code,
                sales_order,
                freight if freight else None,
                tax_lines,
            )
        )
        distributions.append(_distribution(revenue_class, revenue_account, amount, number, None))
        if freight:
            distributions.append(
                _distribution(freight_class, freight_account, freight, number, None)
            )
        if tax:
            distributions.append(_distribution(tax_class, tax_account, tax, number, 1))
        if steps is None:
            continue
        ordered = by_key[key].quantity
        note = (
            f"line {number}: {description}, {quantity} of {ordered} ordered at {price} = {amount}"
        )
        priced = quantity * price
        if priced != amount:
            note += f" (quantity x price is {priced}; the allocated amount keeps the order exact)"
        if freight != 0:
            note += f"; freight {freight} (AllocatedFreightAmount)"
        if tax != 0:
            note += f"; tax {tax} (tax line 1)"
        steps.append(note)

    component_totals = {_DISCOUNT: discount_total, _TAX: tax_total}
    for component, description_name, memo_name, klass, account in _EXTRA_LINES:
        amount = component_totals[component]
        if amount == 0:
            continue
        description = getattr(settings, description_name)
        number = len(invoice_lines) + 1
        invoice_lines.append(
            _invoice_line(
                number,
                description,
                _ONE,
                amount,
                amount,
                getattr(settings, memo_name),
                None,
                None,
                None,
                sales_order,
                None,
                (),
            )
        )
        total += amount + 0  # the line's total: no freight, no tax lines
        distributions.append(_distribution(classes[klass], accounts[account], amount, number, None))
        if steps is not None:
            steps.append(
                f"line {number}: {description} {amount} (share of the order's {component.value})"
            )
    if steps is not None and oracle_tax and component_totals[_TAX] != 0:
        steps.append(
            f"tax {component_totals[_TAX]} not sent: Oracle Tax calculates it "
            "(receivables.tax_mode = 'oracle_tax')"
        )
    distributions.append(
        _distribution(classes["receivable"], receivable_account, total, None, None)
    )
    key = _invoice_key(shipment, order, config, record)
    if steps is not None:
        steps.append(
            f"total {total} {settings.currency}: receivable {receivable_account}, "
            f"revenue {revenue_account}"
        )
        steps.append(f"posting key {key} in {settings.key_field}")
    business_unit = (store.business_unit if store else None) or warehouse.business_unit
    invoice = _invoice(
        business_unit,
        settings.transaction_source,
        (store.transaction_type if store else None) or settings.transaction_type,
        day,
        match.account_number,
        settings.currency,
        (store.payment_terms if store else None) or settings.payment_terms,
        invoice_lines,
        distributions,
        key if settings.key_field == "transaction_number" else None,
        day,
        match.bill_to_site,
        key if settings.key_field == "cross_reference" else None,
        f"ShipStation order {order.order_number}, shipment {shipment.shipment_id}",
        settings.invoice_status,
    )
    return invoice, key, total


def reverse_invoice(
    invoice: ReceivablesInvoice,
    config: MappingConfig,
    *,
    key: str,
    original_key: str,
    transaction_date: date,
) -> ReceivablesCreditMemo:
    """A credit memo that reverses ``invoice`` exactly: same lines and accounts, negated.

    Quantities stay positive and prices and amounts carry the sign, as Oracle's credit memo
    lines expect.
    """
    settings = config.receivables
    lines = [
        ReceivablesCreditMemoLine(
            line_number=line.line_number,
            description=line.description,
            quantity=line.quantity,
            unit_selling_price=-line.unit_selling_price,
            amount=-line.amount,
            memo_line=line.memo_line,
            item_number=line.item_number,
            tax_classification_code=line.tax_classification_code,
            tax_lines=tuple(
                attrs.evolve(tax, tax_amount=-tax.tax_amount) for tax in line.tax_lines
            ),
        )
        for line in invoice.lines
    ]
    # Credit memo lines document no freight attribute, so the invoice's line freight is
    # credited on one freight line that the Freight distributions name (UNCERTAIN: the credit
    # memo example with Freight distributions does not show its freight line).
    freight = sum((line.allocated_freight_amount or _ZERO for line in invoice.lines), _ZERO)
    freight_lines = {line.line_number for line in invoice.lines if line.allocated_freight_amount}
    freight_number = None
    if freight != 0:
        freight_number = max((line.line_number for line in invoice.lines), default=0) + 1
        lines.append(
            ReceivablesCreditMemoLine(
                line_number=freight_number,
                description=settings.freight_description,
                quantity=_ONE,
                unit_selling_price=-freight,
                amount=-freight,
                memo_line=settings.freight_memo_line,
            )
        )
    freight_class = settings.account_classes["freight"]
    distributions = tuple(
        ReceivablesCreditMemoDistribution(
            account_class=distribution.account_class,
            account_combination=distribution.account_combination,
            amount=-distribution.amount,
            percent=distribution.percent,
            line_number=(
                freight_number
                if freight_number is not None
                and distribution.account_class == freight_class
                and distribution.line_number in freight_lines
                else distribution.line_number
            ),
            detailed_tax_line_number=distribution.detailed_tax_line_number,
            comments=distribution.comments,
            extra=distribution.extra,
        )
        for distribution in invoice.distributions
    )
    return ReceivablesCreditMemo(
        business_unit=invoice.business_unit,
        transaction_source=settings.credit_memo_transaction_source or invoice.transaction_source,
        transaction_type=settings.credit_memo_transaction_type,
        transaction_date=transaction_date,
        accounting_date=transaction_date,
        bill_to_customer_number=invoice.bill_to_customer_number,
        bill_to_site=invoice.bill_to_site,
        credit_memo_currency=invoice.invoice_currency_code,
        original_transaction_number=original_key,
        lines=lines,
        distributions=distributions,
        transaction_number=key,
        credit_reason=settings.credit_reason,
        comments=f"Reverses {original_key} (voided ShipStation label)",
    )
