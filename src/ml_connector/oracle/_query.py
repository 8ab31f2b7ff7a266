"""Values in Oracle Fusion's ``finder`` and ``q`` syntax, escaped the documented way.

Customer names and emails are data, not syntax: ``Acme, Inc.``, ``A=B Ltd``,
``O'Brien & Sons`` and ``sean.o'brien+shop@example.com`` are ordinary customers. Each value is
written so that Oracle reads it back unchanged, or, where the syntax has no way to say it, the
caller gets an :class:`UnexpressibleValueError` that says exactly which value, which syntax and
why (never "look-up failed", because nothing was asked).

The rules, and where they come from:

- ``finder=<FinderName>;<Var>=<value>,<Var2>=<value2>``: variables are separated by ``,`` and
  bound with ``=`` (https://docs.oracle.com/en/cloud/saas/student-management/farsm/Collections.html,
  "Using the finder Query Parameter"). A value that contains one of ``,;=`` or spaces is
  enclosed in double quotes, as Oracle's own examples do
  (``invoiceSearch;TransactionSource="Receivables Import"``, https://blogs.oracle.com/vbcs/?p=1724).
  No escape for a double quote inside a quoted finder value is documented: such a value is
  refused (the stricter reading), and a caller may look the record up another way.
- ``q`` with ``REST-Framework-Version`` 2 or later: expressions ``Attr='value' and ...`` whose
  string literals are quoted
  (https://docs.oracle.com/en/cloud/saas/sales/faaps/Set_the_REST_Framework_Version.html,
  "Version 2 ... interprets the q query parameter differently";
  https://docs.oracle.com/en/cloud/saas/human-resources/farws/Query_a_Collection.html). A
  value without ``'`` is single-quoted; a value with ``'`` but no ``"`` is double-quoted
  (``"O'Brien & Sons"``); a value with both has no documented form and is refused.
- ``q`` with framework 1: query-by-example ``Attr=value;Attr2=value`` with no quoting at all
  (same page, "Version 1"): a value containing ``;`` cannot be said and is refused.
- Everywhere: an empty or blank value, or one with leading or trailing spaces (which Oracle
  may trim), is refused rather than silently matching something else.

Percent-encoding (``&``, ``+``, ``=``, spaces in the URL) is the HTTP layer's job: these functions
return the parameter *value*; httpx encodes it (``+`` becomes ``%2B``, never a space).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ml_connector._errors import MappingError

__all__ = [
    "UnexpressibleValueError",
    "build_finder",
    "build_q",
    "finder_value",
    "q_literal",
]

_FINDER_SPECIAL = frozenset(",;=\"' ")


class UnexpressibleValueError(MappingError):
    """A value that Oracle's ``finder`` or ``q`` syntax has no documented way to express.

    Attributes:
        value: The value.
        syntax: ``"finder"`` or ``"q"``.
        reason: Why it cannot be written there.
    """

    def __init__(self, value: str, *, syntax: str, field: str, reason: str) -> None:
        super().__init__(
            f"{value!r} cannot be expressed in an Oracle {syntax} ({reason})", field=field
        )
        self.value = value
        self.syntax = syntax
        self.reason = reason


def _checked(value: Any, *, syntax: str, field: str) -> str:
    text = str(value)
    if not text.strip():
        raise UnexpressibleValueError(text, syntax=syntax, field=field, reason="it is blank")
    if text != text.strip():
        raise UnexpressibleValueError(
            text,
            syntax=syntax,
            field=field,
            reason="leading or trailing spaces would be trimmed and match another value",
        )
    return text


def finder_value(value: Any, *, field: str = "value") -> str:
    """``value`` as a finder variable value: bare when plain, else in double quotes.

    Raises:
        UnexpressibleValueError: the value holds a double quote (no documented escape), or is
            blank or padded with spaces.
    """
    text = _checked(value, syntax="finder", field=field)
    if '"' in text:
        raise UnexpressibleValueError(
            text,
            syntax="finder",
            field=field,
            reason="finder values with , ; = are double-quoted, and Oracle documents no escape "
            "for a double quote inside one",
        )
    if any(ch in _FINDER_SPECIAL for ch in text):
        return f'"{text}"'
    return text


def build_finder(name: str, variables: Mapping[str, Any]) -> str:
    """``<Finder>;Var1=Val1,Var2="Val, 2"`` with each value escaped by :func:`finder_value`."""
    parts = [f"{key}={finder_value(raw, field=key)}" for key, raw in variables.items()]
    return f"{name};{','.join(parts)}"


def q_literal(value: Any, *, framework_version: str = "2", field: str = "value") -> str:
    """``value`` as the right-hand side of ``Attr=<here>`` in a ``q`` filter.

    Raises:
        UnexpressibleValueError: see the module docstring for the cases.
    """
    text = _checked(value, syntax="q filter", field=field)
    if framework_version == "1":
        if ";" in text:
            raise UnexpressibleValueError(
                text,
                syntax="q filter",
                field=field,
                reason="framework 1 query-by-example separates terms with ; and has no quoting",
            )
        return text
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    raise UnexpressibleValueError(
        text,
        syntax="q filter",
        field=field,
        reason="it holds both a single and a double quote, and Oracle documents no escape for "
        "a quote inside a string literal",
    )


def build_q(filters: Mapping[str, Any], *, framework_version: str = "2") -> str:
    """A ``q`` filter matching every attribute exactly, in the framework version's syntax.

    Framework 1: ``A=x;B=y``; 2 and later: ``A='x' and B="O'Brien"``.
    """
    terms = [
        f"{name}={q_literal(raw, framework_version=framework_version, field=name)}"
        for name, raw in filters.items()
    ]
    return ";".join(terms) if framework_version == "1" else " and ".join(terms)
