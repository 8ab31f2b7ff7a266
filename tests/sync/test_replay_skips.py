"""Replay never writes a false ``already-posted``: a record that has become a skip is a skip."""

from __future__ import annotations

from datetime import timedelta

from ml_connector.audit import ReplayOutcome, Stage
from ml_connector.sync import ShipmentSync

from ._env import DAY_END, DAY_START, Env, make_env


def _sync(env: Env) -> ShipmentSync:
    return ShipmentSync(
        shipstation=env.shipstation(),
        oracle=env.oracle(),
        mapping=env.mapping,
        audit=env.audit,
        checkpoints=env.checkpoints,
        clock=env.clock,
    )


def test_a_failed_label_voided_before_it_posted_is_replayed_as_a_skip() -> None:
    env = make_env(orders=30)
    sync = _sync(env)
    summary = sync.run((DAY_START, DAY_END))
    failed = [
        r for r in summary.failures() if r.record.kind == "shipment" and "missing" not in r.detail
    ] or [r for r in summary.failures() if r.record.kind == "shipment"]
    assert failed, "the generated day should fail some records"
    target = failed[0]
    env.ss.data.void_shipment(int(target.record.id), DAY_END + timedelta(hours=1))

    dry = sync.replay(record_ids=[target.record.id], dry_run=True)
    assert [i.outcome for i in dry.items] == [ReplayOutcome.WOULD_SKIP]

    report = sync.replay(record_ids=[target.record.id])
    (item,) = report.items
    assert item.outcome is ReplayOutcome.SKIPPED
    assert item.oracle_id is None
    assert item.event is not None and item.event.stage is Stage.SKIPPED
    assert item.event.oracle_id is None
    assert "nothing to post any more" in (item.event.detail or "")
    latest = {e.record: e for e in env.audit.latest()}[target.record]
    assert latest.stage is Stage.SKIPPED
    assert not [
        e
        for e in env.audit.events()
        if e.record == target.record and e.stage is Stage.ALREADY_POSTED
    ]


def test_a_dry_run_shows_what_the_run_will_fail_on_as_failures() -> None:
    # No store defaults: orders whose customer Oracle does not know fail as unmatched; the
    # generated day also ships an item Oracle's item master refuses.
    env = make_env(mapping_changes={"stores": {}})
    sync = _sync(env)
    dry = sync.run((DAY_START, DAY_END), dry_run=True)
    real = sync.run((DAY_START, DAY_END))
    fields = {(r.error or {}).get("field") for r in real.failures()}
    assert {"customer", "ItemNumber"} <= fields
    predicted = {r.record: r.outcome.value for r in dry.results}
    happened = {r.record: r.outcome.value for r in real.results}
    assert predicted.keys() == happened.keys()
    for record, outcome in happened.items():
        expected = "would-post" if outcome == "posted" else outcome
        assert predicted[record] == expected, record
    assert sum(1 for o in predicted.values() if o == "failed") == len(real.failures())
