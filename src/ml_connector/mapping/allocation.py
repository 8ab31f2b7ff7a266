"""Exact money proration: an order's totals split over its shipments, to the cent.

No float anywhere: amounts are :class:`~decimal.Decimal`, ratios are exact
:class:`~fractions.Fraction`, and every rounding is half away from zero to the currency's
minor unit (so a negated amount rounds to the negated result).

The rule, in two steps (docs/mapping.md walks through numbers):

1. **Order amounts to order items.** Each item's merchandise amount is
   ``quantity x unitPrice`` rounded to the minor unit. The order's tax, shipping and discount
   (ShipStation adjustment items) are spread over the items by :func:`allocate`, a
   largest-remainder split weighted by merchandise amount (by quantity when every item is
   free), ties to the earlier item. Item-level ``taxAmount``/``shippingAmount`` are used
   instead when every item has one and they add up to the order's figure. The parts add up
   exactly to the order's totals, and they depend only on the order.
2. **Order items to shipments, cumulatively.** An item's component amount ``C`` for ordered
   quantity ``Q`` is invoiced as its shipped quantity grows: a shipment that brings the shipped
   quantity to ``q`` (capped at ``Q``) is invoiced ``round(C x q / Q)`` minus what is already
   invoiced for that item. The rounding telescopes, so when the shipped quantity reaches ``Q``
   the invoices of the item add up to ``C`` exactly, however the order was split. Shipments are
   replayed in the order they were created (then by shipment id); a voided shipment's invoice is
   reversed at its void time, and the next shipment catches up. Units shipped beyond the
   ordered quantity carry no charge.

A shipment's amounts therefore depend only on the order and the shipments created before it,
never on later ones, so mapping is the same on every run.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import cast

import attrs

from ml_connector._errors import MappingError

__all__ = [
    "Component",
    "ItemAmounts",
    "OrderLineBasis",
    "ShipmentQuantities",
    "ShipmentShares",
    "allocate",
    "order_basis",
    "prorate",
    "round_to_minor",
    "shipment_shares",
    "void_shortfall_notes",
]


class Component(enum.Enum):
    """The money components of an order item."""

    MERCHANDISE = "merchandise"
    DISCOUNT = "discount"
    FREIGHT = "freight"
    TAX = "tax"

    # Members are singletons compared by identity; the identity hash is the C one, much cheaper
    # than Enum's hash of the name in the per-item dictionaries built for every shipment.
    __hash__ = object.__hash__


_COMPONENTS: tuple[Component, ...] = tuple(Component)
_ZERO = Decimal(0)  # Decimals are immutable: one zero serves every default


def _units(value: Decimal | Fraction | int, minor_unit: int) -> Fraction:
    """``value`` in minor units (cents for USD), exact."""
    return Fraction(value) * Fraction(10**minor_unit)


def _round_units(units: Fraction) -> int:
    """Round a number of minor units half away from zero."""
    return _round_ratio(units.numerator, units.denominator)


# The arithmetic below is exact rational arithmetic on (numerator, denominator) pairs of
# Python ints: the same results as Fraction, without building a Fraction (and reducing it by
# gcd) at every step. Profiling showed Fraction construction as the largest cost of mapping.


def _ratio(value: Decimal | Fraction | int) -> tuple[int, int]:
    """``value`` as an exact ``(numerator, denominator)`` with a positive denominator."""
    kind = type(value)
    if kind is Decimal or kind is int:
        return value.as_integer_ratio()
    exact = Fraction(value)
    return exact.numerator, exact.denominator


def _round_ratio(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` (denominator > 0) rounded half away from zero."""
    whole, rest = divmod(abs(numerator), denominator)
    if 2 * rest >= denominator:
        whole += 1
    return whole if numerator >= 0 else -whole


