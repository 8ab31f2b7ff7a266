"""Absurd quantities and amounts are refused with the record and the field, never posted."""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ml_connector import MappingError
from ml_connector.mapping import ShipmentPlan, Skip, map_shipment
from ml_connector.mapping._bounds import MAX_AMOUNT_DIGITS, MAX_QUANTITY, check_payload
from ml_connector.oracle.models import ReceivablesInvoiceLine

from ._builders import MATCH, item, order, retailer_config, shipment, utc

CONFIG = retailer_config()
FIRST, SECOND = utc(2026, 3, 10, 18), utc(2026, 3, 11, 18)


def _refused(label, the_order, others=()) -> MappingError:  # type: ignore[no-untyped-def]
    with pytest.raises(MappingError) as info:
        map_shipment(label, the_order, MATCH, CONFIG, order_shipments=list(others))
    assert info.value.record is not None and str(label.shipment_id) in info.value.record
    assert info.value.field is not None
    return info.value


def test_a_label_shipping_10_to_the_30_of_an_item_ordered_twice_is_refused() -> None:
    o = order([item(11, "MUG", 2, "3.00")])
    error = _refused(shipment(501, o, [(11, 10**30)]), o)
    assert error.field == "shipment_items[0].quantity"
    assert "shipment 501" in str(error)


def test_more_than_ordered_on_one_label_is_refused() -> None:
    o = order([item(11, "MUG", 2, "3.00"), item(12, "TENT", 1, "99.00")])
    error = _refused(shipment(501, o, [(12, 1), (11, 3)]), o)
    assert error.field == "shipment_items[1].quantity"
    assert "only 2" in error.message


def test_more_than_is_left_to_ship_is_refused() -> None:
    o = order([item(11, "MUG", 3, "3.00")])
    first = shipment(501, o, [(11, 2)], created=FIRST)
    second = shipment(502, o, [(11, 2)], created=SECOND)
    assert isinstance(map_shipment(first, o, MATCH, CONFIG, order_shipments=[first]), ShipmentPlan)
    error = _refused(second, o, [first, second])
    assert "only 1 of the 3 ordered are left to ship" in error.message


def test_what_a_voided_label_shipped_is_left_to_ship_again() -> None:
    o = order([item(11, "MUG", 2, "3.00")])
    voided = shipment(501, o, [(11, 2)], created=FIRST, voided=True, void_date=FIRST)
    again = shipment(502, o, [(11, 2)], created=SECOND)
    plan = map_shipment(again, o, MATCH, CONFIG, order_shipments=[voided, again])
    assert isinstance(plan, ShipmentPlan)


def test_a_full_replacement_is_still_posted_free_of_charge() -> None:
    o = order([item(11, "MUG", 1, "10.00")])
    original = shipment(501, o, [(11, 1)], created=FIRST)
    replacement = shipment(502, o, [(11, 1)], created=SECOND)
    free = map_shipment(replacement, o, MATCH, CONFIG, order_shipments=[original, replacement])
    assert isinstance(free, Skip | ShipmentPlan)


@pytest.mark.parametrize(
    ("price", "refused"),
    [
        ("1.2345678901234567890123456789012", True),  # 32 digits: would be rounded
        ("12345678901234567890", True),
        ("123456789012.345678", False),  # 18 digits: exact
        ("0.005", False),
    ],
)
def test_prices_beyond_exact_digits_are_refused_not_rounded(price: str, refused: bool) -> None:
    o = order([item(11, "MUG", 2, price)])
    label = shipment(501, o, [(11, 1)])
    if refused:
        error = _refused(label, o)
        assert error.field == "items[0].unit_price"
        assert "order CO-1001" in str(error)
    else:
        assert isinstance(map_shipment(label, o, MATCH, CONFIG), ShipmentPlan)


def test_an_absurd_order_amount_is_refused_naming_it() -> None:
    o = attrs.evolve(order([item(11, "MUG", 1, "3.00")]), tax_amount=Decimal("1E+40"))
    assert _refused(shipment(501, o, [(11, 1)]), o).field == "tax_amount"


@settings(max_examples=60, deadline=None)
@given(
    price=st.decimals(allow_nan=False, allow_infinity=False, places=None, min_value=0),
    quantity=st.integers(1, 10**40),
    ordered=st.integers(1, 10**12),
)
def test_any_posted_plan_is_exact_and_within_bounds(
    price: Decimal, quantity: int, ordered: int
) -> None:
    o = order([item(11, "MUG", ordered, "0")])
    o = attrs.evolve(o, items=(attrs.evolve(o.items[0], unit_price=price),))
    label = shipment(501, o, [(11, quantity)])
    error: MappingError | None = None
    try:
        result = map_shipment(label, o, MATCH, CONFIG)
    except MappingError as exc:
        error = exc
    if error is not None:
        assert error.record is not None
        assert error.field is not None
        return
    if isinstance(result, Skip):
        return  # nothing reaches Oracle
    assert quantity <= ordered < MAX_QUANTITY
    assert len(str(price).replace(".", "").strip("0")) <= MAX_AMOUNT_DIGITS or price == 0
    if result.invoice is not None:
        line = result.invoice.lines[0]
        assert line.quantity == quantity
        assert line.unit_selling_price == price  # never rounded


def test_payload_numbers_beyond_oracle_number_are_refused() -> None:
    line = ReceivablesInvoiceLine(
        line_number=1,
        description="x",
        quantity=Decimal(1),
        unit_selling_price=Decimal("1." + "1" * 40),
        amount=Decimal(1),
    )
    with pytest.raises(MappingError) as info:
        check_payload((line,), record="shipment 9")
    assert info.value.field == "[0].unit_selling_price"


def test_an_over_long_description_is_refused() -> None:
    line = ReceivablesInvoiceLine(
        line_number=1,
        description="d" * 241,
        quantity=Decimal(1),
        unit_selling_price=Decimal(1),
        amount=Decimal(1),
    )
    with pytest.raises(MappingError, match="at most 240"):
        check_payload(line, record="shipment 9")
