"""canonical_json walks a payload once, and gives exactly what its three steps gave.

The reference is the three walks it replaced: make the payload JSON-ready (``_json_safe``),
scrub it (``scrub``), write it canonically (``dump_canonical``). Same text, same errors, for
payloads with secrets echoed in values and keys, credential keys, enums, deep nesting.
"""

from __future__ import annotations

import enum
import random
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from ml_connector import AuditError, Secret
from ml_connector._redact import scrub, text_scrubber
from ml_connector.audit import canonical_json
from ml_connector.audit._event import _all_clean, _json_safe, _plain, dump_canonical


def reference(payload: Any) -> str:
    return dump_canonical(scrub(_json_safe(payload, "$", floats=False)))


class Colour(enum.Enum):
    RED = "red"
    NESTED = ("x", 1)
    NOTHING = None


class Level(enum.IntEnum):
    HIGH = 3


class Kind(enum.StrEnum):
    INVOICE = "invoice"


SECRET = "s3cr3t-Value-42"
LEAVES: list[Any] = [
    None,
    True,
    False,
    0,
    -7,
    2**70,
    "",
    "plain",
    'Zoë "quoted" \\ back\nslash',
    f"echo {SECRET} here",
    "Bearer abcdefghijklmnop",
    "eyJhbGciOi.eyJzdWIiOiIx.c2lnbmF0dXJl",
    'password="hunter2" and more',
    "https://user:pw@example.com/path?token=abc&x=1",
    "x" * 300 + SECRET,
    Decimal("10.50"),
    Decimal("1E+2"),
    Decimal("-0.000"),
    datetime(2026, 3, 8, 10, 0, tzinfo=timezone(timedelta(hours=-7))),
    date(2026, 1, 15),
    Colour.RED,
    Colour.NESTED,
    Colour.NOTHING,
    Level.HIGH,
    Kind.INVOICE,
]
KEYS = ["a", "b", "Zeta", "", "password", "client_secret", "apiKey", "token", "1", SECRET, "é"]


def _value(rng: random.Random, depth: int) -> Any:
    roll = rng.random()
    if depth > 4 or roll < 0.5:
        return rng.choice(LEAVES)
    if roll < 0.8:
        return {rng.choice(KEYS): _value(rng, depth + 1) for _ in range(rng.randint(0, 5))}
    items = [_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return tuple(items) if rng.random() < 0.3 else items


def test_same_text_as_the_three_walks_on_random_payloads() -> None:
    Secret(SECRET)
    rng = random.Random(17)
    for _ in range(500):
        payload = _value(rng, 0)
        assert canonical_json(payload) == reference(payload)


@pytest.mark.parametrize(
    "payload",
    [
        {"password": None, "token": Colour.NOTHING, "secret": {"deep": 1}},
        {1: "int key", "1": "same key as text"},
        {SECRET: "a key that is a secret", "x": {SECRET: 2}},
        {"a": {"b": [{"c": Decimal("1.10")}]}},
    ],
)
def test_same_text_as_the_three_walks_on_edge_cases(payload: Any) -> None:
    Secret(SECRET)
    assert SECRET not in canonical_json(payload)
    assert canonical_json(payload) == reference(payload)


def _nested(depth: int, leaf: Any) -> Any:
    value = leaf
    for n in range(depth):
        value = {"k": value} if n % 2 else [value]
    return value


@pytest.mark.parametrize("depth", [63, 64, 65, 80])
def test_deep_values_are_cut_as_before(depth: int) -> None:
    payload = _nested(depth, "leaf")
    assert canonical_json(payload) == reference(payload)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"a": [1, {"b": 1.5}]}, r"^\$\.a\[1\]\.b: float 1\.5 in an audited payload"),
        ({"x": Decimal("NaN")}, r"^\$\.x: NaN is not a finite amount"),
        ({3: [object()]}, r"^\$\.3\[0\]: object is not JSON-ready"),
        ({"password": 1.5}, r"^\$\.password: "),  # (the error's own scrubbing masks the rest)
        (_nested(70, 0.5), r"float 0\.5"),
    ],
)
def test_refused_values_name_the_same_path(payload: Any, message: str) -> None:
    with pytest.raises(AuditError, match=message) as new:
        canonical_json(payload)
    with pytest.raises(AuditError) as old:
        reference(payload)
    assert str(new.value) == str(old.value)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(AuditError, match="timezone-aware"):
        canonical_json({"when": datetime(2026, 1, 15)})
    assert canonical_json({"when": datetime(2026, 1, 15, tzinfo=UTC)}) == (
        '{"when":"2026-01-15T00:00:00.000000Z"}'
    )


