"""Fulfillments voided days after their creation window are found and reversed.

V1 ``/fulfillments`` filters by creation date only; the realistic simulator voids fulfillments
days after they were created and shows ``voided``/``voidDate`` once its clock passes the void.
Each run re-reads the fulfillments created in the look-back before its window and reverses the
voided ones exactly like voided labels; reconcile reports a void not reversed yet.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ml_connector._time import parse_pacific
from ml_connector.sync import ReasonCode, ShipmentSync
from ml_connector.testing import Realism

from ._env import DAY_END, DAY_START, NOW, Env, make_env

LATER = datetime(2026, 1, 24, 12, tzinfo=UTC)  # a week after the day


def _env() -> Env:
    return make_env(
        orders=80,
        fulfillment_rate=0.4,
        realism=Realism(late_fulfillment_void_rate=0.5, punctuated_customer_rate=0.0),
        unmatched_email_rate=0.0,
        bad_sku_orders=0,
    )


def _sync(env: Env, **options: object) -> ShipmentSync:
    return ShipmentSync(
        shipstation=env.shipstation(),
        oracle=env.oracle(),
        mapping=env.mapping,
        audit=env.audit,
        checkpoints=env.checkpoints,
        clock=env.clock,
        **options,  # type: ignore[arg-type]
    )


def _late(env: Env, now: datetime, after: datetime = NOW) -> list[int]:
    """Fulfillments voided after the first run (``after``) and by ``now``."""
    return [
        f["fulfillmentId"]
        for f in env.day.iter_fulfillments()
        if f["voided"] and after < parse_pacific(f["voidDate"]) <= now
    ]


def _reversed(env: Env) -> set[str]:
    return {
        memo["TransactionNumber"]
        for memo in env.oracle_sim.credit_memos()
        if str(memo["TransactionNumber"]).startswith("SF")
    }


def test_an_incremental_run_reverses_fulfillments_voided_since_the_last_run() -> None:
    env = _env()
    sync = _sync(env)
    sync.run_incremental(initial_start=DAY_START)  # now: two days after the day, no void yet
    assert _reversed(env) == set()
    env.clock.advance((LATER - env.clock.now()).total_seconds())
    late = _late(env, LATER)
    assert late, "the day must have fulfillments voided after their creation window"
    # Reconcile of the day sees the voids ShipStation now shows, not reversed yet.
    before = sync.reconcile((DAY_START, DAY_END))
    assert before.count(ReasonCode.VOIDED_NOT_REVERSED) == len(late)
    summary = sync.run_incremental()
    assert summary.start is not None and summary.start > DAY_END  # a window after the day
    assert _reversed(env) == {f"SF{fulfillment_id}V" for fulfillment_id in late}
    after = sync.reconcile((DAY_START, DAY_END))
    assert after.count(ReasonCode.VOIDED_NOT_REVERSED) == 0
    # A second run finds the same voids already reversed: nothing twice.
    sync.run_incremental()
    assert len(env.oracle_sim.credit_memos()) == len(_reversed(env))


def test_without_a_look_back_the_voids_stay_unreversed_and_reconcile_says_so() -> None:
    env = _env()
    sync = _sync(env, fulfillment_void_lookback=timedelta(0))
    sync.run_incremental(initial_start=DAY_START)
    env.clock.advance((LATER - env.clock.now()).total_seconds())
    sync.run_incremental()
    assert _reversed(env) == set()
    report = sync.reconcile((DAY_START, DAY_END))
    assert report.count(ReasonCode.VOIDED_NOT_REVERSED) == len(_late(env, LATER)) > 0
