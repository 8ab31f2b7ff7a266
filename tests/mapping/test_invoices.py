"""Shipments to AR invoices and credit memos: exact amounts, accounts, dates, keys, skips."""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal

import attrs
import pytest

from ml_connector import MappingError
from ml_connector.mapping import (
    Ambiguous,
    MappingConfig,
    MappingConfigError,
    Matched,
    MatchRule,
    ShipmentPlan,
    Skip,
    SkipReason,
    Unmatched,
    map_shipment,
)
from ml_connector.oracle import content_hash, to_wire

from ._builders import CONFIG_PATH, MATCH, item, order, retailer_config, shipment, utc

D = Decimal
CONFIG = retailer_config()


def _plan(result: ShipmentPlan | Skip) -> ShipmentPlan:
    assert isinstance(result, ShipmentPlan), result
    return result


def _order():  # type: ignore[no-untyped-def]
    return order(
        [
            item(11, "TENT-2P", 1, "199.00", name="Two-person tent"),
            item(12, "MUG", 3, "3.33", name="Camp mug"),
        ],
        tax="16.72",
        shipping="9.99",
    )


def test_one_shipment_of_a_whole_order_invoices_it_exactly() -> None:
    o = _order()
    plan = _plan(map_shipment(shipment(501, o, [(11, 1), (12, 3)]), o, MATCH, CONFIG))
    invoice = plan.invoice
    assert invoice is not None
    assert plan.posting_key == invoice.transaction_number == "SS501"
    assert invoice.total == D("199.00") + D("9.99") + D("16.72") + D("9.99")
    assert [
        (line.description, line.quantity, line.unit_selling_price, line.amount)
        for line in invoice.lines
    ] == [
        ("Two-person tent", D(1), D("199.00"), D("199.00")),
        ("Camp mug", D(3), D("3.33"), D("9.99")),
    ]
    # Freight rides on the item lines (AllocatedFreightAmount), tax in their tax lines.
    assert sum(line.allocated_freight_amount or D(0) for line in invoice.lines) == D("9.99")
    taxes = [tax for line in invoice.lines for tax in line.tax_lines]
    assert len(taxes) == 2
    assert sum(tax.tax_amount for tax in taxes) == D("16.72")
    assert (invoice.business_unit, invoice.transaction_source, invoice.transaction_type) == (
        "US1 Business Unit",
        "SHIPSTATION",
        "Invoice",
    )
    assert (invoice.bill_to_customer_number, invoice.bill_to_site) == ("10050", "10050-HQ")
    assert (invoice.invoice_currency_code, invoice.payment_terms) == ("USD", "IMMEDIATE")
    assert invoice.transaction_date == invoice.accounting_date == date(2026, 3, 10)


def test_distributions_balance_and_carry_the_warehouse_cost_center() -> None:
    o = _order()
    invoice = _plan(
        map_shipment(shipment(501, o, [(11, 1), (12, 3)], warehouse_id=16080), o, MATCH, CONFIG)
    ).invoice
    assert invoice is not None
    rows = [
        (
            d.account_class,
            d.account_combination,
            d.amount,
            d.line_number,
            d.detailed_tax_line_number,
        )
        for d in invoice.distributions
    ]
    accounts = {
        "Revenue": "01-1200-401000-000-00",
        "Freight": "01-1200-402000-000-00",
        "Tax": "01-1200-224000-000-00",
        "Receivable": "01-1200-121000-000-00",
    }
    assert [r[0] for r in rows] == ["Revenue", "Freight", "Tax"] * 2 + ["Receivable"]
    assert all(r[1] == accounts[r[0]] for r in rows)
    lines = {line.line_number: line for line in invoice.lines}
    for klass, _, amount, number, tax_number in rows[:-1]:
        line = lines[number]
        if klass == "Revenue":
            assert amount == line.amount and tax_number is None
        elif klass == "Freight":
            assert amount == line.allocated_freight_amount and tax_number is None
        else:  # a Tax distribution names its line's tax line by DetailedTaxLineNumber
            assert tax_number == 1 and amount == line.tax_lines[0].tax_amount
    assert rows[-1][3:] == (None, None)
    receivable = rows[-1][2]
    assert receivable == D("235.70")
    assert sum(r[2] for r in rows[:-1]) == receivable == invoice.total


