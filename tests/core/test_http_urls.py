"""Request URLs are built without httpx's per-character second pass, and are the same URLs.

The reference is httpx's own ``copy_merge_params``, which the sender used before: every URL
the fast path builds must equal it (text, parsed query, equality), for any parameters.
"""

from __future__ import annotations

import random
import string
from typing import Any
from urllib.parse import quote_plus

import httpx
import pytest

from ml_connector._http import _query_fast_path, _quote, with_params

ALPHABET = [chr(code) for code in range(128)] + ["é", "€", "\U0001d11e", "ß"]


def _text(rng: random.Random, size: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, size)))


def test_quote_is_quote_plus_for_any_text() -> None:
    rng = random.Random(7)
    texts = [_text(rng, 40) for _ in range(5000)]
    texts += ["", "%", "+", "% +", "%2B+%20", string.printable, "a b+c%d=e&f"]
    for text in texts:
        assert _quote(text) == quote_plus(text), text


def test_this_httpx_takes_the_fast_path() -> None:
    assert _query_fast_path()


def _params(rng: random.Random) -> dict[str, Any]:
    values: list[Any] = [True, False, 0, 500, -3, "", "true"]
    params: dict[str, Any] = {}
    for _ in range(rng.randint(1, 5)):
        key = _text(rng, 8) or "k"
        roll = rng.random()
        if roll < 0.2:
            params[key] = rng.choice(values)
        elif roll < 0.3:
            params[key] = [_text(rng, 10), rng.choice(values)]
        else:
            params[key] = _text(rng, 60)
    return params


@pytest.mark.parametrize(
    "base",
    [
        "https://pod.example.com/fscmRestApi/resources/11.13.18.05/receivablesInvoices",
        "https://ssapi.shipstation.com/shipments",
        "https://ssapi.shipstation.com/shipments?batchId=9",
        "https://ssapi.shipstation.com/shipments?",
        "http://localhost:8080/a%20b/c",
    ],
)
def test_same_url_as_httpx_merging_the_parameters(base: str) -> None:
    rng = random.Random(base)
    url = httpx.URL(base)
    for _ in range(300):
        params = _params(rng)
        made = with_params(url, params)
        expected = url.copy_merge_params(params)
        assert str(made) == str(expected)
        assert made == expected
        assert made.params == expected.params
        assert made.raw_path == expected.raw_path


def test_an_oracle_look_up_of_forty_keys() -> None:
    keys = " or ".join(
        f"(TransactionNumber='ML-SS-{n}-INV';BusinessUnit='US1 Business Unit')" for n in range(40)
    )
    url = httpx.URL("https://pod.example.com/fscmRestApi/resources/latest/receivablesInvoices")
    params = {"q": keys, "limit": 500, "onlyData": True, "totalResults": False}
    made = with_params(url, params)
    assert str(made) == str(url.copy_merge_params(params))
    assert made.params["q"] == keys
    assert made.params["onlyData"] == "true"


def test_no_parameters_leave_the_url_as_it_is() -> None:
    url = httpx.URL("https://ssapi.shipstation.com/orders?page=2")
    assert with_params(url, {}) is url


def test_a_query_too_long_for_httpx_is_refused_as_before() -> None:
    url = httpx.URL("https://ssapi.shipstation.com/orders")
    with pytest.raises(httpx.InvalidURL):
        with_params(url, {"q": "x" * 70_000})
