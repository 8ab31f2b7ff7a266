"""Wire rules for ShipStation: one decode path per API version and one documented quirk table.

- V1 (https://ssapi.shipstation.com) speaks camelCase (``orderId``), except webhooks, which are
  PascalCase (``WebHookID``). Timestamps are US Pacific wall-clock time without an offset and are
  turned into aware UTC datetimes by :func:`ml_connector._time.parse_pacific`
  (https://www.shipstation.com/docs/api/requirements/#datetime-format).
- V2 (https://api.shipstation.com) speaks snake_case; timestamps are ISO 8601 with an offset.

Scalar hooks are strict where a silent coercion would corrupt data (a fractional quantity, text
where a number was due) and coerce exactly the quirks listed in :data:`V1_QUIRKS`, each with
what it becomes, why, and the captured response it was seen in. They are the only place a wire
value is coerced.

One decode path: a :class:`Decoder` (one per client, nothing mutable shared between decoders)
structures each model with one function generated from the model's attrs fields (wire names,
defaults) and those hooks, compiled on first use (``_Generator``). The generated function reads
each key once and calls the field's hook, except where the hook's answer is known without the
call: null for an optional field, a value already of the field's type (which the hook returns
unchanged), a dict for a nested model (that model's function), a timestamp's text (the parser
the hook calls), an empty array. It stores the fields into the instance's slots, which is what
the frozen class's ``__init__`` does. The value objects of :data:`SHARED_VALUE_OBJECTS`
(weights, options: frozen, no id, scalar fields) with exactly the same field values are one
shared instance per decoder, from a bounded table (:data:`SHARED_VALUES_KEPT`): a day's orders
repeat a few of them thousands of times, and every instance kept is one more for the garbage
collector to walk. The converters of
:func:`make_v1_converter` and :func:`make_v2_converter` are views of the same functions.
tests/shipstation/test_generated.py holds the generated functions to cattrs' own generated code
over the same hooks, result by result (Decimal digits included) and failure by failure.

A record that still cannot be decoded is never a stopped page: :meth:`Decoder.page` returns it
as an :class:`UndecodableRecord` (its raw payload kept for replay, the failing field named, found
by a second pass with cattrs' detailed validation over the same hooks) beside every record that
decoded.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from types import CodeType, UnionType
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, override

from ml_connector._collector import pausing
from ml_connector._errors import ResponseDecodeError
from ml_connector._time import parse_pacific, parse_pacific_date

from .models import (
    AdvancedOptions,
    Customer,
    CustomerTag,
    CustomsItem,
    Dimensions,
    Fulfillment,
    InsuranceOptions,
    InternationalOptions,
    InventoryLevel,
    InventoryLocation,
    InventoryWarehouse,
    ItemOption,
    Money,
    Order,
    Page,
    Product,
    ProductCategory,
    ProductTag,
    Shipment,
    Store,
    UndecodableRecord,
    Warehouse,
    Webhook,
    Weight,
)

__all__ = [
    "V1_QUIRKS",
    "Decoder",
    "Quirk",
    "decode_customer",
    "decode_fulfillment",
    "decode_inventory_level",
    "decode_inventory_location",
    "decode_inventory_warehouse",
    "decode_order",
    "decode_product",
    "decode_shipment",
    "decode_store",
    "decode_v1",
    "decode_v1_list",
    "decode_v1_page",
    "decode_v2",
    "decode_v2_list",
    "decode_v2_page",
    "decode_warehouse",
    "decode_webhook",
    "make_v1_converter",
    "make_v2_converter",
]

T = TypeVar("T")
Version = Literal["V1", "V2"]

# The wire key that identifies a record of each class, quoted in decode errors.
RECORD_ID_KEYS: dict[type[Any], str] = {
    Order: "orderId",
    Shipment: "shipmentId",
    Fulfillment: "fulfillmentId",
    Customer: "customerId",
    Warehouse: "warehouseId",
    Product: "productId",
    Store: "storeId",
    Webhook: "WebHookID",
    InventoryLevel: "sku",
    InventoryWarehouse: "inventory_warehouse_id",
    InventoryLocation: "inventory_location_id",
}

# V1 names that are not the camelCase of the field name.
_V1_RENAMES: dict[type[Any], dict[str, str]] = {
    Weight: {"weight_units": "WeightUnits"},
    Webhook: {
        "webhook_id": "WebHookID",
        "hook_type": "HookType",
        "url": "Url",
        "name": "Name",
        "store_id": "StoreID",
        "seller_id": "SellerID",
        "message_format": "MessageFormat",
        "active": "Active",
        "is_label_api_hook": "IsLabelAPIHook",
    },
}

_CAMEL_PART = re.compile(r"_([a-z0-9])")


def camel(name: str) -> str:
    """``order_item_id`` -> ``orderItemId``; ``custom_field1`` -> ``customField1``."""
    return _CAMEL_PART.sub(lambda m: m.group(1).upper(), name)


# -- the quirk table ------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Quirk:
    """One way real ShipStation answers differ from their documented types, and what we do.

    Attributes:
        name: A short key, used in docs and tests.
        where: Which fields it hits (a type of field, not one field name).
        wire: The wire value, as JSON text.
        becomes: What the decoder turns it into.
        why: Why that reading is safe.
        seen_in: The captured real response (public client test data) or doc it comes from.
    """

    name: str
    where: str
    wire: str
    becomes: str
    why: str
    seen_in: str


_CAPTURED = (
    "captured V1 responses in the public client agritheory/shipstation-client, tests/api_data.py"
)

V1_QUIRKS: tuple[Quirk, ...] = (
    Quirk(
        name="empty-string-flag",
        where="an optional flag (Address.residential, gift, active, ...)",
        wire='""',
        becomes="None (not known)",
        why="ShipStation has no answer for the flag; None already means that",
        seen_in=f'{_CAPTURED}: a warehouse returnAddress with "residential": ""',
    ),
    Quirk(
        name="empty-string-required-flag",
        where="a flag that defaults to False (voided, adjustment, isReturnLabel)",
        wire='""',
        becomes="False",
        why="the same reading as null for these flags: the record is not flagged",
        seen_in=f'{_CAPTURED}: "" in boolean fields ("residential": "")',
    ),
    Quirk(
        name="null-required-flag",
        where="a flag that defaults to False (voided, adjustment, isReturnLabel)",
        wire="null",
        becomes="False",
        why="a label or fulfillment is voided only when ShipStation says true",
        seen_in=f'{_CAPTURED}: nulls throughout records ("voidDate": null)',
    ),
    Quirk(
        name="empty-string-list",
        where="any list (Customer.tags, tagIds, options, customsItems, ...)",
        wire='""',
        becomes="() (empty)",
        why="an empty list is the only list an empty string can stand for",
        seen_in=f'{_CAPTURED}: customers with "tags": ""',
    ),
    Quirk(
        name="null-list",
        where="any list except Shipment.shipmentItems",
        wire="null",
        becomes="() (empty)",
        why="no items is no items; shipmentItems keeps None for 'not requested'",
        seen_in=f'{_CAPTURED}: orders with "tagIds": null and "customsItems": null, '
        'products with "tags": null',
    ),
    Quirk(
        name="empty-string-value",
        where="any optional non-text field (numbers, dates, timestamps, nested objects)",
        wire='""',
        becomes="None (absent)",
        why="an empty string carries no value of that type; text fields keep their ''",
        seen_in=f'{_CAPTURED}: "" where other records carry a value ("statusMappings": "", '
        '"residential": "")',
    ),
    Quirk(
        name="number-as-text",
        where="text fields (postalCode, orderKey, batchNumber)",
        wire="12345 (a JSON number)",
        becomes='"12345"',
        why="the text of a number is exact; codes that look numeric are still codes",
        seen_in=f'{_CAPTURED}: numeric codes sent as text ("batchNumber": "100002", '
        '"orderKey": "123456789"); either form is read as text',
    ),
    Quirk(
        name="text-as-number",
        where="money, quantities and ids",
        wire='"12.50"',
        becomes="Decimal('12.50') / 12 (only exact numbers; '1.5' for a quantity is refused)",
        why="a decimal string is read exactly; anything else stays a decode failure",
        seen_in="tolerated for numbers that arrive as text; no capture shows it, so only "
        "exact, finite numbers are accepted",
    ),
    Quirk(
        name="date-with-time",
        where="date-only fields (shipDate, shipByDate, holdUntilDate)",
        wire='"2020-06-24T10:32:33.6870000"',
        becomes="date(2020, 6, 24): the Pacific calendar date, time dropped",
        why="the field is a calendar date in the docs; the time part is noise",
        seen_in=f"{_CAPTURED}: fulfillments whose shipDate carries a time",
    ),
    Quirk(
        name="seven-fraction-digits",
        where="timestamps",
        wire='"2015-06-29T14:29:28.5830000"',
        becomes="microseconds (the seventh digit, 100 ns, is dropped)",
        why="Python datetimes hold microseconds",
        seen_in=f"{_CAPTURED}: every createDate",
    ),
)
"""Every coercion the decoder makes beyond the documented types (rendered in docs/shipstation.md).

