"""The shortcuts taken for speed give exactly what the general rules give."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, localcontext

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ml_connector import MappingError
from ml_connector.mapping import AccountPurpose, DateSettings, PostingKeyFormats, account_for
from ml_connector.mapping._time import posting_date
from ml_connector.mapping.accounts import _accounts_for
from ml_connector.mapping.allocation import (
    Component,
    ItemAmounts,
    ShipmentQuantities,
    _first_shares,
    _in_units,
    _only_label_amounts,
    _order_basis_rows,
    _order_pools,
    _split,
    allocate,
    order_basis,
    shipment_shares,
)
from ml_connector.mapping.customers import _masked

from ._builders import retailer_config

D = Decimal
_PRICES = st.decimals(min_value=-50, max_value=500, places=3, allow_nan=False)
_POOLS = st.integers(min_value=-10_000, max_value=10_000)


@settings(max_examples=60, deadline=None)
@given(
    lines=st.lists(
        st.tuples(st.integers(min_value=0, max_value=9), _PRICES), min_size=1, max_size=5
    ),
    tax=_POOLS,
    freight=_POOLS,
    discount=_POOLS,
    minor=st.sampled_from([0, 2, 3]),
)
def test_order_basis_spreads_like_allocate_over_the_rounded_amounts(
    lines: list[tuple[int, D]], tax: int, freight: int, discount: int, minor: int
) -> None:
    # order_basis spreads over whole minor units; allocate() over the Decimal amounts.
    items = [ItemAmounts(f"k{i}", D(q), price) for i, (q, price) in enumerate(lines)]
    pools = {
        Component.TAX: D(tax).scaleb(-minor),
        Component.FREIGHT: D(freight).scaleb(-minor),
        Component.DISCOUNT: D(discount).scaleb(-minor),
    }
    basis, _ = order_basis(
        items,
        tax=pools[Component.TAX],
        freight=pools[Component.FREIGHT],
        discount=pools[Component.DISCOUNT],
        minor_unit=minor,
    )
    merchandise = [line.amounts[Component.MERCHANDISE] for line in basis]
    weights = [max(amount, D(0)) for amount in merchandise]
    if sum(weights) == 0:
        weights = [item.quantity for item in items]
    for component, total in pools.items():
        expected = allocate(total, weights, minor)
        got = tuple(line.amounts[component] for line in basis)
        assert got == expected
        # Same digits too (the explanation prints them).
        assert [str(x) for x in got] == [str(x) for x in expected]


def test_allocate_zero_total_and_single_part_keep_the_minor_unit_digits() -> None:
    assert [str(x) for x in allocate(D(0), [D("1.5"), D(2)], 2)] == ["0.00", "0.00"]
    assert [str(x) for x in allocate(D("-7.5"), [D(3)], 2)] == ["-7.50"]
    assert [str(x) for x in allocate(D(5), [D(0)], 2)] == ["5.00"]
    with pytest.raises(MappingError):
        allocate(D(0), [D(-1)], 2)


def test_bundled_accounts_equal_single_lookups_and_fail_alike() -> None:
    config = retailer_config()
    purposes = (AccountPurpose.REVENUE, AccountPurpose.DISCOUNT, AccountPurpose.RECEIVABLE)
    for warehouse_id in config.warehouses:
        expected = tuple(account_for(config, p, warehouse_id) for p in purposes)
        assert _accounts_for(config, purposes, warehouse_id) == expected
        assert _accounts_for(config, purposes, warehouse_id) == expected  # from the cache
    with pytest.raises(MappingError) as bundled:
        _accounts_for(config, purposes, "no-such-warehouse", record="shipment 1")
    with pytest.raises(MappingError) as single:
        account_for(config, purposes[0], "no-such-warehouse", record="shipment 1")
    assert str(bundled.value) == str(single.value)


_LINES = st.lists(
    st.tuples(st.integers(min_value=0, max_value=9), _PRICES, st.integers(0, 12)),
    min_size=1,
    max_size=4,
)
"""An order's lines: ordered quantity, unit price, and the units one label ships."""


