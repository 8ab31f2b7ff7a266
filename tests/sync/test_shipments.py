"""ShipmentSync end to end against the ShipStation and Oracle simulators."""

from __future__ import annotations

from ml_connector.audit import Stage
from ml_connector.sync import Outcome, ShipmentSync

from ._env import DAY_END, DAY_START, Env, make_env


def make_sync(env: Env, **options: object) -> ShipmentSync:
    return ShipmentSync(
        shipstation=env.shipstation(),
        oracle=env.oracle(),
        mapping=env.mapping,
        audit=env.audit,
        checkpoints=env.checkpoints,
        clock=env.clock,
        **options,  # type: ignore[arg-type]
    )


def test_a_day_posts_once_and_a_rerun_posts_nothing() -> None:
    env = make_env()
    sync = make_sync(env)
    first = sync.run((DAY_START, DAY_END))
    assert first.posted > 0
    invoices = len(env.oracle_sim.invoices())
    staged = len(env.oracle_sim.inventory_transactions())
    posts = len(env.oracle_posts())
    again = sync.run((DAY_START, DAY_END))
    assert again.posted == 0
    assert len(env.oracle_posts()) == posts
    assert len(env.oracle_sim.invoices()) == invoices
    assert len(env.oracle_sim.inventory_transactions()) == staged
    assert env.shipstation_methods() == {"GET"}
    stages = {event.stage for event in env.audit.latest()}
    assert Stage.POSTED in stages
    assert all(r.outcome is not Outcome.WOULD_POST for r in again.results)
