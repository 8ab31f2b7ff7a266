"""The public surface: ``__all__`` is sorted, complete and importable."""

from __future__ import annotations

import importlib

import pytest

import ml_connector

SUBPACKAGES = [
    "ml_connector",
    "ml_connector.audit",
    "ml_connector.mapping",
    "ml_connector.oracle",
    "ml_connector.shipstation",
    "ml_connector.sync",
    "ml_connector.testing",
    "ml_connector.workers",
]


@pytest.mark.parametrize("module_name", SUBPACKAGES)
def test_all_is_sorted_and_importable(module_name: str) -> None:
    module = importlib.import_module(module_name)
    names = list(module.__all__)
    assert names == sorted(names), f"{module_name}.__all__ is not sorted"
    assert len(names) == len(set(names)), f"{module_name}.__all__ has duplicates"
    for name in names:
        assert hasattr(module, name), f"{module_name}.{name} is in __all__ but not importable"


def test_every_error_derives_from_connector_error() -> None:
    for name in ml_connector.__all__:
        obj = getattr(ml_connector, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, ml_connector.ConnectorError), name


def test_version_is_a_string() -> None:
    assert isinstance(ml_connector.__version__, str)
    assert ml_connector.__version__.count(".") == 2


def test_py_typed_is_shipped() -> None:
    from importlib.resources import files

    assert files("ml_connector").joinpath("py.typed").is_file()


def _documented() -> tuple[set[str], str]:
    """The packages an API reference page renders, and the text of every docs page."""
    from pathlib import Path

    docs = Path(__file__).resolve().parent.parent / "docs"
    text = "\n".join(page.read_text(encoding="utf-8") for page in docs.rglob("*.md"))
    rendered = {line.split()[1] for line in text.splitlines() if line.startswith("::: ")}
    return rendered, text


@pytest.mark.parametrize("module_name", SUBPACKAGES)
def test_all_lists_only_what_the_docs_document(module_name: str) -> None:
    import re

    rendered, text = _documented()
    module = importlib.import_module(module_name)
    if module_name in rendered:
        return  # its reference page documents every name of __all__
    undocumented = [n for n in module.__all__ if not re.search(rf"\b{re.escape(n)}\b", text)]
    assert undocumented == [], f"{module_name}.__all__ names what docs/ does not document"


def test_the_flow_machinery_is_not_public() -> None:
    import ml_connector.sync

    internals = {"Call", "Fanout", "Take", "Cursor", "run_flow", "arun_flow", "drive", "adrive"}
    assert internals.isdisjoint(ml_connector.sync.__all__)
    assert internals.isdisjoint(ml_connector.__all__)
