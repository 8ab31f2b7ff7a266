"""The oracle package's public surface is sorted, complete and importable."""

from __future__ import annotations

import ml_connector.oracle as oracle


def test_all_is_sorted_unique_and_importable() -> None:
    names = list(oracle.__all__)
    assert names == sorted(names)
    assert len(names) == len(set(names))
    for name in names:
        assert hasattr(oracle, name), name


def test_public_errors_are_connector_errors() -> None:
    from ml_connector import ConnectorError

    for name in oracle.__all__:
        obj = getattr(oracle, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, ConnectorError), name
