"""The async twins give the same results as the blocking ones, and expose the same methods."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from ml_connector.sync import (
    AsyncCustomerSync,
    AsyncInventorySync,
    AsyncShipmentReplayTarget,
    AsyncShipmentSync,
    CustomerSync,
    InventorySync,
    Outcome,
    ShipmentReplayTarget,
    ShipmentSync,
)

from ._env import DAY_END, DAY_START, make_env
from ._fixes import add_unmatched_customers, fix_bad_sku
from .test_shipments import keys_in_oracle, make_sync


def public(cls: type[Any]) -> set[str]:
    return {name for name, _ in inspect.getmembers(cls) if not name.startswith("_")}


@pytest.mark.parametrize(
    ("blocking", "asynchronous"),
    [
        (ShipmentSync, AsyncShipmentSync),
        (ShipmentReplayTarget, AsyncShipmentReplayTarget),
        (CustomerSync, AsyncCustomerSync),
        (InventorySync, AsyncInventorySync),
    ],
)
def test_twins_expose_the_same_public_methods(blocking: type, asynchronous: type) -> None:
    assert public(blocking) == public(asynchronous)
    for name in public(asynchronous):
        if name in ("replay_target", "from_config"):  # no I/O: a constructor
            continue
        assert inspect.iscoroutinefunction(getattr(asynchronous, name)), name


def outcomes(results: Any) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(str(r.record), r.outcome.value, r.keys) for r in results]


@pytest.mark.anyio
@pytest.mark.parametrize("batch", [True, False])
async def test_async_twin_gives_the_same_result(batch: bool) -> None:
    blocking = make_env(unmatched_email_rate=0.3)
    asynchronous = make_env(unmatched_email_rate=0.3)
    expected = make_sync(blocking, batch=batch).run((DAY_START, DAY_END))
    sync = AsyncShipmentSync(
        shipstation=asynchronous.async_shipstation(),
        oracle=asynchronous.async_oracle(),
        mapping=asynchronous.mapping,
        audit=asynchronous.audit,
        checkpoints=asynchronous.checkpoints,
        clock=asynchronous.clock,
        batch=batch,
        concurrency=4,
    )
    got = await sync.run((DAY_START, DAY_END))
    assert outcomes(got.results) == outcomes(expected.results)
    assert keys_in_oracle(asynchronous) == keys_in_oracle(blocking)
    assert asynchronous.shipstation_methods() == {"GET"}

    for env in (blocking, asynchronous):
        add_unmatched_customers(env)
        fix_bad_sku(env)
    replayed = await sync.replay()
    assert replayed.posted == make_sync(blocking).replay().posted == expected.failed
    assert keys_in_oracle(asynchronous) == keys_in_oracle(blocking)
    report = await sync.reconcile((DAY_START, DAY_END))
    assert report.clean
    again = await sync.run((DAY_START, DAY_END))
    assert again.posted == 0 and again.count(Outcome.FAILED) == 0