def test_split_shipments_sum_exactly_to_the_order() -> None:
    o = _order()
    first = shipment(501, o, [(12, 1)], created=utc(2026, 3, 10, 18))
    second = shipment(502, o, [(12, 1)], created=utc(2026, 3, 11, 18), warehouse_id=16080)
    third = shipment(503, o, [(11, 1), (12, 1)], created=utc(2026, 3, 12, 18))
    labels = [first, second, third]
    totals = [
        _plan(map_shipment(s, o, MATCH, CONFIG, order_shipments=labels)).total for s in labels
    ]
    assert sum(totals, D(0)) == D("199.00") + D("9.99") + D("9.99") + D("16.72")
    # Mapping the first label again once the others exist gives the same invoice.
    again = _plan(map_shipment(first, o, MATCH, CONFIG, order_shipments=labels))
    assert again == _plan(map_shipment(first, o, MATCH, CONFIG, order_shipments=[first]))


def test_adjustment_items_become_a_discount_line_on_the_discount_account() -> None:
    o = order([item(11, "MUG", 2, "10.00"), item(99, "", 1, "-5.00", adjustment=True)])
    invoice = _plan(map_shipment(shipment(501, o, [(11, 2)]), o, MATCH, CONFIG)).invoice
    assert invoice is not None
    discount = invoice.lines[1]
    assert (discount.description, discount.amount) == ("Discount", D("-5.00"))
    assert invoice.distributions[1].account_combination == "01-1100-403000-000-00"
    assert invoice.total == D("15.00")


def test_store_overrides_revenue_account_and_product_segment() -> None:
    o = order([item(11, "MUG", 1, "10.00")], store_id=2003)
    invoice = _plan(map_shipment(shipment(501, o, [(11, 1)]), o, MATCH, CONFIG)).invoice
    assert invoice is not None
    assert invoice.distributions[0].account_combination == "01-1100-401300-300-00"
    assert invoice.distributions[-1].account_combination == "01-1100-121000-300-00"


def test_voided_shipment_maps_to_a_credit_memo_reversing_exactly() -> None:
    o = _order()
    live = shipment(501, o, [(11, 1), (12, 3)])
    voided = attrs.evolve(live, voided=True, void_date=utc(2026, 4, 2, 1))
    invoice = _plan(map_shipment(live, o, MATCH, CONFIG)).invoice
    plan = _plan(map_shipment(voided, o, MATCH, CONFIG))
    memo = plan.credit_memo
    assert invoice is not None and memo is not None
    assert plan.invoice is None
    assert (plan.posting_key, plan.original_key) == ("SS501V", "SS501")
    assert (memo.transaction_number, memo.original_transaction_number) == ("SS501V", "SS501")
    assert memo.total == -invoice.total
    # The item lines with their tax lines, negated, then one line crediting the freight.
    assert [(m.line_number, m.amount) for m in memo.lines] == [
        (i.line_number, -i.amount) for i in invoice.lines
    ] + [(3, D("-9.99"))]
    assert [[t.tax_amount for t in m.tax_lines] for m in memo.lines[:2]] == [
        [-t.tax_amount for t in i.tax_lines] for i in invoice.lines
    ]
    assert [(m.account_class, m.account_combination, m.amount) for m in memo.distributions] == [
        (d.account_class, d.account_combination, -d.amount) for d in invoice.distributions
    ]
    # Credit memo distributions name lines by CreditMemoLineNumber, on the memo's own lines.
    assert {m.line_number for m in memo.distributions if m.account_class == "Freight"} == {3}
    wire = to_wire(memo)
    assert all("InvoiceLineNumber" not in d for d in wire["receivablesCreditMemoDistributions"])
    assert wire["receivablesCreditMemoDistributions"][0]["CreditMemoLineNumber"] == 1
    assert memo.transaction_date == date(2026, 4, 2)
    assert (memo.transaction_type, memo.credit_reason) == ("Credit Memo", "CANCELLATION")
    assert [p.key for p in plan.inventory] == ["SS501-1V", "SS501-2V"]


def test_void_reverses_the_posted_invoice_when_given() -> None:
    o = _order()
    live = shipment(501, o, [(11, 1), (12, 3)])
    posted = _plan(map_shipment(live, o, MATCH, CONFIG)).invoice
    assert posted is not None
    posted = attrs.evolve(posted, bill_to_customer_number="OLD-ACCOUNT")
    voided = attrs.evolve(live, voided=True, void_date=utc(2026, 4, 2, 1))
    memo = _plan(map_shipment(voided, o, MATCH, CONFIG, original=posted)).credit_memo
    assert memo is not None
    assert memo.bill_to_customer_number == "OLD-ACCOUNT"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"is_return_label": True}, SkipReason.RETURN_LABEL),
        ({"order_id": None}, SkipReason.NO_ORDER),
        ({"shipment_items": ()}, SkipReason.NO_ITEMS),
    ],
)
def test_shipment_rules_that_post_nothing_say_why(change: dict, reason: SkipReason) -> None:
    o = _order()
    label = attrs.evolve(shipment(501, o, [(11, 1)]), **change)
    result = map_shipment(label, o, MATCH, CONFIG)
    assert isinstance(result, Skip)
    assert (result.shipment_id, result.reason) == (501, reason)
    assert result.detail


