"""Payload models: cheap to build, with a shared empty ``extra`` that cannot be changed."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import attrs
import pytest

from ml_connector.oracle.models import (
    InventoryStagedTransaction,
    ReceivablesInvoiceDistribution,
    ReceivablesTaxLine,
)


def _distribution(**extra: object) -> ReceivablesInvoiceDistribution:
    return ReceivablesInvoiceDistribution(
        account_class="Revenue",
        account_combination="01-4011001-00",
        amount=Decimal("12.30"),
        line_number=1,
        **extra,  # type: ignore[arg-type]
    )


def test_empty_extra_reads_equals_and_prints_as_an_empty_dict() -> None:
    distribution = _distribution()
    assert distribution.extra == {}
    assert isinstance(distribution.extra, dict)
    assert "extra={}" in repr(distribution)
    assert distribution == _distribution(extra={})
    assert attrs.asdict(distribution)["extra"] == {}


def test_the_shared_empty_extra_refuses_changes() -> None:
    first, second = _distribution(), _distribution()
    for change in (
        lambda extra: extra.__setitem__("X", 1),
        lambda extra: extra.update({"X": 1}),
        lambda extra: extra.setdefault("X", 1),
        lambda extra: extra.pop("X"),
        lambda extra: extra.clear(),
    ):
        with pytest.raises(TypeError):
            change(first.extra)
    assert first.extra == {} and second.extra == {}


def test_an_own_extra_is_kept_and_compared() -> None:
    with_extra = _distribution(extra={"GlDate": "2026-01-15"})
    assert with_extra.extra == {"GlDate": "2026-01-15"}
    assert with_extra != _distribution()


def test_payloads_stay_frozen_and_pickle() -> None:
    tax = ReceivablesTaxLine(tax_amount=Decimal("1.00"))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        tax.tax_amount = Decimal(2)  # type: ignore[misc]
    again = pickle.loads(pickle.dumps(tax))  # noqa: S301 - our own bytes
    assert again == tax and again.extra == {}
    with pytest.raises(TypeError):
        again.extra.update({"X": 1})  # type: ignore[attr-defined]


def _transaction(when: datetime) -> InventoryStagedTransaction:
    return InventoryStagedTransaction(
        item_number="SKU-1",
        subinventory_code="FG",
        transaction_quantity=Decimal(-1),
        transaction_unit_of_measure="Ea",
        transaction_date=when,
        transaction_type_name="Miscellaneous Issue",
        source_code="SHIPSTATION",
        source_header_id="1",
        source_line_id="1",
        transaction_reference="SS1-1",
    )


def test_inventory_dates_must_still_be_aware_utc() -> None:
    assert _transaction(datetime(2026, 1, 15, 8, tzinfo=UTC)).extra == {}
    # Another zone object with no offset is UTC too.
    _transaction(datetime(2026, 1, 15, 8, tzinfo=timezone(timedelta(0))))
    with pytest.raises(ValueError, match="timezone-aware"):
        _transaction(datetime(2026, 1, 15, 8))
    with pytest.raises(ValueError, match="in UTC"):
        _transaction(datetime(2026, 1, 15, 8, tzinfo=timezone(timedelta(hours=-8))))


def test_positional_constructors_build_what_the_keyword_constructors_build() -> None:
    from ml_connector.oracle.models import (
        ReceivablesInvoice,
        ReceivablesInvoiceLine,
        _positional,
    )

    tax = ReceivablesTaxLine(tax_amount=Decimal("1.00"))
    values = {
        "line_number": 1,
        "description": "Mug",
        "quantity": Decimal(2),
        "unit_selling_price": Decimal("3.50"),
        "amount": Decimal("7.00"),
        "sales_order": "1001",
        "tax_lines": [tax],  # converted to a tuple, as the keyword constructor converts it
    }
    line = _positional(ReceivablesInvoiceLine, *values)(*values.values())
    expected = ReceivablesInvoiceLine(**values)  # type: ignore[arg-type]
    assert line == expected and repr(line) == repr(expected)
    assert attrs.asdict(line, recurse=False) == attrs.asdict(expected, recurse=False)
    assert not hasattr(line, "__dict__")  # slotted: no instance dictionary to collect
    assert line.tax_lines == (tax,) and line.extra == {} and line.memo_line is None
    invoice_values = {
        "business_unit": "US1",
        "transaction_source": "SS",
        "transaction_type": "Invoice",
        "transaction_date": datetime(2026, 1, 15, tzinfo=UTC).date(),
        "bill_to_customer_number": "1001",
        "invoice_currency_code": "USD",
        "payment_terms": "30 Net",
        "lines": [line],
    }
    invoice = _positional(ReceivablesInvoice, *invoice_values)(*invoice_values.values())
    assert invoice == ReceivablesInvoice(**invoice_values)  # type: ignore[arg-type]
    assert invoice.distributions == () and invoice.total == Decimal("8.00")


def test_positional_constructors_keep_the_validators_and_refuse_unknown_fields() -> None:
    from ml_connector.oracle.models import _positional

    names = (
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
    )
    make = _positional(InventoryStagedTransaction, *names)
    when = datetime(2026, 1, 15, 8, tzinfo=UTC)
    built = make("SKU-1", "FG", Decimal(-1), "Ea", when, "Issue", "SS", "1", "1", "SS1-1")
    assert built == _transaction(when).__class__(**dict(zip(names, [
        "SKU-1", "FG", Decimal(-1), "Ea", when, "Issue", "SS", "1", "1", "SS1-1"
    ], strict=True)))  # fmt: skip
    with pytest.raises(ValueError, match="timezone-aware"):
        make("SKU-1", "FG", Decimal(-1), "Ea", datetime(2026, 1, 15), "I", "S", "1", "1", "R")
    with pytest.raises(ValueError, match="in UTC"):
        make(
            "SKU-1", "FG", Decimal(-1), "Ea",
            datetime(2026, 1, 15, tzinfo=timezone(timedelta(hours=-8))), "I", "S", "1", "1", "R",
        )  # fmt: skip
    with pytest.raises(TypeError, match="no field"):
        _positional(InventoryStagedTransaction, "item_number", "no_such_field")
    with pytest.raises(TypeError, match="no plain default"):
        _positional(InventoryStagedTransaction, "item_number")  # required fields left out


def test_positional_constructors_refuse_classes_without_slots() -> None:
    from ml_connector.oracle.models import _positional

    @attrs.frozen(slots=False)
    class DictBacked:
        account_number: str

    with pytest.raises(TypeError, match="only slotted"):
        _positional(DictBacked, "account_number")
