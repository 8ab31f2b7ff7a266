"""Replay of the inventory job's failed records: posted once, found when already there.

A failed inventory adjustment is re-posted exactly as its failed event planned it (the staged
transaction the trail kept), after looking its posting key up in Oracle the way the inventory
run does, so a posting whose answer was lost is found and never doubled.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from ml_connector import MappingError
from ml_connector._json import loads
from ml_connector.audit import (
    MemoryAuditSink,
    ReplayOutcome,
    Stage,
    canonical_json,
    new_event,
    payload_of,
)
from ml_connector.oracle import InventoryStagedTransaction, to_wire
from ml_connector.sync import (
    AsyncInventoryReplayTarget,
    AsyncInventorySync,
    InventoryReplayTarget,
    InventorySync,
    ShipmentSync,
)
from ml_connector.sync._inventory_replay import INVENTORY_REPLAY_KINDS, transaction_of
from ml_connector.testing import FaultKind, FaultPlan, Faults

from ._env import DAY_END, DAY_START, Env, make_env

ADJUSTMENT = "inventory-adjustment"
INVENTORY_PATHS = ["/fscmRestApi/resources/11.13.18.05/inventory"]


def inventory_sync(env: Env, audit: Any = None) -> InventorySync:
    return InventorySync(
        shipstation=env.shipstation(),
        inventory=env.shipstation_v2(),
        oracle=env.oracle(),
        mapping=env.mapping,
        audit=env.audit if audit is None else audit,
        baselines=env.checkpoints,
        clock=env.clock,
    )


def async_inventory_sync(env: Env) -> AsyncInventorySync:
    return AsyncInventorySync(
        shipstation=env.async_shipstation(),
        inventory=env.async_shipstation_v2(),
        oracle=env.async_oracle(),
        mapping=env.mapping,
        audit=env.audit,
        baselines=env.checkpoints,
        clock=env.clock,
    )


def staged_posts(env: Env) -> int:
    """POSTs of staged inventory transactions Oracle has received."""
    return sum(
        1
        for method, url in env.oracle_sim.requests
        if method == "POST" and url.endswith("/inventoryStagedTransactions")
    )


def in_oracle(env: Env, key: str) -> list[dict[str, Any]]:
    """Every row Oracle holds for ``key``: staged (interface) and completed."""
    rows = [*env.oracle_sim.staged_transactions(), *env.oracle_sim.completed_transactions()]
    return [row for row in rows if row.get("TransactionReference") == key]


def failed_adjustment(env: Env, faults: FaultPlan) -> tuple[InventorySync, str]:
    """A baseline, then a change of -3 whose adjustment Oracle fails under ``faults``."""
    job = inventory_sync(env)
    job.run()
    env.clock.advance(3600)
    where = env.day.inventory_locations[0]["inventory_location_id"]
    level = env.ss.data.inventory_level("SKU-00001", where)
    assert level is not None
    level["on_hand"] -= 3
    env.ss.data.set_inventory_level(level)
    env.oracle_sim.faults = Faults(faults)
    summary = job.run()
    [result] = summary.results
    assert result.record.kind == ADJUSTMENT and result.outcome.value == "failed"
    assert result.posting_key is not None
    env.oracle_sim.faults = Faults()
    return job, result.posting_key


def refused() -> FaultPlan:
    """Oracle refuses every staged-transaction POST with a 503 (nothing is committed)."""
    return FaultPlan(
        rates={FaultKind.SERVER_ERROR: 1.0}, methods=["POST"], path_prefixes=INVENTORY_PATHS
    )


def test_a_failed_adjustment_replays_to_posted_exactly_once() -> None:
    env = make_env(orders=5)
    job, key = failed_adjustment(env, refused())
    assert in_oracle(env, key) == []
    posts = staged_posts(env)

    report = job.replay()
    [item] = report.items
    assert item.outcome is ReplayOutcome.POSTED and item.posting_key == key
    assert item.changes == ()  # exactly what the failed event planned
    [row] = in_oracle(env, key)
    assert Decimal(str(row["TransactionQuantity"])) == -3
    assert row["ItemNumber"] == "SKU-00001"
    assert staged_posts(env) == posts + 1
    events = env.audit.events(record=item.failed.record)
    assert [e.stage for e in events] == [Stage.FAILED, Stage.REPLAYED]
    replayed = events[-1]
    assert replayed.oracle_id == item.oracle_id and replayed.oracle_id is not None
    assert replayed.attempt == 2 and replayed.correlation_id == events[0].correlation_id
    assert replayed.payload == events[0].payload

    # Replaying again, and the next inventory run, post nothing more.
    assert job.replay().items == ()
    env.clock.advance(60)
    assert job.run().results == ()
    assert len(in_oracle(env, key)) == 1 and staged_posts(env) == posts + 1


def test_a_replay_that_fails_again_keeps_the_evidence_and_the_payload() -> None:
    env = make_env(orders=5)
    job, key = failed_adjustment(env, refused())
    env.oracle_sim.faults = Faults(refused())
    for attempt in (2, 3):
        [item] = job.replay().items
        assert item.outcome is ReplayOutcome.FAILED
        assert item.error is not None and item.error["type"] == "ServerError"
        assert item.error["status"] == 503
        latest = env.audit.events(record=item.failed.record)[-1]
        assert latest.stage is Stage.FAILED and latest.attempt == attempt
        assert payload_of(latest)["transaction"]["TransactionReference"] == key
    env.oracle_sim.faults = Faults()
    [item] = job.replay().items
    assert item.outcome is ReplayOutcome.POSTED
    assert len(in_oracle(env, key)) == 1


def test_a_lost_response_replays_to_found_and_is_not_posted_again() -> None:
    env = make_env(orders=5)
    # The run looks the key up (staged, completed) twice, then posts: Oracle commits the POST
    # and the answer is lost; every look-up after it fails, so the run records a failure.
    lost = FaultPlan(
        script=[None] * 4 + [FaultKind.LOST_AFTER_COMMIT],
        rates={FaultKind.SERVER_ERROR: 1.0},
        path_prefixes=INVENTORY_PATHS,
    )
    faults = Faults(lost)
    job = inventory_sync(env)
    job.run()
    env.clock.advance(3600)
    where = env.day.inventory_locations[0]["inventory_location_id"]
    level = env.ss.data.inventory_level("SKU-00001", where)
    assert level is not None
    level["on_hand"] -= 3
    env.ss.data.set_inventory_level(level)
    env.oracle_sim.faults = faults
    [result] = job.run().results
    env.oracle_sim.faults = Faults()
    assert faults.counts[FaultKind.LOST_AFTER_COMMIT] == 1, faults
    assert result.outcome.value == "failed" and result.posting_key is not None
    key = result.posting_key
    assert len(in_oracle(env, key)) == 1  # committed, though the trail says failed
    posts = staged_posts(env)

    dry = job.replay(dry_run=True)
    assert [i.outcome for i in dry.items] == [ReplayOutcome.WOULD_SKIP]
    [item] = job.replay().items
    assert item.outcome is ReplayOutcome.ALREADY_POSTED and item.oracle_id is not None
    assert staged_posts(env) == posts  # found, not posted again
    assert len(in_oracle(env, key)) == 1
    assert env.audit.events(record=item.failed.record)[-1].stage is Stage.ALREADY_POSTED
    assert job.replay().items == ()


def test_replaying_twice_is_a_no_op_even_when_the_outcome_was_lost() -> None:
    env = make_env(orders=5)
    job, key = failed_adjustment(env, refused())
    before = list(env.audit.events())
    [first] = job.replay().items
    assert first.outcome is ReplayOutcome.POSTED
    assert job.replay().items == ()  # replayed records are no longer failed
    posts = staged_posts(env)
    # A trail that lost the `replayed` event (a crash right after the post): the record is
    # failed again there, and its replay finds the transaction instead of posting it.
    trail = MemoryAuditSink()
    trail.write_many(before)
    again = inventory_sync(env, audit=trail)
    [item] = again.replay().items
    assert item.outcome is ReplayOutcome.ALREADY_POSTED
    # (Online mode processed the row: Oracle now names it by its completed transaction id.)
    assert item.oracle_id is not None
    assert staged_posts(env) == posts and len(in_oracle(env, key)) == 1
    assert again.replay().items == ()


def test_a_dry_run_posts_and_writes_nothing() -> None:
    env = make_env(orders=5)
    job, key = failed_adjustment(env, refused())
    events = len(env.audit.events())
    [item] = job.replay(dry_run=True).items
    assert item.outcome is ReplayOutcome.WOULD_POST and item.event is None
    assert in_oracle(env, key) == [] and len(env.audit.events()) == events


@pytest.mark.anyio
async def test_the_async_twin_replays_the_same_way() -> None:
    env = make_env(orders=5)
    _job, key = failed_adjustment(env, refused())
    job = async_inventory_sync(env)
    assert isinstance(job.replay_target(), AsyncInventoryReplayTarget)
    assert [i.outcome for i in (await job.replay(dry_run=True)).items] == [ReplayOutcome.WOULD_POST]
    [item] = (await job.replay()).items
    assert item.outcome is ReplayOutcome.POSTED
    assert len(in_oracle(env, key)) == 1
    assert (await job.replay()).items == ()


def test_each_job_replays_only_its_own_records() -> None:
    env = make_env(orders=5)
    job, _key = failed_adjustment(env, refused())
    shipments = ShipmentSync(
        shipstation=env.shipstation(),
        oracle=env.oracle(),
        mapping=env.mapping,
        audit=env.audit,
        checkpoints=env.checkpoints,
        clock=env.clock,
    )
    # The shipment job leaves the adjustment alone (it used to fail it again).
    assert shipments.replay().items == ()
    assert env.audit.events()[-1].stage is Stage.FAILED
    assert len(env.audit.events(record=env.audit.failed()[0].record)) == 1
    # And a failed shipment record is not the inventory job's.
    summary = shipments.run((DAY_START, DAY_END))
    assert summary.failed > 0
    assert {i.failed.record.kind for i in job.replay(dry_run=True).items} == {ADJUSTMENT}
    assert isinstance(job.replay_target(), InventoryReplayTarget)


def test_an_undecodable_level_is_decoded_again_by_the_inventory_job() -> None:
    env = make_env(orders=5)
    job = inventory_sync(env)
    job.run()
    env.clock.advance(60)
    where = env.day.inventory_locations[0]["inventory_location_id"]
    level = env.ss.data.inventory_level("SKU-00001", where)
    assert level is not None
    level["on_hand"] = "n/a"
    env.ss.data.set_inventory_level(level)
    [failed] = job.run().undecodable
    [item] = job.replay().items
    assert item.failed.record == failed.record and item.outcome is ReplayOutcome.FAILED
    assert item.error is not None and item.error.get("field") == "on_hand"
    assert env.oracle_posts() == []


def test_a_kept_payload_that_does_not_rebuild_exactly_posts_nothing() -> None:
    env = make_env(orders=5)
    job, key = failed_adjustment(env, refused())
    [failed] = env.audit.failed()
    kept = payload_of(failed)
    env.audit.write(
        new_event(
            env.clock,
            correlation_id=failed.correlation_id,
            record=failed.record,
            stage=Stage.FAILED,
            attempt=failed.attempt + 1,
            posting_key=key,
            payload={"transaction": {**kept["transaction"], "TransactionQuantity": "three"}},
            error=failed.error,
        )
    )
    [item] = job.replay().items
    assert item.outcome is ReplayOutcome.FAILED
    assert item.error is not None and item.error["field"] == "TransactionQuantity"
    assert in_oracle(env, key) == []


def test_a_transaction_rebuilds_from_its_wire_form_exactly() -> None:
    transaction = InventoryStagedTransaction(
        item_number="SKU-1",
        subinventory_code="FG",
        transaction_quantity=Decimal("-2.50"),
        transaction_unit_of_measure="Each",
        transaction_date=datetime(2026, 1, 17, 13, tzinfo=UTC),
        transaction_type_name="Miscellaneous Issue",
        source_code="SHIPSTATION",
        source_header_id="1",
        source_line_id="1",
        transaction_reference="SA1",
        organization_code="M1",
        distribution_account="01-1410000-00-0100-01-01-00",
        transaction_mode="1",
        use_current_cost=True,
        transaction_cost=Decimal("4.10"),
        extra={"LotNumber": "L7"},
    )
    # As the trail keeps it: Decimals and dates as text.
    kept = loads(canonical_json({"transaction": to_wire(transaction)}))
    assert transaction_of(kept, "r") == transaction
    assert ADJUSTMENT in INVENTORY_REPLAY_KINDS
    with pytest.raises(MappingError) as missing:
        transaction_of({"source": {}}, "r")
    assert missing.value.field == "transaction"


def test_a_row_oracle_refused_fails_the_replay_until_it_is_fixed_in_oracle() -> None:
    env = make_env(orders=5)
    job = inventory_sync(env)
    job.run()
    env.clock.advance(3600)
    where = env.day.inventory_locations[0]["inventory_location_id"]
    level = env.ss.data.inventory_level("SKU-00001", where)
    assert level is not None
    level["on_hand"] -= 3
    env.ss.data.set_inventory_level(level)
    # Oracle does not know the organization: Online processing keeps the row in its interface
    # with an error (the 2xx answer says so).
    organization = sorted(env.oracle_sim.organizations)[0]
    env.oracle_sim.organizations.discard(organization)
    [result] = job.run().results
    assert result.outcome.value == "failed" and result.posting_key is not None
    key = result.posting_key
    [row] = in_oracle(env, key)
    assert row["ErrorCode"] == "INV_INVALID_ORGANIZATION"
    # The row blocks the key: replay fails with Oracle's error, and stages nothing more.
    [item] = job.replay().items
    assert item.outcome is ReplayOutcome.FAILED and item.error is not None
    assert item.error["code"] == "INV_INVALID_ORGANIZATION"
    assert "correct or delete it in Oracle, then replay" in item.error["message"]
    assert len(in_oracle(env, key)) == 1
    # Fixed in Oracle (the organization set up, the refused row deleted): replay posts it once.
    env.oracle_sim.organizations.add(organization)
    staged = env.oracle_sim.resources["inventoryStagedTransactions"].items
    for refused in [k for k, r in staged.items() if r.get("TransactionReference") == key]:
        del staged[refused]
    [item] = job.replay().items
    assert item.outcome is ReplayOutcome.POSTED
    [row] = in_oracle(env, key)
    assert not row.get("ErrorCode")
    assert job.replay().items == ()


def test_the_replay_targets_are_twins() -> None:
    import inspect

    def public(cls: type[Any]) -> set[str]:
        return {name for name, _ in inspect.getmembers(cls) if not name.startswith("_")}

    assert public(InventoryReplayTarget) == public(AsyncInventoryReplayTarget)
    assert public(InventoryReplayTarget) == {"remap", "find", "create"}
    for name in public(AsyncInventoryReplayTarget):
        assert inspect.iscoroutinefunction(getattr(AsyncInventoryReplayTarget, name)), name
