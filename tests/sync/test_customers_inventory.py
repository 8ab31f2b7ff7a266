"""CustomerSync and InventorySync against the simulators."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from ml_connector import ConfigurationError
from ml_connector.mapping import ShipStationAnnotation
from ml_connector.sync import (
    AsyncCustomerSync,
    AsyncInventorySync,
    CustomerSync,
    InventorySync,
    Outcome,
)
from ml_connector.sync._inventory import decode_baseline, encode_baseline

from ._env import DAY_END, DAY_START, Env, make_env


class Annotator:
    def __init__(self) -> None:
        self.written: list[ShipStationAnnotation] = []

    def annotate(self, annotation: ShipStationAnnotation) -> None:
        self.written.append(annotation)


def customer_sync(env: Env, **options: Any) -> CustomerSync:
    return CustomerSync(
        shipstation=env.shipstation(),
        oracle=env.oracle(),
        mapping=env.mapping,
        audit=env.audit,
        clock=env.clock,
        **options,
    )


def test_customer_sync_plans_only_unless_enabled() -> None:
    env = make_env(unmatched_email_rate=0.5, orders=30)
    summary = customer_sync(env).run((DAY_START, DAY_END))
    assert summary.plan.create
    assert {a.outcome for a in summary.actions if a.action == "create_party"} == {Outcome.SKIPPED}
    assert env.oracle_posts() == []
    assert len(env.audit) == 0


def test_customer_sync_creates_parties_once_and_records_accounts_in_a_custom_field() -> None:
    env = make_env(unmatched_email_rate=0.5, orders=30)
    from ._env import mapping_for

    env.mapping = mapping_for(env.day, customers={"annotation_field": "custom_field2"})
    annotator = Annotator()
    sync = customer_sync(env, create_parties=True, record_account_numbers=True, annotator=annotator)
    first = sync.run((DAY_START, DAY_END))
    created = first.count(Outcome.POSTED)
    assert created > 0
    assert annotator.written and {a.field for a in annotator.written} == {"custom_field2"}
    parties_before = len(env.oracle_posts())
    second = sync.run((DAY_START, DAY_END))
    creates = [a for a in second.actions if a.action == "create_party"]
    assert {a.outcome for a in creates} == {Outcome.ALREADY_POSTED}
    assert len([u for u in env.oracle_posts()[parties_before:] if "hub" in u]) == 0
    assert env.shipstation_methods() == {"GET"}


def test_customer_sync_needs_an_annotator_to_write_to_shipstation() -> None:
    env = make_env(orders=3)
    with pytest.raises(ConfigurationError, match="annotator"):
        customer_sync(env, record_account_numbers=True)


def test_customer_sync_reports_ambiguous_matches() -> None:
    env = make_env(orders=30)
    bundle = next(
        b
        for b in env.day.iter_bundles()
        if env.day.customer_matched(b.customer_index) and b.shipments
    )
    order = bundle.order
    email = order["customerEmail"]
    name = order["billTo"]["name"]
    # A second Oracle account with the same email and name: the match is ambiguous.
    env.oracle_sim.add_party(
        {"PartyId": 1, "PartyNumber": "PX", "PartyName": name, "EmailAddress": email}
    )
    env.oracle_sim.add_customer_site(
        {
            "BillToSiteUseId": 1,
            "BillToSiteNumber": "X-BILL",
            "AccountNumber": "X1",
            "AccountId": 1,
            "CustomerName": name,
            "CustomerId": 1,
        }
    )
    summary = customer_sync(env).run((DAY_START, DAY_END))
    assert order["orderNumber"] in [number for number, _ in summary.ambiguous]


def inventory_sync(env: Env) -> InventorySync:
    return InventorySync(
        shipstation=env.shipstation(),
        inventory=env.shipstation_v2(),
        oracle=env.oracle(),
        mapping=env.mapping,
        audit=env.audit,
        baselines=env.checkpoints,
        clock=env.clock,
    )


def test_inventory_first_run_stores_the_baseline_then_posts_unexplained_changes_once() -> None:
    env = make_env(orders=5)
    sync = inventory_sync(env)
    first = sync.run()
    assert first.baseline is None and first.results == ()
    assert env.oracle_posts() == []
    env.clock.advance(3600)
    location = env.day.inventory_locations[0]["inventory_location_id"]
    level = env.ss.data.inventory_level("SKU-00001", location)
    assert level is not None
    level["on_hand"] -= 3
    env.ss.data.set_inventory_level(level)
    second = sync.run()
    assert [r.outcome for r in second.results] == [Outcome.POSTED]
    posted = env.oracle_sim.inventory_transactions()
    assert len(posted) == 1 and posted[0]["TransactionQuantity"] == -3
    assert posted[0]["TransactionTypeName"] == "Miscellaneous Issue"
    env.clock.advance(60)
    assert sync.run().results == ()  # the new snapshot became the baseline
    assert env.shipstation_methods() == {"GET"}


def test_inventory_nets_out_shipments_between_snapshots() -> None:
    env = make_env(orders=5)
    sync = inventory_sync(env)
    sync.run()
    env.clock.advance(60)
    shipment = next(s for s in env.day.iter_shipments() if not s["voided"])
    warehouse = shipment["warehouseId"]
    n = [w["warehouseId"] for w in env.day.warehouses].index(warehouse)
    location = env.day.inventory_locations[n]["inventory_location_id"]
    # The label is voided now (it was created before the baseline): stock comes back.
    env.ss.data.void_shipment(shipment["shipmentId"], env.clock.now())
    for item in shipment["shipmentItems"]:
        level = env.ss.data.inventory_level(item["sku"], location)
        assert level is not None
        level["on_hand"] += item["quantity"]
        env.ss.data.set_inventory_level(level)
    env.clock.advance(60)
    summary = sync.run()
    assert summary.plan is not None and summary.plan.adjustments == ()
    assert env.oracle_posts() == []


def test_baseline_round_trips_through_a_checkpoint() -> None:
    env = make_env(orders=2)
    first = inventory_sync(env).run()
    stored = env.checkpoints.load("inventory", "shipstation-v2/inventory")
    assert stored is not None
    restored = decode_baseline(stored)
    assert restored.taken_at == first.snapshot.taken_at
    assert {(lv.sku, lv.inventory_location_id, lv.on_hand) for lv in restored.levels} == {
        (lv.sku, lv.inventory_location_id, lv.on_hand) for lv in first.snapshot.levels
    }
    assert encode_baseline(restored) == stored


@pytest.mark.anyio
async def test_async_customer_and_inventory_twins() -> None:
    env = make_env(orders=10, unmatched_email_rate=0.5)
    customers = await AsyncCustomerSync(
        shipstation=env.async_shipstation(),
        oracle=env.async_oracle(),
        mapping=env.mapping,
        audit=env.audit,
        clock=env.clock,
    ).run((DAY_START, DAY_END))
    blocking = customer_sync(env).run((DAY_START, DAY_END))
    assert customers.plan == blocking.plan
    inventory = AsyncInventorySync(
        shipstation=env.async_shipstation(),
        inventory=env.async_shipstation_v2(),
        oracle=env.async_oracle(),
        mapping=env.mapping,
        audit=env.audit,
        baselines=env.checkpoints,
        clock=env.clock,
    )
    assert (await inventory.run()).baseline is None
    env.clock.advance(timedelta(minutes=5).total_seconds())
    assert (await inventory.run()).results == ()