def _scale(minor_unit: int) -> int | None:
    """``10 ** minor_unit`` when it is a whole number; None sends callers the Fraction way."""
    if type(minor_unit) is int and minor_unit >= 0:
        return _SCALES[minor_unit] if minor_unit < len(_SCALES) else 10**minor_unit
    return None


_SCALES: tuple[int, ...] = tuple(10**exponent for exponent in range(10))

_ONES: dict[int, Decimal] = {-exponent: Decimal(1).scaleb(-exponent) for exponent in range(10)}
"""One minor unit per exponent (``Decimal("0.01")`` for -2): ``_ONES[e] * n`` is
``Decimal(n).scaleb(e)`` digit for digit (coefficient ``n``, exponent ``e``, rounded in the same
context), and a Decimal times an int is about four times cheaper than building and scaling."""


def _in_units(whole_units: int, exponent: int) -> Decimal:
    """``Decimal(whole_units).scaleb(exponent)``."""
    one = _ONES.get(exponent) if type(exponent) is int else None
    if one is None:
        return Decimal(whole_units).scaleb(exponent)
    return one * whole_units


def _money(units: int, minor_unit: int) -> Decimal:
    return _in_units(units, -minor_unit)


def round_to_minor(value: Decimal | Fraction | int, minor_unit: int) -> Decimal:
    """``value`` rounded half away from zero to ``minor_unit`` decimal places."""
    scale = _scale(minor_unit)
    if scale is None:
        return _money(_round_units(_units(value, minor_unit)), minor_unit)
    numerator, denominator = _ratio(value)
    return _money(_round_ratio(numerator * scale, denominator), minor_unit)


def prorate(total: Decimal, part: Decimal | int, whole: Decimal | int, minor_unit: int) -> Decimal:
    """``total x min(part, whole) / whole`` rounded to the minor unit (0 when whole is 0)."""
    if whole <= 0:
        return _money(0, minor_unit)
    part_n, part_d = _ratio(min(Decimal(part), Decimal(whole)))
    whole_n, whole_d = _ratio(whole)
    return _prorate_ratio(total, part_n * whole_d, part_d * whole_n, minor_unit)


def _prorate_ratio(total: Decimal, numerator: int, denominator: int, minor_unit: int) -> Decimal:
    """``total x numerator / denominator`` (denominator > 0) rounded to the minor unit."""
    scale = _scale(minor_unit)
    if scale is None:
        ratio = Fraction(numerator, denominator)
        return _money(_round_units(_units(total, minor_unit) * ratio), minor_unit)
    total_n, total_d = _ratio(total)
    return _money(_round_ratio(total_n * scale * numerator, total_d * denominator), minor_unit)


def allocate(
    total: Decimal, weights: Sequence[Decimal | int], minor_unit: int, *, field: str = "total"
) -> tuple[Decimal, ...]:
    """Split ``total`` over ``weights`` by largest remainder; the parts sum exactly to it.

    Each part gets the whole minor units of its exact share; the units left over go one each
    to the parts with the largest remainders, ties to the earlier part. Negative totals are
    split as their magnitude and negated. All-zero weights split equally.

    Raises:
        MappingError: ``total`` has digits below the minor unit, a weight is negative, or
            there is a non-zero total and nothing to split it over.
    """
    return _allocate(total, _Spread(weights), minor_unit, field)


