"""Equality look-ups behind the simulators: narrowing that never loses a match."""

from __future__ import annotations

from decimal import Decimal

from ml_connector.testing._lookup import Lookup, Positions


def test_keys_by_value_with_numbers_equal_by_value() -> None:
    lookup = Lookup.build([("a", ("7",)), ("b", (7,)), ("c", (Decimal("7.5"),))])
    assert lookup.keys((7.0,)) == ["b"]
    assert lookup.keys(("7",)) == ["a"]
    assert lookup.keys((Decimal("7.50"),)) == ["c"]
    assert lookup.keys(("8",)) == [] and lookup.count(("8",)) == 0


def test_unhashable_values_are_candidates_for_every_look_up() -> None:
    lookup = Lookup.build([("a", (["x"],)), ("b", ("y",))])
    assert sorted(lookup.keys(("y",)) or []) == ["a", "b"]
    assert lookup.keys((["x"],)) is None  # the caller scans
    assert lookup.count((["x"],)) is None
    lookup.discard("a")
    assert lookup.keys(("y",)) == ["b"]


def test_a_key_moves_with_its_value_and_is_removed_by_what_it_was_added_with() -> None:
    lookup = Lookup()
    lookup.add("a", "one")
    lookup.add("a", "two")
    assert lookup.keys("one") == [] and lookup.keys("two") == ["a"]
    lookup.discard("a")
    lookup.discard("a")  # twice is harmless
    assert lookup.keys("two") == [] and len(lookup) == 0


def test_positions_keep_first_insertion_until_removed() -> None:
    positions = Positions()
    for key in ("a", "b", "c"):
        positions.add(key)
    positions.add("a")  # replaced in place: keeps its place
    assert positions.ordered(["c", "a", "b"]) == ["a", "b", "c"]
    positions.discard("a")
    positions.add("a")  # removed and added again: last
    assert positions.ordered(["c", "a", "b"]) == ["b", "c", "a"]