def test_test_orders_tags_and_stores_are_skipped_by_configuration() -> None:
    data_config = attrs.evolve(
        CONFIG,
        skip=attrs.evolve(CONFIG.skip, tag_ids=frozenset({7}), store_ids=frozenset({"2003"})),
    )
    test_order = order([item(11, "MUG", 1, "1.00")], number="TEST-42")
    tagged = order([item(11, "MUG", 1, "1.00")], tag_ids=(7,))
    sandbox = order([item(11, "MUG", 1, "1.00")], store_id=2003)
    reasons = [
        map_shipment(shipment(1, o, [(11, 1)]), o, MATCH, data_config)
        for o in (test_order, tagged, sandbox)
    ]
    assert [r.reason for r in reasons if isinstance(r, Skip)] == [
        SkipReason.TEST_ORDER,
        SkipReason.SKIPPED_TAG,
        SkipReason.SKIPPED_STORE,
    ]


def test_zero_value_shipment_is_skipped_or_posts_stock_only() -> None:
    o = order([item(11, "MUG", 1, "0.00")])
    label = shipment(501, o, [(11, 1)])
    skipped = map_shipment(label, o, MATCH, CONFIG)
    assert isinstance(skipped, Skip) and skipped.reason is SkipReason.ZERO_VALUE
    stock_only = attrs.evolve(CONFIG, skip=attrs.evolve(CONFIG.skip, zero_value="inventory_only"))
    plan = _plan(map_shipment(label, o, MATCH, stock_only))
    assert plan.invoice is None and plan.posting_key is None
    assert [p.key for p in plan.inventory] == ["SS501-1"]
    voided = _plan(map_shipment(attrs.evolve(label, voided=True), o, MATCH, stock_only))
    assert voided.credit_memo is None
    assert [p.key for p in voided.inventory] == ["SS501-1V"]


def test_unmapped_warehouse_names_the_warehouse_and_the_shipment() -> None:
    o = _order()
    with pytest.raises(MappingError) as caught:
        map_shipment(shipment(501, o, [(11, 1)], warehouse_id=55555), o, MATCH, CONFIG)
    assert (caught.value.field, caught.value.record) == ("warehouse_id", "shipment 501")
    assert "warehouse 55555" in str(caught.value)


def test_an_unmatched_customer_is_an_error_not_a_guess() -> None:
    o = _order()
    with pytest.raises(MappingError) as caught:
        map_shipment(shipment(501, o, [(11, 1)]), o, Unmatched("no rule matched"), CONFIG)
    assert caught.value.field == "customer"
    assert "no rule matched" in str(caught.value)


def test_items_not_listed_or_not_on_the_order_are_errors() -> None:
    o = _order()
    with pytest.raises(MappingError) as caught:
        map_shipment(
            attrs.evolve(shipment(501, o, [(11, 1)]), shipment_items=None), o, MATCH, CONFIG
        )
    assert caught.value.field == "shipment_items"
    with pytest.raises(MappingError) as caught:
        map_shipment(shipment(501, o, [(404, 1)]), o, MATCH, CONFIG)
    assert caught.value.field == "shipment_items[0].order_item_id"


def test_cross_reference_can_carry_the_key_instead() -> None:
    o = _order()
    config = attrs.evolve(
        CONFIG, receivables=attrs.evolve(CONFIG.receivables, key_field="cross_reference")
    )
    invoice = _plan(map_shipment(shipment(501, o, [(11, 1)]), o, MATCH, config)).invoice
    assert invoice is not None
    assert (invoice.transaction_number, invoice.cross_reference) == (None, "SS501")


def test_customer_match_sets_the_bill_to() -> None:
    o = _order()
    match = Matched("40001", None, MatchRule.STORE_DEFAULT, "amazon")
    invoice = _plan(map_shipment(shipment(501, o, [(11, 1)]), o, match, CONFIG)).invoice
    assert invoice is not None
    assert (invoice.bill_to_customer_number, invoice.bill_to_site) == ("40001", None)


def test_mapping_is_deterministic_down_to_the_wire_bytes() -> None:
    o = _order()
    label = shipment(501, o, [(11, 1), (12, 2)])
    first = _plan(map_shipment(label, o, MATCH, CONFIG))
    second = _plan(map_shipment(label, o, MATCH, CONFIG))
    assert first == second
    assert first.invoice is not None and second.invoice is not None
    assert content_hash(first.invoice) == content_hash(second.invoice)
    assert to_wire(first.invoice)["TransactionNumber"] == "SS501"


