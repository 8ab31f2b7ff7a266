"""The shipment job against inventory that Oracle processes between and during runs.

Oracle's staged transactions are an interface; a processed row leaves it for the completed
transactions. Duplicates are counted across both (``keys_in_oracle``).
"""

from __future__ import annotations

from datetime import timedelta

from ml_connector.audit import payload_of
from ml_connector.sync import Outcome, ReasonCode
from ml_connector.testing import FaultKind, FaultPlan, Faults

from ._env import DAY_END, DAY_START, Env, make_env
from .test_shipments import assert_no_duplicates, make_sync

WINDOW = (DAY_START, DAY_END)


def env_in_mode(mode: str) -> Env:
    """Twelve orders whose inventory lines go out with ``TransactionMode`` ``mode``."""
    inventory = {"source_code": "SHIPSTATION", "reference": "posting_key", "transaction_mode": mode}
    return make_env(
        orders=12,
        bad_sku_orders=0,
        unmatched_email_rate=0.0,
        mapping_changes={"inventory": inventory},
    )


def test_background_rows_are_pending_in_results_trail_and_reconcile_until_processed() -> None:
    env = env_in_mode("3")
    sync = make_sync(env)
    first = sync.run(WINDOW)
    assert first.failed == 0
    waiting = first.pending_in_oracle
    assert waiting and "pending in Oracle" in first.describe()
    payloads = [payload_of(event) or {} for event in env.audit.events()]
    trail = [p["pending_in_oracle"] for p in payloads if p.get("pending_in_oracle")]
    assert {key for keys in trail for key in keys} == set(waiting)
    before = sync.reconcile(WINDOW)
    assert before.count(ReasonCode.PENDING_IN_ORACLE) > 0 and not before.clean
    # A rerun while they wait posts nothing again.
    again = sync.run(WINDOW)
    assert again.posted == 0 and again.failed == 0
    assert_no_duplicates(env)
    env.oracle_sim.run_transaction_manager()
    assert env.oracle_sim.staged_transactions() == []
    after = sync.reconcile(WINDOW)
    assert after.clean, after.problems()
    assert sync.run(WINDOW).posted == 0
    assert_no_duplicates(env)


def test_concurrent_rows_processed_during_the_run_are_found_completed() -> None:
    env = env_in_mode("2")
    env.oracle_sim.concurrent_delay = 1.0
    sync = make_sync(env)
    sync.run(WINDOW)
    env.clock.advance(2)
    assert env.oracle_sim.staged_transactions() == []
    assert sync.reconcile(WINDOW).clean
    rerun = sync.run(WINDOW)
    assert rerun.posted == 0 and not rerun.pending_in_oracle
    assert_no_duplicates(env)


def test_an_online_408_is_pending_never_posted_and_never_posted_twice() -> None:
    env = make_env(orders=12, bad_sku_orders=0, unmatched_email_rate=0.0)
    env.oracle_sim.faults = Faults(
        FaultPlan(
            rates={FaultKind.ONLINE_TIMEOUT: 1.0},
            methods=["POST"],
            path_prefixes=["/fscmRestApi"],
        )
    )
    sync = make_sync(env)
    first = sync.run(WINDOW)
    assert first.failed == 0
    staged = env.oracle_sim.staged_transactions()
    assert staged and all(row["ProcessStatus"] == "1" for row in staged)
    assert set(first.pending_in_oracle) >= {row["TransactionReference"] for row in staged}
    env.oracle_sim.faults = Faults()
    assert sync.run(WINDOW).posted == 0
    assert_no_duplicates(env)
    env.oracle_sim.run_transaction_manager()
    assert sync.reconcile(WINDOW).clean


def test_a_void_after_processing_finds_the_completed_issue_and_reverses_it_once() -> None:
    env = make_env(orders=20, bad_sku_orders=0, unmatched_email_rate=0.0)
    sync = make_sync(env)
    # The default mode is Online ("1"): a 2xx proves processing, so nothing is left pending.
    assert sync.run(WINDOW).pending_in_oracle == ()
    assert env.oracle_sim.staged_transactions() == []  # Online: processed during the POSTs
    posted = next(
        r
        for r in sync.run(WINDOW).results
        if r.outcome is Outcome.ALREADY_POSTED and r.record.kind == "shipment"
    )
    shipment_id = int(posted.record.id)
    env.ss.data.void_shipment(shipment_id, DAY_END + timedelta(hours=1))
    window = (DAY_END, DAY_END + timedelta(hours=2))
    result = sync.run(window)
    reversal = [r for r in result.results if r.record.kind == "shipment-void"]
    assert [r.outcome for r in reversal] == [Outcome.POSTED]
    receipts = [
        row
        for row in env.oracle_sim.completed_transactions()
        if row["TransactionTypeName"] == "Miscellaneous Receipt"
    ]
    issues = [
        row
        for row in env.oracle_sim.completed_transactions()
        if str(row["TransactionReference"]).startswith(f"SS{shipment_id}-")
        and row["TransactionTypeName"] == "Miscellaneous Issue"
    ]
    assert receipts and len(receipts) == len(issues)
    sync.run(window)
    assert_no_duplicates(env)
    assert sync.reconcile(window).clean
