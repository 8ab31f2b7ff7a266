"""The one Decimal-exact JSON encoder and decoder, for the wire, the audit trail and simulators.

Money is :class:`~decimal.Decimal` everywhere in the connector, and must reach JSON digit for
digit and come back the same way:

- :func:`dumps` writes a ``Decimal`` as a JSON number with its exact digits (``12.50`` stays
  ``12.50``, ``1E+2`` is written ``100``), refuses non-finite ones and, unless asked, floats;
  other types go through ``default`` (a wire's own date format, say) or are refused.
- :func:`loads` reads every number with a fraction or an exponent as a ``Decimal`` and refuses
  ``NaN`` and ``Infinity``, which are not JSON.

Strings and keys are escaped by the standard library; nothing is smuggled through markers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from ml_connector._collector import pausing

__all__ = ["dumps", "loads"]

# The C escaper ``json.JSONEncoder(ensure_ascii=False).encode`` calls for a str, called
# directly: the same text, without a Python-level call per string.
_string: Callable[[str], str] = json.encoder.encode_basestring


def dumps(
    value: Any,
    *,
    sort_keys: bool = False,
    default: Callable[[Any], Any] | None = None,
    floats: bool = False,
) -> str:
    """``value`` as compact JSON text, Decimals exact.

    Args:
        value: JSON types, ``Decimal`` and whatever ``default`` turns into those.
        sort_keys: Write object keys sorted (canonical text, for hashes).
        default: Called with any other value; returns a JSON-ready replacement or raises
            :class:`TypeError`.
        floats: Write floats (as Python's ``repr``); by default a float is refused, so money
            never passes through binary floating point.

    Raises:
        ValueError: a non-finite Decimal.
        TypeError: a float (unless ``floats``), a non-string key, or a value ``default`` does
            not handle.
    """
    out: list[str] = []
    _encode(value, out, sort_keys, default, floats)
    return "".join(out)


def _fixed(value: Decimal) -> str:
    """The fixed-point text of a finite Decimal's exact digits: ``12.50`` stays ``12.50``,
    ``1E+2`` becomes ``100``. ``str()`` writes that already unless it chose exponent notation
    (a positive exponent, or more than six zeros after the point), and is four times quicker
    than ``format(value, "f")``, which writes every case."""
    text = Decimal.__str__(value)
    return format(value, "f") if "E" in text else text


_KEY_TEXTS: dict[str, tuple[str, str]] = {}
"""Object keys written (they repeat in every payload): ``"key":`` and ``,"key":``."""
_KEY_TEXTS_SIZE = 4096


def _key_texts(key: object) -> tuple[str, str]:
    if type(key) is not str and not isinstance(key, str):
        raise TypeError(f"JSON object keys must be strings, got {type(key).__name__}")
    text = _string(key) + ":"
    texts = (text, "," + text)
    if len(_KEY_TEXTS) < _KEY_TEXTS_SIZE:
        _KEY_TEXTS[key] = texts
    return texts


def _encode(
    value: Any,
    out: list[str],
    sort_keys: bool,
    default: Callable[[Any], Any] | None,
    floats: bool,
) -> None:
    cls = type(value)
    # The common exact types first (payloads are dicts, lists, strings and Decimals).
    if cls is str:
        out.append(_string(value))
        return
    if cls is dict and not sort_keys:
        append = out.append
        append("{")
        comma = False
        for key, item in value.items():
            # The key's text with its ``:``, without and with the ``,`` before it.
            texts = _KEY_TEXTS.get(key) or _key_texts(key)
            append(texts[comma])
            comma = True
            # A payload's values are mostly text and finite Decimals: written here, without a
            # call each (the same text the branches below write).
            kind = type(item)
            if kind is str:
                append(_string(item))
            elif kind is Decimal and item.is_finite():
                append(_fixed(item))
            elif item is None:
                append("null")
            elif kind is int:
                append(int.__repr__(item))
            else:
                _encode(item, out, sort_keys, default, floats)
        append("}")
        return
    if cls is list or cls is tuple:
        append = out.append
        append("[")
        comma = False
        for item in value:
            if comma:
                append(",")
            comma = True
            _encode(item, out, sort_keys, default, floats)
        append("]")
        return
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_string(value))
    elif isinstance(value, int):
        out.append(str(int(value)))
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot write a non-finite number ({value}) as JSON")
        out.append(_fixed(value))
    elif isinstance(value, float):
        if not floats:
            raise TypeError("floats are not written; use Decimal")
        out.append(json.dumps(value))
    elif isinstance(value, Mapping):
        keys = sorted(value) if sort_keys else list(value)
        out.append("{")
        for index, key in enumerate(keys):
            if not isinstance(key, str):
                raise TypeError(f"JSON object keys must be strings, got {type(key).__name__}")
            if index:
                out.append(",")
            out.append(_string(key))
            out.append(":")
            _encode(value[key], out, sort_keys, default, floats)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _encode(item, out, sort_keys, default, floats)
        out.append("]")
    elif default is not None:
        _encode(default(value), out, sort_keys, None, floats)
    else:
        raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def _no_constant(name: str) -> Any:
    # NaN and Infinity are not JSON (RFC 8259); as money they would poison every total.
    raise ValueError(f"{name} is not a JSON number")


@pausing  # a parse builds no cycles: see ml_connector._collector
def loads(text: str | bytes) -> Any:
    """Parse JSON ``text``; numbers with a fraction or exponent become ``Decimal``.

    Raises:
        ValueError: not JSON (:class:`json.JSONDecodeError`), or ``NaN``/``Infinity``.
    """
    return json.loads(text, parse_float=Decimal, parse_constant=_no_constant)