def test_explanation_tells_the_story() -> None:
    o = _order()
    plan = _plan(map_shipment(shipment(501, o, [(12, 1)]), o, MATCH, CONFIG))
    text = "\n".join(plan.explanation)
    assert "shipment 501 of order CO-1001 ships from warehouse Reno DC (16079)" in text
    assert "customer: test" in text
    assert "label created 2026-03-10T18:00:00+00:00 -> 2026-03-10 (UTC calendar)" in text
    assert "line 1: Camp mug, 1 of 3 ordered at 3.33 = 3.33" in text
    assert "posting key SS501 in transaction_number" in text


def test_voiding_a_label_after_a_free_replacement_warns_about_the_shortfall() -> None:
    o = order([item(11, "MUG", 1, "10.00")])
    original = shipment(501, o, [(11, 1)], created=utc(2026, 3, 10, 18))
    replacement = shipment(502, o, [(11, 1)], created=utc(2026, 3, 11, 18))
    free = map_shipment(replacement, o, MATCH, CONFIG, order_shipments=[original, replacement])
    assert isinstance(free, Skip) and free.reason is SkipReason.ZERO_VALUE
    assert any("beyond the ordered quantity" in step for step in free.explanation)
    voided = attrs.evolve(original, voided=True, void_date=utc(2026, 3, 12, 18))
    plan = _plan(map_shipment(voided, o, MATCH, CONFIG, order_shipments=[voided, replacement]))
    assert plan.total == D("-10.00")
    assert any(
        step.startswith("warning: item 11:") and "re-bill 10.00" in step
        for step in plan.explanation
    )


def test_an_ambiguous_customer_is_an_error_naming_the_candidates_detail() -> None:
    o = _order()
    ambiguous = Ambiguous(("20002", "20003"), MatchRule.EMAIL, "email belongs to 2 accounts")
    with pytest.raises(MappingError, match="email belongs to 2 accounts") as caught:
        map_shipment(shipment(501, o, [(11, 1)]), o, ambiguous, CONFIG)
    assert caught.value.field == "customer"


def test_a_shipment_without_items_is_skipped_before_the_customer_is_needed() -> None:
    o = _order()
    label = attrs.evolve(shipment(501, o, [(11, 1)]), shipment_items=())
    result = map_shipment(label, o, Unmatched("nobody"), CONFIG)
    assert isinstance(result, Skip) and result.reason is SkipReason.NO_ITEMS


def test_oracle_tax_mode_sends_no_tax_and_leaves_it_to_oracle_tax() -> None:
    text = CONFIG_PATH.read_text(encoding="utf-8").replace(
        'credit_reason = "CANCELLATION"',
        'credit_reason = "CANCELLATION"\ntax_mode = "oracle_tax"\n'
        'tax_classification_code = "STANDARD"',
    )
    config = MappingConfig.from_dict(tomllib.loads(text))
    assert config.receivables.tax_mode == "oracle_tax"
    o = _order()
    plan = _plan(map_shipment(shipment(501, o, [(11, 1), (12, 3)]), o, MATCH, config))
    invoice = plan.invoice
    assert invoice is not None
    assert all(line.tax_lines == () for line in invoice.lines)
    assert all(line.tax_classification_code == "STANDARD" for line in invoice.lines)
    assert "Tax" not in {d.account_class for d in invoice.distributions}
    # Items and freight only: Oracle Tax adds the tax.
    assert invoice.total == D("199.00") + D("9.99") + D("9.99")
    assert any("Oracle Tax calculates it" in step for step in plan.explanation)


def test_tax_regime_and_rate_codes_go_on_the_tax_lines() -> None:
    text = CONFIG_PATH.read_text(encoding="utf-8").replace(
        'credit_reason = "CANCELLATION"',
        'credit_reason = "CANCELLATION"\ntax_regime_code = "US SALES TAX"\n'
        'tax_rate_code = "CA STD"',
    )
    config = MappingConfig.from_dict(tomllib.loads(text))
    o = _order()
    invoice = _plan(map_shipment(shipment(501, o, [(11, 1), (12, 3)]), o, MATCH, config)).invoice
    assert invoice is not None
    wire = to_wire(invoice)["receivablesInvoiceLines"][0]["receivablesInvoiceLineTaxLines"]
    assert [(t["TaxRegimeCode"], t["TaxRateCode"]) for t in wire] == [("US SALES TAX", "CA STD")]
    bad = text.replace('tax_rate_code = "CA STD"', 'tax_rate_code = "CA STD"\ntax_mode = "vat"')
    with pytest.raises(MappingConfigError, match="tax_mode"):
        MappingConfig.from_dict(tomllib.loads(bad))
