"""Wire rules for ShipStation: one cattrs converter per API version.

- V1 (https://ssapi.shipstation.com) speaks camelCase (``orderId``), except webhooks, which are
  PascalCase (``WebHookID``). Timestamps are US Pacific wall-clock time without an offset and are
  turned into aware UTC datetimes by :func:`ml_connector._time.parse_pacific`
  (https://www.shipstation.com/docs/api/requirements/#datetime-format).
- V2 (https://api.shipstation.com) speaks snake_case; timestamps are ISO 8601 with an offset.

Both converters are built once, with hooks generated per class up front, so decoding a page is a
chain of pre-compiled functions with no per-field reflection. Scalar hooks are strict where a
silent coercion would corrupt data (a fractional quantity, a string where a number was due) and
tolerant where ShipStation is known to be loose (``null`` collections, numbers sent as strings).

When the fast path fails, the record is decoded a second time with a converter that keeps
detailed validation, only to name the failing field; the caller gets one
:class:`~ml_connector.ResponseDecodeError` with ``field`` (a path such as ``items[0].quantity``)
and ``record`` (the record's id).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from types import UnionType
from typing import Any, TypeVar, Union, get_args, get_origin

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, override

from ml_connector._errors import ResponseDecodeError
from ml_connector._time import parse_pacific, parse_pacific_date

from .models import (
    Customer,
    Fulfillment,
    InventoryLevel,
    InventoryLocation,
    InventoryWarehouse,
    Order,
    Page,
    Product,
    Shipment,
    Store,
    Warehouse,
    Webhook,
    Weight,
)

__all__ = [
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


# -- strict scalar hooks ---------------------------------------------------------------------------


def _structure_int(value: Any, _: Any) -> int:
    if type(value) is int:
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
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
    if kind is str:
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
    # Numeric codes (postal codes, batch numbers) are sometimes sent as JSON numbers.
    if type(value) is int or type(value) is Decimal:
        return str(value)
    raise ValueError(f"expected a string, got {value!r}")


def _structure_bool(value: Any, _: Any) -> bool:
    # A null flag reads as False: these are the non-optional flags (voided, adjustment, ...).
    if value is None:
        return False
    if value is True or value is False:
        return value
    raise ValueError(f"expected true or false, got {value!r}")


def _structure_pacific(value: Any, _: Any) -> datetime:
    if type(value) is not str:
        raise ValueError(f"expected a timestamp string, got {value!r}")
    return parse_pacific(value)


def _structure_pacific_date(value: Any, _: Any) -> date:
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


def _is_tuple(type_: Any) -> bool:
    return get_origin(type_) is tuple


def _tuple_factory(type_: Any, converter: cattrs.Converter) -> Callable[[Any, Any], Any]:
    args = get_args(type_)
    if len(args) != 2 or args[1] is not Ellipsis:
        raise TypeError(f"only homogeneous tuples are supported, not {type_!r}")
    item_type = args[0]
    item_hook = converter.get_structure_hook(item_type)

    def structure_tuple(value: Any, _: Any) -> tuple[Any, ...]:
        # ShipStation sends null for empty collections (tagIds, options, customsItems).
        if value is None:
            return ()
        if not isinstance(value, list | tuple):
            raise ValueError(f"expected a list, got {type(value).__name__}")
        return tuple([item_hook(item, item_type) for item in value])

    return structure_tuple


def _detailed_tuple_factory(type_: Any, converter: cattrs.Converter) -> Callable[[Any, Any], Any]:
    # The detailed converter keeps cattrs' own iterable handling (it records indices), but must
    # accept null collections exactly like the fast path does.
    list_hook = converter.get_structure_hook(list[get_args(type_)[0]])  # type: ignore[misc]

    def structure_tuple(value: Any, _: Any) -> tuple[Any, ...]:
        if value is None:
            return ()
        if not isinstance(value, list | tuple):
            # As on the fast path: a string or object is not a list (cattrs would iterate it).
            raise ValueError(f"expected a list, got {type(value).__name__}")
        return tuple(list_hook(value, list))

    return structure_tuple


def _is_optional(type_: Any) -> bool:
    args = get_args(type_)
    return get_origin(type_) in (Union, UnionType) and len(args) == 2 and type(None) in args


def _optional_factory(type_: Any, converter: cattrs.Converter) -> Callable[[Any, Any], Any]:
    # cattrs' own Optional handling looks the inner hook up on every call; bind it once.
    inner_type = next(arg for arg in get_args(type_) if arg is not type(None))
    inner = converter.get_structure_hook(inner_type)

    def structure_optional(value: Any, _: Any) -> Any:
        return None if value is None else inner(value, inner_type)

    return structure_optional


def _build(*, v1: bool, detailed: bool) -> cattrs.Converter:
    converter = cattrs.Converter(detailed_validation=detailed, forbid_extra_keys=False)
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
    converter.register_structure_hook_factory(
        _is_tuple, _detailed_tuple_factory if detailed else _tuple_factory
    )
    if not detailed:
        converter.register_structure_hook_factory(_is_optional, _optional_factory)

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
            _cattrs_detailed_validation=detailed,
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


@cache
def _converter(v1: bool, detailed: bool) -> cattrs.Converter:
    return _build(v1=v1, detailed=detailed)


_HOOKS: dict[tuple[bool, type[Any]], Callable[[Any, Any], Any]] = {}


def _hook(v1: bool, cls: type[Any]) -> Callable[[Any, Any], Any]:
    hook = _HOOKS.get((v1, cls))
    if hook is None:
        hook = _HOOKS[(v1, cls)] = _Compiler.for_version(v1).hook(cls)
    return hook


# -- compiled decoders ----------------------------------------------------------------------------
#
# The fast path decodes with one generated function per model class. Each does exactly what the
# fast converter's hooks do, in the same order (fields with a default first, in field order,
# then the required ones), so results and the first error raised are the same; it only avoids
# the per-field indirection: scalars already of the right type are taken as they are, optional
# fields are tested inline, absent keys take the field's default without a call, and the class
# is called once with every field. Input that is not a plain dict goes to the converter's own
# hook, which stays the reference behaviour (tests/shipstation/test_compiled_decoders.py).

_ABSENT = object()

# Scalar hooks whose result is the value itself when it already has this exact type.
_IDENTITY_TYPES: dict[Any, Callable[[Any, Any], Any]] = {
    str: _structure_str,
    int: _structure_int,
    Decimal: _structure_decimal,
}


class _Compiler:
    """Generates and caches the per-class decode functions of one wire version."""

    def __init__(self, v1: bool) -> None:
        self.v1 = v1
        self.converter = _converter(v1, False)
        self.classes: dict[type[Any], Callable[[Any, Any], Any]] = {}

    @staticmethod
    @cache
    def for_version(v1: bool) -> _Compiler:
        return _Compiler(v1)

    def hook(self, type_: Any) -> Callable[[Any, Any], Any]:
        """The structure hook for ``type_``: compiled for attrs classes and their containers."""
        if isinstance(type_, type) and attrs.has(type_):
            return self.class_hook(type_)
        if _is_optional(type_):
            inner_type = next(arg for arg in get_args(type_) if arg is not type(None))
            inner = self.hook(inner_type)

            def structure_optional(value: Any, _: Any) -> Any:
                return None if value is None else inner(value, inner_type)

            return structure_optional
        if _is_tuple(type_):
            args = get_args(type_)
            if len(args) != 2 or args[1] is not Ellipsis:
                return self.converter.get_structure_hook(type_)
            item_type = args[0]
            item_hook = self.hook(item_type)
            if item_type in _IDENTITY_TYPES and item_hook is _IDENTITY_TYPES[item_type]:
                # Items already of the type (tag ids are ints) are taken as they are.

                def structure_scalars(value: Any, _: Any) -> tuple[Any, ...]:
                    if value is None:
                        return ()
                    if type(value) is not list and not isinstance(value, list | tuple):
                        raise ValueError(f"expected a list, got {type(value).__name__}")
                    return tuple(
                        [
                            item if type(item) is item_type else item_hook(item, item_type)
                            for item in value
                        ]
                    )

                return structure_scalars

            def structure_tuple(value: Any, _: Any) -> tuple[Any, ...]:
                # Same rules as _tuple_factory: null is empty, anything but a list is refused.
                if value is None:
                    return ()
                if type(value) is not list and not isinstance(value, list | tuple):
                    raise ValueError(f"expected a list, got {type(value).__name__}")
                if not value:
                    return ()
                return tuple([item_hook(item, item_type) for item in value])

            return structure_tuple
        return self.converter.get_structure_hook(type_)

    def class_hook(self, cls: type[Any]) -> Callable[[Any, Any], Any]:
        hook = self.classes.get(cls)
        if hook is None:
            hook = self.classes[cls] = self._compile(cls)
        return hook

    def _compile(self, cls: type[Any]) -> Callable[[Any, Any], Any]:
        attrs.resolve_types(cls)
        fields = attrs.fields(cls)
        if any(isinstance(field.default, attrs.Factory) for field in fields):  # type: ignore[arg-type]
            # Not needed by any model today; the converter's hook handles it exactly.
            return self.converter.get_structure_hook(cls)
        special = _V1_RENAMES.get(cls, {}) if self.v1 else {}
        names: dict[str, Any] = {
            "__cl": cls,
            "__fallback": self.converter.get_structure_hook(cls),
            "__absent": _ABSENT,
        }
        body: list[str] = []
        ordered = [f for f in fields if f.default is not attrs.NOTHING] + [
            f for f in fields if f.default is attrs.NOTHING
        ]
        for position, field in enumerate(ordered):
            wire = (special.get(field.name) or camel(field.name)) if self.v1 else field.name
            target = f"f{position}"
            if field.default is attrs.NOTHING:
                body.append(f"    v = o[{wire!r}]")
                body.extend(self._emit(field.type, target, position, names, "    "))
            elif field.default is None and _is_optional(field.type):
                # Absent and null both give None here, so one lookup with get's own default.
                body.append(f"    v = get({wire!r})")
                body.extend(self._emit(field.type, target, position, names, "    "))
            else:
                names[f"d{position}"] = field.default
                body.append(f"    v = get({wire!r}, __absent)")
                body.append("    if v is __absent:")
                body.append(f"        {target} = d{position}")
                body.append("    else:")
                body.extend(self._emit(field.type, target, position, names, "        "))
        setters = _slot_setters(cls, fields)
        if setters is None:
            arguments = ", ".join(
                f"{field.name}=f{position}" for position, field in enumerate(ordered)
            )
            construct = [f"    return __cl({arguments})"]
        else:
            # What the class's own __init__ would do (it has nothing to run but the stores),
            # without parsing one keyword argument per field.
            construct = ["    r = __new(__cl)"]
            for position, field in enumerate(ordered):
                names[f"s{position}"] = setters[field.name]
                construct.append(f"    s{position}(r, f{position})")
            construct.append("    return r")
            names["__new"] = object.__new__
        function = f"structure_{cls.__name__}"
        lines = [
            f"def {function}(o, _=None):",
            "    if type(o) is not dict:",
            "        return __fallback(o, __cl)",
            "    get = o.get",
            *body,
            *construct,
        ]
        source = "\n".join(lines) + "\n"
        filename = f"<ml_connector compiled decoder {'V1' if self.v1 else 'V2'} {cls.__name__}>"
        exec(compile(source, filename, "exec"), names)  # noqa: S102 - our own generated code
        compiled: Callable[[Any, Any], Any] = names[function]
        return compiled

    def _emit(
        self, type_: Any, target: str, position: int, names: dict[str, Any], indent: str
    ) -> list[str]:
        """Lines that structure ``v`` as ``type_`` into ``target``."""
        if _is_optional(type_):
            inner = next(arg for arg in get_args(type_) if arg is not type(None))
            return [
                f"{indent}if v is None:",
                f"{indent}    {target} = None",
                f"{indent}else:",
                *self._emit(inner, target, position, names, indent + "    "),
            ]
        hook = self.hook(type_)
        names[f"h{position}"] = hook
        names[f"t{position}"] = type_
        if type_ in _IDENTITY_TYPES and hook is _IDENTITY_TYPES[type_]:
            names[f"k{position}"] = type_
            return [
                f"{indent}{target} = v if type(v) is k{position} else h{position}(v, t{position})"
            ]
        if type_ is bool and hook is _structure_bool:
            return [
                f"{indent}{target} = v if v is True or v is False else h{position}(v, t{position})"
            ]
        return [f"{indent}{target} = h{position}(v, t{position})"]


def _slot_setters(
    cls: type[Any], fields: tuple[attrs.Attribute[Any], ...]
) -> dict[str, Callable[[Any, Any], None]] | None:
    """Each field's slot store, when ``cls.__init__`` does nothing but store every argument.

    That holds for a slotted attrs class whose fields are all ``init`` arguments without
    validator, converter or alias, with no ``__attrs_pre_init__``/``__attrs_post_init__`` and
    no cached hash; storing into the slots then builds exactly the instance ``__init__`` would.
    Anything else returns None and the decoder calls the class.
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


