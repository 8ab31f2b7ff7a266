"""Fault injection: exactly once through faults on both sides and process kills.

A generated day is served by the simulators with 10% of requests failing on each side (429,
5xx, timeouts, connection resets; on Oracle also token expiry and writes whose response is lost
after the server committed). The sync process is killed several times at random points, between
records and right after a committed Oracle write, and restarted from its checkpoint each time
as a fresh process (new clients, new sink, same SQLite audit file); a run that met a killed
run's claims (held until their lease expires) is followed by another after the lease. Then
failures are replayed and the window reconciled.

Claims: zero duplicates in Oracle (with Oracle's own duplicate-number check switched off, so a
second post would be stored and counted), zero records lost, every record accounted for in the
audit trail, a clean reconciliation. The figures are printed (``pytest -s`` shows them).

Reconciliation is also run while the faults continue: a look-up that still fails after every
retry (of a document or of a customer) must be reported as ``lookup_failed``, never as a false
finding (``missing_in_oracle``, ``customer_unmatched``, ``posted_twice``...), so under faults
every row is ``ok`` or ``lookup_failed``. The clean verdict is taken after the faults stop.

The issue's 10,000 orders and a 1,000-order run with another seed run with every test run
(about 2.5 minutes and 20 seconds); ``-m "not slow"`` leaves the 10,000 out. The same
claims hold for a job that trusts its audit trail (``trust_audit_trail=True``: records the
trail has never seen are posted without a look-up, announced by a ``posting`` event first), with
the same kills, the first ones right after a committed Oracle write.
"""

from __future__ import annotations

import gc
import random
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from ml_connector.audit import RecordRef, SqliteAuditSink, Stage

from ._world import ONLINE_TIMEOUTS, START, World, make_world

FINAL = {Stage.POSTED, Stage.ALREADY_POSTED, Stage.SKIPPED, Stage.REPLAYED, Stage.REVERSED}


