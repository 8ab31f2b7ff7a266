"""Properties over random orders and shipments: exact totals, determinism, no float, errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ml_connector import MappingError
from ml_connector.mapping import (
    Matched,
    MatchRule,
    ShipmentPlan,
    Skip,
    map_shipment,
    match_customer,
)
from ml_connector.oracle import content_hash, to_wire
from ml_connector.shipstation.models import (
    AdvancedOptions,
    Order,
    OrderItem,
    Shipment,
    ShipmentItem,
)

from ._builders import retailer_config

D = Decimal
BASE = retailer_config()
# Zero-value shipments still count in the sums; keep them as stock-only plans.
CONFIG = attrs.evolve(BASE, skip=attrs.evolve(BASE.skip, zero_value="inventory_only"))
MATCH = Matched("10050", None, MatchRule.EXPLICIT_CUSTOMER_ID, "property test")
T0 = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

cents = st.integers(min_value=0, max_value=200_000).map(lambda c: D(c).scaleb(-2))


@st.composite
def split_orders(draw: st.DrawFn) -> tuple[Order, list[Shipment]]:
    """A random order and a random split of all its units over shipments."""
    count = draw(st.integers(min_value=1, max_value=4))
    items = []
    for index in range(count):
        price = draw(st.one_of(cents, st.integers(0, 99_999).map(lambda c: D(c).scaleb(-3))))
        items.append(
            OrderItem(
                order_item_id=100 + index,
                sku=f"SKU{index}",
                quantity=draw(st.integers(1, 6)),
                unit_price=price,
            )
        )
    if draw(st.booleans()):
        items.append(
            OrderItem(
                order_item_id=999,
                quantity=1,
                adjustment=True,
                unit_price=-draw(cents.filter(lambda c: c < 50)),
            )
        )
    order = Order(
        order_id=1,
        order_number="P-1",
        order_status="shipped",
        items=tuple(items),
        tax_amount=draw(cents),
        shipping_amount=draw(cents),
        advanced_options=AdvancedOptions(store_id=draw(st.sampled_from([2001, 2003]))),
    )
    labels = draw(st.integers(min_value=1, max_value=4))
    buckets: list[dict[int, int]] = [{} for _ in range(labels)]
    for order_item in items:
        if order_item.adjustment:
            continue
        for _ in range(order_item.quantity):
            bucket = draw(st.integers(0, labels - 1))
            key = order_item.order_item_id or 0
            buckets[bucket][key] = buckets[bucket].get(key, 0) + 1
    shipments = []
    for number, bucket in enumerate(b for b in buckets if b):
        shipments.append(
            Shipment(
                shipment_id=700 + number,
                order_id=1,
                create_date=T0 + timedelta(hours=draw(st.integers(0, 500)), minutes=number),
                warehouse_id=draw(st.sampled_from([16079, 16080, 16081])),
                shipment_items=tuple(
                    ShipmentItem(order_item_id=k, quantity=q, sku=f"SKU{k - 100}")
                    for k, q in sorted(bucket.items())
                ),
            )
        )
    return order, shipments


def _expected_total(order: Order) -> Decimal:
    total = D(0)
    for order_item in order.items:
        exact = order_item.quantity * (order_item.unit_price or D(0))
        total += exact.quantize(D("0.01"), rounding="ROUND_HALF_UP")
    return total + (order.tax_amount or D(0)) + (order.shipping_amount or D(0))


@FAST
@given(split_orders())
def test_invoices_of_a_fully_shipped_order_sum_to_its_totals_to_the_cent(
    case: tuple[Order, list[Shipment]],
) -> None:
    order, shipments = case
    total = D(0)
    for label in shipments:
        plan = map_shipment(label, order, MATCH, CONFIG, order_shipments=shipments)
        assert isinstance(plan, ShipmentPlan)
        total += plan.total
        if plan.invoice is not None:
            distributions = plan.invoice.distributions
            assert distributions[-1].amount == sum((d.amount for d in distributions[:-1]), D(0))
    assert total == _expected_total(order)


@FAST
@given(split_orders(), st.data())
def test_void_and_reissue_still_nets_to_the_order_total(
    case: tuple[Order, list[Shipment]], data: st.DataObject
) -> None:
    order, shipments = case
    victim = data.draw(st.sampled_from(shipments))
    last = max(s.create_date for s in shipments if s.create_date is not None)
    voided = attrs.evolve(victim, voided=True, void_date=last + timedelta(hours=1))
    reissue = attrs.evolve(victim, shipment_id=900, create_date=last + timedelta(hours=2))
    labels = [voided if s is victim else s for s in shipments] + [reissue]
    net = D(0)
    for label in labels:
        plan = map_shipment(label, order, MATCH, CONFIG, order_shipments=labels)
        assert isinstance(plan, ShipmentPlan)
        if label.voided:
            # What was invoiced, then exactly reversed.
            live = map_shipment(
                attrs.evolve(label, voided=False), order, MATCH, CONFIG, order_shipments=labels
            )
            assert isinstance(live, ShipmentPlan)
            assert plan.total == -live.total
            net += live.total
        net += plan.total
    assert net == _expected_total(order)


def _no_float(value: Any) -> None:
    assert not isinstance(value, float), value
    if isinstance(value, dict):
        for item in value.values():
            _no_float(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _no_float(item)


@FAST
@given(split_orders())
def test_same_input_same_payload_and_key_and_no_float(case: tuple[Order, list[Shipment]]) -> None:
    order, shipments = case
    for label in shipments:
        first = map_shipment(label, order, MATCH, CONFIG, order_shipments=shipments)
        second = map_shipment(
            label, order, MATCH, CONFIG, order_shipments=list(reversed(shipments))
        )
        assert first == second
        assert isinstance(first, ShipmentPlan) and isinstance(second, ShipmentPlan)
        assert first.keys == second.keys
        payloads = [p.transaction for p in first.inventory]
        if first.invoice is not None:
            payloads.append(first.invoice)  # type: ignore[arg-type]
            assert second.invoice is not None
            assert content_hash(first.invoice) == content_hash(second.invoice)
        for payload in payloads:
            _no_float(to_wire(payload))
            _no_float(attrs.asdict(payload))


# -- arbitrary decoded models: only MappingError may escape ---------------------------------------

instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
)
decimals = st.one_of(
    *[
        st.decimals(
            min_value=-(10**5),
            max_value=10**5,
            places=places,
            allow_nan=False,
            allow_infinity=False,
        )
        for places in (2, 2, 2, 0, 4)
    ]
)
small_ids = st.integers(min_value=1, max_value=5)
texts = st.one_of(st.none(), st.text(max_size=8))

order_items = st.builds(
    OrderItem,
    quantity=st.integers(-1, 5),
    order_item_id=st.one_of(small_ids, small_ids, st.none()),
    line_item_key=texts,
    sku=texts,
    name=texts,
    unit_price=st.one_of(st.none(), decimals),
    tax_amount=st.one_of(st.none(), decimals),
    shipping_amount=st.one_of(st.none(), decimals),
    adjustment=st.sampled_from([False, False, False, True]),
)
orders = st.builds(
    Order,
    order_id=st.just(1),
    order_number=st.text(min_size=0, max_size=25),
    order_status=st.just("shipped"),
    customer_id=st.one_of(st.none(), st.integers(1, 6000)),
    customer_email=texts,
    items=st.lists(order_items, min_size=1, max_size=4, unique_by=lambda i: i.order_item_id).map(
        tuple
    ),
    tax_amount=st.one_of(st.none(), decimals),
    shipping_amount=st.one_of(st.none(), decimals),
    tag_ids=st.lists(st.integers(0, 3), max_size=2).map(tuple),
    advanced_options=st.one_of(
        st.none(),
        st.builds(
            AdvancedOptions,
            store_id=st.one_of(st.none(), st.sampled_from([2001, 2002, 2003, 7])),
            custom_field1=texts,
        ),
    ),
)


@st.composite
def messy_cases(draw: st.DrawFn) -> tuple[Shipment, Order, list[Shipment]]:
    """An order and labels that mostly ship its items, with every field free to be odd."""
    order = draw(orders)
    refs = [i.order_item_id for i in order.items] + [None, 404]
    shippable = [i.order_item_id for i in order.items if not i.adjustment] or [None]

    def label(shipment_id: int, messy: bool) -> Shipment:
        pick = refs if messy else shippable
        items = draw(
            st.lists(
                st.builds(
                    ShipmentItem,
                    quantity=st.integers(-1 if messy else 0, 6),
                    order_item_id=st.sampled_from(pick * 3 + refs[-2:] if messy else pick),
                    sku=texts if messy else st.none(),
                    line_item_key=texts if messy else st.none(),
                    adjustment=st.sampled_from([False, False, False, True] if messy else [False]),
                ),
                min_size=0 if messy else 1,
                max_size=4,
            )
        )
        return Shipment(
            shipment_id=shipment_id,
            order_id=draw(st.sampled_from([1, 1, 1, 1, 1, 1, None, 2])) if messy else 1,
            create_date=draw(st.one_of(instants, instants, instants, st.none()))
            if messy
            else draw(instants),
            ship_date=draw(st.one_of(st.none(), st.dates())),
            warehouse_id=draw(st.sampled_from([16079, 16080, 16081, 16079, None, 1])),
            voided=draw(st.booleans()),
            void_date=draw(st.one_of(st.none(), instants)),
            is_return_label=draw(st.sampled_from([False, False, False, False, True])),
            shipment_items=draw(st.sampled_from([tuple(items)] * 6 + [None]))
            if messy
            else tuple(items),
        )

    others = [label(10 + n, draw(st.booleans())) for n in range(draw(st.integers(0, 2)))]
    return label(draw(st.integers(1, 10**12)), draw(st.booleans())), order, others


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messy_cases(), st.booleans())
def test_mapping_raises_nothing_but_mapping_error(
    case: tuple[Shipment, Order, list[Shipment]], rules: bool
) -> None:
    label, order, others = case
    match = match_customer(order, BASE) if rules else MATCH
    result: object
    try:
        result = map_shipment(label, order, match, BASE, order_shipments=others)
    except MappingError as exc:
        result = exc
    if isinstance(result, MappingError):
        # The error always names the record or the field it is about.
        assert result.record or result.field
    else:
        assert isinstance(result, ShipmentPlan | Skip)
