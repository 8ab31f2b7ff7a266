"""The sync and async clients expose the same public surface."""

from __future__ import annotations

import inspect

import pytest

import ml_connector.shipstation as shipstation
from ml_connector.shipstation import (
    AsyncShipStationV1Client,
    AsyncShipStationV2Client,
    ShipStationV1Client,
    ShipStationV2Client,
)

_CLOSE = {"close", "aclose"}


def _public(cls: type) -> set[str]:
    return {name for name in dir(cls) if not name.startswith("_")} - _CLOSE


@pytest.mark.parametrize(
    ("sync", "asyn"),
    [
        (ShipStationV1Client, AsyncShipStationV1Client),
        (ShipStationV2Client, AsyncShipStationV2Client),
    ],
)
def test_twins_expose_the_same_methods(sync: type, asyn: type) -> None:
    assert _public(sync) == _public(asyn)
    assert hasattr(sync, "close")
    assert hasattr(sync, "__enter__")
    assert hasattr(asyn, "aclose")
    assert hasattr(asyn, "__aenter__")
    for name in _public(sync):
        sync_member = getattr(sync, name)
        if not callable(sync_member) or name.startswith("iter_"):
            continue
        # Every sending method of the async twin is a coroutine function.
        assert inspect.iscoroutinefunction(getattr(asyn, name)), name
        # And the parameters match.
        assert list(inspect.signature(sync_member).parameters) == list(
            inspect.signature(getattr(asyn, name)).parameters
        ), name


def test_exports_are_sorted_and_importable() -> None:
    assert shipstation.__all__ == sorted(shipstation.__all__)
    for name in shipstation.__all__:
        assert hasattr(shipstation, name), name