def _decode_error(
    v1: bool, cls: type[T], data: Any, fast_exc: BaseException
) -> ResponseDecodeError:
    record = _record_id(cls, data)
    version = "V1" if v1 else "V2"
    field: str | None = None
    reason = _describe(fast_exc)
    try:
        _converter(v1, True).structure(data, cls)
    except Exception as exc:
        field, leaf = _first_failure(exc, "")
        reason = _describe(leaf)
        field = field or None
    where = f" {cls.__name__} {record}" if record else f" {cls.__name__}"
    at = f" at {field}" if field else ""
    return ResponseDecodeError(
        f"ShipStation {version}{where}: {reason}{at}", field=field, record=record
    )


# -- decoding -------------------------------------------------------------------------------------


def _decode(v1: bool, cls: type[T], data: Any) -> T:
    if not isinstance(data, Mapping):
        raise ResponseDecodeError(
            f"ShipStation {'V1' if v1 else 'V2'} {cls.__name__}: expected a JSON object, "
            f"got {type(data).__name__}"
        )
    try:
        result: T = _hook(v1, cls)(data, cls)
    except Exception as exc:
        raise _decode_error(v1, cls, data, exc) from None
    return result


def _decode_list(v1: bool, cls: type[T], items: Any, key: str) -> tuple[T, ...]:
    if items is None:
        return ()
    if not isinstance(items, list):
        raise ResponseDecodeError(
            f"ShipStation {'V1' if v1 else 'V2'}: {key!r} is not a list", field=key
        )
    hook = _hook(v1, cls)
    index = 0
    try:
        out: list[T] = []
        append = out.append
        for index, item in enumerate(items):  # noqa: B007 - index names the failing record
            append(hook(item, cls))
        return tuple(out)
    except Exception as exc:
        item = items[index]
        if not isinstance(item, Mapping):
            raise ResponseDecodeError(
                f"ShipStation {'V1' if v1 else 'V2'}: {key}[{index}] is not a JSON object",
                field=f"{key}[{index}]",
            ) from None
        raise _decode_error(v1, cls, item, exc) from None