WIRE = {
    "posting_key": "SF1176011776",
    "source": {"id": 1176011776, "kind": "fulfillment", "order_id": 567693376},
    "invoice": {
        "TransactionNumber": "SF1176011776",
        "Comments": "ShipStation order 17-00144-46024, shipment 1176011776",
        "receivablesInvoiceLines": [
            {"LineNumber": 1, "LineAmount": Decimal("58.81"), "Quantity": Decimal("1")},
        ],
        "flag": True,
        "none": None,
    },
    "inventory": [{"key": "SF1176011776-1", "line": 1, "transaction": {"q": Decimal("-1")}}],
}


def test_a_plain_payload_is_written_by_the_standard_encoder_with_the_same_text() -> None:
    assert _plain(WIRE, 0, text_scrubber())
    assert canonical_json(WIRE) == reference(WIRE)


@pytest.mark.parametrize(
    "payload",
    [
        {"a": "echo s3cr3t-Value-42"},
        {"a": ["x", {"b": "Bearer abcdefghijkl"}]},
        {"password": "x"},
        {"client_secret": None},
        {SECRET: 1},
        {"a": Decimal("Infinity")},
    ],
)
def test_a_payload_the_scrubber_would_change_takes_the_full_walk(payload: Any) -> None:
    Secret(SECRET)
    assert not _plain(payload, 0, text_scrubber())


def test_a_secret_made_of_digits_is_masked_in_amounts_too() -> None:
    Secret("4241547008")
    payload = {"SourceLineId": "4241547008", "Amount": Decimal("4241547008.50"), "n": 7}
    text = canonical_json(payload)
    assert "4241547008" not in text
    assert text == reference(payload)


def test_a_key_seen_plain_is_masked_once_it_becomes_a_known_secret() -> None:
    key = "kEy-Becomes-Secret-77"
    payload = {"outer": {key: "v", "n": Decimal("1.5")}}
    assert canonical_json(payload) == reference(payload)
    assert key in canonical_json(payload)
    Secret(key)
    text = canonical_json(payload)
    assert key not in text
    assert text == reference(payload)


def test_keys_of_text_subclasses_are_written_as_their_text() -> None:
    class Name(enum.StrEnum):
        AMOUNT = "Amount"

    canonical_json({"Amount": Decimal("1")})  # the plain key remembered first
    payload = {Name.AMOUNT: Decimal("2.50"), "b": [{Name.AMOUNT: "x"}]}
    assert canonical_json(payload) == reference(payload) == '{"Amount":"2.50","b":[{"Amount":"x"}]}'


# The texts of a payload the scrubber's memo does not hold are checked together
# (``_all_clean``): the answer must be what scrubbing each one says, and the text what the
# three walks write.

TEXTS = [
    "",
    "plain",
    "SS1554063772-1",
    "ShipStation order 114-0000443-5757919, shipment 1554063772",
    "ke",
    "y",
    "htt",
    "p://x",
    "Keyboard",
    "echo s3cr3t-Value-42 here",
    "s3cr3t-Val",
    "ue-42",
    "Bearer abcdefghijklmnop",
    "line\nbreak",
    "Zoë",
    "\u017fecret",  # a long s: "secret" to case-insensitive matching
    "x" * 300,
]


def test_texts_checked_together_get_the_answer_each_one_gets() -> None:
    Secret(SECRET)
    Secret("two\nlines-secret")
    rng = random.Random(5)
    pool = [*TEXTS, "two", "lines-secret", "two\nlines-secret"]
    for _ in range(2000):
        texts = [
            rng.choice(pool) + rng.choice(["", str(rng.randint(0, 10**6))])
            for _ in range(rng.randint(0, 6))
        ]
        scrub_one = text_scrubber()
        assert _all_clean(texts, scrub_one) == all(scrub_one(t) == t for t in texts), texts


def test_payloads_of_texts_met_once_are_written_as_the_three_walks_write_them() -> None:
    Secret(SECRET)
    Secret("two\nlines-secret")
    rng = random.Random(11)
    pool = [*TEXTS, "two", "lines-secret"]
    for n in range(500):
        # Fresh texts each time (the memo has not seen them), around one suspect or secret.
        payload = {
            "key": f"SS{n}-1",
            "lines": [{"Description": f"{rng.choice(pool)} {n}", "Amount": Decimal(n)}],
            "parts": [f"{rng.choice(pool)}{n}", f"{n}{rng.choice(pool)}"],
        }
        assert canonical_json(payload) == reference(payload)
        assert SECRET not in canonical_json(payload)


def test_texts_found_clean_together_are_what_the_scrubber_remembers_for_them() -> None:
    """The memo holds the scrubber's own answer for each short text checked together."""
    from ml_connector._redact import scrub_text

    Secret(SECRET)
    texts = [f"fresh text {n}" for n in range(5)]
    scrub_one = text_scrubber()
    assert _all_clean(texts, scrub_one)
    for text in texts:
        assert scrub_one.memo_get(text) == text == scrub_text(text)
    assert not _all_clean(["fine", f"echo {SECRET}"], scrub_one)
    assert scrub_one.memo_get(f"echo {SECRET}") == scrub_text(f"echo {SECRET}") != f"echo {SECRET}"
