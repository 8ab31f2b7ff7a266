"""Shipment syncs against receivables as Oracle documents them: numbering, credit memos, batches."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from ml_connector.audit import Stage
from ml_connector.oracle import PostingKeyNotKeptError
from ml_connector.sync import AsyncShipmentSync, Outcome
from ml_connector.testing import FaultKind, FaultPlan

from ._env import DAY_END, DAY_START, make_env
from .test_shipments import assert_no_duplicates, make_sync

WINDOW = (DAY_START, DAY_END)


@pytest.mark.parametrize("batch", [True, False])
def test_an_automatically_numbered_source_stops_the_run_and_nothing_posts_twice(
    batch: bool,
) -> None:
    env = make_env(orders=20)
    clean = make_env(orders=20)
    make_sync(clean).run(WINDOW)
    expected = {i["TransactionNumber"] for i in clean.oracle_sim.invoices()}
    env.oracle_sim.add_transaction_source("SHIPSTATION", automatic_numbering=True)
    sync = make_sync(env, batch=batch)

    with pytest.raises(PostingKeyNotKeptError) as raised:
        sync.run(WINDOW)
    assert "SHIPSTATION" in raised.value.message
    assert raised.value.setting == "receivables.transaction_source"
    first = env.oracle_sim.invoices()
    assert first, "the document Oracle numbered is posted"
    # Recorded as posted, under Oracle's number, in the audit trail.
    outcomes = [e for e in env.audit.events() if e.stage in (Stage.POSTED, Stage.FAILED)]
    assert any("under Oracle's number" in (e.detail or "") for e in outcomes)
    by_key = {e.posting_key: e for e in outcomes}
    for invoice in first:
        event = by_key[invoice["CrossReference"]]
        assert event.oracle_id == str(invoice["CustomerTransactionId"])
        assert invoice["TransactionNumber"] in (event.detail or "")

    # Every further run stops too, and never posts an invoice twice: the echo finds them.
    for _ in range(40):
        try:
            sync.run(WINDOW)
        except PostingKeyNotKeptError:
            continue
        break
    else:
        pytest.fail("the runs never finished")
    keys = Counter(i["CrossReference"] for i in env.oracle_sim.invoices())
    assert set(keys) == expected
    assert set(keys.values()) == {1}
    assert all(i["TransactionNumber"] not in expected for i in env.oracle_sim.invoices())

    # Reconcile finds each invoice and shows Oracle's number beside our key.
    report = sync.reconcile(WINDOW)
    baseline = make_sync(clean).reconcile(WINDOW)  # the day's deliberately bad records
    assert [(r.record, r.reason) for r in report.problems()] == [
        (r.record, r.reason) for r in baseline.problems()
    ]
    numbered = [r for r in report.rows if r.kind == "shipment" and r.oracle_number]
    assert numbered and all(r.oracle_number != r.posting_key for r in numbered)
    assert all(r.as_dict()["oracle_number"] == r.oracle_number for r in numbered)


def test_reconcile_lists_each_on_account_credit_memo_with_the_invoice_to_apply_it_to() -> None:
    env = make_env(orders=20)
    sync = make_sync(env)
    sync.run(WINDOW)
    invoices = {i["TransactionNumber"] for i in env.oracle_sim.invoices()}
    voided = sorted(int(n[2:]) for n in invoices if n.startswith("SS") and n[2:].isdigit())[:2]
    for shipment_id in voided:
        env.ss.data.void_shipment(shipment_id, DAY_END + timedelta(hours=1))
    window = (DAY_END, DAY_END + timedelta(hours=2))
    sync.run(window)
    assert sorted(m["TransactionNumber"] for m in env.oracle_sim.credit_memos()) == sorted(
        f"SS{n}V" for n in voided
    )
    report = sync.reconcile(window)
    assert report.clean
    unapplied = report.unapplied_credit_memos()
    assert sorted((r.posting_key, r.apply_to) for r in unapplied) == sorted(
        (f"SS{n}V", f"SS{n}") for n in voided
    )
    assert all("apply to invoice" in r.detail for r in unapplied)
    assert all(r.as_dict()["apply_to"] for r in unapplied)


def test_a_batch_answer_without_ids_is_looked_up_and_nothing_posts_twice() -> None:
    env = make_env(orders=20)
    clean = make_env(orders=20)
    expected = make_sync(clean, batch=True).run(WINDOW)
    env.oracle_sim.batch_part_payloads = False
    sync = make_sync(env, batch=True)
    summary = sync.run(WINDOW)
    # The same outcomes as with full answers (the day's deliberately bad records fail alike).
    assert Counter(r.outcome for r in summary.results) == Counter(
        r.outcome for r in expected.results
    )
    assert any(r.outcome is Outcome.POSTED for r in summary.results)
    # Every created document was found by its key, so each has its Oracle id.
    for result in summary.results:
        if result.outcome is Outcome.POSTED:
            assert set(result.oracle_ids) == set(result.keys)
    assert_no_duplicates(env)
    again = sync.run(WINDOW)
    assert again.posted == 0
    assert_no_duplicates(env)


@pytest.mark.parametrize("batch", [True, False])
def test_lost_answers_on_an_automatic_source_then_replays_post_each_shipment_once(
    batch: bool,
) -> None:
    plan = FaultPlan(
        seed=3,
        rates={FaultKind.LOST_AFTER_COMMIT: 0.3},
        methods=["POST"],
        path_prefixes=["/fscmRestApi"],
    )
    env = make_env(orders=20, oracle_faults=plan)
    clean = make_env(orders=20)
    reference = make_sync(clean)
    reference.run(WINDOW)
    reference.replay()
    expected = {i["TransactionNumber"] for i in clean.oracle_sim.invoices()}
    env.oracle_sim.add_transaction_source("SHIPSTATION", automatic_numbering=True)
    sync = make_sync(env, batch=batch)
    stops = 0
    for _ in range(60):
        try:
            sync.run(WINDOW)
            sync.replay()
        except PostingKeyNotKeptError:
            stops += 1
            continue
        break
    else:
        pytest.fail("the runs never finished")
    assert stops >= 1
    keys = Counter(i["CrossReference"] for i in env.oracle_sim.invoices())
    assert set(keys) == expected
    assert set(keys.values()) == {1}


@pytest.mark.anyio
async def test_the_async_twin_stops_the_same_way() -> None:
    env = make_env(orders=20)
    env.oracle_sim.add_transaction_source("SHIPSTATION", automatic_numbering=True)
    sync = AsyncShipmentSync(
        shipstation=env.async_shipstation(),
        oracle=env.async_oracle(),
        mapping=env.mapping,
        audit=env.audit,
        checkpoints=env.checkpoints,
        clock=env.clock,
        concurrency=4,
    )
    with pytest.raises(PostingKeyNotKeptError):
        await sync.run(WINDOW)
    first = len(env.oracle_sim.invoices())
    assert first >= 1
    # Each further run stops at its first renumbered invoice too, and finds the ones before by
    # their echo: in the end every invoice is in Oracle once.
    for _ in range(60):
        try:
            await sync.run(WINDOW)
        except PostingKeyNotKeptError:
            continue
        break
    else:
        pytest.fail("the runs never finished")
    keys = Counter(i["CrossReference"] for i in env.oracle_sim.invoices())
    assert set(keys.values()) == {1}
    assert len(keys) >= first
