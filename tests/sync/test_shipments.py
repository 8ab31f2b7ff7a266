"""ShipmentSync end to end against the ShipStation and Oracle simulators.

The generated day (seed 10) has three warehouses, web/Amazon/eBay stores, split and partial
orders, voided and re-shipped labels, fulfillments, unmatched web customers and a shipped bad
SKU.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from ml_connector.audit import Stage
from ml_connector.sync import Outcome, ReasonCode, RunSummary, ShipmentSync
from ml_connector.testing import BAD_SKU, FaultKind, FaultPlan, Faults

from ._env import DAY_END, DAY_START, Env, make_env
from ._fixes import (
    add_unmatched_customers,
    fix_bad_sku,
)


def make_sync(env: Env, **options: Any) -> ShipmentSync:
    return ShipmentSync(
        shipstation=env.shipstation(),
        oracle=env.oracle(),
        mapping=env.mapping,
        audit=env.audit,
        checkpoints=env.checkpoints,
        clock=env.clock,
        **options,
    )


def keys_in_oracle(env: Env) -> Counter[str]:
    keys: Counter[str] = Counter()
    for invoice in env.oracle_sim.invoices():
        keys[invoice["TransactionNumber"]] += 1
    for memo in env.oracle_sim.credit_memos():
        keys[memo["TransactionNumber"]] += 1
    for row in env.oracle_sim.inventory_transactions():
        keys[row["TransactionReference"]] += 1
    return keys


def assert_no_duplicates(env: Env) -> None:
    twice = {key: n for key, n in keys_in_oracle(env).items() if n > 1}
    assert twice == {}


def test_a_day_end_to_end_with_replay_and_a_clean_reconciliation() -> None:
    env = make_env(unmatched_email_rate=0.3)
    sync = make_sync(env)
    first = sync.run((DAY_START, DAY_END))

    # Every record ends in the trail, explained.
    latest = {event.record: event for event in env.audit.latest()}
    for result in first.results:
        event = latest[result.record]
        assert (
            event.stage
            is {
                Outcome.POSTED: Stage.POSTED,
                Outcome.SKIPPED: Stage.SKIPPED,
                Outcome.FAILED: Stage.FAILED,
            }[result.outcome]
        )
        assert event.detail
        if result.outcome is Outcome.SKIPPED:
            assert result.reason
        if result.outcome is Outcome.FAILED:
            assert event.error is not None and event.error["message"]
    failures = first.failures()
    customer = [f for f in failures if (f.error or {}).get("field") == "customer"]
    bad_sku = [f for f in failures if BAD_SKU in (f.detail or "")]
    assert customer and bad_sku
    assert len(customer) + len(bad_sku) == len(failures)
    # The bad-SKU shipment failed before anything of it posted (the catalog gate).
    assert "catalog:" in bad_sku[0].detail and "created" not in bad_sku[0].detail
    assert first.skipped >= 2  # voided before posting, and its reversal
    assert_no_duplicates(env)

    before = sync.reconcile((DAY_START, DAY_END))
    assert before.count(ReasonCode.CUSTOMER_UNMATCHED) == len(customer)
    assert before.count(ReasonCode.FAILED_AWAITING_REPLAY) == len(bad_sku)

    # Fix the causes in Oracle, replay, reconcile.
    assert add_unmatched_customers(env) > 0
    assert fix_bad_sku(env) == 0  # the gate kept it out of Oracle's interface table
    report = sync.replay()
    assert report.posted == len(failures)
    assert_no_duplicates(env)
    after = sync.reconcile((DAY_START, DAY_END))
    assert after.clean, after.problems()
    assert sum(t.records for t in after.totals()) == len(after.rows)
    assert {t.warehouse_id for t in after.totals()} == {
        str(w["warehouseId"]) for w in env.day.warehouses
    }

    # A rerun posts nothing; a second replay finds nothing to do.
    posts = len(env.oracle_posts())
    again = sync.run((DAY_START, DAY_END))
    assert (again.posted, again.failed) == (0, 0)
    assert sync.replay().items == ()
    assert len(env.oracle_posts()) == posts
    assert env.shipstation_methods() == {"GET"}


def test_overlapping_windows_post_nothing_twice() -> None:
    whole = make_env()
    make_sync(whole).run((DAY_START, DAY_END))
    parts = make_env()
    sync = make_sync(parts)
    middle = DAY_START + timedelta(hours=18)
    sync.run((DAY_START, middle + timedelta(hours=3)))
    sync.run((middle, DAY_END))
    sync.run((DAY_START + timedelta(hours=6), DAY_END))
    assert keys_in_oracle(parts) == keys_in_oracle(whole)
    assert_no_duplicates(parts)


@pytest.mark.parametrize("lost_as", ["timeout", "server_error"])
@pytest.mark.parametrize("batch", [True, False])
def test_lost_after_commit_never_duplicates(lost_as: str, batch: bool) -> None:
    plan = FaultPlan(
        seed=3,
        rates={FaultKind.LOST_AFTER_COMMIT: 0.3},
        methods=["POST"],
        path_prefixes=["/fscmRestApi"],
        lost_as=lost_as,
    )
    env = make_env(oracle_faults=plan)
    clean = make_env()
    make_sync(clean).run((DAY_START, DAY_END))
    summary = make_sync(env, batch=batch).run((DAY_START, DAY_END))
    assert env.oracle_sim.faults.counts.get(FaultKind.LOST_AFTER_COMMIT, 0) > 0
    assert_no_duplicates(env)
    assert keys_in_oracle(env) == keys_in_oracle(clean)
    assert summary.failed == make_sync(clean).run((DAY_START, DAY_END)).failed


def test_dry_run_plans_with_payloads_and_writes_nothing() -> None:
    env = make_env()
    sync = make_sync(env)
    plan = sync.run((DAY_START, DAY_END), dry_run=True)
    assert env.oracle_posts() == []
    assert len(env.audit) == 0
    assert plan.would_post > 0
    would = next(r for r in plan.results if r.outcome is Outcome.WOULD_POST)
    assert would.payload is not None and "invoice" in would.payload
    assert would.explanation
    assert any(r.reason for r in plan.results if r.outcome is Outcome.SKIPPED)
    real = sync.run((DAY_START, DAY_END))
    # The bad-SKU shipment shows as failed in the plan (the catalog gate), and fails alike.
    assert real.posted == plan.would_post and real.failed == plan.failed > 0


def test_progress_reports_counts() -> None:
    env = make_env(orders=20)
    seen: list[Any] = []
    summary = make_sync(env, progress=seen.append).run((DAY_START, DAY_END))
    last = seen[-1]
    assert last.fetched == summary.fetched
    assert (last.posted, last.skipped, last.failed) == (
        summary.posted,
        summary.skipped,
        summary.failed,
    )
    assert last.done == last.total == len(summary.results)
    assert isinstance(summary, RunSummary) and summary.describe().startswith("shipments")


def test_void_after_posting_reverses_once_and_reconcile_sees_it_until_then() -> None:
    env = make_env(orders=20)
    sync = make_sync(env)
    sync.run((DAY_START, DAY_END))
    posted = next(
        r
        for r in sync.run((DAY_START, DAY_END)).results
        if r.outcome is Outcome.ALREADY_POSTED and r.record.kind == "shipment"
    )
    shipment_id = int(posted.record.id)
    voided_at = DAY_END + timedelta(hours=1)
    env.ss.data.void_shipment(shipment_id, voided_at)
    window = (DAY_END, DAY_END + timedelta(hours=2))
    pending = sync.reconcile(window)
    assert [row.reason for row in pending.rows if row.kind == "shipment-void"] == [
        ReasonCode.VOIDED_NOT_REVERSED
    ]
    result = sync.run(window)
    reversal = [r for r in result.results if r.record.kind == "shipment-void"]
    assert [r.outcome for r in reversal] == [Outcome.POSTED]
    memo = env.oracle_sim.credit_memos()
    assert [m["TransactionNumber"] for m in memo] == [f"SS{shipment_id}V"]
    assert reversal[0].total == -posted_total(env, shipment_id)
    sync.run(window)
    assert len(env.oracle_sim.credit_memos()) == 1
    assert sync.reconcile(window).clean


def posted_total(env: Env, shipment_id: int) -> Any:
    invoice = next(
        i for i in env.oracle_sim.invoices() if i["TransactionNumber"] == f"SS{shipment_id}"
    )
    return invoice["EnteredAmount"]


def test_incremental_runs_use_the_checkpoint_with_overlap() -> None:
    env = make_env(orders=20)
    sync = make_sync(env, overlap=timedelta(hours=2))
    first = sync.run_incremental(initial_start=DAY_START)
    assert first.watermark == env.clock.now()
    stored = env.checkpoints.load("shipments", "shipstation-v1/shipments")
    assert stored is not None and stored.watermark == first.end
    env.clock.advance(3600)
    second = sync.run_incremental()
    assert second.start == first.end - timedelta(hours=2)
    assert second.posted == 0
    assert_no_duplicates(env)


def test_webhook_pointer_feeds_the_same_job_and_dedupes_against_polls() -> None:
    env = make_env(orders=20)
    sync = make_sync(env)
    shipments = [s for s in env.day.iter_shipments() if not s["voided"]][:3]
    pointer_body = env.ss.make_webhook("SHIP_NOTIFY", [s["shipmentId"] for s in shipments])
    from ml_connector.shipstation import parse_webhook

    pointer = parse_webhook(pointer_body)
    hooked = sync.run_webhook(pointer)
    assert hooked.posted + hooked.failed == 3
    again = sync.run_webhook(pointer)
    assert again.results == ()
    poll = sync.run((DAY_START, DAY_END))
    hooked_ids = {r.record for r in hooked.results if r.outcome is Outcome.POSTED}
    assert all(r.outcome is Outcome.ALREADY_POSTED for r in poll.results if r.record in hooked_ids)
    assert_no_duplicates(env)
    assert env.shipstation_methods() == {"GET"}


def test_reconcile_reports_duplicates_and_amount_mismatches() -> None:
    env = make_env(orders=12)
    sync = make_sync(env)
    sync.run((DAY_START, DAY_END))
    invoices = env.oracle_sim.resources["receivablesInvoices"].items
    first_key, second_key = sorted(invoices)[:2]
    copy = dict(invoices[first_key], CustomerTransactionId=1)
    invoices[1] = copy
    invoices[second_key] = dict(invoices[second_key], EnteredAmount=0)
    report = sync.reconcile((DAY_START, DAY_END))
    assert report.count(ReasonCode.POSTED_TWICE) == 1
    mismatch = [r for r in report.rows if r.reason is ReasonCode.AMOUNT_MISMATCH]
    assert len(mismatch) == 1 and mismatch[0].oracle_amount == 0
    assert mismatch[0].expected_amount is not None and mismatch[0].expected_amount > 0
    text = report.to_csv()
    assert text.splitlines()[0].startswith("record,kind,source_id")
    assert "posted_twice" in text and "amount_mismatch" in text


def test_reconcile_to_dataframe_when_pandas_is_installed() -> None:
    pandas = pytest.importorskip("pandas")
    env = make_env(orders=5)
    sync = make_sync(env)
    sync.run((DAY_START, DAY_END))
    report = sync.reconcile((DAY_START, DAY_END))
    frame = report.to_dataframe()
    assert isinstance(frame, pandas.DataFrame)
    # One row per record, reasons and amounts as in the report (Decimal kept, never float).
    assert len(frame) == len(report.rows)
    assert list(frame["reason"]) == [str(row.reason) for row in report.rows]
    assert list(frame["record"]) == [row.record for row in report.rows]
    amounts = [a for a in frame["expected_amount"] if a is not None and a == a]
    assert amounts
    assert all(isinstance(a, Decimal) for a in amounts)


def test_reconcile_says_lookup_failed_not_missing_when_oracle_cannot_answer() -> None:
    env = make_env(orders=8)
    sync = make_sync(env)
    sync.run((DAY_START, DAY_END))
    assert sync.reconcile((DAY_START, DAY_END)).count(ReasonCode.MISSING_IN_ORACLE) == 0
    # Every invoice look-up now fails, after every retry.
    env.oracle_sim.faults = Faults(
        FaultPlan(
            rates={FaultKind.SERVER_ERROR: 1.0},
            methods=["GET"],
            path_prefixes=["/fscmRestApi/resources/11.13.18.05/receivablesInvoices"],
        )
    )
    report = sync.reconcile((DAY_START, DAY_END))
    assert report.count(ReasonCode.MISSING_IN_ORACLE) == 0
    failed = [r for r in report.rows if r.reason is ReasonCode.LOOKUP_FAILED]
    assert failed
    assert all("could not look up" in r.detail for r in failed)
