"""Telling V1 and V2 credentials apart, to explain a 401.

ShipStation V1 and V2 keys are different credentials and do not work on each other's API
(https://github.com/qoretechnologies/qore/pull/5254). V1 uses an API key *and* secret with
HTTP Basic; V2 uses a single key in the ``api-key`` header.

The heuristic (unverified against an official statement, so it only ever adds a hint to an
error that already happened, never refuses a key): V1 keys and secrets, as issued, are 32
hexadecimal characters. A V1 "key" of any other shape, or a V2 key that *is* 32 hex characters,
is probably the other API's credential. The key is inspected once, at client construction; only
the resulting flag is kept.
"""

from __future__ import annotations

import re

__all__ = ["looks_like_v1_key", "wrong_key_hint"]

_V1_KEY = re.compile(r"[0-9a-fA-F]{32}")


def looks_like_v1_key(key: str) -> bool:
    """Whether ``key`` has the shape of a V1 API key (32 hexadecimal characters)."""
    return _V1_KEY.fullmatch(key.strip()) is not None


def wrong_key_hint(api: str, looks_wrong: bool) -> str:
    """The sentence appended to a 401 from ``api`` (``"V1"`` or ``"V2"``)."""
    if api == "V1":
        if looks_wrong:
            return (
                "this looks like a V2 key; V1 needs the API key and secret pair "
                "(ShipStation Settings > Account > API Settings, V1 section)"
            )
        return "check the V1 API key and secret pair"
    if looks_wrong:
        return (
            "this looks like a V1 key; V2 needs a V2 API key in the api-key header "
            "(ShipStation Settings > Account > API Settings, V2 section)"
        )
    return "check the V2 API key"
