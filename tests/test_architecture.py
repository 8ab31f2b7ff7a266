"""The dependency rule of docs/architecture.md, read from every module's imports (ast).

``cli -> sync -> (shipstation, oracle, mapping, audit) -> core``: the core (``ml_connector/_*.py``)
imports no subpackage; the clients import only the core; ``mapping`` and ``audit`` import no
client, only the models; ``testing`` imports the models and the core, never ``sync`` or ``cli``.
The package's ``__init__`` and ``__main__`` (the public facade) and ``cli`` may import anything.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "ml_connector"

MODELS = {"ml_connector.shipstation.models", "ml_connector.oracle.models"}
EVERYTHING = {"core", "models", "shipstation", "oracle", "mapping", "audit", "sync", "testing"}
ALLOWED: dict[str, set[str]] = {
    "core": {"core"},
    "shipstation": {"core"},
    "oracle": {"core"},
    "mapping": {"core", "models"},
    "audit": {"core", "models"},
    "testing": {"core", "models"},
    "sync": {"core", "models", "shipstation", "oracle", "mapping", "audit"},
    "cli": EVERYTHING | {"cli", "facade", "workers"},
    "facade": EVERYTHING | {"cli", "facade"},
    # The engine edge (issue "Outgrowing one machine"), beside cli: it reads a tenant's
    # connector configuration with the CLI's loader, and the CLI starts its workers.
    "workers": EVERYTHING | {"cli", "workers"},
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _layer_of_file(path: Path) -> str:
    parts = path.relative_to(PACKAGE).parts
    if len(parts) == 1:
        return "facade" if parts[0] in ("__init__.py", "__main__.py") else "core"
    return parts[0]


def _layer_of(target: str) -> str:
    if target in MODELS or any(target.startswith(m + ".") for m in MODELS):
        return "models"
    parts = target.split(".")
    if len(parts) == 1:
        return "facade"
    return "core" if parts[1].startswith("_") else parts[1]


def imports(source: str, module: str, is_package: bool) -> Iterator[tuple[int, str]]:
    """The ``ml_connector`` modules ``source`` imports (line, absolute name)."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            if name == "ml_connector":
                # ``from ml_connector import _json`` imports a core module, not the facade.
                for alias in node.names:
                    if alias.name.startswith("_"):
                        yield node.lineno, f"ml_connector.{alias.name}"
                    else:
                        yield node.lineno, name
            else:
                yield node.lineno, name


def violations(path: Path, source: str) -> list[str]:
    layer = _layer_of_file(path)
    module = _module_name(path)
    found = []
    for line, target in imports(source, module, path.name == "__init__.py"):
        if target != "ml_connector" and not target.startswith("ml_connector."):
            continue
        own = target.split(".")[1:2] == [layer]  # a subpackage's own modules
        wanted = _layer_of(target)
        if not own and wanted != layer and wanted not in ALLOWED[layer]:
            found.append(f"{path.relative_to(PACKAGE)}:{line} ({layer}) imports {target}")
    return found


def test_every_module_imports_along_the_rule() -> None:
    found = [
        problem
        for path in sorted(PACKAGE.rglob("*.py"))
        for problem in violations(path, path.read_text(encoding="utf-8"))
    ]
    assert found == []


@pytest.mark.parametrize(
    ("where", "source"),
    [
        ("mapping/x.py", "from ml_connector.oracle.client import OracleFusionClient"),
        ("mapping/x.py", "from ml_connector.oracle import ReceivablesInvoice"),
        ("audit/x.py", "from ml_connector.sync import ShipmentSync"),
        ("testing/x.py", "import ml_connector.cli"),
        ("oracle/x.py", "from ..shipstation.models import Order"),
        ("_x.py", "from .audit import AuditSink"),
        ("shipstation/x.py", "from ml_connector import ConnectorError"),
    ],
)
def test_the_checker_catches_an_import_against_the_rule(where: str, source: str) -> None:
    assert violations(PACKAGE / where, source) != []


@pytest.mark.parametrize(
    ("where", "source"),
    [
        ("mapping/x.py", "from ml_connector.oracle.models import ReceivablesInvoice"),
        ("sync/x.py", "from ml_connector.oracle import OracleFusionClient"),
        ("testing/x.py", "from ml_connector import _json"),
        ("oracle/x.py", "from ._converter import to_wire"),
        ("cli/x.py", "from ml_connector.testing import generate_day"),
    ],
)
def test_the_checker_lets_the_rule_s_imports_through(where: str, source: str) -> None:
    assert violations(PACKAGE / where, source) == []


def test_only_mapping_imports_its_private_modules() -> None:
    # The jobs ask the mapping through its documented names (``ml_connector.mapping``).
    found = [
        f"{path.relative_to(PACKAGE)}:{line} imports {target}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if _layer_of_file(path) != "mapping"
        for line, target in imports(
            path.read_text(encoding="utf-8"), _module_name(path), path.name == "__init__.py"
        )
        if target.startswith("ml_connector.mapping._")
    ]
    assert not found, "\n".join(found)
