"""A structural diff between two JSON payloads, for replay dry runs."""

from __future__ import annotations

from typing import Any, Literal

import attrs

from ml_connector._json import dumps, loads

__all__ = ["PayloadChange", "diff_payloads", "format_diff"]

ChangeKind = Literal["added", "removed", "changed"]


@attrs.frozen
class PayloadChange:
    """One difference between the failed payload and the one replay would post.

    Attributes:
        path: Where, as ``$.lines[0].UnitSellingPrice``.
        kind: ``"added"``, ``"removed"`` or ``"changed"``.
        before: The failed payload's value (None when added).
        after: The new value (None when removed).
    """

    path: str
    kind: ChangeKind
    before: Any = None
    after: Any = None


def diff_payloads(before: str | None, after: str | None) -> tuple[PayloadChange, ...]:
    """The changes from canonical JSON ``before`` to ``after`` (either may be None: absent)."""
    changes: list[PayloadChange] = []
    _walk(
        "$",
        _MISSING if before is None else loads(before),
        _MISSING if after is None else loads(after),
        changes,
    )
    return tuple(changes)


def format_diff(changes: tuple[PayloadChange, ...]) -> str:
    """The changes as text, one line each (``+`` added, ``-`` removed, ``~`` changed)."""
    lines = []
    for change in changes:
        if change.kind == "added":
            lines.append(f"+ {change.path}: {_show(change.after)}")
        elif change.kind == "removed":
            lines.append(f"- {change.path}: {_show(change.before)}")
        else:
            lines.append(f"~ {change.path}: {_show(change.before)} -> {_show(change.after)}")
    return "\n".join(lines) if lines else "(no changes)"


_MISSING: Any = object()


def _walk(path: str, before: Any, after: Any, out: list[PayloadChange]) -> None:
    if before is _MISSING:
        out.append(PayloadChange(path, "added", after=after))
    elif after is _MISSING:
        out.append(PayloadChange(path, "removed", before=before))
    elif isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(before.keys() | after.keys()):
            _walk(f"{path}.{key}", before.get(key, _MISSING), after.get(key, _MISSING), out)
    elif isinstance(before, list) and isinstance(after, list):
        for index in range(max(len(before), len(after))):
            _walk(
                f"{path}[{index}]",
                before[index] if index < len(before) else _MISSING,
                after[index] if index < len(after) else _MISSING,
                out,
            )
    elif before != after or type(before) is not type(after):
        out.append(PayloadChange(path, "changed", before=before, after=after))


def _show(value: Any) -> str:
    return dumps(value, sort_keys=True, floats=True)
