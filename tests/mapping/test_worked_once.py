"""What mapping works out once (per configuration, per order) and its quick checks give exactly
what working it out every time, and the full checks, give."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ml_connector import MappingError
from ml_connector.mapping import (
    AccountPurpose,
    InventoryPosting,
    ShipmentPlan,
    account_for,
    map_shipment,
)
from ml_connector.mapping._bounds import (
    _check,
    _surely_fine,
    check_order_amounts,
    check_payload,
    check_plan_payloads,
)
from ml_connector.mapping._memo import ORDERS_KEPT, per_order
from ml_connector.mapping.accounts import _compose
from ml_connector.oracle.models import (
    InventoryStagedTransaction,
    ReceivablesInvoice,
    ReceivablesInvoiceDistribution,
    ReceivablesInvoiceLine,
    ReceivablesTaxLine,
)

from ._builders import MATCH, item, order, retailer_config, shipment, utc

D = Decimal


def test_a_plan_is_the_same_whether_its_order_was_seen_before_or_not() -> None:
    config = retailer_config()
    the_order = order(
        [item(11, "MUG", 3, "3.33"), item(12, "TENT", 1, "99.99")], tax="7.77", shipping="5.01"
    )
    first = shipment(501, the_order, [(11, 1)], created=utc(2026, 3, 10, 18))
    second = shipment(502, the_order, [(11, 2), (12, 1)], created=utc(2026, 3, 11, 18))
    labels = [first, second]
    warm = [map_shipment(s, the_order, MATCH, config, order_shipments=labels) for s in labels]
    cold = [
        map_shipment(s, the_order, MATCH, retailer_config(), order_shipments=labels) for s in labels
    ]
    assert warm == cold
    assert [repr(p) for p in warm] == [repr(p) for p in cold]
    assert all(isinstance(p, ShipmentPlan) for p in warm)
    assert any("spread over items" in step for step in warm[0].explanation)


def test_an_order_that_fails_fails_again_for_each_shipment_naming_it() -> None:
    config = retailer_config()
    bad = order([item(11, "MUG", 2, "1" + "0" * 20)])  # 21 digits: refused, not rounded
    for shipment_id in (601, 602):
        label = shipment(shipment_id, bad, [(11, 1)])
        with pytest.raises(MappingError) as info:
            map_shipment(label, bad, MATCH, config, order_shipments=[label])
        assert f"shipment {shipment_id}" in str(info.value)


def test_per_order_values_are_kept_per_order_object_and_bounded() -> None:
    config = retailer_config()
    calls: list[int] = []
    one, two = order([item(1, "A", 1, "1")]), order([item(1, "A", 1, "1")])
    assert one == two and one is not two
    for the_order in (one, one, two):
        per_order(config, the_order, "test", lambda: calls.append(1) or len(calls))
    assert calls == [1, 1]  # equal orders are still two orders
    for n in range(ORDERS_KEPT + 5):
        per_order(config, order([item(1, "A", 1, "1")], order_id=n), "test", lambda: 0)
    assert len(config._memo["test"]) <= ORDERS_KEPT


def test_a_copy_of_the_configuration_does_not_share_what_was_worked_out() -> None:
    config = retailer_config()
    warehouse = next(iter(config.warehouses))
    account_for(config, AccountPurpose.REVENUE, warehouse)
    assert config._memo
    copy = attrs.evolve(config, segments_defaults={**config.segments_defaults})
    assert copy._memo == {} and copy._memo is not config._memo
    assert copy == config  # the memo takes no part in equality


def test_cached_accounts_equal_composed_ones_for_every_store_even_unmapped() -> None:
    config = retailer_config()
    for warehouse in config.warehouses:
        for store in (None, *config.stores, "no-such-store"):
            for purpose in AccountPurpose:
                try:
                    expected = _compose(config, purpose, warehouse, store, None)
                except MappingError:
                    with pytest.raises(MappingError):
                        account_for(config, purpose, warehouse, store)
                    continue
                assert account_for(config, purpose, warehouse, store) == expected
                assert account_for(config, purpose, warehouse, store) == expected


_AMOUNTS = st.one_of(
    st.none(),
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-(10**6)),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.builds(lambda d, e: D(d).scaleb(e), st.integers(-(10**20), 10**20), st.integers(-30, 30)),
)


def _outcome(run: Any) -> str | None:
    try:
        run()
    except MappingError as exc:
        return str(exc)
    return None


@settings(max_examples=150, deadline=None)
@given(
    amounts=st.lists(_AMOUNTS, min_size=4, max_size=4),
    prices=st.lists(_AMOUNTS, min_size=1, max_size=3),
    quantity=st.one_of(st.integers(-(10**10), 10**10), st.just(True)),
)
def test_the_quick_order_check_refuses_exactly_what_the_full_check_refuses(
    amounts: list[D | None], prices: list[D | None], quantity: Any
) -> None:
    from ml_connector.mapping import _bounds

    the_order = attrs.evolve(
        order([attrs.evolve(item(n, "A", 1, "1"), unit_price=p) for n, p in enumerate(prices)]),
        order_total=amounts[0],
        amount_paid=amounts[1],
        tax_amount=amounts[2],
        shipping_amount=amounts[3],
    )
    the_order = attrs.evolve(
        the_order, items=(attrs.evolve(the_order.items[0], quantity=quantity),)
    )
    quick = _outcome(lambda: check_order_amounts(the_order, record="r"))
    full = _outcome(
        lambda: _bounds.check_order_amounts(
            _NotAnOrder(the_order),  # type: ignore[arg-type]
            record="r",
        )
    )
    assert quick == full


class _NotAnOrder:
    """An order seen only through its attributes: the full check, no quick path."""

    def __init__(self, order: Any) -> None:
        self._order = order

    def __getattr__(self, name: str) -> Any:
        return getattr(self._order, name)


_NUMBERS = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-(10**6)),
    st.builds(lambda d, e: D(d).scaleb(e), st.integers(-(10**45), 10**45), st.integers(-60, 60)),
    st.sampled_from(
        [
            D("NaN"),
            D("Infinity"),
            D("-0"),
            D("1E+40"),
            D("0E-50"),
            D("1" * 38),
            D("-" + "9" * 39),
            D("1" * 30 + "E-20"),
            D("1" * 45),
        ]
    ),
)


@settings(max_examples=300, deadline=None)
@given(
    amount=_NUMBERS,
    price=_NUMBERS,
    description=st.text(min_size=0, max_size=300),
    business_unit=st.text(min_size=1, max_size=300),
    quantity=_NUMBERS,
)
def test_the_quick_payload_check_passes_only_what_the_full_check_passes(
    amount: D, price: D, description: str, business_unit: str, quantity: D
) -> None:
    line = ReceivablesInvoiceLine(
        line_number=1,
        description=description,
        quantity=D(1),
        unit_selling_price=price,
        amount=amount,
        tax_lines=(ReceivablesTaxLine(tax_amount=amount),),
    )
    invoice = ReceivablesInvoice(
        business_unit=business_unit,
        transaction_source="S",
        transaction_type="T",
        transaction_date=utc(2026, 3, 10).date(),
        bill_to_customer_number="1",
        invoice_currency_code="USD",
        payment_terms="30",
        lines=(line,),
        distributions=(
            ReceivablesInvoiceDistribution(
                account_class="REV", account_combination="01", amount=amount
            ),
        ),
    )
    staged = InventoryStagedTransaction(
        item_number="A",
        subinventory_code="FG",
        transaction_quantity=quantity,
        transaction_unit_of_measure="Each",
        transaction_date=utc(2026, 3, 10),
        transaction_type_name="Issue",
        source_code="SS",
        source_header_id="1",
        source_line_id="1",
        transaction_reference="R",
    )
    payload = (invoice, None, (staged,))
    full = _outcome(lambda: _check(payload, (), "r"))
    if _surely_fine(payload):
        assert full is None
    assert _outcome(lambda: check_payload(payload, record="r")) == full
    # The plan's own entry point: the same verdict, the same field named.
    posting = InventoryPosting("K", staged, 1)
    plan_payload = (invoice, None, (posting,))
    assert _outcome(lambda: check_plan_payloads(invoice, None, (posting,), record="r")) == _outcome(
        lambda: _check(plan_payload, (), "r")
    )
    assert _outcome(lambda: check_plan_payloads(None, None, (posting,), record="r")) == _outcome(
        lambda: _check((None, None, (posting,)), (), "r")
    )
