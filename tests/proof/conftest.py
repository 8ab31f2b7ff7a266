"""Tests marked ``slow`` here run only when asked for (``pytest -m slow tests/proof``).

The project's pytest configuration does not deselect ``slow`` tests, and the 10,000-order fault
suite takes minutes; without this, every ``make test`` would pay for it. The default-size
variant of each slow test always runs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "slow" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="slow: run with pytest -m slow tests/proof")
    for item in items:
        if item.get_closest_marker("slow") and HERE in Path(str(item.path)).parents:
            item.add_marker(skip)