@settings(max_examples=80, deadline=None)
@given(
    lines=_LINES,
    tax=_POOLS,
    freight=_POOLS,
    minor=st.sampled_from([0, 2, 3]),
)
def test_an_orders_only_label_is_invoiced_as_the_full_replay_invoices_it(
    lines: list[tuple[int, D, int]], tax: int, freight: int, minor: int
) -> None:
    # One label: the shortcut. Add a label created later: the full replay, which stops at the
    # target's creation, so later labels change nothing. Same amounts, digits and exponents.
    items = [ItemAmounts(f"k{i}", D(q), price) for i, (q, price, _) in enumerate(lines)]
    basis, _ = order_basis(
        items, tax=D(tax).scaleb(-minor), freight=D(freight).scaleb(-minor), discount=D(0),
        minor_unit=minor,
    )  # fmt: skip
    start = datetime(2026, 1, 15, tzinfo=UTC)
    shipped = {f"k{i}": D(units) for i, (_, _, units) in enumerate(lines) if units}
    only = ShipmentQuantities(1, start, None, shipped)
    later = ShipmentQuantities(2, start + timedelta(hours=1), None, shipped)
    fast = shipment_shares(1, basis, [only], minor)
    full = shipment_shares(1, basis, [only, later], minor)
    assert fast.notes == full.notes
    assert list(fast.amounts) == list(full.amounts)
    for key, amounts in full.amounts.items():
        assert [(c, str(v)) for c, v in fast.amounts[key].items()] == [
            (c, str(v)) for c, v in amounts.items()
        ]


@settings(max_examples=80, deadline=None)
@given(
    lines=_LINES,
    tax=_POOLS,
    freight=_POOLS,
    minor=st.sampled_from([0, 2, 3]),
    own_tax=st.booleans(),
)
def test_items_shipped_in_full_are_invoiced_their_basis_amounts_digit_for_digit(
    lines: list[tuple[int, D, int]], tax: int, freight: int, minor: int, own_tax: bool
) -> None:
    # Items' own tax amounts (written with one digit too many) make the basis not "built":
    # then the arithmetic runs; otherwise a full item takes its amounts as they are.
    taxes = [D(n).scaleb(-minor - 1) * 10 if own_tax else None for n, _, _ in lines]
    rows = [(f"k{i}", D(q), price, taxes[i], None) for i, (q, price, _) in enumerate(lines)]
    total_tax = sum((t for t in taxes if t is not None), D(0)) if own_tax else D(tax).scaleb(-minor)
    basis, _, built = _order_basis_rows(
        rows, total_tax, D(freight).scaleb(-minor), D(0), minor, None, explain=False
    )
    assert built is not own_tax
    by_key = {line.key: line for line in basis}
    shipped = {f"k{i}": D(units) for i, (_, _, units) in enumerate(lines) if units}
    exact = _first_shares(shipped, by_key, 10**minor, -minor)
    taken = _first_shares(shipped, by_key, 10**minor, -minor, built)
    assert list(taken) == list(exact)
    for key, amounts in exact.items():
        assert [(c, str(v)) for c, v in taken[key].items()] == [
            (c, str(v)) for c, v in amounts.items()
        ]


@settings(max_examples=80, deadline=None)
@given(
    lines=_LINES,
    tax=_POOLS,
    freight=_POOLS,
    discount=_POOLS,
    minor=st.sampled_from([0, 2, 3]),
    own_tax=st.booleans(),
)
def test_an_only_labels_amounts_from_the_pools_are_its_first_shares_digit_for_digit(
    lines: list[tuple[int, D, int]],
    tax: int,
    freight: int,
    discount: int,
    minor: int,
    own_tax: bool,
) -> None:
    # The pools are the basis's amounts by component, and the amounts taken from them are what
    # _first_shares takes from the basis: same keys, same order, same digits and exponents.
    taxes = [D(n).scaleb(-minor - 1) * 10 if own_tax else None for n, _, _ in lines]
    rows = [(f"k{i}", D(q), price, taxes[i], None) for i, (q, price, _) in enumerate(lines)]
    total_tax = sum((t for t in taxes if t is not None), D(0)) if own_tax else D(tax).scaleb(-minor)
    figures = (total_tax, D(freight).scaleb(-minor), D(discount).scaleb(-minor), minor, None)
    basis, _, built = _order_basis_rows(rows, *figures, explain=False)
    pools, notes, built_too = _order_pools(rows, *figures, explain=False)
    assert built_too is built and notes == ()
    parts = (Component.MERCHANDISE, Component.DISCOUNT, Component.FREIGHT, Component.TAX)
    for i, line in enumerate(basis):
        assert [str(line.amounts[c]) for c in parts] == [str(pool[i]) for pool in pools]
    by_key = {line.key: line for line in basis}
    position = {row[0]: i for i, row in enumerate(rows)}
    shipped = {f"k{i}": D(units) for i, (_, _, units) in enumerate(lines) if units}
    expected = _first_shares(shipped, by_key, 10**minor, -minor, built)
    taken = _only_label_amounts(shipped, position, rows, pools, 10**minor, -minor, built)
    assert list(taken) == list(expected)
    for key, amounts in expected.items():
        assert [str(v) for v in taken[key]] == [str(amounts[c]) for c in parts]


