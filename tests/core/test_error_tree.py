"""The error tree drawn in ``_errors.py`` holds every ConnectorError subclass, in its place."""

from __future__ import annotations

import importlib
import pkgutil
import re

import ml_connector
from ml_connector import ConnectorError, _errors

_NODE = re.compile(r"^    (?P<indent>(?:[│ ] {3})*)(?:[├└]── )?(?P<name>[A-Z]\w+)\b")


def _drawn() -> dict[str, str | None]:
    """Each drawn class and its drawn parent."""
    doc = _errors.__doc__ or ""
    tree = doc.split("::\n\n", 1)[1].split("\n\n", 1)[0]
    parents: dict[str, str | None] = {}
    stack: list[str] = []
    for line in tree.splitlines():
        found = _NODE.match(line)
        if found is None:
            continue  # a continued description
        depth = len(found["indent"]) // 4 + (0 if line.startswith("    " + found["name"]) else 1)
        del stack[depth:]
        parents[found["name"]] = stack[-1] if stack else None
        stack.append(found["name"])
    return parents


def _every_subclass() -> dict[str, str | None]:
    for module in pkgutil.walk_packages(ml_connector.__path__, "ml_connector."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    found: dict[str, str | None] = {"ConnectorError": None}
    pending = [ConnectorError]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            found[sub.__name__] = cls.__name__
            pending.append(sub)
    return found


def test_the_drawing_holds_every_subclass_under_its_parent() -> None:
    assert _drawn() == _every_subclass()


def test_the_drawing_is_read_as_a_tree() -> None:
    drawn = _drawn()
    assert drawn["ConnectorError"] is None
    assert drawn["RequestTimeoutError"] == "TransportError"
    assert drawn["CorruptAuditTrailError"] == "AuditError"
