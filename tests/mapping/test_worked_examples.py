"""docs/worked-examples.md is what the mapping really produces."""

from __future__ import annotations

from .worked_examples import DOC, render


def test_worked_examples_document_is_up_to_date() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/worked-examples.md is stale: run python -m tests.mapping.worked_examples"
    )
