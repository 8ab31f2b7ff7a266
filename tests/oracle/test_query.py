"""Customer look-up values in Oracle's finder and q syntax: escaped, or refused saying why."""

from __future__ import annotations

import httpx
import pytest

from ml_connector import MappingError
from ml_connector.oracle._query import (
    UnexpressibleValueError,
    build_finder,
    build_q,
    finder_value,
    q_literal,
)
from ml_connector.testing._adf import matches, parse_finder, parse_q

NAMES = ["Acme, Inc.", "A=B Ltd", "O'Brien & Sons", "Smith; Jones LLC", "Plain"]
EMAILS = ["sean.o'brien@example.com", "ann+shop@example.com", "o'hara+tag@example.co.uk"]


@pytest.mark.parametrize("name", NAMES)
def test_finder_values_round_trip(name: str) -> None:
    finder = build_finder("CustomerAccountSiteActivitiesFinder", {"CustomerName": name})
    parsed_name, bindings = parse_finder(finder)
    assert (parsed_name, bindings) == (
        "CustomerAccountSiteActivitiesFinder",
        {"CustomerName": name},
    )


def test_two_finder_variables_with_commas_stay_apart() -> None:
    finder = build_finder("F", {"CustomerName": "Acme, Inc.", "AccountNumber": "10001"})
    assert finder == 'F;CustomerName="Acme, Inc.",AccountNumber=10001'
    assert parse_finder(finder)[1] == {"CustomerName": "Acme, Inc.", "AccountNumber": "10001"}


@pytest.mark.parametrize("value", NAMES + EMAILS)
def test_q_literals_round_trip(value: str) -> None:
    q = build_q({"EmailAddress": value, "Status": "A"})
    assert matches({"EmailAddress": value, "Status": "A"}, parse_q(q))
    assert not matches({"EmailAddress": value + "x", "Status": "A"}, parse_q(q))


def test_apostrophes_switch_to_double_quotes() -> None:
    assert q_literal("O'Brien & Sons") == '"O\'Brien & Sons"'
    assert q_literal("Acme, Inc.") == "'Acme, Inc.'"
    assert q_literal("A=B Ltd", framework_version="1") == "A=B Ltd"


def test_plus_and_ampersand_are_percent_encoded_on_the_wire() -> None:
    q = build_q({"EmailAddress": "ann+shop@example.com"})
    url = httpx.URL(
        "https://pod.example.com/x",
        params={"q": q, "finder": build_finder("F", {"N": "O'Brien & Sons"})},
    )
    assert "%2B" in str(url) and "+shop" not in str(url)
    assert "%26" in str(url)
    assert httpx.URL(str(url)).params["q"] == q


@pytest.mark.parametrize(
    ("call", "syntax", "why"),
    [
        (lambda: finder_value('Say "Cheese" Studio'), "finder", "double quote"),
        (lambda: q_literal("""it's "odd\""""), "q filter", "both a single and a double quote"),
        (lambda: q_literal("a;b", framework_version="1"), "q filter", "framework 1"),
        (lambda: q_literal("  "), "q filter", "blank"),
        (lambda: finder_value(" padded"), "finder", "trimmed"),
    ],
)
def test_what_cannot_be_expressed_says_exactly_that(call: object, syntax: str, why: str) -> None:
    with pytest.raises(UnexpressibleValueError) as info:
        call()  # type: ignore[operator]
    assert info.value.syntax == syntax
    assert why in info.value.reason
    assert "cannot be expressed in an Oracle" in str(info.value)
    assert isinstance(info.value, MappingError)
