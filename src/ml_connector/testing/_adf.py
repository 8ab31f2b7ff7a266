"""Oracle ADF REST query conventions for the Fusion simulator: ``q``, ``finder``, ``fields``.

Supported ``q`` forms (https://docs.oracle.com/en/cloud/paas/integration-cloud/visual-developer/view-business-objects-endpoints.html):

- framework v1 query-by-example: ``Attr=value;Attr2=value2``;
- v2+ expressions joined by ``and``: ``Attr='value' and Attr2 >= 10``, with ``=``, ``!=``,
  ``<>``, ``<``, ``<=``, ``>``, ``>=`` and ``LIKE`` (``%`` wildcard); string literals in single
  or double quotes (``''`` escapes a quote), optional surrounding parentheses.

``or`` joins groups of ``and`` clauses at framework version 2 and later only ("Version 2
supports expanded query expression syntax ... interprets the q query parameter differently",
https://docs.oracle.com/en/cloud/saas/sales/faaps/Set_the_REST_Framework_Version.html);
at version 1 (query-by-example) it is refused with a 400. An ``or`` nested inside parentheses
under an ``and`` is refused too (a simulator limit, not Oracle's).
``finder=Name;Var=value,Var2=value`` is parsed into a name and its bindings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

__all__ = [
    "Condition",
    "QueryError",
    "matches",
    "matches_any",
    "parse_finder",
    "parse_q",
    "parse_q_groups",
]


class QueryError(ValueError):
    """A ``q``, ``finder``, ``orderBy`` or paging value the simulator (and Oracle) refuses."""


@attrs.frozen
class Condition:
    attribute: str
    operator: str
    value: str | None


_CLAUSE = re.compile(
    r"^\s*\(?\s*([A-Za-z_][\w.]*)\s*(!=|<>|>=|<=|=|>|<|\s[Ll][Ii][Kk][Ee]\s)\s*(.*?)\s*\)?\s*$",
    re.S,
)


def _split(text: str) -> list[str]:
    """Split on ``;`` and on the word ``and``, outside quotes."""
    parts: list[str] = []
    current: list[str] = []
    quote: str | None = None
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            current.append(ch)
            if ch == quote:
                if i + 1 < len(text) and text[i + 1] == quote:
                    current.append(text[i + 1])
                    i += 1
                else:
                    quote = None
        elif ch in "'\"":
            quote = ch
            current.append(ch)
        elif ch == ";":
            parts.append("".join(current))
            current = []
        elif text[i : i + 5].lower() == " and " or text[i : i + 5].lower() == ")and(":
            parts.append("".join(current))
            current = []
            i += 4
            continue
        elif text[i : i + 4].lower() == " or ":
            raise QueryError("the simulator supports only 'and' in q, not 'or'")
        else:
            current.append(ch)
        i += 1
    if quote:
        raise QueryError("unterminated string literal in q")
    parts.append("".join(current))
    return [p for p in parts if p.strip()]


def _literal(raw: str) -> str | None:
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
        return raw[1:-1].replace(raw[0] * 2, raw[0])
    if raw.lower() == "null":
        return None
    return raw


def parse_q(text: str) -> list[Condition]:
    """The conditions of a ``q`` value (all must hold)."""
    conditions = []
    for clause in _split(text):
        match = _CLAUSE.match(clause)
        if match is None:
            raise QueryError(f"the query clause {clause.strip()!r} is not valid")
        attribute, operator, raw = match.groups()
        operator = operator.strip().upper()
        conditions.append(
            Condition(attribute, "!=" if operator == "<>" else operator, _literal(raw))
        )
    return conditions


def _split_or(text: str) -> list[str]:
    """Split on the word ``or`` outside quotes and parentheses."""
    parts: list[str] = []
    start = 0
    depth = 0
    quote: str | None = None
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0 and text[i : i + 4].lower() == " or ":
            parts.append(text[start:i])
            start = i + 4
            i += 4
            continue
        i += 1
    parts.append(text[start:])
    return parts


def _unwrap(text: str) -> str:
    text = text.strip()
    while text.startswith("(") and text.endswith(")"):
        depth = 0
        for n, ch in enumerate(text):
            depth += ch == "("
            depth -= ch == ")"
            if depth == 0 and n < len(text) - 1:
                return text  # "(a) and (b)": the outer parentheses are not one group
        text = text[1:-1].strip()
    return text


def parse_q_groups(text: str, *, allow_or: bool) -> list[list[Condition]]:
    """The ``q`` value as groups of conditions: an item matches when every condition of one
    group holds. ``allow_or``: the request's framework version is 2 or later."""
    groups = _split_or(text)
    if len(groups) > 1 and not allow_or:
        raise QueryError(
            "'or' needs REST framework version 2 or later (query-by-example has no 'or')"
        )
    return [parse_q(_unwrap(group)) for group in groups]


def _finder_pairs(rest: str) -> list[str]:
    # Variables are split on "," outside double quotes: a quoted value may hold , ; = and
    # spaces (Oracle's own example: invoiceSearch;TransactionSource="Receivables Import",
    # https://blogs.oracle.com/vbcs/?p=1724).
    pairs: list[str] = []
    current: list[str] = []
    quoted = False
    for ch in rest:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            pairs.append("".join(current))
            current = []
        else:
            current.append(ch)
    if quoted:
        raise QueryError("unterminated double quote in finder")
    pairs.append("".join(current))
    return [p.strip() for p in pairs if p.strip()]


def parse_finder(text: str) -> tuple[str, dict[str, str]]:
    """``Name;Var=value,Var2="a, b"`` as the finder name and its bindings."""
    name, _, rest = text.partition(";")
    bindings: dict[str, str] = {}
    for pair in _finder_pairs(rest):
        key, sep, value = pair.partition("=")
        if not sep:
            raise QueryError(f"finder variable {pair!r} has no value")
        bindings[key.strip()] = _literal(value) or ""
    if not name.strip():
        raise QueryError("finder has no name")
    return name.strip(), bindings


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _compare(actual: Any, operator: str, literal: str | None) -> bool:
    if literal is None:
        return (actual is None) == (operator == "=")
    if actual is None:
        return operator == "!="
    if operator == "LIKE":
        pattern = "".join(".*" if ch == "%" else re.escape(ch) for ch in literal)
        return re.fullmatch(pattern, str(actual), re.S) is not None
    left: Any = _number(actual) if not isinstance(actual, str) else None
    right: Any = _number(literal) if left is not None else None
    if left is None or right is None:
        left = actual if isinstance(actual, str) else str(actual).lower()
        right = literal if isinstance(actual, str) else literal.lower()
    if operator == "=":
        return bool(left == right)
    if operator == "!=":
        return bool(left != right)
    if operator == "<":
        return bool(left < right)
    if operator == "<=":
        return bool(left <= right)
    if operator == ">":
        return bool(left > right)
    return bool(left >= right)


def matches(item: Mapping[str, Any], conditions: list[Condition]) -> bool:
    """Whether ``item`` satisfies every condition."""
    return all(_compare(item.get(c.attribute), c.operator, c.value) for c in conditions)


def matches_any(item: Mapping[str, Any], groups: list[list[Condition]]) -> bool:
    """Whether ``item`` satisfies every condition of at least one group."""
    return any(matches(item, conditions) for conditions in groups)
