"""Wire format: Oracle names, exact Decimals, dates, extra fields, reads and decode errors."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ml_connector import ResponseDecodeError
from ml_connector.oracle import (
    AccountClass,
    AccountCombination,
    CustomerAccountSite,
    InventoryStagedTransaction,
    NewParty,
    PartyType,
    ReceivablesCreditMemo,
    ReceivablesCreditMemoLine,
    ReceivablesInvoice,
    ReceivablesInvoiceDistribution,
    ReceivablesInvoiceLine,
    ReceivablesInvoiceRecord,
    content_hash,
    dumps_wire,
    from_wire,
    make_converter,
    to_wire,
)
from ml_connector.oracle._converter import party_from_wire

FIXTURES = Path(__file__).parent.parent / "fixtures" / "oracle"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(), parse_float=Decimal)


def documented_invoice(**changes: Any) -> ReceivablesInvoice:
    """The invoice of Oracle's "Create an Invoice with Lines" example, as a model."""
    lines = [
        ("Laptop", 1, 2, "1299.99"),
        ("Battery", 2, 2, "102.15"),
        ("Charger", 3, 4, "65.45"),
    ]
    fields: dict[str, Any] = {
        "business_unit": "Vision Operations",
        "transaction_source": "Manual-NES",
        "transaction_type": "Invoice",
        "transaction_date": date(2018, 2, 20),
        "bill_to_customer_number": "1008",
        "invoice_currency_code": "USD",
        "payment_terms": "30 Net",
        "comments": "New Laptop Promotion",
        "internal_notes": "Best Priced item",
        "due_date": date(2018, 2, 20),
        "ship_to_customer_number": "1008",
        "ship_to_site": "1042",
        "lines": [
            ReceivablesInvoiceLine(
                line_number=number,
                description=text,
                quantity=Decimal(qty),
                unit_selling_price=Decimal(price),
                amount=Decimal(qty) * Decimal(price),
            )
            for text, number, qty, price in lines
        ],
        "extra": {
            "BillingDate": "2018-02-20",
            "ShipToCustomerName": "Total Internet",
        },
    }
    fields.update(changes)
    return ReceivablesInvoice(**fields)


def test_invoice_wire_matches_documented_example() -> None:
    documented = load("ar_invoice_create_request.json")
    wire = to_wire(documented_invoice())
    lines = wire.pop("receivablesInvoiceLines")
    doc_lines = documented.pop("receivablesInvoiceLines")
    assert wire == documented
    # We also send LineAmount; every documented line attribute is sent with the same value.
    for ours, theirs in zip(lines, doc_lines, strict=True):
        assert ours["LineAmount"] == ours["Quantity"] * ours["UnitSellingPrice"]
        assert {k: v for k, v in ours.items() if k != "LineAmount"} == theirs


def test_decimals_written_with_exact_digits_never_float() -> None:
    line = ReceivablesInvoiceLine(
        line_number=1,
        description="x",
        quantity=Decimal("3"),
        unit_selling_price=Decimal("0.10"),
        amount=Decimal("0.30"),
    )
    invoice = documented_invoice(lines=[line], conversion_rate=Decimal("1E+2"))
    text = dumps_wire(to_wire(invoice)).decode()
    assert '"UnitSellingPrice":0.10' in text
    assert '"LineAmount":0.30' in text
    assert '"ConversionRate":100' in text
    assert json.loads(text, parse_float=Decimal)["receivablesInvoiceLines"][0]["LineAmount"] == (
        Decimal("0.30")
    )


def test_dumps_refuses_floats_and_non_finite_decimals() -> None:
    with pytest.raises(TypeError, match="Decimal"):
        dumps_wire({"Amount": 0.1})
    with pytest.raises(ValueError, match="non-finite"):
        dumps_wire({"Amount": Decimal("NaN")})


def test_writes_omit_none_and_empty_children() -> None:
    wire = to_wire(documented_invoice())
    assert "TransactionNumber" not in wire
    assert "receivablesInvoiceDistributions" not in wire
    assert None not in wire.values()


