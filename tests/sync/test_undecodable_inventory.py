"""The inventory job and records ShipStation lists but nothing can decode.

A V2 level (or a V1 shipment between snapshots) that cannot be decoded becomes a failed record
of its own, its SKUs are held instead of compared (a level that cannot be read must never pass
for a level gone to zero), every other SKU goes on, and once the record reads again its SKUs
catch up from the level kept for them, with the shipments of the whole span.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
import pytest

from ml_connector.audit import RecordRef, ReplayOutcome, Stage, new_event, payload_of
from ml_connector.sync import AsyncInventorySync, InventorySync, Outcome, ShipmentSync
from ml_connector.testing import Realism

from ._env import DAY_END, DAY_START, V2, Env, make_env

LEVEL = "inventory-level"


def inventory_sync(env: Env, transport: httpx.BaseTransport | None = None) -> InventorySync:
    from ml_connector.shipstation import ShipStationV2Client

    v2 = (
        env.shipstation_v2()
        if transport is None
        else ShipStationV2Client(V2, transport=transport, clock=env.clock)
    )
    return InventorySync(
        shipstation=env.shipstation(),
        inventory=v2,
        oracle=env.oracle(),
        mapping=env.mapping,
        audit=env.audit,
        baselines=env.checkpoints,
        clock=env.clock,
    )


def location(env: Env, n: int = 0) -> str:
    return str(env.day.inventory_locations[n]["inventory_location_id"])


def change(env: Env, sku: str, where: str, **fields: Any) -> dict[str, Any]:
    level = env.ss.data.inventory_level(sku, where)
    assert level is not None
    before = dict(level)
    level.update(fields)
    env.ss.data.set_inventory_level(level)
    return before


def adjustments(summary: Any) -> list[Any]:
    return [r for r in summary.results if r.record.kind == "inventory-adjustment"]


def test_an_undecodable_level_fails_alone_holds_its_sku_and_catches_up_later() -> None:
    env = make_env(orders=5)
    job = inventory_sync(env)
    job.run()
    env.clock.advance(3600)
    where = location(env)
    kept = change(env, "SKU-00001", where, on_hand="n/a")["on_hand"]
    other = env.ss.data.inventory_level("SKU-00002", where)
    assert other is not None
    change(env, "SKU-00002", where, on_hand=other["on_hand"] - 3)
    second = job.run()
    # The other SKU goes on; the broken level is not an adjustment to zero.
    assert [a.outcome for a in adjustments(second)] == [Outcome.POSTED]
    assert "SKU-00002" in adjustments(second)[0].detail
    posted = env.oracle_sim.inventory_transactions()
    assert [p["TransactionQuantity"] for p in posted] == [-3]
    assert second.held == ("SKU-00001",)
    [failed] = second.undecodable
    assert failed.outcome is Outcome.FAILED
    assert failed.record == RecordRef("shipstation", LEVEL, f"SKU-00001@{where}")
    assert failed.error is not None and failed.error.get("field") == "on_hand"
    assert failed.payload is not None and failed.payload["raw"]["on_hand"] == "n/a"
    assert failed.payload["held_skus"] == ["SKU-00001"]
    assert second.count(Outcome.FAILED) == 1
    events = env.audit.events(record=failed.record)
    assert [e.stage for e in events] == [Stage.FAILED]
    assert (payload_of(events[0]) or {})["raw"]["on_hand"] == "n/a"
    # It reads again, 5 fewer than when it was last known: compared from that level.
    env.clock.advance(3600)
    change(env, "SKU-00001", where, on_hand=kept - 5)
    third = job.run()
    [caught_up] = adjustments(third)
    assert caught_up.outcome is Outcome.POSTED and "SKU-00001" in caught_up.detail
    assert [p["TransactionQuantity"] for p in env.oracle_sim.inventory_transactions()] == [-3, -5]
    assert third.held == () and third.undecodable == ()
    assert third.replayed == (failed.record,)
    events = env.audit.events(record=failed.record)
    assert [e.stage for e in events] == [Stage.FAILED, Stage.REPLAYED]
    assert "SKU-00001 compared from" in (events[-1].detail or "")
    env.clock.advance(60)
    fourth = job.run()
    assert fourth.results == () and fourth.replayed == ()
    assert env.shipstation_methods() == {"GET"}


def test_a_held_sku_catches_up_with_the_shipments_of_its_whole_span() -> None:
    env = make_env(orders=5)
    job = inventory_sync(env)
    job.run()
    env.clock.advance(60)
    shipment = next(s for s in env.day.iter_shipments() if not s["voided"])
    n = [w["warehouseId"] for w in env.day.warehouses].index(shipment["warehouseId"])
    where = location(env, n)
    sku = shipment["shipmentItems"][0]["sku"]
    # The label is voided (the stock comes back) while the SKU's level cannot be read.
    env.ss.data.void_shipment(shipment["shipmentId"], env.clock.now())
    back = {item["sku"]: 0 for item in shipment["shipmentItems"]}
    for item in shipment["shipmentItems"]:
        back[item["sku"]] += item["quantity"]
    for item_sku, quantity in back.items():
        level = env.ss.data.inventory_level(item_sku, where)
        assert level is not None
        change(env, item_sku, where, on_hand=level["on_hand"] + quantity)
    kept = change(env, sku, where, on_hand="n/a")["on_hand"]
    env.clock.advance(60)
    held = job.run()
    assert sku in held.held and adjustments(held) == []  # the other SKUs: explained by the void
    env.clock.advance(60)
    change(env, sku, where, on_hand=kept)
    summary = job.run()
    # Compared from the level kept before the void, with the void counted: explained.
    assert summary.held == () and adjustments(summary) == []
    assert len(summary.replayed) == 1
    assert env.oracle_posts() == []


def test_an_undecodable_shipment_holds_its_skus_instead_of_posting_a_false_receipt() -> None:
    env = make_env(orders=5)
    job = inventory_sync(env)
    job.run()
    env.clock.advance(60)
    shipment = next(s for s in env.day.iter_shipments() if not s["voided"])
    n = [w["warehouseId"] for w in env.day.warehouses].index(shipment["warehouseId"])
    where = location(env, n)
    record = env.ss.data.void_shipment(shipment["shipmentId"], env.clock.now())
    cost = record["shipmentCost"]
    record["shipmentCost"] = "n/a"
    env.ss.data.shipments.touched(shipment["shipmentId"])
    skus = {item["sku"] for item in shipment["shipmentItems"]}
    for item in shipment["shipmentItems"]:
        level = env.ss.data.inventory_level(item["sku"], where)
        assert level is not None
        level["on_hand"] += item["quantity"]
        env.ss.data.set_inventory_level(level)
    env.clock.advance(60)
    first = job.run()
    # Without the hold the void would be unknown and the stock back would post as a receipt.
    assert adjustments(first) == [] and env.oracle_posts() == []
    assert set(first.held) == skus
    [failed] = first.undecodable
    assert failed.record == RecordRef(
        "shipstation", "inventory-shipment", str(shipment["shipmentId"])
    )
    assert failed.error is not None and failed.error.get("field") == "shipment_cost"
    assert failed.payload is not None and sorted(failed.payload["held_skus"]) == sorted(skus)
    env.clock.advance(60)
    record["shipmentCost"] = cost  # ShipStation answers it properly again
    env.ss.data.shipments.touched(shipment["shipmentId"])
    second = job.run()
    assert second.held == () and adjustments(second) == [] and env.oracle_posts() == []
    assert second.replayed == (failed.record,)


class _SkuDropper(httpx.BaseTransport):
    """The simulator's answers, with one level's ``sku`` taken out (a level nothing names)."""

    def __init__(self, inner: httpx.BaseTransport, sku: str, where: str) -> None:
        self.inner, self.sku, self.where = inner, sku, where
        self.active = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if not self.active or request.url.path != "/v2/inventory":
            return response
        body = json.loads(response.read())
        for level in body["inventory"]:
            if level["sku"] == self.sku and level["inventory_location_id"] == self.where:
                del level["sku"]
        headers = {
            k: v for k, v in response.headers.items() if k.lower() not in ("content-length",)
        }
        return httpx.Response(response.status_code, headers=headers, json=body)


def test_a_level_without_a_readable_sku_holds_what_the_snapshot_no_longer_accounts_for() -> None:
    env = make_env(orders=5)
    where = location(env, 1)
    dropper = _SkuDropper(env.ss.transport(), "SKU-00003", where)
    job = inventory_sync(env, dropper)
    job.run()
    env.clock.advance(60)
    dropper.active = True
    summary = job.run()
    assert summary.held == ("SKU-00003",)
    assert adjustments(summary) == [] and env.oracle_posts() == []
    [failed] = summary.undecodable
    assert failed.record.kind == LEVEL and failed.record.id.startswith("raw-")
    assert failed.payload is not None and failed.payload["held_skus"] is None
    env.clock.advance(60)
    dropper.active = False
    again = job.run()
    assert again.held == () and adjustments(again) == []
    assert again.replayed == (failed.record,)


def test_realistic_day_with_undecodable_levels_stores_what_it_can_and_posts_nothing_false() -> None:
    env = make_env(orders=20, realism=Realism(undecodable_inventory_levels=3))
    broken = [lv for lv in env.ss.data.inventory.values() if lv["on_hand"] == "n/a"]
    assert len(broken) == 3
    job = inventory_sync(env)
    first = job.run()
    assert first.baseline is None and len(first.undecodable) == 3
    assert set(first.held) == {lv["sku"] for lv in broken}
    assert all(r.error and r.error.get("field") == "on_hand" for r in first.undecodable)
    env.clock.advance(60)
    second = job.run()
    # Still broken: failed again (same records, next attempt), nothing compared to zero.
    assert len(second.undecodable) == 3 and env.oracle_posts() == []
    for result in second.undecodable:
        assert [e.attempt for e in env.audit.events(record=result.record)] == [1, 2]
    # One reads again: nothing earlier is known of it, so it is stored, not received from 0.
    fixed = broken[0]
    change(env, fixed["sku"], fixed["inventory_location_id"], on_hand=7)
    env.clock.advance(60)
    third = job.run()
    assert len(third.undecodable) == 2 and adjustments(third) == []
    assert len(third.replayed) == 1 and env.oracle_posts() == []
    [event] = env.audit.events(record=third.replayed[0], stage=Stage.REPLAYED)
    assert "stored as the baseline" in (event.detail or "")
    # From now on it is compared like any other SKU.
    change(env, fixed["sku"], fixed["inventory_location_id"], on_hand=4)
    env.clock.advance(60)
    fourth = job.run()
    assert [p["TransactionQuantity"] for p in env.oracle_sim.inventory_transactions()] == [-3]
    assert len(fourth.undecodable) == 2


def test_a_dry_run_reports_undecodable_records_and_writes_nothing() -> None:
    env = make_env(orders=5)
    job = inventory_sync(env)
    job.run()
    stored = env.checkpoints.load("inventory", "shipstation-v2/inventory")
    env.clock.advance(60)
    change(env, "SKU-00001", location(env), on_hand="n/a")
    summary = job.run(dry_run=True)
    assert len(summary.undecodable) == 1 and summary.held == ("SKU-00001",)
    assert len(env.audit) == 0
    assert env.checkpoints.load("inventory", "shipstation-v2/inventory") == stored


def test_secrets_never_reach_the_kept_payload() -> None:
    env = make_env(orders=5)
    job = inventory_sync(env)
    job.run()
    env.clock.advance(60)
    secret = V2.api_key.reveal()
    change(env, "SKU-00001", location(env), on_hand="n/a", note=f"api-key {secret}")
    summary = job.run()
    [failed] = summary.undecodable
    assert secret not in repr(failed.payload) and secret not in failed.detail
    for event in env.audit.events(record=failed.record):
        assert secret not in (event.payload or "")


@pytest.mark.anyio
async def test_the_async_twin_holds_the_same_records() -> None:
    env = make_env(orders=5)
    job = AsyncInventorySync(
        shipstation=env.async_shipstation(),
        inventory=env.async_shipstation_v2(),
        oracle=env.async_oracle(),
        mapping=env.mapping,
        audit=env.audit,
        baselines=env.checkpoints,
        clock=env.clock,
    )
    await job.run()
    env.clock.advance(60)
    where = location(env)
    kept = change(env, "SKU-00001", where, on_hand="n/a")["on_hand"]
    second = await job.run()
    assert second.held == ("SKU-00001",) and len(second.undecodable) == 1
    env.clock.advance(60)
    change(env, "SKU-00001", where, on_hand=kept + 2)
    third = await job.run()
    assert [p["TransactionQuantity"] for p in env.oracle_sim.inventory_transactions()] == [2]
    assert third.replayed == (second.undecodable[0].record,)


# -- replay ---------------------------------------------------------------------------------------


def shipment_sync(env: Env) -> ShipmentSync:
    return ShipmentSync(
        shipstation=env.shipstation(),
        oracle=env.oracle(),
        mapping=env.mapping,
        audit=env.audit,
        checkpoints=env.checkpoints,
        clock=env.clock,
        results="all",
    )


def test_replay_decodes_an_inventory_record_again_from_its_kept_payload() -> None:
    env = make_env(orders=5)
    job = inventory_sync(env)
    job.run()
    env.clock.advance(60)
    where = location(env)
    kept = change(env, "SKU-00001", where, on_hand="n/a")["on_hand"]
    [failed] = job.run().undecodable
    # `ml-connector replay` replays every failed record through the shipment job's target.
    replayer = shipment_sync(env)
    for _attempt in range(2):  # the second replay still has the payload the first kept
        [item] = replayer.replay().items
        assert item.failed.record == failed.record and item.outcome is ReplayOutcome.FAILED
        assert item.error is not None and item.error.get("field") == "on_hand"
        assert "still not decodable from the kept payload" in str(item.error.get("message"))
    # A record kept by an older rule set, which today's rules read ("12" is read as 12).
    first, *_, last = env.audit.events(record=failed.record)
    kept_payload = payload_of(first)  # a failed replay stores no payload of its own
    env.audit.write(
        new_event(
            env.clock,
            correlation_id=last.correlation_id,
            record=failed.record,
            stage=Stage.FAILED,
            attempt=last.attempt + 1,
            payload={**kept_payload, "raw": {**kept_payload["raw"], "on_hand": "12"}},
            error=last.error,
        )
    )
    [item] = replayer.replay().items
    assert item.outcome is ReplayOutcome.SKIPPED
    settled = env.audit.events(record=failed.record)[-1]
    assert settled.stage is Stage.SKIPPED
    assert "SKU-00001 compared by the next inventory run" in (settled.detail or "")
    assert replayer.replay().items == ()
    # The next run compares the SKU from its kept level; the record is not settled twice.
    change(env, "SKU-00001", where, on_hand=12)
    env.clock.advance(60)
    third = job.run()
    assert third.replayed == () and third.held == ()
    assert [p["TransactionQuantity"] for p in env.oracle_sim.inventory_transactions()] == [
        12 - kept
    ]


def test_replay_fetches_an_undecodable_label_again_and_names_the_field_until_it_reads() -> None:
    env = make_env(
        orders=60,
        realism=Realism(undecodable_shipments=2, punctuated_customer_rate=0.0),
        unmatched_email_rate=0.0,
        bad_sku_orders=0,
    )
    sync = shipment_sync(env)
    summary = sync.run((DAY_START, DAY_END))
    failed = [r for r in summary.results if r.outcome is Outcome.FAILED]
    assert len(failed) == 2
    items = sync.replay().items
    assert [i.outcome for i in items] == [ReplayOutcome.FAILED] * 2
    for item in items:
        assert item.error is not None and item.error.get("field") == "shipment_cost"
    # ShipStation answers one properly now: the replay posts it, the other fails again.
    record = env.ss.data.shipments.reindex(int(failed[0].record.id))
    record["shipmentCost"] = Decimal("6.25")
    env.ss.data.shipments.touched(int(failed[0].record.id))
    outcomes = {str(i.failed.record): i.outcome for i in sync.replay().items}
    assert outcomes == {
        str(failed[0].record): ReplayOutcome.POSTED,
        str(failed[1].record): ReplayOutcome.FAILED,
    }
