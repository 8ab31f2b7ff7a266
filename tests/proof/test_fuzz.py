"""Hypothesis fuzzing: malformed payloads into every decoder and into the mapping.

Each test takes valid wire payloads (a generated day, the documented fixtures, rows the Oracle
simulator stored after a real sync) and breaks them: keys deleted, values replaced by any JSON
value (wrong types, huge or negative numbers, impossible timestamps, nested junk), whole records
replaced. The claim under test: only :class:`~ml_connector.ConnectorError` subclasses escape,
and a decode error on a record names that record and the failing field.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import tomllib
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ml_connector import AuditError, ConfigurationError, MappingError, ResponseDecodeError
from ml_connector._http import read_json
from ml_connector.audit import (
    JsonlAuditSink,
    RecordRef,
    Stage,
    new_correlation_id,
    new_event,
)
from ml_connector.cli._demo import demo_mapping_toml
from ml_connector.mapping import MappingConfig, map_shipment, match_customer
from ml_connector.oracle import (
    AccountCombination,
    CustomerAccountSite,
    InventoryStagedTransactionRecord,
    ReceivablesCreditMemoRecord,
    ReceivablesInvoiceRecord,
    from_wire,
)
from ml_connector.shipstation import (
    Order,
    Shipment,
    decode_customer,
    decode_fulfillment,
    decode_inventory_level,
    decode_inventory_location,
    decode_inventory_warehouse,
    decode_order,
    decode_product,
    decode_shipment,
    decode_store,
    decode_warehouse,
    decode_webhook,
    parse_webhook,
)
from ml_connector.shipstation._converter import decode_v1_page, decode_v2_page
from ml_connector.testing import VirtualClock

from ._samples import day, mapping, samples

# Modest by default so the suite stays fast; raise it for a deeper hunt, e.g.
# ML_CONNECTOR_FUZZ_EXAMPLES=2000 pytest tests/proof/test_fuzz.py
FUZZ = settings(
    max_examples=int(os.environ.get("ML_CONNECTOR_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# -- strategies ------------------------------------------------------------------------------------

_AWKWARD_TEXT = st.sampled_from(
    [
        "",
        " ",
        "null",
        "NaN",
        "-Infinity",
        "1e999999",
        "-0",
        "12.5.3",
        "2026-13-45T25:61:00.0000000",
        "2026-03-08T02:30:00.0000000",
        "2026-11-01T01:30:00.0000000",
        "0001-01-01T00:00:00",
        "9999-12-31T23:59:59.9999999",
        "2026-01-15",
        "2026-01-15T10:00:00Z",
        "<html>",
        "ünïcødé \u0000 \ud7ff",
        "x" * 300,
    ]
)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.sampled_from([Decimal("1E+999"), Decimal("-1E-999"), Decimal("0.000000001"), Decimal(0)]),
    st.text(max_size=12),
    _AWKWARD_TEXT,
)
JSON_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)

Path_ = tuple[Any, ...]
E = TypeVar("E", bound=Exception)


def _raised(call: Callable[[], object], kind: type[E]) -> E | None:
    """The ``kind`` error ``call`` raised, or ``None``; any other exception propagates."""
    try:
        call()
    except kind as exc:
        return exc
    return None


def _paths(value: Any, prefix: Path_ = ()) -> Iterator[Path_]:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            yield (*prefix, key)
            yield from _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield (*prefix, index)
            yield from _paths(inner, (*prefix, index))


def _apply(root: Any, path: Path_, op: str, value: Any) -> None:
    parent = root
    for step in path[:-1]:
        parent = parent[step]
    key = path[-1]
    if op == "delete":
        del parent[key]
    else:
        parent[key] = value


@st.composite
def mutated(draw: st.DrawFn, kind: str) -> Any:
    """One valid payload of ``kind`` with one to three mutations (or replaced entirely)."""
    payload = draw(st.sampled_from(samples(kind)))
    if draw(st.integers(0, 19)) == 0:
        return draw(JSON_VALUES)
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(payload))
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        op = draw(st.sampled_from(["delete", "replace", "replace"]))
        _apply(payload, path, op, draw(JSON_VALUES))
    return payload


def _assert_named(exc: ResponseDecodeError, payload: Any, id_key: str) -> None:
    """A decode error on a record names the record (when its id survived) and the field."""
    if not isinstance(payload, Mapping):
        return
    assert exc.field, f"no field named in {exc}"
    identity = payload.get(id_key)
    if type(identity) is int or (type(identity) is str and identity):
        assert exc.record is not None and str(identity) in exc.record, (
            f"record {identity!r} not named in {exc}"
        )


# -- ShipStation -----------------------------------------------------------------------------------

V1_DECODERS: list[tuple[str, Callable[[Any], Any], str]] = [
    ("order", decode_order, "orderId"),
    ("shipment", decode_shipment, "shipmentId"),
    ("fulfillment", decode_fulfillment, "fulfillmentId"),
    ("customer", decode_customer, "customerId"),
    ("warehouse", decode_warehouse, "warehouseId"),
    ("store", decode_store, "storeId"),
    ("product", decode_product, "productId"),
    ("webhook", decode_webhook, "WebHookID"),
    ("inventory_level", decode_inventory_level, "sku"),
    ("inventory_warehouse", decode_inventory_warehouse, "inventory_warehouse_id"),
    ("inventory_location", decode_inventory_location, "inventory_location_id"),
]


@pytest.mark.parametrize(("kind", "decode", "id_key"), V1_DECODERS, ids=[d[0] for d in V1_DECODERS])
@FUZZ
@given(data=st.data())
def test_shipstation_decoders_raise_only_named_decode_errors(
    kind: str, decode: Callable[[Any], Any], id_key: str, data: st.DataObject
) -> None:
    payload = data.draw(mutated(kind))
    error = _raised(lambda: decode(payload), ResponseDecodeError)
    if error is not None:
        _assert_named(error, payload, id_key)


@FUZZ
@given(data=st.data())
def test_v1_pages_raise_only_decode_errors(data: st.DataObject) -> None:
    items = data.draw(st.lists(mutated("shipment"), min_size=0, max_size=3))
    body: Any = {"shipments": items, "total": len(items), "page": 1, "pages": 1}
    if data.draw(st.booleans()):
        paths = list(_paths(body))
        _apply(body, data.draw(st.sampled_from(paths)), "replace", data.draw(JSON_VALUES))
    with contextlib.suppress(ResponseDecodeError):
        decode_v1_page(body, "shipments", Shipment)


@FUZZ
@given(data=st.data())
def test_v2_pages_raise_only_decode_errors(data: st.DataObject) -> None:
    from ml_connector.shipstation import InventoryLevel

    items = data.draw(st.lists(mutated("inventory_level"), max_size=3))
    links = data.draw(st.one_of(JSON_VALUES, st.just({"next": {"href": "https://x/v2/inventory"}})))
    body: Any = {"inventory": items, "total": 3, "page": 1, "pages": 2, "links": links}
    with contextlib.suppress(ResponseDecodeError):
        decode_v2_page(body, "inventory", InventoryLevel)


@FUZZ
@given(
    body=st.one_of(
        st.binary(max_size=200),
        st.text(max_size=200),
        JSON_VALUES.map(lambda v: json.dumps(v, default=str)),
        mutated("webhook_body"),
    )
)
def test_webhook_parsing_raises_only_decode_errors(body: Any) -> None:
    error = _raised(lambda: parse_webhook(body), ResponseDecodeError)
    if error is None:
        pointer = parse_webhook(body)
        assert pointer.resource_url and pointer.resource_type
    else:
        assert error.field in (None, "resource_url", "resource_type")


@FUZZ
@given(
    content=st.one_of(
        st.binary(max_size=120),
        st.text(max_size=120).map(str.encode),
        st.sampled_from([b"<!DOCTYPE html><html></html>", b"  ", b"{", b'{"a": 1e999999}']),
    ),
    content_type=st.sampled_from(["application/json", "text/html", "text/plain", ""]),
)
def test_read_json_raises_only_decode_errors(content: bytes, content_type: str) -> None:
    request = httpx.Request("GET", "https://ssapi.shipstation.com/orders")
    response = httpx.Response(
        200, content=content, headers={"content-type": content_type}, request=request
    )
    with contextlib.suppress(ResponseDecodeError):
        read_json(response)


# -- Oracle ----------------------------------------------------------------------------------------

ORACLE_MODELS: list[tuple[str, type[Any], str]] = [
    ("invoice", ReceivablesInvoiceRecord, "CustomerTransactionId"),
    ("credit_memo", ReceivablesCreditMemoRecord, "CustomerTransactionId"),
    ("staged", InventoryStagedTransactionRecord, "TransactionInterfaceId"),
    ("site", CustomerAccountSite, "BillToSiteUseId"),
    ("combination", AccountCombination, "_CODE_COMBINATION_ID"),
]


@pytest.mark.parametrize(
    ("kind", "model", "id_key"), ORACLE_MODELS, ids=[m[0] for m in ORACLE_MODELS]
)
@FUZZ
@given(data=st.data())
def test_oracle_from_wire_raises_only_named_decode_errors(
    kind: str, model: type[Any], id_key: str, data: st.DataObject
) -> None:
    payload = data.draw(mutated(kind))
    error = _raised(lambda: from_wire(model, payload, context="fuzz"), ResponseDecodeError)
    if error is not None and isinstance(payload, Mapping):
        assert error.field, f"no field named in {error}"
        identity = payload.get(id_key)
        if identity is not None:
            assert error.record is not None and str(identity) in error.record, str(error)


# -- mapping ---------------------------------------------------------------------------------------


@FUZZ
@given(data=st.data())
def test_mapping_raises_only_mapping_errors_naming_the_record(data: st.DataObject) -> None:
    bundle = data.draw(mutated("bundle"))
    try:
        order = decode_order(bundle["order"])
        shipments = [decode_shipment(s) for s in bundle["shipments"]]
    except (ResponseDecodeError, KeyError, TypeError, IndexError):
        return  # the decoder's own contract is fuzzed above; here we need decodable records
    config = mapping()
    error = _raised(lambda: match_customer(order, config), MappingError)
    if error is not None:
        assert error.record is not None, str(error)
        return
    match = match_customer(order, config)
    for shipment in shipments:
        error = _raised(
            lambda s=shipment: map_shipment(s, order, match, config, order_shipments=shipments),
            MappingError,
        )
        assert error is None or error.record is not None, str(error)


@FUZZ
@given(data=st.data())
def test_mapping_configuration_raises_only_configuration_errors(data: st.DataObject) -> None:
    table = tomllib.loads(demo_mapping_toml(day()))
    for _ in range(data.draw(st.integers(1, 3))):
        paths = list(_paths(table))
        path = data.draw(st.sampled_from(paths))
        _apply(
            table, path, data.draw(st.sampled_from(["delete", "replace"])), data.draw(JSON_VALUES)
        )
    with contextlib.suppress(ConfigurationError):
        MappingConfig.from_dict(table)


# -- audit trail -----------------------------------------------------------------------------------


def _trail(path: Path) -> bytes:
    sink = JsonlAuditSink(path, fsync="never")
    clock = VirtualClock()
    for n in range(3):
        sink.write(
            new_event(
                clock,
                correlation_id=new_correlation_id(),
                record=RecordRef("shipstation", "shipment", str(n)),
                stage=Stage.POSTED,
                posting_key=f"SS{n}",
                payload={"TransactionNumber": f"SS{n}", "Amount": Decimal("10.25")},
            )
        )
    sink.close()
    return path.read_bytes()


@FUZZ
@given(data=st.data())
def test_audit_jsonl_reading_raises_only_audit_errors(data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "audit.jsonl"
        raw = bytearray(_trail(path))
        cut = data.draw(st.integers(0, len(raw)))
        how = data.draw(st.sampled_from(["truncate", "insert", "flip", "line"]))
        if how == "truncate":
            del raw[cut:]
        elif how == "insert":
            raw[cut:cut] = data.draw(st.binary(min_size=1, max_size=20))
        elif how == "flip" and cut < len(raw):
            raw[cut] ^= data.draw(st.integers(1, 255))
        else:
            line = json.dumps(data.draw(JSON_VALUES), default=str) + "\n"
            raw[cut:cut] = line.encode()
        path.write_bytes(bytes(raw))
        sink = JsonlAuditSink(path, fsync="never")
        with contextlib.suppress(AuditError):
            sink.events()
            sink.failed()


def test_v1_list_field_given_a_string_is_named() -> None:
    # "" where a list belongs is a documented quirk (docs/shipstation.md) and decodes as no
    # tags; any other string is still refused, naming the field.
    product = samples("product")[0]
    product["tags"] = ""
    assert decode_product(product).tags == ()
    product["tags"] = "vip"
    with pytest.raises(ResponseDecodeError) as caught:
        decode_product(product)
    assert caught.value.field == "tags"


def test_oracle_account_combination_date_is_named() -> None:
    row = samples("combination")[0]
    row["StartDateActive"] = "x"
    with pytest.raises(ResponseDecodeError) as caught:
        from_wire(AccountCombination, row)
    assert caught.value.field == "StartDateActive"


def test_samples_are_valid_before_mutation() -> None:
    """The fuzzing starts from payloads that decode and map, so a failure means the mutation."""
    for kind, decode, _ in V1_DECODERS:
        for payload in samples(kind):
            decode(payload)
    for kind, model, _ in ORACLE_MODELS:
        for payload in samples(kind):
            from_wire(model, payload)
    config = mapping()
    plans = 0
    for bundle in samples("bundle"):
        order: Order = decode_order(bundle["order"])
        shipments = [decode_shipment(s) for s in bundle["shipments"]]
        with contextlib.suppress(MappingError):
            match = match_customer(order, config)
            for shipment in shipments:
                map_shipment(shipment, order, match, config, order_shipments=shipments)
                plans += 1
    assert plans > 10