def test_distributions_and_account_class_are_plain_strings() -> None:
    dist = ReceivablesInvoiceDistribution(
        account_class=AccountClass.REV,
        account_combination="01-4011001-00-0177-01-01-00",
        amount=Decimal("12.50"),
        percent=Decimal(100),
        line_number=1,
    )
    wire = to_wire(documented_invoice(distributions=[dist], transaction_number="SS-1"))
    assert wire["TransactionNumber"] == "SS-1"
    assert wire["receivablesInvoiceDistributions"] == [
        {
            "AccountClass": "Revenue",
            "AccountCombination": "01-4011001-00-0177-01-01-00",
            "Amount": Decimal("12.50"),
            "Percent": Decimal(100),
            "InvoiceLineNumber": 1,
        }
    ]
    assert type(wire["receivablesInvoiceDistributions"][0]["AccountClass"]) is str


def test_extra_keys_merge_verbatim_and_win_at_every_level() -> None:
    line = ReceivablesInvoiceLine(
        line_number=1,
        description="x",
        quantity=Decimal(1),
        unit_selling_price=Decimal(1),
        amount=Decimal(1),
        extra={"Warehouse": "M1", "Description": "override"},
    )
    wire = to_wire(documented_invoice(lines=[line], extra={"PurchaseOrder": "PO-9"}))
    assert wire["PurchaseOrder"] == "PO-9"
    assert wire["receivablesInvoiceLines"][0]["Warehouse"] == "M1"
    assert wire["receivablesInvoiceLines"][0]["Description"] == "override"


def test_credit_memo_uses_credit_memo_names_and_configurable_reference() -> None:
    memo = ReceivablesCreditMemo(
        business_unit="Vision Operations",
        transaction_source="Manual",
        transaction_type="Credit Memo",
        transaction_date=date(2021, 1, 1),
        bill_to_customer_number="1008",
        credit_memo_currency="USD",
        original_transaction_number="SS-1",
        transaction_number="SS-1-CM",
        comments="Return",
        lines=[
            ReceivablesCreditMemoLine(
                line_number=1,
                description="Monthly Movie Subscription",
                quantity=Decimal(2),
                unit_selling_price=Decimal("-29.99"),
                amount=Decimal("-59.98"),
            )
        ],
    )
    wire = to_wire(memo)
    assert wire["CreditMemoCurrency"] == "USD"
    assert wire["CrossReference"] == "SS-1"
    assert wire["CreditMemoComments"] == "Return"
    assert wire["receivablesCreditMemoLines"] == [
        {
            "LineNumber": 1,
            "LineDescription": "Monthly Movie Subscription",
            "LineQuantityCredit": Decimal(2),
            "UnitSellingPrice": Decimal("-29.99"),
            "LineAmountCredit": Decimal("-59.98"),
        }
    ]
    custom = to_wire(memo, make_converter(credit_memo_reference_attribute="DocumentNumber"))
    assert custom["DocumentNumber"] == "SS-1"
    assert "CrossReference" not in custom
    assert memo.total == Decimal("-59.98")


def staged(**changes: Any) -> InventoryStagedTransaction:
    fields: dict[str, Any] = {
        "organization_code": "M1",
        "item_number": "AS54888",
        "subinventory_code": "Stores",
        "transaction_quantity": Decimal("-2"),
        "transaction_unit_of_measure": "Each",
        "transaction_date": datetime(2026, 1, 15, 17, 0, 5, 744000, tzinfo=UTC),
        "transaction_type_name": "Miscellaneous Issue",
        "source_code": "SHIPSTATION",
        "source_header_id": "1001",
        "source_line_id": "2002",
        "transaction_reference": "SS-1001-2002",
        "distribution_account": "01-000-1410-0000-000",
        "transaction_mode": "1",
        "use_current_cost": True,
    }
    fields.update(changes)
    return InventoryStagedTransaction(**fields)


def test_inventory_wire_names_follow_real_payloads() -> None:
    template = load("inventory_staged_transaction_create_request_template.json")
    wire = to_wire(staged())
    unknown = set(wire) - set(template) - {"OrganizationCode"}
    assert unknown == set()
    assert wire["TransactionQuantity"] == Decimal("-2")
    assert wire["TransactionDate"] == "2026-01-15T17:00:05.744+00:00"
    assert wire["AccountCombination"] == "01-000-1410-0000-000"
    assert wire["UseCurrentCostFlag"] is True
    assert b'"TransactionQuantity":-2,' in dumps_wire(wire)


def test_models_refuse_naive_or_non_utc_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        staged(transaction_date=datetime(2026, 1, 15, 17, 0))
    with pytest.raises(ValueError, match="UTC"):
        staged(transaction_date=datetime(2026, 1, 15, tzinfo=timezone(timedelta(hours=-8))))