def run_suite(
    tmp: Path,
    *,
    orders: int,
    kills: int,
    seed: int,
    trust_audit_trail: bool = False,
    **world_options: Any,
) -> dict[str, object]:
    started = time.perf_counter()
    world = make_world(
        tmp,
        orders=orders,
        seed=seed,
        kills=kills,
        trust_audit_trail=trust_audit_trail,
        **world_options,
    )
    summaries = world.run_until_done()

    # Later that day 1% of the posted labels are voided: the next runs (killed again, between
    # records and, when its write gets an answer, right after a committed write) must post
    # exactly one credit memo each.
    world.clock.advance(3600)
    posted = sorted(
        int(key[2:])
        for key in (item["TransactionNumber"] for item in world.oracle.invoices())
        if key.startswith("SS")  # shipments; fulfillments (SF keys) have no label to void
    )
    voided = random.Random(seed).sample(posted, max(1, len(posted) // 100))
    for shipment_id in voided:
        world.shipstation.data.void_shipment(shipment_id, world.clock.now())
    world.clock.advance(60)
    world.plan_kills([("records", len(voided)), ("post", 1)])
    summaries += world.run_until_done()

    job, close = world.job()
    try:
        replays = []
        for _ in range(5):
            report = job.replay()
            replays.append(len(report.items))
            if not SqliteAuditSink(world.audit_path).failed():
                break
        window = (START, world.clock.now())
        under_faults = job.reconcile(window)
        # The verdict that counts is taken on a quiet network; under faults, reconcile may only
        # say what it could not find out (see the module doc).
        world.quiet()
        # Whatever Oracle still holds in its interface is processed before the verdict.
        world.process_between_runs()
        recon = job.reconcile(window)
    finally:
        close()

    figures = _figures(world, recon, summaries, replays, time.perf_counter() - started)
    figures["labels voided after posting"] = len(voided)
    figures["reconciliation under faults"] = dict(
        Counter(str(row.reason) for row in under_faults.rows)
    )
    mode = ", trusting the audit trail" if trust_audit_trail else ""
    print(f"\nfault suite, {orders:,} orders, seed {seed}{mode}:")
    for name, value in figures.items():
        print(f"  {name:34} {value}")
    return figures


def _figures(
    world: World, recon: object, summaries: list[object], replays: list[int], seconds: float
) -> dict[str, object]:
    oracle = world.oracle
    invoices = Counter(item["TransactionNumber"] for item in oracle.invoices())
    memos = Counter(item["TransactionNumber"] for item in oracle.credit_memos())
    # Across the interface and completed movements: a row processed in between is one posting.
    staged = Counter(item["TransactionReference"] for item in oracle.inventory_transactions())
    pending = [row for row in oracle.staged_transactions() if not row.get("ErrorCode")]
    expected_inventory = {
        f"SS{shipment['shipmentId']}-{line}"
        for shipment in world.day.iter_shipments()
        if not shipment.get("voided")  # voided before it was synced: nothing to post
        for line, item in enumerate(shipment.get("shipmentItems") or [], start=1)
        if item.get("quantity")
    }
    # A label voided after a run (the suite voids 1%) reverses only what was posted
    # (docs/sync.md, "Voids"): a line whose issue never reached Oracle before the void (its
    # post failed, then the label was voided) is neither posted later nor reversed. Such a
    # line is not missing; one with a receipt but no issue would be.
    reversed_only = {key[:-1] for key in staged if key.endswith("V")} - set(staged)
    never_posted = {
        key
        for key in expected_inventory - set(staged)
        if (world.shipstation.data.shipment(int(key[2:].split("-")[0])) or {}).get("voided")
        and key not in reversed_only
    }
    expected_inventory -= never_posted
    audit = SqliteAuditSink(world.audit_path)
    try:
        latest = {event.record: event for event in audit.latest()}
        events = len(audit.events())
    finally:
        audit.close()
    rows = recon.rows  # type: ignore[attr-defined]
    expected = {
        row.posting_key
        for row in rows
        if row.kind == "shipment" and row.posting_key and row.expected_amount is not None
    }
    voided_fulfillments = {
        str(f["fulfillmentId"]) for f in world.day.iter_fulfillments() if f.get("voidDate")
    }
    shipments = [s["shipmentId"] for s in world.day.iter_shipments()]
    unaccounted = [
        sid
        for sid in shipments
        if latest.get(RecordRef("shipstation", "shipment", str(sid))) is None
        or latest[RecordRef("shipstation", "shipment", str(sid))].stage not in FINAL
    ]
    last = summaries[-1]
    return {
        "shipments in ShipStation": len(shipments),
        "process kills": dict(world.kills),
        "kill points": world.kill_log,
        "runs (restarts + 1)": world.runs,
        "final run": last.describe(),  # type: ignore[attr-defined]
        "replays (records per pass)": replays,
        "ShipStation faults": world.shipstation.faults.summary(),
        "Oracle faults": (world.oracle_faults or oracle.faults).summary(),
        "Oracle requests (runs, replays, reconciles)": len(oracle.requests),
        "Oracle invoices / credit memos": f"{len(invoices)} / {len(memos)}",
        # A fulfillment the generator voids days after creation is reversed by the late-void
        # look-back (docs/shipstation.md): its credit memo is expected, and must be for a
        # fulfillment that really is voided.
        "credit memos for late fulfillment voids": sum(1 for key in memos if key.startswith("SF")),
        "late fulfillment memos without a void": sorted(
            key for key in memos if key.startswith("SF") and key[2:-1] not in voided_fulfillments
        ),
        "Oracle inventory transactions": sum(staged.values()),
        "duplicate invoices": sum(n - 1 for n in invoices.values()),
        "duplicate credit memos": sum(n - 1 for n in memos.values()),
        "duplicate inventory transactions": sum(n - 1 for n in staged.values()),
        "inventory movements missing in Oracle": len(expected_inventory - set(staged)),
        "lines of later-voided labels never posted (nor reversed)": len(never_posted),
        "receipts without their issue": len(reversed_only),
        "inventory rows still pending in Oracle": len(pending),
        "inventory rows processed (transaction manager)": dict(world.processed),
        "inventory completed / in the interface": (
            f"{len(oracle.completed_transactions())} / {len(oracle.staged_transactions())}"
        ),
        "invoices missing in Oracle": len(expected - set(invoices)),
        "shipments not accounted for": len(unaccounted),
        "audit events": events,
        "reconciliation": dict(Counter(str(row.reason) for row in rows)),
        "reconciliation clean": recon.clean,  # type: ignore[attr-defined]
        "simulated time": f"{world.clock.monotonic() / 3600:.1f} h",
        "real time": f"{seconds:.1f} s",
    }


def _assert_exactly_once(figures: dict[str, object]) -> None:
    assert figures["duplicate invoices"] == 0
    assert figures["duplicate credit memos"] == 0
    assert figures["duplicate inventory transactions"] == 0
    assert figures["inventory movements missing in Oracle"] == 0
    assert figures["receipts without their issue"] == 0
    assert figures["invoices missing in Oracle"] == 0
    late = figures["credit memos for late fulfillment voids"]
    assert isinstance(late, int)
    assert figures["Oracle invoices / credit memos"].endswith(  # type: ignore[union-attr]
        f" / {figures['labels voided after posting'] + late}"  # type: ignore[operator]
    )
    assert figures["late fulfillment memos without a void"] == []
    assert figures["shipments not accounted for"] == 0
    assert figures["reconciliation clean"] is True
    under_faults = figures["reconciliation under faults"]
    assert isinstance(under_faults, dict)
    # A line still waiting in Oracle's interface is a fact, not a finding against the data.
    assert set(under_faults) <= {"ok", "lookup_failed", "pending_in_oracle"}, under_faults
    kills = figures["process kills"]
    assert isinstance(kills, dict)
    assert sum(kills.values()) >= 5, "the suite must actually kill the process, several times"
    assert "right after a committed Oracle write" in kills


def test_fault_suite_default_size(tmp_path: Path) -> None:
    figures = run_suite(tmp_path, orders=1_000, kills=4, seed=3)
    _assert_exactly_once(figures)


def test_fault_suite_trusting_the_audit_trail(tmp_path: Path) -> None:
    figures = run_suite(tmp_path, orders=1_000, kills=4, seed=3, trust_audit_trail=True)
    _assert_exactly_once(figures)


def test_fault_suite_with_inventory_processed_between_and_during_runs(tmp_path: Path) -> None:
    # Rows without a TransactionMode are Online, Concurrent and Background in turn; 3% of the
    # Online POSTs answer 408 and keep the row; Oracle's transaction manager runs during runs
    # (every 400 requests) and between them. Duplicates are counted across staged and
    # completed transactions.
    figures = run_suite(
        tmp_path,
        orders=1_000,
        kills=4,
        seed=5,
        inventory_modes="mixed",
        manager_every=400,
        oracle_faults=ONLINE_TIMEOUTS,
    )
    _assert_exactly_once(figures)
    processed = figures["inventory rows processed (transaction manager)"]
    assert (
        isinstance(processed, dict)
        and processed.get("during runs")
        and processed.get("between runs")
    )
    assert "online_timeout" in str(figures["Oracle faults"])


@pytest.mark.slow
def test_fault_suite_ten_thousand_shipments(tmp_path: Path) -> None:
    figures = run_suite(tmp_path, orders=10_000, kills=5, seed=9)
    _assert_exactly_once(figures)


@pytest.mark.slow
def test_fault_suite_ten_thousand_shipments_with_the_collector_off(tmp_path: Path) -> None:
    # The same day with the collector off, as a host may run: the runs take another path (the
    # simulated kills leave the killed job's objects to the collector). On it a label whose
    # inventory line failed is voided before the line is posted again: the line is then never
    # posted, and never reversed (docs/sync.md, "Voids").
    collecting = gc.isenabled()
    gc.disable()
    try:
        figures = run_suite(tmp_path, orders=10_000, kills=5, seed=9)
    finally:
        if collecting:
            gc.enable()
    _assert_exactly_once(figures)
