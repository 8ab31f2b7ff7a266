"""The audit package's public surface and its place in the layering."""

from __future__ import annotations

import ast
from pathlib import Path

import ml_connector.audit as audit

FORBIDDEN = ("ml_connector.shipstation", "ml_connector.oracle", "ml_connector.mapping",
             "ml_connector.sync", "ml_connector.cli", "httpx")  # fmt: skip


def test_all_is_sorted_and_complete() -> None:
    assert audit.__all__ == sorted(audit.__all__)
    public = {name for name in vars(audit) if not name.startswith("_")}
    modules = {name for name in public if type(getattr(audit, name)).__name__ == "module"}
    assert set(audit.__all__) == public - modules


def test_audit_imports_no_client_and_no_mapping() -> None:
    folder = Path(audit.__file__).parent
    for source in folder.glob("*.py"):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                assert not name.startswith(FORBIDDEN), f"{source.name} imports {name}"