def test_new_party_wire_has_email_contact_point() -> None:
    org = NewParty(
        party_type=PartyType.ORGANIZATION, organization_name="Acme", email_address="a@b.example"
    )
    assert to_wire(org) == {
        "OrganizationName": "Acme",
        "ContactPoint": [{"ContactPointType": "EMAIL", "EmailAddress": "a@b.example"}],
    }
    person = NewParty(
        party_type=PartyType.PERSON, first_name="Ada", last_name="L", email_address="a@b.example"
    )
    assert to_wire(person)["FirstName"] == "Ada"


def test_content_hash_is_canonical_and_sensitive() -> None:
    invoice = documented_invoice()
    wire = to_wire(invoice)
    reordered = dict(reversed(list(wire.items())))
    assert content_hash(invoice) == content_hash(wire) == content_hash(reordered)
    assert len(content_hash(invoice)) == 64
    assert content_hash(documented_invoice(comments="other")) != content_hash(invoice)
    # The exact digits are the content: 1.5 and 1.50 are different wire payloads.
    assert content_hash({"A": Decimal("1.5")}) != content_hash({"A": Decimal("1.50")})


def test_read_invoice_from_documented_response() -> None:
    item = load("ar_invoice_patch_complete_response_truncated.json")["items"][0]
    item["CreationDate"] = "2020-07-17T05:57:05.744-07:00"
    record = from_wire(ReceivablesInvoiceRecord, item)
    assert record.customer_transaction_id == 300100169169047
    assert record.transaction_number == "864"
    assert record.transaction_date == date(2018, 2, 20)
    assert record.bill_to_site == "Foster City (OPS)"
    assert record.cross_reference is None
    assert record.creation_date == datetime(2020, 7, 17, 12, 57, 5, 744000, tzinfo=UTC)
    assert record.raw["LegalEntityIdentifier"] == "USSYS12030"


def test_read_customer_site_from_documented_response() -> None:
    item = load("customer_account_sites_get_collection_response_truncated.json")["items"][0]
    site = from_wire(CustomerAccountSite, item)
    assert site.bill_to_site_use_id == 100100148387733
    assert site.account_number == "PERF_ACCT_BAT10_1000"
    assert site.bill_to_site_number == "PERF_SITE_BAT10_1017"
    assert site.customer_id == 100100148382061


@pytest.mark.parametrize(
    ("item", "field", "record"),
    [
        ({"TransactionNumber": "SS-1"}, "CustomerTransactionId", "TransactionNumber=SS-1"),
        ({"CustomerTransactionId": None}, "CustomerTransactionId", None),
        ({"CustomerTransactionId": "x1"}, "CustomerTransactionId", "CustomerTransactionId=x1"),
        (
            {"CustomerTransactionId": 7, "CreationDate": "2020-07-17T12:57:05"},
            "CreationDate",
            "CustomerTransactionId=7",
        ),
        ({"CustomerTransactionId": 7, "EnteredAmount": True}, "EnteredAmount", None),
    ],
)
def test_bad_reads_name_field_and_record(
    item: dict[str, Any], field: str, record: str | None
) -> None:
    with pytest.raises(ResponseDecodeError) as info:
        from_wire(ReceivablesInvoiceRecord, item, context="receivablesInvoices")
    assert info.value.field == field
    if record is not None:
        assert info.value.record == record
    assert field in str(info.value)


def test_account_combination_read() -> None:
    combo = from_wire(
        AccountCombination,
        {
            "_CODE_COMBINATION_ID": 13001,
            "Segment1": "01",
            "Segment2": "4011001",
            "Segment3": None,
            "EnabledFlag": "N",
            "EndDateActive": "2025-12-31",
        },
    )
    assert combo.segments == ("01", "4011001")
    assert combo.enabled is False
    assert not combo.active_on(date(2025, 1, 1))
    with pytest.raises(ResponseDecodeError) as info:
        from_wire(AccountCombination, {"Segment1": "01"})
    assert info.value.field == "_CODE_COMBINATION_ID"


def test_party_read_uses_configured_email_attribute() -> None:
    party = party_from_wire(
        {"PartyNumber": "CDRM_1", "PartyId": 5, "OrganizationName": "Acme", "Email": "a@b.c"},
        PartyType.ORGANIZATION,
        email_attribute="Email",
    )
    assert party.party_name == "Acme"
    assert party.email_address == "a@b.c"
    with pytest.raises(ResponseDecodeError) as info:
        party_from_wire({"PartyId": 5}, PartyType.PERSON)
    assert info.value.field == "PartyNumber"