def decode_v1(cls: type[T], data: Any) -> T:
    """Decode one V1 record of model ``cls`` from decoded JSON.

    Raises:
        ResponseDecodeError: naming the field and the record id.
    """
    return _decode(True, cls, data)


def decode_v2(cls: type[T], data: Any) -> T:
    """Decode one V2 record of model ``cls`` from decoded JSON."""
    return _decode(False, cls, data)


def decode_v1_list(cls: type[T], items: Any, key: str = "items") -> tuple[T, ...]:
    """Decode a JSON array of V1 records (``null`` is an empty list)."""
    return _decode_list(True, cls, items, key)


def decode_v2_list(cls: type[T], items: Any, key: str = "items") -> tuple[T, ...]:
    """Decode a JSON array of V2 records (``null`` is an empty list)."""
    return _decode_list(False, cls, items, key)


def _optional_int(body: Mapping[str, Any], key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if type(value) is not int:
        raise ResponseDecodeError(f"page field {key!r} is not an integer", field=key)
    return value


def decode_v1_page(body: Any, key: str, cls: type[T]) -> Page[T]:
    """Decode a V1 list response ``{key: [...], total, page, pages}``.

    Args:
        body: The decoded JSON body.
        key: The collection's key (``orders``, ``shipments``, ...).
        cls: The model of one record.
    """
    if not isinstance(body, Mapping):
        raise ResponseDecodeError(f"V1 {key} page: expected a JSON object", field=key)
    if key not in body:
        raise ResponseDecodeError(f"V1 {key} page: the {key!r} array is missing", field=key)
    return Page(
        items=_decode_list(True, cls, body[key], key),
        total=_optional_int(body, "total"),
        page=_optional_int(body, "page"),
        pages=_optional_int(body, "pages"),
    )


def decode_v2_page(body: Any, key: str, cls: type[T]) -> Page[T]:
    """Decode a V2 list response ``{key: [...], total, page, pages, links}``."""
    if not isinstance(body, Mapping):
        raise ResponseDecodeError(f"V2 {key} page: expected a JSON object", field=key)
    if key not in body:
        raise ResponseDecodeError(f"V2 {key} page: the {key!r} array is missing", field=key)
    next_url: str | None = None
    links = body.get("links")
    if isinstance(links, Mapping):
        nxt = links.get("next")
        href = nxt.get("href") if isinstance(nxt, Mapping) else None
        if isinstance(href, str) and href:
            next_url = href
    return Page(
        items=_decode_list(False, cls, body[key], key),
        total=_optional_int(body, "total"),
        page=_optional_int(body, "page"),
        pages=_optional_int(body, "pages"),
        next_url=next_url,
    )


def _single(v1: bool, cls: type[T]) -> Callable[[Any], T]:
    def decode(data: Any) -> T:
        return _decode(v1, cls, data)

    decode.__name__ = f"decode_{cls.__name__.lower()}"
    decode.__doc__ = (
        f"Decode one ShipStation {'V1' if v1 else 'V2'} {cls.__name__} from decoded JSON.\n\n"
        "Raises:\n    ResponseDecodeError: naming the field and the record id.\n"
    )
    return decode


decode_order: Callable[[Any], Order] = _single(True, Order)
decode_shipment: Callable[[Any], Shipment] = _single(True, Shipment)
decode_fulfillment: Callable[[Any], Fulfillment] = _single(True, Fulfillment)
decode_customer: Callable[[Any], Customer] = _single(True, Customer)
decode_warehouse: Callable[[Any], Warehouse] = _single(True, Warehouse)
decode_product: Callable[[Any], Product] = _single(True, Product)
decode_store: Callable[[Any], Store] = _single(True, Store)
decode_webhook: Callable[[Any], Webhook] = _single(True, Webhook)
decode_inventory_level: Callable[[Any], InventoryLevel] = _single(False, InventoryLevel)
decode_inventory_warehouse: Callable[[Any], InventoryWarehouse] = _single(False, InventoryWarehouse)
decode_inventory_location: Callable[[Any], InventoryLocation] = _single(False, InventoryLocation)