V2 answers go through the same hooks; the V2 inventory models follow the V2 spec's optionality.
"""


# -- strict scalar hooks ---------------------------------------------------------------------------


def _structure_int(value: Any, _: Any) -> int:
    if type(value) is int:
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    # Quirk "text-as-number".
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise ValueError(f"expected an integer, got {value!r}")


def _structure_decimal(value: Any, _: Any) -> Decimal:
    kind = type(value)
    if kind is Decimal:
        return value  # type: ignore[no-any-return]
    if kind is int:
        return Decimal(value)
    if kind is float:
        # Only reachable when a caller decoded JSON without parse_float=Decimal.
        return Decimal(repr(value))
    if kind is str:  # Quirk "text-as-number".
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"expected a number, got {value!r}") from None
        if number.is_finite():
            return number
    raise ValueError(f"expected a number, got {value!r}")


def _structure_str(value: Any, _: Any) -> str:
    if type(value) is str:
        return value
    # Quirk "number-as-text".
    if type(value) is int or type(value) is Decimal:
        return str(value)
    raise ValueError(f"expected a string, got {value!r}")


def _structure_bool(value: Any, _: Any) -> bool:
    # Only flags that default to False get here (optional flags go through _optional_factory):
    # quirks "null-required-flag" and "empty-string-required-flag".
    if value is True or value is False:
        return value
    if value is None or value == "":
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def _structure_pacific(value: Any, _: Any) -> datetime:
    if type(value) is not str:
        raise ValueError(f"expected a timestamp string, got {value!r}")
    return parse_pacific(value)


def _structure_pacific_date(value: Any, _: Any) -> date:
    # Quirk "date-with-time": parse_pacific_date keeps the calendar date of a timestamp.
    if type(value) is not str:
        raise ValueError(f"expected a date string, got {value!r}")
    return parse_pacific_date(value)


_FRACTION = re.compile(r"(\.\d{6})\d+")


def parse_iso_utc(text: str) -> datetime:
    """A V2 ISO 8601 timestamp as an aware UTC datetime.

    Digits beyond microseconds are truncated. A timestamp without an offset is read as UTC:
    V2 is built on ShipEngine, whose timestamps are UTC.
    """
    value = datetime.fromisoformat(_FRACTION.sub(r"\1", text.strip()))
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _structure_iso(value: Any, _: Any) -> datetime:
    if type(value) is not str:
        raise ValueError(f"expected a timestamp string, got {value!r}")
    return parse_iso_utc(value)


def _structure_iso_date(value: Any, _: Any) -> date:
    if type(value) is not str:
        raise ValueError(f"expected a date string, got {value!r}")
    return date.fromisoformat(value.strip()[:10])


# -- generated structuring functions -------------------------------------------------------------
#
# One function per model class, generated from its attrs fields (wire names from camel() and
# _V1_RENAMES) and the hooks above, then compiled once per decoder. Every coercion stays in a
# hook: the generated code calls the field's hook for every present value, except a value
# already of the field's exact type (str, int, Decimal, bool) or None for an optional field,
# which the hook would return unchanged (tests/shipstation/test_generated.py holds each hook to
# that). An absent key takes the field's default; an absent required key raises KeyError. The
# instance is built by storing into its slots when its attrs __init__ would do nothing else
# (see _slot_setters); otherwise by calling the class.

_ABSENT: Any = object()

# Types whose hook returns a value of exactly that type unchanged.
_IDENTITY: dict[Any, Callable[[Any, Any], Any]] = {
    str: _structure_str,
    int: _structure_int,
    Decimal: _structure_decimal,
    bool: _structure_bool,
}


def _is_tuple(type_: Any) -> bool:
    return get_origin(type_) is tuple


def _is_optional(type_: Any) -> bool:
    args = get_args(type_)
    return get_origin(type_) in (Union, UnionType) and len(args) == 2 and type(None) in args


def _inner(type_: Any) -> Any:
    return next(arg for arg in get_args(type_) if arg is not type(None))


class _Generator:
    """The structuring functions of one wire version: scalars, optionals, tuples, models.

    Each decoder owns one (nothing is shared between decoders); functions are made on first
    use and kept.
    """

    def __init__(self, *, v1: bool) -> None:
        self.v1 = v1
        self._shared: dict[type[Any], dict[tuple[Any, ...], Any]] = {}
        self._hooks: dict[Any, Callable[[Any, Any], Any]] = dict(_IDENTITY)
        if v1:
            self._hooks[datetime] = _structure_pacific
            self._hooks[date] = _structure_pacific_date
        else:
            self._hooks[datetime] = _structure_iso
            self._hooks[date] = _structure_iso_date

    def hook(self, type_: Any) -> Callable[[Any, Any], Any]:
        """The structuring function for ``type_`` (``function(value, type_)``).

        Raises:
            TypeError: a type no wire rule covers (a programming error in a model).
        """
        found = self._hooks.get(type_)
        if found is None:
            if isinstance(type_, type) and attrs.has(type_):
                found = self._model(type_)
            elif _is_optional(type_):
                found = self._optional(_inner(type_))
            elif _is_tuple(type_):
                found = self._tuple(type_)
            else:
                raise TypeError(f"no ShipStation wire rule for {type_!r}")
            self._hooks[type_] = found
        return found

    def _optional(self, inner_type: Any) -> Callable[[Any, Any], Any]:
        inner = self.hook(inner_type)
        if inner_type is str:

            def structure_optional_text(value: Any, _: Any) -> Any:
                if value is None or type(value) is str:
                    return value
                return inner(value, inner_type)

            return structure_optional_text

        def structure_optional(value: Any, _: Any) -> Any:
            if value is None:
                return None
            # Quirks "empty-string-flag" and "empty-string-value": "" is no value of a
            # non-text type.
            if type(value) is str and not value:
                return None
            return inner(value, inner_type)

        return structure_optional

    def _tuple(self, type_: Any) -> Callable[[Any, Any], Any]:
        args = get_args(type_)
        if len(args) != 2 or args[1] is not Ellipsis:
            raise TypeError(f"only homogeneous tuples are supported, not {type_!r}")
        item_type = args[0]
        item = self.hook(item_type)
        same = item_type if item_type in _IDENTITY else None

        def structure_tuple(value: Any, _: Any) -> tuple[Any, ...]:
            # Quirks "null-list" and "empty-string-list".
            if value is None or (type(value) is str and not value):
                return ()
            if type(value) is not list and not isinstance(value, list | tuple):
                # A string or object is not a list (iterating it would be wrong).
                raise ValueError(f"expected a list, got {type(value).__name__}")
            if not value:
                return ()
            return tuple(
                [entry if type(entry) is same else item(entry, item_type) for entry in value]
            )

        return structure_tuple

    def _model(self, cls: type[Any]) -> Callable[[Any, Any], Any]:
        # A placeholder first, so that a model that (indirectly) holds itself resolves.
        compiled: list[Callable[[Any, Any], Any]] = []

        def structure_pending(value: Any, type_: Any) -> Any:
            return compiled[0](value, type_)

        self._hooks[cls] = structure_pending
        compiled.append(self._compile(cls))
        return compiled[0]

    def _compile(self, cls: type[Any]) -> Callable[[Any, Any], Any]:
        attrs.resolve_types(cls)
        fields = attrs.fields(cls)
        special = _V1_RENAMES.get(cls, {}) if self.v1 else {}
        names: dict[str, Any] = {
            "__cl": cls,
            "__absent": _ABSENT,
            "__mapping": Mapping,
            "__new": object.__new__,
        }
        body: list[str] = []
        for position, field in enumerate(fields):
            if isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
                raise TypeError(f"{cls.__name__}.{field.name}: factory defaults are not decoded")
            wire = (special.get(field.name) or camel(field.name)) if self.v1 else field.name
            target = f"f{position}"
            names[f"h{position}"] = self.hook(field.type)
            names[f"t{position}"] = field.type
            if field.default is attrs.NOTHING:
                body.append(f"    v = o[{wire!r}]")
                body.extend(self._emit(field.type, target, position, names, "    "))
            elif field.default is None and _is_optional(field.type):
                # Absent and null both give None: one lookup with get's own default.
                body.append(f"    v = o.get({wire!r})")
                body.extend(self._emit(field.type, target, position, names, "    "))
            else:
                names[f"d{position}"] = field.default
                body.append(f"    v = o.get({wire!r}, __absent)")
                body.append("    if v is __absent:")
                body.append(f"        {target} = d{position}")
                body.append("    else:")
                body.extend(self._emit(field.type, target, position, names, "        "))
        setters = _slot_setters(cls, fields)
        if setters is None:
            arguments = ", ".join(f"{field.name}=f{n}" for n, field in enumerate(fields))
            construct = [f"    r = __cl({arguments})"]
        else:
            construct = ["    r = __new(__cl)"]
            for position, field in enumerate(fields):
                names[f"s{position}"] = setters[field.name]
                construct.append(f"    s{position}(r, f{position})")
        empty_only = _share_plan(cls, fields)
        if empty_only is not None:
            # A value object seen before (same exact field values) is the same instance: fewer
            # objects for the garbage collector to walk. Decimals enter the key as their text,
            # so 8 and 8.0 stay distinct; each field holds one type, so no 1 == True mix-up. A
            # list of value objects is shared only empty.
            parts = [
                f"str(f{n})" if _inner_or_self(field.type) is Decimal else f"f{n}"
                for n, field in enumerate(fields)
            ]
            names["__shared"] = self._shared.setdefault(cls, {})
            names["__kept"] = SHARED_VALUES_KEPT
            key = "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
            fresh: list[str] = []
            if empty_only:
                fresh = [
                    f"    if {' or '.join(f'f{n}' for n in empty_only)}:",
                    *[f"    {line}" for line in construct],
                    "        return r",
                ]
            construct = [
                *fresh,
                f"    key = {key}",
                "    r = __shared.get(key)",
                "    if r is not None:",
                "        return r",
                *construct,
                "    if len(__shared) >= __kept:",
                "        __shared.clear()",
                "    __shared[key] = r",
            ]
        construct.append("    return r")
        function = f"structure_{cls.__name__}"
        lines = [
            f"def {function}(o, _=None):",
            "    if type(o) is not dict and not isinstance(o, __mapping):",
            "        raise ValueError('expected a JSON object, got ' + type(o).__name__)",
            *body,
            *construct,
        ]
        source = "\n".join(lines) + "\n"
        filename = f"<ml_connector ShipStation {'V1' if self.v1 else 'V2'} {cls.__name__}>"
        exec(_compiled(source, filename), names)  # noqa: S102 - generated from attrs fields
        structure: Callable[[Any, Any], Any] = names[function]
        return structure

    def _emit(
        self, type_: Any, target: str, position: int, names: dict[str, Any], indent: str
    ) -> list[str]:
        """Lines that turn ``v`` into ``target``: the field's hook ``h<position>``, after the
        shortcuts of :meth:`_shortcuts` (tests of ``v`` under which the hook's answer is known
        or is a single call)."""
        lines: list[str] = []
        for test, answer in self._shortcuts(type_, f"{position}", names):
            keyword = "if" if not lines else "elif"
            lines += [f"{indent}{keyword} {test}:", f"{indent}    {target} = {answer}"]
        call = f"h{position}(v, t{position})"
        if not lines:
            return [f"{indent}{target} = {call}"]
        return [*lines, f"{indent}else:", f"{indent}    {target} = {call}"]

    def _shortcuts(self, type_: Any, tag: str, names: dict[str, Any]) -> list[tuple[str, str]]:
        """``(test, answer)`` pairs: when ``test`` holds for ``v``, the hook for ``type_``
        returns ``answer``. Each mirrors a hook above (tests/shipstation/test_generated.py
        compares them on every kind of value):

        - a value already of the exact type, for the hooks that return it unchanged;
        - ``None`` for an optional field (its hook's first rule);
        - for an optional field, the shortcuts of the inner type, none of which accepts
          ``""`` (the quirk "empty-string-value" stays with the optional hook);
        - a dict for a model: the model's own function (what the optional hook calls);
        - a non-empty string for a V1 timestamp or date: the parser the hook calls;
        - an empty JSON array for a tuple: ``()``.
        """
        if _is_optional(type_):
            inner = _inner(type_)
            return [("v is None", "None"), *self._shortcuts(inner, f"{tag}i", names)]
        if type_ in _IDENTITY:
            names[f"k{tag}"] = type_
            if type_ is bool:
                return [("v is True or v is False", "v")]
            return [(f"type(v) is k{tag}", "v")]
        if isinstance(type_, type) and attrs.has(type_):
            names[f"m{tag}"] = self.hook(type_)
            names[f"c{tag}"] = type_
            return [("type(v) is dict", f"m{tag}(v, c{tag})")]
        if self.v1 and type_ in (datetime, date):
            names[f"p{tag}"] = parse_pacific if type_ is datetime else parse_pacific_date
            return [("type(v) is str and v", f"p{tag}(v)")]
        if _is_tuple(type_):
            return [("type(v) is list and not v", "()")]
        return []


SHARED_VALUES_KEPT = 1024
"""Distinct value objects (weights, options) a decoder keeps per class to hand out again; the
table starts over when full."""

SHARED_VALUE_OBJECTS: frozenset[type[Any]] = frozenset(
    {
        Weight,
        Dimensions,
        InsuranceOptions,
        AdvancedOptions,
        InternationalOptions,
        CustomsItem,
        ItemOption,
        Money,
        ProductCategory,
        ProductTag,
        CustomerTag,
    }
)
"""Value objects a day repeats many times (a product's weight, a store's options), shared when
equal. Addresses and marketplace user names are not: they are per customer, so a shared table
would rarely answer and would cost a key of a dozen fields per record."""

# Field types a shared value object may hold: immutable, one Python type per field.
_SCALARS = frozenset({str, int, bool, Decimal, datetime, date})


def _inner_or_self(type_: Any) -> Any:
    return _inner(type_) if _is_optional(type_) else type_


def _share_plan(cls: type[Any], fields: tuple[attrs.Attribute[Any], ...]) -> list[int] | None:
    """None when instances of ``cls`` are not shared; else the positions of the fields that
    must be empty for an instance to be shared (lists of value objects).

    Shared are the classes of :data:`SHARED_VALUE_OBJECTS` that are attrs-frozen and hold
    scalars, tuples of text or ints, and tuples of shared value objects (shared when empty).
    """
    if cls not in SHARED_VALUE_OBJECTS:
        return None
    setter: Any = cls.__dict__.get("__setattr__")
    if getattr(setter, "__name__", None) != "_frozen_setattrs":  # attrs' frozen classes only
        return None
    empty_only: list[int] = []
    for position, field in enumerate(fields):
        declared = _inner_or_self(field.type)
        if _is_tuple(declared):
            item = get_args(declared)[0]
            if item in SHARED_VALUE_OBJECTS:
                empty_only.append(position)
            elif item not in (str, int):
                return None
        elif declared not in _SCALARS:
            return None
    return empty_only


@lru_cache(maxsize=128)
def _compiled(source: str, filename: str) -> CodeType:
    """Compiled generated source. Code objects are immutable: decoders share them and nothing
    else (each runs the code in its own namespace, with its own hooks)."""
    return compile(source, filename, "exec")


def _slot_setters(
    cls: type[Any], fields: tuple[attrs.Attribute[Any], ...]
) -> dict[str, Callable[[Any, Any], None]] | None:
    """Each field's slot store, when ``cls.__init__`` does nothing but store every argument.

    That holds for a slotted attrs class whose fields are all ``init`` arguments without
    validator, converter or alias, with no ``__attrs_pre_init__``/``__attrs_post_init__`` and
    no cached hash; storing into the slots then builds exactly the instance ``__init__`` would
    (tests/shipstation/test_generated.py compares them), at half the cost of the keyword call.
    Anything else returns None and the generated function calls the class.
    """
    if "__slots__" not in cls.__dict__ or any("attrs" in name for name in cls.__slots__):
        return None
    if hasattr(cls, "__attrs_pre_init__") or hasattr(cls, "__attrs_post_init__"):
        return None
    setters: dict[str, Callable[[Any, Any], None]] = {}
    for field in fields:
        on_setattr: Any = field.on_setattr
        if (
            not field.init
            or field.validator is not None
            or field.converter is not None
            or field.alias != field.name
            or on_setattr not in (None, attrs.setters.NO_OP)
        ):
            return None
        slot: Any = cls.__dict__.get(field.name)
        if type(slot).__name__ != "member_descriptor":
            return None
        setters[field.name] = slot.__set__
    return setters


# -- cattrs converters ----------------------------------------------------------------------------


def _build(*, v1: bool, detailed: bool, generator: _Generator | None = None) -> cattrs.Converter:
    converter = cattrs.Converter(detailed_validation=detailed, forbid_extra_keys=False)
    if not detailed:
        # The generated functions, registered for every type they cover: the converter is a
        # view of the one decode path.
        gen = generator if generator is not None else _Generator(v1=v1)
        for scalar in (int, Decimal, str, bool, datetime, date):
            converter.register_structure_hook(scalar, gen.hook(scalar))

        def generated(type_: Any) -> Callable[[Any, Any], Any]:
            return gen.hook(type_)

        for predicate in (_is_tuple, _is_optional, attrs.has):
            converter.register_structure_hook_factory(predicate, generated)
        return converter
    # Detailed validation, only to name the failing field of a record the generated function
    # refused: cattrs' own generated code (which records the path of a failure), over the same
    # scalar hooks and the same container rules.
    converter.register_structure_hook(int, _structure_int)
    converter.register_structure_hook(Decimal, _structure_decimal)
    converter.register_structure_hook(str, _structure_str)
    converter.register_structure_hook(bool, _structure_bool)
    if v1:
        converter.register_structure_hook(datetime, _structure_pacific)
        converter.register_structure_hook(date, _structure_pacific_date)
    else:
        converter.register_structure_hook(datetime, _structure_iso)
        converter.register_structure_hook(date, _structure_iso_date)
    converter.register_structure_hook_factory(_is_tuple, _detailed_tuple_factory)
    converter.register_structure_hook_factory(_is_optional, _detailed_optional_factory)

    def attrs_factory(cls: type[Any]) -> Callable[[Any, Any], Any]:
        overrides: dict[str, Any] = {}
        if v1:
            special = _V1_RENAMES.get(cls, {})
            for field in attrs.fields(cls):
                wire = special.get(field.name) or camel(field.name)
                if wire != field.name:
                    overrides[field.name] = override(rename=wire)
        structure = make_dict_structure_fn(
            cls,
            converter,
            _cattrs_forbid_extra_keys=False,
            _cattrs_detailed_validation=True,
            **overrides,
        )

        def structure_object(value: Any, type_: Any) -> Any:
            # Without this a string would pass: the generated code tests keys with ``in``.
            if type(value) is not dict and not isinstance(value, Mapping):
                raise ValueError(f"expected a JSON object, got {type(value).__name__}")
            return structure(value, type_)

        return structure_object

    converter.register_structure_hook_factory(attrs.has, attrs_factory)
    return converter


def _detailed_tuple_factory(type_: Any, converter: cattrs.Converter) -> Callable[[Any, Any], Any]:
    args = get_args(type_)
    if len(args) != 2 or args[1] is not Ellipsis:
        raise TypeError(f"only homogeneous tuples are supported, not {type_!r}")
    item_type = args[0]
    # cattrs' own iterable hook names the failing index under detailed validation.
    list_hook = converter.get_structure_hook(list[item_type])  # type: ignore[valid-type]

    def structure_tuple(value: Any, _: Any) -> tuple[Any, ...]:
        # The rules of _Generator._tuple.
        if value is None or (type(value) is str and not value):
            return ()
        if type(value) is not list and not isinstance(value, list | tuple):
            raise ValueError(f"expected a list, got {type(value).__name__}")
        return tuple(list_hook(value, list))

    return structure_tuple


def _detailed_optional_factory(
    type_: Any, converter: cattrs.Converter
) -> Callable[[Any, Any], Any]:
    inner_type = _inner(type_)
    inner = converter.get_structure_hook(inner_type)

    def structure_optional(value: Any, _: Any) -> Any:
        # The rules of _Generator._optional.
        if value is None:
            return None
        if inner_type is not str and type(value) is str and not value:
            return None
        return inner(value, inner_type)

    return structure_optional


def make_v1_converter(*, detailed_validation: bool = False) -> cattrs.Converter:
    """A new converter for ShipStation V1 wire data (camelCase, Pacific timestamps).

    Args:
        detailed_validation: Keep cattrs' slower, field-naming validation (used to explain a
            failure after the fast path raised).
    """
    return _build(v1=True, detailed=detailed_validation)


def make_v2_converter(*, detailed_validation: bool = False) -> cattrs.Converter:
    """A new converter for ShipStation V2 wire data (snake_case, ISO timestamps with offset)."""
    return _build(v1=False, detailed=detailed_validation)


# -- errors ---------------------------------------------------------------------------------------


def _record_id(cls: type[Any], data: Any) -> str | None:
    key = RECORD_ID_KEYS.get(cls)
    if key is None or not isinstance(data, Mapping):
        return None
    value = data.get(key)
    return None if value is None else str(value)


def _first_failure(exc: BaseException, path: str) -> tuple[str, BaseException]:
    """The path (attribute names) and the leaf exception of the first failure in ``exc``."""
    if isinstance(exc, cattrs.IterableValidationError):
        indexed, unindexed = exc.group_exceptions()
        if indexed:
            inner, item_note = indexed[0]
            return _first_failure(inner, f"{path}[{item_note.index}]")
        return path, unindexed[0]
    if isinstance(exc, cattrs.ClassValidationError):
        named, unnamed = exc.group_exceptions()
        if named:
            inner, field_note = named[0]
            name = field_note.name
            return _first_failure(inner, f"{path}.{name}" if path else name)
        return path, unnamed[0]
    return path, exc


def _describe(leaf: BaseException) -> str:
    if isinstance(leaf, KeyError):
        return "required field missing"
    text = str(leaf)
    return text if text else type(leaf).__name__


# -- the decoder ----------------------------------------------------------------------------------


class Decoder:
    """Decodes one wire version's JSON into models; each client owns one.

    The converter is built when the decoder is, its per-class hooks on first use; the detailed
    converter only when a record fails. Nothing is shared between decoders.
    """

    def __init__(self, version: Version) -> None:
        self.version: Version = version
        self._v1 = version == "V1"
        self._generator = _Generator(v1=self._v1)
        self._fast = _build(v1=self._v1, detailed=False, generator=self._generator)
        self._detailed: cattrs.Converter | None = None

    def __repr__(self) -> str:
        return f"Decoder({self.version!r})"

    # failures

    def undecodable(
        self,
        cls: type[Any],
        data: Any,
        exc: BaseException,
        *,
        key: str | None = None,
        index: int | None = None,
    ) -> UndecodableRecord:
        """Explain why ``data`` is not a ``cls``: the field path and reason, payload kept."""
        record = _record_id(cls, data)
        field: str | None = None
        reason = _describe(exc)
        if isinstance(data, Mapping):
            if self._detailed is None:
                self._detailed = _build(v1=self._v1, detailed=True)
            try:
                self._detailed.structure(data, cls)
            except Exception as detailed:
                path, leaf = _first_failure(detailed, "")
                reason = _describe(leaf)
                field = path or None
        else:
            reason = f"expected a JSON object, got {type(data).__name__}"
            if key is not None and index is not None:
                field = f"{key}[{index}]"
        return UndecodableRecord(
            version=self.version,
            model=cls.__name__,
            record_id=record,
            field=field,
            reason=reason,
            raw=data,
            collection=key,
        )

    # one record

    def one(self, cls: type[T], data: Any) -> T:
        """One record of ``cls``.

        Raises:
            ResponseDecodeError: naming the field and the record id.
        """
        if not isinstance(data, Mapping):
            raise ResponseDecodeError(
                f"ShipStation {self.version} {cls.__name__}: expected a JSON object, "
                f"got {type(data).__name__}"
            )
        try:
            result: T = self._generator.hook(cls)(data, cls)
        except Exception as exc:
            raise self.undecodable(cls, data, exc).error() from None
        return result

    # many records

    @pausing  # a page's worth of models, no cycles: see ml_connector._collector
    def records(
        self, cls: type[T], items: Any, key: str
    ) -> tuple[tuple[T, ...], tuple[UndecodableRecord, ...]]:
        """Every record of a JSON array that decodes, and every one that does not.

        Raises:
            ResponseDecodeError: ``items`` is not an array (``null`` is an empty one).
        """
        if items is None:
            return (), ()
        if not isinstance(items, list):
            raise ResponseDecodeError(
                f"ShipStation {self.version}: {key!r} is not a list", field=key
            )
        hook = self._generator.hook(cls)
        try:
            # The common case: every record decodes.
            return tuple([hook(item, cls) for item in items]), ()
        except Exception:  # noqa: S110 - decoded again one by one below, each failure kept
            pass
        out: list[T] = []
        failed: list[UndecodableRecord] = []
        append = out.append
        for index, item in enumerate(items):
            try:
                append(hook(item, cls))
            except Exception as exc:
                failed.append(self.undecodable(cls, item, exc, key=key, index=index))
        return tuple(out), tuple(failed)

    def many(self, cls: type[T], items: Any, key: str) -> tuple[T, ...]:
        """Every record of a JSON array; the first that does not decode raises.

        Raises:
            ResponseDecodeError: naming the record, its position and the field.
        """
        good, failed = self.records(cls, items, key)
        if failed:
            raise failed[0].error()
        return good

    def page(self, body: Any, key: str, cls: type[T]) -> Page[T]:
        """A list response ``{key: [...], total, page, pages[, links]}``.

        Records that do not decode are in :attr:`Page.failed`; the others in ``items``.

        Raises:
            ResponseDecodeError: the page itself is malformed (no object, no array).
        """
        if not isinstance(body, Mapping):
            raise ResponseDecodeError(
                f"{self.version} {key} page: expected a JSON object", field=key
            )
        if key not in body:
            raise ResponseDecodeError(
                f"{self.version} {key} page: the {key!r} array is missing", field=key
            )
        items, failed = self.records(cls, body[key], key)
        next_url: str | None = None
        if not self._v1:
            links = body.get("links")
            if isinstance(links, Mapping):
                nxt = links.get("next")
                href = nxt.get("href") if isinstance(nxt, Mapping) else None
                if isinstance(href, str) and href:
                    next_url = href
        return Page(
            items=items,
            total=_optional_int(body, "total"),
            page=_optional_int(body, "page"),
            pages=_optional_int(body, "pages"),
            next_url=next_url,
            failed=failed,
        )


def _optional_int(body: Mapping[str, Any], key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if type(value) is not int:
        raise ResponseDecodeError(f"page field {key!r} is not an integer", field=key)
    return value


# -- one-off functions (each builds its own decoder: for many records, keep a Decoder) ------------


def decode_v1(cls: type[T], data: Any) -> T:
    """Decode one V1 record of model ``cls`` from decoded JSON.

    Raises:
        ResponseDecodeError: naming the field and the record id.
    """
    return Decoder("V1").one(cls, data)


def decode_v2(cls: type[T], data: Any) -> T:
    """Decode one V2 record of model ``cls`` from decoded JSON."""
    return Decoder("V2").one(cls, data)


def decode_v1_list(cls: type[T], items: Any, key: str = "items") -> tuple[T, ...]:
    """Decode a JSON array of V1 records (``null`` is an empty list); the first failure raises."""
    return Decoder("V1").many(cls, items, key)


def decode_v2_list(cls: type[T], items: Any, key: str = "items") -> tuple[T, ...]:
    """Decode a JSON array of V2 records (``null`` is an empty list); the first failure raises."""
    return Decoder("V2").many(cls, items, key)


def decode_v1_page(body: Any, key: str, cls: type[T]) -> Page[T]:
    """Decode a V1 list response ``{key: [...], total, page, pages}``.

    Args:
        body: The decoded JSON body.
        key: The collection's key (``orders``, ``shipments``, ...).
        cls: The model of one record.
    """
    return Decoder("V1").page(body, key, cls)


def decode_v2_page(body: Any, key: str, cls: type[T]) -> Page[T]:
    """Decode a V2 list response ``{key: [...], total, page, pages, links}``."""
    return Decoder("V2").page(body, key, cls)


def _single(version: Version, cls: type[T]) -> Callable[[Any], T]:
    def decode(data: Any) -> T:
        return Decoder(version).one(cls, data)

    decode.__name__ = f"decode_{cls.__name__.lower()}"
    decode.__doc__ = (
        f"Decode one ShipStation {version} {cls.__name__} from decoded JSON.\n\n"
        "Raises:\n    ResponseDecodeError: naming the field and the record id.\n"
    )
    return decode


decode_order: Callable[[Any], Order] = _single("V1", Order)
decode_shipment: Callable[[Any], Shipment] = _single("V1", Shipment)
decode_fulfillment: Callable[[Any], Fulfillment] = _single("V1", Fulfillment)
decode_customer: Callable[[Any], Customer] = _single("V1", Customer)
decode_warehouse: Callable[[Any], Warehouse] = _single("V1", Warehouse)
decode_product: Callable[[Any], Product] = _single("V1", Product)
decode_store: Callable[[Any], Store] = _single("V1", Store)
decode_webhook: Callable[[Any], Webhook] = _single("V1", Webhook)
decode_inventory_level: Callable[[Any], InventoryLevel] = _single("V2", InventoryLevel)
decode_inventory_warehouse: Callable[[Any], InventoryWarehouse] = _single("V2", InventoryWarehouse)
decode_inventory_location: Callable[[Any], InventoryLocation] = _single("V2", InventoryLocation)