@pytest.mark.parametrize(
    "template",
    [
        "SS{shipment_id}-{line}",
        "SS{shipment_id}V",
        "I{order_number}/{line:03d}",
        "{order_id!r}{{x}}",
        "K{0}",
        "K{}",
        "K{shipment_id.real}",
        "K{missing}",
        "K{shipment_id",
    ],
)
def test_posting_keys_render_as_str_format_renders_them(template: str) -> None:
    # Templates of named fields are filled with format_map: the same key, the same errors.
    formats = PostingKeyFormats(inventory=template, max_length=60)
    values: dict[str, object] = {
        "shipment_id": 300000123,
        "order_id": 1234,
        "order_number": "WEB-1",
        "line": 2,
    }
    try:
        expected: object = template.format(**values)
    except (KeyError, IndexError, ValueError, AttributeError) as exc:
        expected = (type(exc), str(exc))
    try:
        got: object = formats.render("inventory", record="shipment 1", **values)
    except (KeyError, IndexError, ValueError, AttributeError) as exc:
        got = (type(exc), str(exc))
    assert got == expected


@pytest.mark.parametrize(
    ("email", "domains"),
    [
        ("a@marketplace.amazon.com", ("marketplace.amazon.com",)),
        ("a@x.marketplace.amazon.com", ("marketplace.amazon.com",)),
        ("a@xmarketplace.amazon.com", ("marketplace.amazon.com",)),
        ("a@amazon.com", ("marketplace.amazon.com",)),
        ("a@example.com", ()),
        ("a@", ("",)),
        ("a@b.", ("",)),
        ("a@b", ("",)),
    ],
)
def test_masked_domains_as_the_rule_reads(email: str, domains: tuple[str, ...]) -> None:
    config = attrs.evolve(
        retailer_config(),
        customers=attrs.evolve(retailer_config().customers, ignore_email_domains=domains),
    )
    domain = email.rpartition("@")[2]
    expected = any(domain == masked or domain.endswith("." + masked) for masked in domains)
    assert _masked(email, config) is expected


@pytest.mark.parametrize("zone", [None, "America/Los_Angeles"])
def test_posting_date_of_a_utc_instant_as_of_any_aware_instant(zone: str | None) -> None:
    settings = DateSettings(basis="zone" if zone else "utc", zone=zone)
    start = datetime(2026, 3, 7, 20, 0, tzinfo=UTC)
    for hours in range(0, 24 * 300, 7):
        instant = start + timedelta(hours=hours)
        same = instant.astimezone(timezone(timedelta(hours=-3)))  # not UTC: the general path
        assert posting_date(instant, settings, field="f") == posting_date(same, settings, field="f")


@settings(max_examples=300, deadline=None)
@given(
    units=st.one_of(st.integers(min_value=-(10**40), max_value=10**40), st.just(0)),
    exponent=st.integers(min_value=-12, max_value=3),
    precision=st.sampled_from([28, 9, 50]),
)
def test_amounts_in_minor_units_are_the_scaled_decimals_digit_for_digit(
    units: int, exponent: int, precision: int
) -> None:
    # A multiple of a cached minor unit stands for Decimal(units).scaleb(exponent): the same
    # sign, digits and exponent, rounded alike in the context in force.
    with localcontext() as context:
        context.prec = precision
        expected = Decimal(units).scaleb(exponent)
        got = _in_units(units, exponent)
    assert got.as_tuple() == expected.as_tuple()


def _largest_remainder(whole_units: int, weights: list[int], exponent: int) -> tuple[D, ...]:
    """The split by sorting every remainder (ties to the earlier part), written plainly."""
    total = sum(weights)
    magnitude = abs(whole_units)
    floors = [magnitude * w // total for w in weights]
    remainders = [magnitude * w % total for w in weights]
    ranked = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for index in ranked[: magnitude - sum(floors)]:
        floors[index] += 1
    sign = -1 if whole_units < 0 else 1
    return tuple(D(sign * f).scaleb(exponent) for f in floors)


@settings(max_examples=300, deadline=None)
@given(
    whole_units=st.integers(min_value=-5_000, max_value=5_000),
    weights=st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=6).filter(
        lambda ws: sum(ws) > 0
    ),
    exponent=st.sampled_from([0, -2, -3]),
)
def test_split_gives_the_largest_remainders_ties_to_the_earlier_part(
    whole_units: int, weights: list[int], exponent: int
) -> None:
    # One unit left over takes a shortcut (the first largest remainder): the same parts.
    got = _split(whole_units, weights, sum(weights), exponent)
    expected = _largest_remainder(whole_units, weights, exponent)
    assert [part.as_tuple() for part in got] == [part.as_tuple() for part in expected]
