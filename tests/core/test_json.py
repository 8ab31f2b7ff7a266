"""The one Decimal-exact JSON encoder and decoder."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from ml_connector._json import dumps, loads


def test_money_goes_out_and_comes_back_digit_for_digit() -> None:
    payload = {"amount": Decimal("12.50"), "big": Decimal("1E+2"), "lines": [Decimal("-0.10")]}
    text = dumps(payload)
    assert text == '{"amount":12.50,"big":100,"lines":[-0.10]}'
    assert loads(text) == {"amount": Decimal("12.50"), "big": 100, "lines": [Decimal("-0.10")]}
    assert str(loads(text)["amount"]) == "12.50"


def test_text_is_escaped_like_the_standard_library() -> None:
    value = {"name": 'Zoë "quoted"\n\u2028', "sorted": [1, True, None]}
    assert dumps(value, sort_keys=True) == json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def test_floats_and_non_finite_numbers_are_refused() -> None:
    with pytest.raises(TypeError, match="use Decimal"):
        dumps({"amount": 1.5})
    assert dumps([1.5], floats=True) == "[1.5]"
    with pytest.raises(ValueError, match="non-finite"):
        dumps(Decimal("NaN"))
    with pytest.raises(ValueError, match="NaN is not a JSON number"):
        loads('{"amount": NaN}')


def test_other_types_go_through_default_or_are_refused() -> None:
    assert dumps({"on": date(2026, 1, 2)}, default=date.isoformat) == '{"on":"2026-01-02"}'
    with pytest.raises(TypeError, match="cannot encode date"):
        dumps(date(2026, 1, 2))
    with pytest.raises(TypeError, match="keys must be strings"):
        dumps({1: "one"})


def test_keys_are_checked_and_written_the_same_every_time() -> None:
    import enum

    class Name(enum.StrEnum):
        AMOUNT = "Amount"

    assert dumps({"Amount": Decimal("1.0"), "b": "x"}) == '{"Amount":1.0,"b":"x"}'
    assert dumps({Name.AMOUNT: "y", "b": "x"}) == '{"Amount":"y","b":"x"}'
    assert dumps({"b": [{"Amount": 1}, {}], 'q"': None}) == '{"b":[{"Amount":1},{}],"q\\"":null}'
    for key in (1, None, ("Amount",)):
        with pytest.raises(TypeError, match="keys must be strings"):
            dumps({"Amount": 1, key: 2})


def test_every_finite_decimal_is_written_fixed_point_digit_for_digit() -> None:
    # str() and format(value, "f") agree except where str() chose exponent notation.
    digits = ["0", "1", "7", "10", "12345", "100000000000000000000001"]
    values = [
        Decimal(f"{sign}{mantissa}E{exponent}")
        for sign in ("", "-")
        for mantissa in digits
        for exponent in range(-12, 6)
    ]
    values += [Decimal("0.000001"), Decimal("0.0000001"), Decimal("-0"), Decimal("-0.00")]
    for value in values:
        assert dumps(value) == format(value, "f"), value
        assert dumps({"amount": value}) == '{"amount":' + format(value, "f") + "}", value
        assert loads(dumps(value)) == value
