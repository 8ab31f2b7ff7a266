"""Absurd quantities and amounts are refused before mapping, never posted or rounded silently.

Two kinds of bound, each failing with a :class:`~ml_connector.MappingError` that names the
record and the field:

**What the order has left to ship.** A label may ship, of each order item, at most what the
order's earlier live labels have left of the ordered quantity. One exception is kept on purpose:
a *replacement* label (a lost parcel sent again) ships items the earlier labels already shipped
in full, no more than ordered of each; the mapping posts it free of charge and says so (see
:func:`~ml_connector.mapping.map_shipment`). A label shipping ``10**30`` units of an item ordered
twice, or more than is left while some is still left, is refused.

**What Oracle can hold, exactly.** Oracle stores amounts and quantities as ``NUMBER``, at most
38 significant decimal digits ("The precision p can range from 1 to 38",
https://docs.oracle.com/en/database/oracle/oracle-database/19/sqlrf/Data-Types.html#GUID-75209AF6-476D-4C44-A5DC-5FA70D701B78).
The mapping multiplies quantities by prices and prorates amounts in Python's decimal context,
exact to 28 significant digits; to keep every result exact (never rounded silently) and inside
Oracle's 38, the stricter bounds below apply to what enters the mapping (unit prices, amounts,
quantities), and every number in the payloads that leave it is checked against Oracle's 38.
Text fields are checked against the maximum lengths of the ``receivablesInvoices`` resource
(https://docs.oracle.com/en/cloud/saas/financials/24d/farfa/op-receivablesinvoices-post.html:
``BusinessUnit`` 240, ``BillToCustomerNumber`` 30, ``BillToSite`` 150, ``BillToCustomerName``
360, line ``Description`` 240).

Both checks run for every shipment and nearly every shipment passes them, so each first takes a
quick look that builds nothing (no field paths, no digit tuples) and can only answer "surely
fine"; anything else goes to the full check, which decides and names the field. Tests hold the
quick looks to the full checks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from types import UnionType
from typing import Any, Union, get_args, get_origin

import attrs

from ml_connector._errors import MappingError
from ml_connector.shipstation.models import Order, OrderItem, Shipment

from ._shipments import ShippedLine, order_item_keys, resolve_lines

__all__ = [
    "MAX_AMOUNT_DIGITS",
    "MAX_QUANTITY",
    "ORACLE_NUMBER_DIGITS",
    "check_order_amounts",
    "check_payload",
    "check_plan_payloads",
    "check_shipped_quantities",
]

ORACLE_NUMBER_DIGITS = 38
"""Significant digits an Oracle ``NUMBER`` holds."""

MAX_AMOUNT_DIGITS = 18
"""Digits (before and after the point) of a unit price or amount entering the mapping: with a
quantity below :data:`MAX_QUANTITY`, products and prorations stay within 28 exact digits."""

MAX_QUANTITY = 10**9
"""Quantities must be below this (whole units; ShipStation quantities are integers)."""

_ZERO = Decimal(0)  # Decimals are immutable: one zero serves every sum

_TEXT_LIMITS = {
    "business_unit": 240,
    "bill_to_customer_number": 30,
    "bill_to_site": 150,
    "bill_to_customer_name": 360,
    "description": 240,
}


def _significant(value: Decimal) -> tuple[tuple[int, ...], int]:
    """Digits and exponent of a finite Decimal without trailing zeros (no rounding: unlike
    ``normalize()``, which rounds to the context's 28 digits)."""
    _sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    trimmed = len(digits)
    while trimmed > 1 and digits[trimmed - 1] == 0:
        trimmed -= 1
    return tuple(digits[:trimmed]), exponent + len(digits) - trimmed


def _digits(value: Decimal) -> tuple[int, int]:
    """(digits before the point, digits after it) of a finite Decimal, ignoring zeros around."""
    if value == 0:
        return 0, 0
    digits, exponent = _significant(value)
    whole = max(len(digits) + exponent, 0)
    fraction = max(-exponent, 0)
    return whole, fraction


def _check_amount(value: Decimal | None, *, field: str, record: str) -> None:
    if value is None:
        return
    if not isinstance(value, Decimal) or not value.is_finite():
        raise MappingError(f"amount {value!r} is not a finite decimal", field=field, record=record)
    whole, fraction = _digits(value)
    if whole + fraction > MAX_AMOUNT_DIGITS:
        raise MappingError(
            f"amount {value} has {whole + fraction} digits; at most {MAX_AMOUNT_DIGITS} are "
            "mapped exactly (it is refused, not rounded)",
            field=field,
            record=record,
        )


def _check_quantity(value: Any, *, field: str, record: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise MappingError(f"quantity {value!r} is not a number", field=field, record=record)
    if isinstance(value, Decimal) and (not value.is_finite() or value != value.to_integral()):
        raise MappingError(
            f"quantity {value} is not a whole number of units", field=field, record=record
        )
    if abs(Decimal(value)) >= MAX_QUANTITY:
        raise MappingError(
            f"quantity {value} is beyond what can be posted (must be below {MAX_QUANTITY:,})",
            field=field,
            record=record,
        )


def _amount_surely_fine(value: Any) -> bool:
    """True when :func:`_check_amount` surely accepts ``value``: None, or a finite Decimal
    written without an exponent in at most :data:`MAX_AMOUNT_DIGITS` characters (its digits
    before and after the point are then at most that many)."""
    if value is None:
        return True
    if type(value) is not Decimal or not value.is_finite():
        return False
    text = str(value)
    return len(text) <= MAX_AMOUNT_DIGITS and "E" not in text


def _order_surely_fine(order: Order) -> bool:
    """:func:`_amount_surely_fine` of every amount of the order (inline) and a quick look at
    each item's quantity."""
    values = [order.order_total, order.amount_paid, order.tax_amount, order.shipping_amount]
    for item in order.items:
        quantity = item.quantity
        if not (type(quantity) is int and -MAX_QUANTITY < quantity < MAX_QUANTITY):
            return False
        values += (item.unit_price, item.tax_amount, item.shipping_amount)
    for value in values:
        if value is None:
            continue
        if type(value) is not Decimal or not value.is_finite():
            return False
        text = str(value)
        if len(text) > MAX_AMOUNT_DIGITS or "E" in text:
            return False
    return True


def check_order_amounts(order: Order, *, record: str) -> None:
    """Refuse an order whose prices, amounts or quantities cannot be mapped exactly."""
    if type(order) is Order and _order_surely_fine(order):
        return  # the common case, decided without building field paths
    where = f"{record} (order {getattr(order, 'order_number', '?')})"
    for name in ("order_total", "amount_paid", "tax_amount", "shipping_amount"):
        _check_amount(getattr(order, name, None), field=name, record=where)
    for index, item in enumerate(order.items):
        for name in ("unit_price", "tax_amount", "shipping_amount"):
            _check_amount(getattr(item, name, None), field=f"items[{index}].{name}", record=where)
        _check_quantity(item.quantity, field=f"items[{index}].quantity", record=where)


def _live_before(shipment: Shipment, order: Order, others: Iterable[Shipment]) -> list[Shipment]:
    """The order's other labels created before ``shipment`` and not voided by then."""
    mine = (shipment.create_date, shipment.shipment_id)
    found = []
    for other in others:
        if other.shipment_id == shipment.shipment_id or other.order_id != order.order_id:
            continue
        if other.is_return_label or other.create_date is None or shipment.create_date is None:
            continue
        if (other.create_date, other.shipment_id) >= mine:
            continue
        if other.voided and (other.void_date or other.create_date) <= shipment.create_date:
            continue
        found.append(other)
    return found


def shipped_sums(
    lines: Iterable[ShippedLine],
) -> tuple[dict[str, Decimal], dict[str, ShippedLine]]:
    """What the lines ship of each order item (by key, in the order first shipped) and the
    first line of each (the sums ``check_shipped_quantities`` and the invoice lines use)."""
    seen: dict[str, Decimal] = {}
    first: dict[str, ShippedLine] = {}
    for line in lines:
        order_key = line.order_key
        if order_key in seen:
            seen[order_key] += line.quantity
        else:
            seen[order_key] = _ZERO + line.quantity
            first[order_key] = line
    return seen, first


def check_shipped_quantities(
    shipment: Shipment,
    order: Order,
    order_shipments: Sequence[Shipment],
    *,
    record: str,
    keyed: Sequence[tuple[str, OrderItem]] | None = None,
    lines: Sequence[ShippedLine] | None = None,
    sums: tuple[Mapping[str, Decimal], Mapping[str, ShippedLine]] | None = None,
) -> None:
    """Refuse a label that ships more of an item than the order has left to ship.

    A replacement label (every item it carries was shipped in full by earlier live labels, and
    it ships no more than ordered of each) is allowed: it is posted free of charge. ``keyed``
    (:func:`order_item_keys` of ``order``) and ``lines`` (:func:`resolve_lines` of
    ``shipment`` with them) are passed when the caller has them already, and ``sums``: what
    ``lines`` ship of each order item, in the order first shipped, with the first line of each.
    """
    if shipment.shipment_items is None or shipment.is_return_label:
        return
    for index, item in enumerate(shipment.shipment_items):
        units = item.quantity
        if not item.adjustment and not (type(units) is int and abs(units) < MAX_QUANTITY):
            _check_quantity(units, field=f"shipment_items[{index}].quantity", record=record)
    if keyed is None:
        keyed = order_item_keys(order)
    if lines is None:
        lines = resolve_lines(shipment, keyed, record=record)
    mine: Mapping[str, Decimal]
    # The first shipment item of each order item (named on failure); it holds the order item.
    first_lines: Mapping[str, ShippedLine]
    mine, first_lines = sums if sums is not None else shipped_sums(lines)
    earlier = _live_before(shipment, order, order_shipments)
    if not earlier:
        # Nothing shipped before: what is left is max(ordered, 0), and shipped quantities are
        # never negative, so the rules below reduce to the first one (for the items shipped).
        for key, quantity in mine.items():
            # The line's order item is the one ``keyed`` holds under its key.
            ordered_here = Decimal(first_lines[key].order_item.quantity)
            if quantity > ordered_here:
                raise MappingError(
                    f"ships {quantity} units of order item {key}, but the order has only "
                    f"{ordered_here}",
                    field=f"shipment_items[{first_lines[key].index - 1}].quantity",
                    record=record,
                )
        return
    ordered = {key: Decimal(item.quantity) for key, item in keyed}
    before: dict[str, Decimal] = {}
    for other in earlier:
        if other.shipment_items is None:
            continue
        where = f"shipment {other.shipment_id} of the same order"
        for line in resolve_lines(other, keyed, record=where):
            before[line.order_key] = before.get(line.order_key, Decimal(0)) + line.quantity
    left = {key: max(ordered[key] - before.get(key, Decimal(0)), Decimal(0)) for key in ordered}
    replacement = all(left[key] == 0 for key in mine)
    for key, quantity in mine.items():
        if quantity > ordered[key]:
            raise MappingError(
                f"ships {quantity} units of order item {key}, but the order has only "
                f"{ordered[key]}",
                field=f"shipment_items[{first_lines[key].index - 1}].quantity",
                record=record,
            )
        if quantity > left[key] and not replacement:
            raise MappingError(
                f"ships {quantity} units of order item {key}, but only {left[key]} of the "
                f"{ordered[key]} ordered are left to ship (earlier labels shipped "
                f"{before.get(key, Decimal(0))})",
                field=f"shipment_items[{first_lines[key].index - 1}].quantity",
                record=record,
            )


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    """The attribute names of an attrs class (empty for anything else), computed once."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = tuple(f.name for f in attrs.fields(cls)) if attrs.has(cls) else ()
        _FIELD_NAMES[cls] = names
    return names


def _path(parts: tuple[str | int, ...]) -> str:
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text = f"{text}.{part}" if text else part
    return text


def _check(value: Any, parts: tuple[str | int, ...], record: str) -> None:
    """Check every attribute of an attrs payload, recursively; the path is built only for an
    error (a payload is checked for every record, and nearly every one is fine)."""
    names = _field_names(type(value))
    if names:
        for name in names:
            item = getattr(value, name)
            if isinstance(item, Decimal):
                _check_number(item, (*parts, name), record)
            elif isinstance(item, str):
                limit = _TEXT_LIMITS.get(name)
                if limit is not None and len(item) > limit:
                    raise MappingError(
                        f"is {len(item)} characters long; Oracle accepts at most {limit}",
                        field=_path((*parts, name)),
                        record=record,
                    )
            elif isinstance(item, tuple | list) or _field_names(type(item)):
                _check(item, (*parts, name), record)
    elif isinstance(value, tuple | list):
        for index, item in enumerate(value):
            if isinstance(item, tuple | list) or _field_names(type(item)):
                _check(item, (*parts, index), record)


def _check_number(value: Decimal, parts: tuple[str | int, ...], record: str) -> None:
    if not value.is_finite():
        raise MappingError(f"{value} is not a finite number", field=_path(parts), record=record)
    if len(_significant(value)[0]) > ORACLE_NUMBER_DIGITS:
        raise MappingError(
            f"{value} has more than the {ORACLE_NUMBER_DIGITS} significant digits Oracle stores",
            field=_path(parts),
            record=record,
        )


# Types a payload field may hold that the check has nothing to say about.
_UNCHECKED: frozenset[Any] = frozenset({type(None), int, bool, date, datetime})
_SHORTEST_LIMIT = min(_TEXT_LIMITS.values())
_CHECKERS: dict[type, Callable[[Any], bool] | None] = {}


def _irrelevant(name: str, declared: Any) -> bool:
    """Whether a field declared ``declared`` can hold nothing the check looks at: no number,
    no text with a length limit, no nested payload (mypy --strict keeps values to their
    declared types; a mapping such as ``extra`` is not looked into by the check either)."""
    if declared in _UNCHECKED:
        return True
    if declared is str:
        return name not in _TEXT_LIMITS
    origin = get_origin(declared)
    if origin in (Union, UnionType):
        return all(_irrelevant(name, arg) for arg in get_args(declared))
    return origin is not None and isinstance(origin, type) and issubclass(origin, Mapping)


def _checker(cls: type) -> Callable[[Any], bool] | None:
    """The quick check of an attrs class (None for anything else), generated once per class.

    It reads only the fields whose declared type can hold something checked and applies
    :func:`_value_surely_fine` to each, with its usual cases written inline: a Decimal, a
    text, None.
    """
    if cls in _CHECKERS:
        return _CHECKERS[cls]
    if not _field_names(cls):
        _CHECKERS[cls] = None
        return None
    # A placeholder first, so that a class that (indirectly) holds itself resolves.
    compiled: list[Callable[[Any], bool]] = []
    _CHECKERS[cls] = lambda value: compiled[0](value)
    try:
        attrs.resolve_types(cls)
        fields = [(f.name, f.type) for f in attrs.fields(cls) if not _irrelevant(f.name, f.type)]
    except (NameError, TypeError):
        fields = [(name, Any) for name in _field_names(cls)]  # unresolved: read every field
    names: dict[str, Any] = {
        "__Decimal": Decimal,
        "__str": str,
        "__tuple": tuple,
        "__fine": _value_surely_fine,
        "__item": _item_surely_fine,
    }
    lines = ["def check(o):"]
    for position, (name, declared) in enumerate(fields):
        limit = _TEXT_LIMITS.get(name)
        text = f"(__str is k and len(v) <= {limit})" if limit is not None else "__str is k"
        lines += [
            f"    v = o.{name}",
            "    k = type(v)",
            "    if k is __Decimal:",
            f"        if not v.is_finite() or len(str(v)) > {ORACLE_NUMBER_DIGITS}:",
            "            return False",
        ]
        # A nested payload of the declared class, or a tuple of them: its own check, called
        # directly (anything else goes the general way below).
        nested = _declared_model(declared)
        if nested is not None:
            names[f"c{position}"], names[f"f{position}"] = nested, _checker(nested)
            lines += [
                f"    elif k is c{position}:",
                f"        if not f{position}(v):",
                "            return False",
            ]
        item = _declared_tuple_of_model(declared)
        if item is not None:
            names[f"c{position}"], names[f"f{position}"] = item, _checker(item)
            lines += [
                "    elif k is __tuple:",
                "        for x in v:",
                f"            if not (f{position}(x) if type(x) is c{position} else __item(x)):",
                "                return False",
            ]
        lines += [
            f"    elif not (v is None or {text} or __fine(v, {name!r})):",
            "        return False",
        ]
    lines.append("    return True")
    source = "\n".join(lines) + "\n"
    exec(compile(source, f"<payload check {cls.__name__}>", "exec"), names)  # noqa: S102 - generated from attrs fields
    compiled.append(names["check"])
    _CHECKERS[cls] = compiled[0]
    return compiled[0]


def _declared_model(declared: Any) -> type | None:
    """The attrs class a field is declared as (optional or not), if it is one."""
    if get_origin(declared) in (Union, UnionType):
        args = [arg for arg in get_args(declared) if arg is not type(None)]
        declared = args[0] if len(args) == 1 else None
    return declared if isinstance(declared, type) and _field_names(declared) else None


def _declared_tuple_of_model(declared: Any) -> type | None:
    """The attrs class of the items of a field declared ``tuple[Model, ...]``, if it is one."""
    if get_origin(declared) is not tuple:
        return None
    args = get_args(declared)
    if len(args) != 2 or args[1] is not Ellipsis:
        return None
    return _declared_model(args[0])


def _item_surely_fine(item: Any) -> bool:
    """:func:`_surely_fine`'s rule for one item of a tuple or list."""
    kind = type(item)
    if kind is tuple or kind is list or _field_names(kind):
        return _surely_fine(item)
    return not isinstance(item, tuple | list)


def _value_surely_fine(item: Any, name: str) -> bool:
    """:func:`_surely_fine` for the value of field ``name``."""
    kind = type(item)
    if kind is Decimal:
        return item.is_finite() and len(str(item)) <= ORACLE_NUMBER_DIGITS
    if kind is str:
        return len(item) <= _TEXT_LIMITS.get(name, len(item))
    if kind in _UNCHECKED:
        return True
    if kind is tuple or kind is list or _field_names(kind):
        return _surely_fine(item)
    return not isinstance(item, Decimal | str | tuple | list)


def _surely_fine(value: Any) -> bool:
    """True when :func:`_check` would surely accept ``value``; False when it may not.

    The common case, decided without building paths or digit tuples: a finite Decimal whose
    text is at most 38 characters has at most 38 digits (its text shows every digit of its
    coefficient); fields whose declared type holds nothing checked are not read. Anything
    unusual (a longer number, a long text, a subclass of str, Decimal or tuple) answers False
    and :func:`_check` gives the verdict with the field's path.
    """
    checker = _checker(type(value))
    if checker is not None:
        return checker(value)
    if type(value) is tuple or type(value) is list:
        return all(_item_surely_fine(item) for item in value)
    return not isinstance(value, tuple | list)


def check_payload(payload: Any, *, record: str) -> None:
    """Refuse a payload holding a number Oracle cannot store exactly or an over-long text."""
    if not _surely_fine(payload):
        _check(payload, (), record)


def check_plan_payloads(
    invoice: object, credit_memo: object, inventory: Sequence[object], *, record: str
) -> None:
    """:func:`check_payload` of ``(invoice, credit_memo, inventory)``, the quick look taken
    directly on each payload (a plan's payloads are checked for every record)."""
    checkers = _CHECKERS  # each payload's generated check, taken directly once it is made
    fine = (invoice is None or (checkers.get(type(invoice)) or _surely_fine)(invoice)) and (
        credit_memo is None or (checkers.get(type(credit_memo)) or _surely_fine)(credit_memo)
    )
    if fine and type(inventory) is tuple:
        for posting in inventory:
            if not (checkers.get(type(posting)) or _surely_fine)(posting):
                break
        else:
            return
    check_payload((invoice, credit_memo, inventory), record=record)
