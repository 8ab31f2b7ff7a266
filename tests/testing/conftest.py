"""Fixtures for the simulator tests: documented example payloads and small generated days."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ml_connector.testing import GeneratedDay, generate_day

FIXTURES = Path(__file__).parent / "fixtures"


def example(name: str) -> Any:
    """A documented example payload, copied under tests/testing/fixtures."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def same_shape(actual: Any, documented: Any, path: str = "$") -> list[str]:
    """Differences in keys and JSON types between a simulated body and a documented one.

    Every key the documentation shows must be present with a compatible type (null in the
    example matches anything). Extra keys in ``actual`` are allowed: the examples are abridged.
    """
    problems: list[str] = []
    if documented is None or actual is None:
        return problems
    if isinstance(documented, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object, got {type(actual).__name__}"]
        for key, value in documented.items():
            if key not in actual:
                problems.append(f"{path}.{key}: missing")
            else:
                problems += same_shape(actual[key], value, f"{path}.{key}")
        return problems
    if isinstance(documented, list):
        if not isinstance(actual, list):
            return [f"{path}: expected an array, got {type(actual).__name__}"]
        if documented and actual:
            problems += same_shape(actual[0], documented[0], f"{path}[0]")
        return problems
    number = (int, float, Decimal)
    if isinstance(documented, bool):
        ok = isinstance(actual, bool)
    elif isinstance(documented, number):
        ok = isinstance(actual, number) and not isinstance(actual, bool)
    else:
        ok = isinstance(actual, type(documented))
    if not ok:
        problems.append(f"{path}: {type(actual).__name__} where the docs have {documented!r}")
    return problems


@pytest.fixture(scope="session")
def small_day() -> GeneratedDay:
    """A reproducible day of 300 orders over two warehouses and three stores."""
    return generate_day(7, orders=300, warehouses=2)
