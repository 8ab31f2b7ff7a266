"""The Oracle payload writers generated from the models' fields write what cattrs' own
generated writers write: the same keys in the same order, the same values of the same types.

Checked over every document a generated day maps to, and over payloads with every optional
field set in turn (each type's hook: dates, datetimes, Decimals, ints, flags, text, nested
lines)."""

from __future__ import annotations

import typing
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import attrs
import pytest

from ml_connector import MappingError
from ml_connector.cli._demo import demo_mapping_toml
from ml_connector.mapping import CustomerDirectory, MappingConfig, map_shipment, match_customer
from ml_connector.oracle import _converter
from ml_connector.shipstation import Order, Shipment
from ml_connector.shipstation._converter import Decoder
from ml_connector.testing import generate_day

from .test_converter import documented_invoice, staged


def _same(a: Any, b: Any, path: str = "$") -> None:
    """Equal, with the same types and (for dicts) the same key order, all the way down."""
    assert type(a) is type(b), (path, type(a), type(b))
    if isinstance(a, dict):
        assert list(a) == list(b), path
        for key in a:
            _same(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), path
        for n, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{path}[{n}]")
    else:
        assert a == b, path


def _writers(reference: str = "CrossReference") -> dict[type[Any], tuple[Any, Any]]:
    converter = _converter.make_converter(credit_memo_reference_attribute=reference)
    pairs = {}
    for cls in _converter._PAYLOADS:
        names = dict(_converter.WIRE_NAMES[cls])
        if cls is _converter.ReceivablesCreditMemo:
            names["original_transaction_number"] = reference
        ours = _converter._payload_fn(converter, cls, names)
        theirs = _converter._cattrs_payload_fn(converter, cls, names)
        pairs[cls] = (ours, theirs)
    return pairs


def _check(pairs: dict[type[Any], tuple[Any, Any]], payload: Any) -> None:
    ours, theirs = pairs[type(payload)]
    _same(ours(payload), theirs(payload))


def _mapped_documents() -> Iterator[Any]:
    day = generate_day(31, orders=150, warehouses=3, split_rate=0.2, void_rate=0.2)
    config = MappingConfig.from_toml(demo_mapping_toml(day))
    directory = CustomerDirectory.build((), emails=day.account_numbers_by_email())
    decoder = Decoder("V1")
    orders = {o.order_id: o for o in (decoder.one(Order, data) for data in day.iter_orders())}
    labels: dict[int | None, list[Shipment]] = {}
    for data in day.iter_shipments():
        label = decoder.one(Shipment, data)
        labels.setdefault(label.order_id, []).append(label)
    for order_id, of_order in labels.items():
        order = orders[order_id]
        try:
            match = match_customer(order, config, directory)
        except MappingError:
            continue
        for label in of_order:
            for unvoided in (True, False):
                shipment = attrs.evolve(label, voided=False, void_date=None) if unvoided else label
                try:
                    plan = map_shipment(shipment, order, match, config, order_shipments=of_order)
                except MappingError:
                    continue
                for document in (plan.invoice, plan.credit_memo):
                    if document is not None:
                        yield document
                for posting in plan.inventory:
                    yield posting.transaction


def test_every_document_of_a_generated_day_is_written_as_cattrs_writes_it() -> None:
    pairs = _writers()
    kinds: set[type[Any]] = set()
    for document in _mapped_documents():
        _check(pairs, document)
        kinds.add(type(document))
        for line in getattr(document, "lines", ()):
            kinds.add(type(line))
            for tax in getattr(line, "tax_lines", ()):
                kinds.add(type(tax))
        for distribution in getattr(document, "distributions", ()):
            kinds.add(type(distribution))
    # The day exercised invoices, credit memos, inventory, lines, taxes and distributions.
    assert {
        _converter.ReceivablesInvoice,
        _converter.ReceivablesCreditMemo,
        _converter.InventoryStagedTransaction,
        _converter.ReceivablesInvoiceLine,
        _converter.ReceivablesInvoiceDistribution,
    } <= kinds


_SAMPLES: dict[Any, tuple[Any, ...]] = {
    str: ("Text", ""),
    int: (7, 0),
    bool: (True, False),
    Decimal: (Decimal("12.50"), Decimal("-0.00"), Decimal("1E+2")),
    date: (date(2026, 1, 15),),
    datetime: (datetime(2026, 1, 15, 17, 0, 5, 744000, tzinfo=UTC),),
}


def _variants(payload: Any) -> Iterator[Any]:
    """``payload`` with each optional field set in turn to each sample of its type."""
    hints = typing.get_type_hints(type(payload))
    for field in attrs.fields(type(payload)):
        if field.default is attrs.NOTHING or field.name == "extra":
            continue
        args = [arg for arg in typing.get_args(hints[field.name]) if arg is not type(None)]
        for kind in args or [hints[field.name]]:
            for value in _SAMPLES.get(kind, ()):
                try:
                    yield attrs.evolve(payload, **{field.name: value})
                except (TypeError, ValueError):
                    continue


@pytest.mark.parametrize("reference", ["CrossReference", "ReferenceNumber"])
def test_every_optional_field_is_written_as_cattrs_writes_it(reference: str) -> None:
    pairs = _writers(reference)
    documents = [documented_invoice(), staged(), *list(_mapped_documents())[:40]]
    seen = 0
    for document in documents:
        parts = [document, *getattr(document, "lines", ()), *getattr(document, "distributions", ())]
        for line in getattr(document, "lines", ()):
            parts.extend(getattr(line, "tax_lines", ()))
        for part in parts:
            for variant in _variants(part):
                _check(pairs, variant)
                seen += 1
    assert seen > 200


def test_the_converter_writes_payloads_with_the_generated_writers() -> None:
    converter = _converter.make_converter()
    invoice = documented_invoice(extra={"Flex": "x"})
    written = converter.unstructure(invoice)
    assert written["Flex"] == "x"
    ours, _ = _writers()[_converter.ReceivablesInvoice]
    assert written == {**ours(invoice), "Flex": "x"}
