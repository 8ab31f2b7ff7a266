"""Exact proration: largest remainder to the minor unit, cumulative shares that telescope."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ml_connector import MappingError
from ml_connector.mapping import allocate, prorate, round_to_minor
from ml_connector.mapping.allocation import (
    Component,
    ItemAmounts,
    ShipmentQuantities,
    order_basis,
    shipment_shares,
)

D = Decimal
T0 = datetime(2026, 5, 1, tzinfo=UTC)


def test_round_half_away_from_zero_is_symmetric() -> None:
    assert round_to_minor(D("0.125"), 2) == D("0.13")
    assert round_to_minor(D("-0.125"), 2) == D("-0.13")
    assert round_to_minor(D("0.124999"), 2) == D("0.12")
    assert round_to_minor(D("2.5"), 0) == D("3")


def test_allocate_splits_a_cent_by_largest_remainder_ties_to_the_earlier_part() -> None:
    assert allocate(D("1.00"), [D(1), D(1), D(1)], 2) == (D("0.34"), D("0.33"), D("0.33"))
    assert allocate(D("0.02"), [D(1), D(1), D(1)], 2) == (D("0.01"), D("0.01"), D("0.00"))


def test_allocate_follows_the_largest_remainder_not_the_position() -> None:
    # Exact shares 0.0333.., 0.0666..: the second has the larger remainder and gets the cent.
    assert allocate(D("0.10"), [D(1), D(2)], 2) == (D("0.03"), D("0.07"))


def test_allocate_negative_totals_and_zero_weights() -> None:
    assert allocate(D("-1.00"), [D(1), D(1), D(1)], 2) == (D("-0.34"), D("-0.33"), D("-0.33"))
    assert allocate(D("0.05"), [D(0), D(0)], 2) == (D("0.03"), D("0.02"))
    assert allocate(D("0"), [], 2) == ()


def test_allocate_refuses_what_it_cannot_split_exactly() -> None:
    with pytest.raises(MappingError, match="decimal places"):
        allocate(D("1.005"), [D(1)], 2)
    with pytest.raises(MappingError, match="nothing to allocate"):
        allocate(D("1.00"), [], 2)
    with pytest.raises(MappingError, match="negative"):
        allocate(D("1.00"), [D(-1), D(2)], 2)


@settings(max_examples=60, deadline=None)
@given(
    cents=st.integers(min_value=-(10**9), max_value=10**9),
    weights=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=12),
    minor=st.sampled_from([0, 2, 3]),
)
def test_allocate_parts_always_sum_exactly(cents: int, weights: list[int], minor: int) -> None:
    total = D(cents).scaleb(-minor)
    parts = allocate(total, [D(w) for w in weights], minor)
    assert sum(parts, D(0)) == total
    assert all(part == round_to_minor(part, minor) for part in parts)
    # No part is more than one minor unit from its exact share.
    weight_sum = sum(weights)
    if weight_sum:
        for part, weight in zip(parts, weights, strict=True):
            exact = total * D(weight) / D(weight_sum)
            assert abs(part - exact) < D(1).scaleb(-minor)


def test_prorate_caps_at_the_whole() -> None:
    assert prorate(D("10.00"), 1, 3, 2) == D("3.33")
    assert prorate(D("10.00"), 2, 3, 2) == D("6.67")
    assert prorate(D("10.00"), 5, 3, 2) == D("10.00")
    assert prorate(D("10.00"), 1, 0, 2) == D("0.00")


def _basis() -> tuple:
    items = [ItemAmounts("a", D(3), D("3.33")), ItemAmounts("b", D(1), D("10.00"))]
    basis, _ = order_basis(
        items, tax=D("1.00"), freight=D("5.00"), discount=D("-2.00"), minor_unit=2
    )
    return basis


def test_order_basis_spreads_pools_by_value_and_keeps_totals() -> None:
    basis = _basis()
    a, b = basis
    assert a.amounts[Component.MERCHANDISE] == D("9.99")
    assert b.amounts[Component.MERCHANDISE] == D("10.00")
    for component, total in (
        (Component.TAX, "1.00"),
        (Component.FREIGHT, "5.00"),
        (Component.DISCOUNT, "-2.00"),
    ):
        assert a.amounts[component] + b.amounts[component] == D(total)
    assert a.amounts[Component.TAX] == D("0.50")  # 9.99 / 19.99 of 1.00 = 0.4997..
    assert b.amounts[Component.TAX] == D("0.50")


def test_order_basis_uses_item_level_amounts_when_they_add_up() -> None:
    items = [
        ItemAmounts("a", D(1), D("10.00"), tax=D("0.10")),
        ItemAmounts("b", D(1), D("10.00"), tax=D("0.90")),
    ]
    basis, notes = order_basis(items, tax=D("1.00"), freight=D(0), discount=D(0), minor_unit=2)
    assert [line.amounts[Component.TAX] for line in basis] == [D("0.10"), D("0.90")]
    assert "tax 1.00 taken from the items' own amounts" in notes
    # When they do not add up, the order's figure is spread by value instead.
    basis, _ = order_basis(items, tax=D("2.00"), freight=D(0), discount=D(0), minor_unit=2)
    assert [line.amounts[Component.TAX] for line in basis] == [D("1.00"), D("1.00")]


def _ship(sid: int, minutes: int, qty: dict[str, int], voided_after: int | None = None):
    return ShipmentQuantities(
        sid,
        T0 + timedelta(minutes=minutes),
        None if voided_after is None else T0 + timedelta(minutes=voided_after),
        {k: D(v) for k, v in qty.items()},
    )


def test_cumulative_shares_telescope_to_the_item_total() -> None:
    basis = _basis()
    ships = [_ship(1, 0, {"a": 1}), _ship(2, 10, {"a": 1}), _ship(3, 20, {"a": 1, "b": 1})]
    merch = [
        sum(
            (
                v[Component.MERCHANDISE]
                for v in shipment_shares(s.shipment_id, basis, ships, 2).amounts.values()
            ),
            D(0),
        )
        for s in ships
    ]
    assert merch == [D("3.33"), D("3.33"), D("13.33")]
    assert sum(merch, D(0)) == D("19.99")


def test_a_shipment_share_ignores_later_shipments() -> None:
    basis = _basis()
    alone = shipment_shares(1, basis, [_ship(1, 0, {"a": 2})], 2)
    with_later = shipment_shares(1, basis, [_ship(1, 0, {"a": 2}), _ship(2, 5, {"a": 1})], 2)
    assert alone == with_later


def test_void_then_reissue_keeps_the_order_exact() -> None:
    basis = _basis()
    # 1 ships one unit, 2 ships one, 1 is voided, 3 re-ships the voided unit, 4 ships the rest.
    ships = [
        _ship(1, 0, {"a": 1}, voided_after=30),
        _ship(2, 10, {"a": 1}),
        _ship(3, 40, {"a": 1}),
        _ship(4, 50, {"a": 1, "b": 1}),
    ]
    net = D(0)
    for s in ships:
        amounts = shipment_shares(s.shipment_id, basis, ships, 2).amounts
        total = sum((sum(v.values(), D(0)) for v in amounts.values()), D(0))
        net += total
        if s.voided_at is not None:
            net -= total  # the credit memo reverses it exactly
    assert net == D("19.99") + D("1.00") + D("5.00") - D("2.00")


def test_units_beyond_the_ordered_quantity_carry_no_charge() -> None:
    basis = _basis()
    ships = [_ship(1, 0, {"b": 1}), _ship(2, 10, {"b": 1})]
    second = shipment_shares(2, basis, ships, 2)
    assert all(v == 0 for v in second.amounts["b"].values())
    assert any("beyond the ordered quantity" in note for note in second.notes)


def test_unknown_target_is_a_mapping_error() -> None:
    with pytest.raises(MappingError):
        shipment_shares(99, _basis(), [_ship(1, 0, {"a": 1})], 2)


# -- the integer arithmetic against a plain Fraction reference ------------------------------------


def _reference_round(value: Fraction) -> int:
    magnitude = abs(value)
    whole, rest = divmod(magnitude.numerator, magnitude.denominator)
    if 2 * rest >= magnitude.denominator:
        whole += 1
    return whole if value >= 0 else -whole


def _reference_allocate(total: D, weights: list[D], minor: int) -> tuple[D, ...]:
    units = Fraction(total) * 10**minor
    assert units.denominator == 1
    fractions = [Fraction(w) for w in weights]
    if sum(fractions) == 0:
        fractions = [Fraction(1)] * len(fractions)
    exact = [abs(units.numerator) * w / sum(fractions) for w in fractions]
    floors = [e.numerator // e.denominator for e in exact]
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for index in order[: abs(units.numerator) - sum(floors)]:
        floors[index] += 1
    sign = -1 if units < 0 else 1
    return tuple(D(sign * f).scaleb(-minor) for f in floors)


_AMOUNTS = st.builds(
    lambda digits, exponent: D(digits).scaleb(-exponent),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.integers(min_value=0, max_value=6),
)


@settings(max_examples=200, deadline=None)
@given(value=_AMOUNTS, part=_AMOUNTS, whole=_AMOUNTS, minor=st.sampled_from([0, 1, 2, 3, 4]))
def test_round_and_prorate_match_exact_fractions(value: D, part: D, whole: D, minor: int) -> None:
    expected = D(_reference_round(Fraction(value) * 10**minor)).scaleb(-minor)
    assert repr(round_to_minor(value, minor)) == repr(expected)
    if whole > 0:
        ratio = Fraction(min(part, whole)) / Fraction(whole)
        share = D(_reference_round(Fraction(value) * 10**minor * ratio)).scaleb(-minor)
        assert repr(prorate(value, part, whole, minor)) == repr(share)


@settings(max_examples=200, deadline=None)
@given(
    units=st.integers(min_value=-(10**9), max_value=10**9),
    weights=st.lists(_AMOUNTS.map(abs), min_size=1, max_size=8),
    minor=st.sampled_from([0, 2, 3]),
)
def test_allocate_matches_exact_fractions(units: int, weights: list[D], minor: int) -> None:
    total = D(units).scaleb(-minor)
    assert [repr(p) for p in allocate(total, weights, minor)] == [
        repr(p) for p in _reference_allocate(total, weights, minor)
    ]
