"""The scrubber's one-search shortcut changes nothing: a text it lets through unchanged is one
that every pattern would have left unchanged too, whatever the text."""

from __future__ import annotations

import random

import pytest

from ml_connector import Secret
from ml_connector._redact import _KNOWN, _mask, _scrub_text, scrub_text, text_scrubber

FRAGMENTS = [
    "Bearer ",
    "basic ",
    "BASIC\t",
    "eyJ",
    "eyJhbGciOi.eyJzdWIiOiIx.",
    "http://",
    "https://",
    "HTTPS://",
    "@",
    "?",
    "&",
    "=",
    ":",
    '"',
    '\\"',
    "password",
    "Passwd",
    "api_key",
    "X-Api-Key",
    "apiSecret",
    "client-secret",
    "TOKEN",
    "id_token",
    "refresh-token",
    "authorization",
    "secret",
    " ",
    ",",
    "}",
    "abcdefgh",
    "ZYXW0987",
    "é",
    "pa\u017fsword=",  # a long s: matched by the case-insensitive patterns as an s
    "\u212a",  # the Kelvin sign: matched case-insensitively as a k
    "toKen",
    "HTTP://",
    "ordinary words",
    "ML-SS-1234-INV",
    "s3cr3t-Value-42",
]


def _text(rng: random.Random) -> str:
    return "".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(0, 8)))


@pytest.mark.parametrize("pairs", [True, False])
def test_the_shortcut_gives_what_every_pattern_gives(pairs: bool) -> None:
    Secret("s3cr3t-Value-42")
    known = _KNOWN.pattern()
    rng = random.Random(3)
    for _ in range(20_000):
        text = _text(rng)
        if not text:
            continue
        assert _scrub_text(text, pairs, known) == _mask(text, pairs, known), text


def test_a_known_secret_alone_is_still_masked() -> None:
    Secret("plainvalue99")
    assert scrub_text("id plainvalue99 end") == "id *** end"


def test_a_text_remembered_before_a_secret_was_known_is_scrubbed_again() -> None:
    text = "order ref lateSecret77"
    assert scrub_text(text) == text  # remembered as clean, with the secrets known then
    Secret("lateSecret77")
    assert scrub_text(text) == "order ref ***"
    assert text_scrubber()(text) == "order ref ***"