class _Spread:
    """Allocation weights, prepared once for every total split over them."""

    __slots__ = ("_negative", "_scaled", "weights")

    def __init__(self, weights: Sequence[Decimal | int]) -> None:
        self.weights = weights
        self._negative: bool | None = None
        self._scaled: tuple[list[int], int] | None = None

    def negative(self) -> bool:
        if self._negative is None:
            self._negative = any(w < 0 for w in self.weights)
        return self._negative

    def scaled(self) -> tuple[list[int], int]:
        """Integer weights in the same proportions (over a common denominator), and their sum.

        All-zero weights become equal weights.
        """
        if self._scaled is None:
            ratios = [_ratio(w) for w in self.weights]
            common = math.lcm(*(d for _, d in ratios))
            scaled = [n * (common // d) for n, d in ratios]
            weight_sum = sum(scaled)
            if weight_sum == 0:
                scaled = [1] * len(scaled)
                weight_sum = len(scaled)
            self._scaled = (scaled, weight_sum)
        return self._scaled


def _allocate(total: Decimal, spread: _Spread, minor_unit: int, field: str) -> tuple[Decimal, ...]:
    scale = _scale(minor_unit)
    if scale is None:
        units = _units(total, minor_unit)
        if units.denominator != 1:
            raise MappingError(f"{total} has more than {minor_unit} decimal places", field=field)
        whole_units = units.numerator
    else:
        total_n, total_d = _ratio(total)
        whole_units, rest = divmod(total_n * scale, total_d)
        if rest:
            raise MappingError(f"{total} has more than {minor_unit} decimal places", field=field)
    if spread.negative():
        raise MappingError("allocation weights must not be negative", field=field)
    if not spread.weights:
        if whole_units:
            raise MappingError(f"nothing to allocate {total} over", field=field)
        return ()
    scaled, weight_sum = spread.scaled()
    return _split(whole_units, scaled, weight_sum, -minor_unit)


def _split(
    whole_units: int, scaled: Sequence[int], weight_sum: int, exponent: int
) -> tuple[Decimal, ...]:
    """``whole_units`` minor units split over integer weights (``weight_sum`` > 0) by largest
    remainder, as Decimals with ``exponent``: the end of :func:`_allocate`."""
    if not whole_units:
        # Nothing to split (most orders have no discount): every part is zero.
        return (_in_units(0, exponent),) * len(scaled)
    if len(scaled) == 1:
        # One part takes it all (its weight, whatever it is, is the whole weight).
        return (_in_units(whole_units, exponent),)
    magnitude = abs(whole_units)
    floors: list[int] = []
    remainders: list[int] = []
    for weight in scaled:
        floor, remainder = divmod(magnitude * weight, weight_sum)
        floors.append(floor)
        remainders.append(remainder)
    left = magnitude - sum(floors)
    if left == 1:
        # The one unit left goes to the largest remainder, the earliest of equal ones (max
        # returns the first maximum, index finds its first place): what the sort below picks.
        floors[remainders.index(max(remainders))] += 1
    elif left:
        # Every remainder is over the same weight_sum, so comparing numerators is exact. The
        # sort is stable, reverse included: equal remainders keep index order (ties to the
        # earlier part).
        order = sorted(range(len(floors)), key=remainders.__getitem__, reverse=True)
        for index in order[:left]:
            floors[index] += 1
    if whole_units < 0:
        floors = [-f for f in floors]
    one = _ONES.get(exponent) if type(exponent) is int else None
    if one is None:
        return tuple([Decimal(f).scaleb(exponent) for f in floors])
    return tuple(map(one.__mul__, floors))  # one * f for each, without a comprehension


# Dict-backed (slots=False): attrs writes fields straight into the instance dictionary, a
# third faster to build than a frozen slotted class (one or more of these per shipment line).
@attrs.frozen(slots=False)
class OrderLineBasis:
    """What one order item is worth, per component, before it is split over shipments.

    Attributes:
        key: Identifies the order item (its ``orderItemId``, else ``lineItemKey``, else SKU).
        quantity: The ordered quantity ``Q``.
        amounts: Component -> the item's exact amount ``C``.
    """

    key: str
    quantity: Decimal
    amounts: Mapping[Component, Decimal]


# Dict-backed (slots=False): attrs writes fields straight into the instance dictionary, a
# third faster to build than a frozen slotted class (one or more of these per shipment line).
@attrs.frozen(slots=False)
class ShipmentQuantities:
    """What one shipment of the order shipped, and when it was created and voided.

    Attributes:
        shipment_id: ShipStation ``shipmentId``.
        created_at: Aware instant the label was created.
        voided_at: When it was voided; None when live.
        quantities: Order item key -> quantity shipped.
    """

    shipment_id: int
    created_at: datetime
    voided_at: datetime | None
    quantities: Mapping[str, Decimal]


@attrs.frozen
class ShipmentShares:
    """The target shipment's amounts per order item and component, with notes for people."""

    amounts: Mapping[str, Mapping[Component, Decimal]]
    notes: tuple[str, ...] = ()


@attrs.frozen
class ItemAmounts:
    """An order item's figures as the order states them.

    Attributes:
        key: Identifies the order item.
        quantity: Ordered quantity.
        unit_price: ``unitPrice``.
        tax: The item's own ``taxAmount``, when ShipStation has one.
        shipping: The item's own ``shippingAmount``, when ShipStation has one.
    """

    key: str
    quantity: Decimal
    unit_price: Decimal
    tax: Decimal | None = None
    shipping: Decimal | None = None


def _own_amounts(
    given: Sequence[Decimal | None], total: Decimal, minor_unit: int
) -> tuple[Decimal, ...] | None:
    """The items' own amounts when all are present, exact to the minor unit and add up."""
    if not given or None in given:
        return None
    present = cast("tuple[Decimal, ...]", tuple(given))
    if sum(present, Decimal(0)) != total:
        return None
    if any(round_to_minor(v, minor_unit) != v for v in present):
        return None
    return present


_MERCHANDISE = Component.MERCHANDISE
_DISCOUNT = Component.DISCOUNT
_FREIGHT = Component.FREIGHT
_TAX = Component.TAX


def order_basis(
    items: Sequence[ItemAmounts],
    *,
    tax: Decimal,
    freight: Decimal,
    discount: Decimal,
    minor_unit: int,
    record: str | None = None,
) -> tuple[tuple[OrderLineBasis, ...], tuple[str, ...]]:
    """The per-item basis of an order, with explanation notes.

    Args:
        items: The order's shippable items.
        tax: The order's ``taxAmount``.
        freight: The order's ``shippingAmount`` (what the customer paid for shipping).
        discount: The sum of the order's adjustment items (usually negative).
        minor_unit: The currency's decimal places.
        record: Names the order in errors.

    Raises:
        MappingError: an order-level amount has more decimals than the currency allows, or
            no item to be spread over.
    """
    rows = [(i.key, i.quantity, i.unit_price, i.tax, i.shipping) for i in items]
    basis, notes, _ = _order_basis_rows(
        rows, tax, freight, discount, minor_unit, record, explain=True
    )
    return basis, notes


_Row = tuple[str, Decimal, Decimal, Decimal | None, Decimal | None]
"""An order item's figures as :class:`ItemAmounts` holds them: key, quantity, unit price, own
tax, own shipping (a tuple: mapping builds one per order item)."""


def _order_basis_rows(
    rows: Sequence[_Row],
    tax: Decimal,
    freight: Decimal,
    discount: Decimal,
    minor_unit: int,
    record: str | None,
    *,
    explain: bool,
) -> tuple[tuple[OrderLineBasis, ...], tuple[str, ...], bool]:
    """:func:`order_basis` over rows; without ``explain`` the notes are left out (empty).

    The flag says whether every amount was built here as ``Decimal(units).scaleb(-minor_unit)``
    (none taken from the items' own amounts): see :func:`_first_shares`.
    """
    (merchandise, discounts, freights, taxes), notes, built = _order_pools(
        rows, tax, freight, discount, minor_unit, record, explain=explain
    )
    basis = tuple(
        [
            OrderLineBasis(
                row[0],  # key
                row[1],  # quantity
                {
                    _MERCHANDISE: merchandise[i],
                    _DISCOUNT: discounts[i],
                    _FREIGHT: freights[i],
                    _TAX: taxes[i],
                },
            )
            for i, row in enumerate(rows)
        ]
    )
    return basis, notes, built


_Pools = tuple[Sequence[Decimal], Sequence[Decimal], Sequence[Decimal], Sequence[Decimal]]
"""Per order item, in the rows' order: merchandise, discount, freight and tax amounts."""


def _order_pools(
    rows: Sequence[_Row],
    tax: Decimal,
    freight: Decimal,
    discount: Decimal,
    minor_unit: int,
    record: str | None,
    *,
    explain: bool,
) -> tuple[_Pools, tuple[str, ...], bool]:
    """What :func:`_order_basis_rows` puts in its basis, as one sequence per component
    (merchandise, discount, freight, tax), without building the basis; notes and flag alike."""
    notes: list[str] = []
    exacts: list[Decimal] = []
    scale = _scale(minor_unit)
    units: list[int] | None = None
    if scale is None:
        merchandise = []
        for row in rows:
            exact = row[1] * row[2]
            exacts.append(exact)
            merchandise.append(round_to_minor(exact, minor_unit))
    else:
        # round_to_minor, keeping the whole minor units for the spread below (the exact
        # products are kept only for the notes).
        units = []
        for row in rows:
            exact = row[1] * row[2]
            if explain:
                exacts.append(exact)
            numerator, denominator = exact.as_integer_ratio()
            whole, rest = divmod(abs(numerator * scale), denominator)
            if 2 * rest >= denominator:
                whole += 1
            units.append(whole if numerator >= 0 else -whole)
        exponent = -minor_unit
        one = _ONES.get(exponent)
        if one is None:
            merchandise = [Decimal(unit).scaleb(exponent) for unit in units]
        else:
            merchandise = list(map(one.__mul__, units))  # one * unit for each
    if explain:
        for row, exact, amount in zip(rows, exacts, merchandise, strict=True):
            if amount != exact:
                notes.append(f"item {row[0]}: {row[1]} x {row[2]} = {exact}, rounded to {amount}")
    # Items priced below zero act as discounts: they weigh nothing in the spread.
    positive: list[int] | None = None
    spread: _Spread | None = None
    if units and max(units) > 0:  # some item is worth more than zero
        # The weights are the amounts in minor units: the same proportions as the amounts, so
        # the same split (largest remainders compare the same), without reducing fractions.
        # (Split below with _split, as _allocate splits over these weights.)
        positive = [unit if unit > 0 else 0 for unit in units]
        weight_sum = sum(positive)
        zeros: tuple[Decimal, ...] | None = (_in_units(0, exponent),) * len(positive)
    else:
        weights: list[Decimal] = [amount if amount >= 0 else _ZERO for amount in merchandise]
        if sum(weights, _ZERO) == 0:
            weights = [row[1] for row in rows]
        spread = _Spread(weights)
        zeros = None
    # The items' own amounts count only when every item has one (never for discounts).
    # (The first row decides the usual case, items without their own amounts, at once.)
    own_tax = own_shipping = None
    if rows and rows[0][3] is not None and all(row[3] is not None for row in rows):
        own_tax = [row[3] for row in rows]
    if rows and rows[0][4] is not None and all(row[4] is not None for row in rows):
        own_shipping = [row[4] for row in rows]
    pools: dict[Component, tuple[Decimal, ...]] = {}
    built = scale is not None
    try:
        for component, total, given, field in (
            (_TAX, tax, own_tax, "order.tax"),
            (_FREIGHT, freight, own_shipping, "order.freight"),
            (_DISCOUNT, discount, None, "order.discount"),
        ):
            own = _own_amounts(given, total, minor_unit) if given else None
            if own is not None:
                pools[component] = own
                built = False
                if total and explain:
                    notes.append(f"{component.value} {total} taken from the items' own amounts")
                continue
            if zeros is not None and type(total) is Decimal and not total:
                # What _allocate gives for a zero total over these (valid) weights.
                pools[component] = zeros
                continue
            if positive is not None and scale is not None:
                # _allocate over positive whole weights: its exactness check, then its split
                # (one item takes it all, as _split gives it).
                total_n, total_d = (
                    total.as_integer_ratio() if type(total) is Decimal else _ratio(total)
                )
                whole_units, rest = divmod(total_n * scale, total_d)
                if rest:
                    raise MappingError(
                        f"{total} has more than {minor_unit} decimal places", field=field
                    )
                if len(positive) == 1:
                    pools[component] = (_in_units(whole_units, exponent),)
                else:
                    pools[component] = _split(whole_units, positive, weight_sum, exponent)
            else:
                assert spread is not None
                pools[component] = _allocate(total, spread, minor_unit, field=field)
            if total and len(rows) > 1 and explain:
                parts = ", ".join(
                    f"{row[0]}: {part}" for row, part in zip(rows, pools[component], strict=True)
                )
                notes.append(f"{component.value} {total} spread over items by value ({parts})")
    except MappingError as exc:
        raise MappingError(exc.message, field=exc.field, record=record) from None
    return (merchandise, pools[_DISCOUNT], pools[_FREIGHT], pools[_TAX]), tuple(notes), built


def shipment_shares(
    target: int,
    basis: Sequence[OrderLineBasis],
    shipments: Sequence[ShipmentQuantities],
    minor_unit: int,
) -> ShipmentShares:
    """The amounts the ``target`` shipment invoices, by replaying the order's shipments.

    Raises:
        MappingError: ``target`` is not among ``shipments``.
    """
    return _replay(target, basis, shipments, minor_unit, through_void=False)


def void_shortfall_notes(
    target: int,
    basis: Sequence[OrderLineBasis],
    shipments: Sequence[ShipmentQuantities],
    minor_unit: int,
) -> tuple[str, ...]:
    """Warnings when voiding ``target`` leaves items shipped in full but not invoiced in full.

    That happens when a label shipped units beyond the ordered quantity (free of charge) while
    ``target`` was live, and ``target`` is voided later: the credit memo reverses ``target``
    exactly, so the order ends short by what ``target`` invoiced. A person must re-bill it.
    """
    return _replay(target, basis, shipments, minor_unit, through_void=True).notes


def _replay(
    target: int,
    basis: Sequence[OrderLineBasis],
    shipments: Sequence[ShipmentQuantities],
    minor_unit: int,
    *,
    through_void: bool,
    notes: bool = True,
) -> ShipmentShares:
    """The replay; without ``notes`` the shares carry none (a plan not explained reads none)."""
    by_key = {line.key: line for line in basis}
    scale = _scale(minor_unit)
    exponent = -minor_unit
    if not through_void and scale is not None and len(shipments) == 1:
        only = shipments[0]
        if only.shipment_id == target:
            # Most orders ship on one label: the replay is its first event alone.
            return ShipmentShares(
                amounts=_first_shares(only.quantities, by_key, scale, exponent),
                notes=_over_notes(only, by_key, only.quantities) if notes else (),
            )
    events: list[tuple[datetime, int, int, ShipmentQuantities]] = []
    for shipment in shipments:
        events.append((shipment.created_at, shipment.shipment_id, 0, shipment))
        if shipment.voided_at is not None:
            voided = max(shipment.voided_at, shipment.created_at)
            events.append((voided, shipment.shipment_id, 1, shipment))
    if len(events) > 1:
        events.sort(key=lambda e: (e[0], e[1], e[2]))
    shipped: dict[str, Decimal] = {key: Decimal(0) for key in by_key}
    invoiced: dict[str, dict[Component, Decimal]] = {
        key: dict.fromkeys(_COMPONENTS, Decimal(0)) for key in by_key
    }
    posted: dict[int, dict[str, dict[Component, Decimal]]] = {}
    for _, shipment_id, kind, shipment in events:
        if kind == 1:
            # The credit memo reverses exactly what this shipment's invoice posted.
            for key, amounts in posted.get(shipment_id, {}).items():
                shipped[key] -= shipment.quantities.get(key, Decimal(0))
                for component, amount in amounts.items():
                    invoiced[key][component] -= amount
            if through_void and shipment_id == target:
                return ShipmentShares(
                    amounts=posted.get(shipment_id, {}),
                    notes=_shortfall(by_key, shipped, invoiced),
                )
            continue
        shares: dict[str, dict[Component, Decimal]] = {}
        for key, quantity in shipment.quantities.items():
            line = by_key.get(key)
            if line is None:
                continue
            after = shipped[key] + quantity
            share: dict[Component, Decimal] = {}
            shares[key] = share
            done = invoiced[key]
            line_amounts = line.amounts
            if line_amounts:
                # prorate() for every component, with the quantity ratio worked out once.
                whole = line.quantity
                if whole <= 0:
                    for component in line_amounts:
                        target_total = _money(0, minor_unit)
                        share[component] = target_total - done[component]
                        done[component] = target_total
                else:
                    part_n, part_d = _ratio(min(Decimal(after), Decimal(whole)))
                    whole_n, whole_d = _ratio(whole)
                    numerator, denominator = part_n * whole_d, part_d * whole_n
                    if scale is not None:
                        numerator *= scale
                    if scale is None:
                        for component, total in line_amounts.items():
                            target_total = _prorate_ratio(total, numerator, denominator, minor_unit)
                            share[component] = target_total - done[component]
                            done[component] = target_total
                        shipped[key] = after
                        continue
                    for component, total in line_amounts.items():
                        # _prorate_ratio inlined: total x ratio in minor units, rounded.
                        total_n, total_d = (
                            total.as_integer_ratio() if type(total) is Decimal else _ratio(total)
                        )
                        units = total_n * numerator
                        below = total_d * denominator
                        whole_units, rest = divmod(abs(units), below)
                        if 2 * rest >= below:
                            whole_units += 1
                        target_total = _in_units(
                            whole_units if units >= 0 else -whole_units, exponent
                        )
                        share[component] = target_total - done[component]
                        done[component] = target_total
            shipped[key] = after
        posted[shipment_id] = shares
        if shipment_id == target and not through_void:
            return ShipmentShares(
                amounts=shares, notes=_over_notes(shipment, by_key, shipped) if notes else ()
            )
    if through_void:
        return ShipmentShares(amounts={})
    raise MappingError(f"shipment {target} is not among the order's shipments", field="shipment_id")


def _first_shares(
    quantities: Mapping[str, Decimal],
    by_key: Mapping[str, OrderLineBasis],
    scale: int,
    exponent: int,
    built: bool = False,
) -> dict[str, dict[Component, Decimal]]:
    """What :func:`_replay` invoices for the first event of an order's first label (which
    ships ``quantities``), when nothing is shipped or invoiced yet: the same arithmetic, with
    every running total zero.

    (``x - 0`` is ``x`` itself here, digits and exponent alike: ``x`` is built from a whole
    number of minor units, never a negative zero, with an exponent of ``-minor_unit <= 0``.)

    ``built`` says the basis amounts were themselves built that way (the flag of
    :func:`_order_basis_rows`): an item shipped in full is then invoiced each amount ``C``
    as it is, since rounding ``C x Q / Q`` to the minor unit rebuilds ``C`` digit for digit.
    """
    shares: dict[str, dict[Component, Decimal]] = {}
    for key, quantity in quantities.items():
        line = by_key.get(key)
        if line is None:
            continue
        share: dict[Component, Decimal] = {}
        shares[key] = share
        line_amounts = line.amounts
        if not line_amounts:
            continue
        whole = line.quantity
        if whole <= 0:
            zero = _in_units(0, exponent)
            for component in line_amounts:
                share[component] = zero
            continue
        if built and quantity >= whole:
            shares[key] = dict(line_amounts)
            continue
        # _replay's min(Decimal(after), Decimal(whole)): the same value, without the copies.
        part_n, part_d = _ratio(quantity if quantity < whole else whole)
        whole_n, whole_d = _ratio(whole)
        numerator, denominator = part_n * whole_d * scale, part_d * whole_n
        for component, total in line_amounts.items():
            total_n, total_d = total.as_integer_ratio() if type(total) is Decimal else _ratio(total)
            units = total_n * numerator
            below = total_d * denominator
            whole_units, rest = divmod(abs(units), below)
            if 2 * rest >= below:
                whole_units += 1
            share[component] = _in_units(whole_units if units >= 0 else -whole_units, exponent)
    return shares


def _only_label_amounts(
    shipped: Mapping[str, Decimal],
    position: Mapping[str, int],
    rows: Sequence[_Row],
    pools: _Pools,
    scale: int,
    exponent: int,
    built: bool,
) -> dict[str, tuple[Decimal, Decimal, Decimal, Decimal]]:
    """:func:`_first_shares` over the order's pools (:func:`_order_pools`) instead of a basis:
    per shipped key, its merchandise, discount, freight and tax amounts, the same values.

    ``position`` gives each key's row; ``shipped`` holds only keys of ``position``.
    """
    merchandise, discounts, freights, taxes = pools
    amounts: dict[str, tuple[Decimal, Decimal, Decimal, Decimal]] = {}
    for key, quantity in shipped.items():
        i = position[key]
        whole = rows[i][1]
        if whole <= 0:
            zero = _in_units(0, exponent)
            amounts[key] = (zero, zero, zero, zero)
            continue
        four = (merchandise[i], discounts[i], freights[i], taxes[i])
        if built and quantity >= whole:
            amounts[key] = four
            continue
        part_n, part_d = _ratio(quantity if quantity < whole else whole)
        whole_n, whole_d = _ratio(whole)
        numerator, denominator = part_n * whole_d * scale, part_d * whole_n
        parts: list[Decimal] = []
        for total in four:
            total_n, total_d = total.as_integer_ratio() if type(total) is Decimal else _ratio(total)
            units = total_n * numerator
            below = total_d * denominator
            whole_units, rest = divmod(abs(units), below)
            if 2 * rest >= below:
                whole_units += 1
            parts.append(_in_units(whole_units if units >= 0 else -whole_units, exponent))
        amounts[key] = (parts[0], parts[1], parts[2], parts[3])
    return amounts


def _shortfall(
    by_key: Mapping[str, OrderLineBasis],
    shipped: Mapping[str, Decimal],
    invoiced: Mapping[str, Mapping[Component, Decimal]],
) -> tuple[str, ...]:
    notes: list[str] = []
    for key, line in by_key.items():
        if line.quantity <= 0 or shipped[key] < line.quantity:
            continue
        owed = sum(line.amounts.values(), Decimal(0))
        billed = sum(invoiced[key].values(), Decimal(0))
        if billed != owed:
            notes.append(
                f"item {key}: other labels still ship all {line.quantity} ordered units, but "
                f"their invoices total {billed} of {owed}: re-bill {owed - billed} by hand"
            )
    return tuple(notes)


def _over_notes(
    shipment: ShipmentQuantities,
    by_key: Mapping[str, OrderLineBasis],
    shipped: Mapping[str, Decimal],
) -> tuple[str, ...]:
    notes: list[str] = []
    for key, quantity in shipment.quantities.items():
        line = by_key.get(key)
        if line is None:
            continue
        extra = min(quantity, shipped[key] - line.quantity)
        if extra > 0:
            notes.append(
                f"item {key}: {extra} unit(s) beyond the ordered quantity {line.quantity} "
                "carry no charge"
            )
    return tuple(notes)
