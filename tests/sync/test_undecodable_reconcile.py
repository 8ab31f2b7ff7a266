"""Reconcile and records ShipStation lists but nothing can decode.

Such a label has no plan and no look-up: the report gives it a row of its own (reason
``undecodable``, the model, id and field in the detail), so a controller sees that the
comparison is incomplete instead of a clean reconcile. The CLI renders those rows and the
inventory job's undecodable records.
"""

from __future__ import annotations

import io
import json

from ml_connector.cli._jobs import (
    _inventory_json,
    _reconcile_json,
    _render_inventory,
    render_reconciliation,
)
from ml_connector.cli._runtime import Runtime
from ml_connector.sync import (
    InventorySync,
    ReasonCode,
    ReconciliationReport,
    ShipmentSync,
    reconcile,
)
from ml_connector.testing import Realism

from ._env import DAY_END, DAY_START, V1, Env, make_env


def realistic_env(broken: int = 2) -> Env:
    return make_env(
        orders=40,
        realism=Realism(undecodable_shipments=broken, punctuated_customer_rate=0.0),
        unmatched_email_rate=0.0,
        bad_sku_orders=0,
    )


def shipment_sync(env: Env) -> ShipmentSync:
    return ShipmentSync(
        shipstation=env.shipstation(),
        oracle=env.oracle(),
        mapping=env.mapping,
        audit=env.audit,
        checkpoints=env.checkpoints,
        clock=env.clock,
    )


def run_reconcile(env: Env) -> ReconciliationReport:
    return reconcile(
        shipstation=env.shipstation(),
        oracle=env.oracle(),
        mapping=env.mapping,
        audit=env.audit,
        window=(DAY_START, DAY_END),
        clock=env.clock,
    )


def broken_ids(env: Env) -> set[str]:
    return {
        str(s["shipmentId"]) for s in env.day.iter_shipments() if s.get("shipmentCost") == "n/a"
    }


def test_undecodable_labels_are_a_finding_of_their_own_not_a_clean_reconcile() -> None:
    env = realistic_env()
    shipment_sync(env).run((DAY_START, DAY_END))
    report = run_reconcile(env)
    odd = report.undecodable()
    assert {row.source_id for row in odd} == broken_ids(env) and len(odd) == 2
    assert not report.clean
    assert report.count(ReasonCode.UNDECODABLE) == 2
    for row in odd:
        assert row.kind == "shipment"
        assert f"Shipment {row.source_id} at shipment_cost" in row.detail
        assert "the trail says failed, attempt 1" in row.detail
        assert row.expected_amount is None and row.oracle_amount is None
        assert row.warehouse_id and row.day is not None and row.order_number
    # Everything else reconciles: the odd rows are the only differences.
    assert {row.reason for row in report.problems()} == {ReasonCode.UNDECODABLE}
    text = report.describe()
    assert "listed by ShipStation but undecodable: 2" in text
    assert "this reconciliation is incomplete" in text
    assert "undecodable" in report.to_csv()
    totals = [t for t in report.totals() if "undecodable" in t.reasons]
    assert sum(t.reasons["undecodable"] for t in totals) == 2


def test_a_reconcile_with_no_run_before_names_them_too() -> None:
    env = realistic_env(broken=1)
    report = run_reconcile(env)
    [row] = report.undecodable()
    assert "the trail says" not in row.detail
    assert row.record == f"shipstation shipment {row.source_id}"
    assert env.shipstation_methods() == {"GET"}


def test_a_tidy_day_reconciles_without_undecodable_rows() -> None:
    env = realistic_env(broken=0)
    shipment_sync(env).run((DAY_START, DAY_END))
    report = run_reconcile(env)
    assert report.undecodable() == () and "undecodable" not in report.describe()


def runtime() -> Runtime:
    return Runtime(stdout=io.StringIO(), stderr=io.StringIO(), environ={}, progress=False)


def test_the_cli_renders_the_undecodable_rows_and_counts_them_in_json() -> None:
    env = realistic_env()
    shipment_sync(env).run((DAY_START, DAY_END))
    report = run_reconcile(env)
    out = runtime()
    render_reconciliation(out, report)
    text = out.stdout.getvalue()  # type: ignore[attr-defined]
    lines = [line for line in text.splitlines() if line.strip().startswith("undecodable")]
    assert len(lines) == 2 and all("at shipment_cost" in line for line in lines)
    assert "listed by ShipStation but undecodable: 2" in text
    document = _reconcile_json(report, all_rows=False)
    assert document["undecodable"] == 2 and document["clean"] is False
    assert sum(1 for row in document["rows"] if row["reason"] == "undecodable") == 2


def test_the_cli_renders_the_inventory_jobs_undecodable_records() -> None:
    env = make_env(orders=5)
    job = InventorySync(
        shipstation=env.shipstation(),
        inventory=env.shipstation_v2(),
        oracle=env.oracle(),
        mapping=env.mapping,
        audit=env.audit,
        baselines=env.checkpoints,
        clock=env.clock,
    )
    job.run()
    env.clock.advance(60)
    where = env.day.inventory_locations[0]["inventory_location_id"]
    level = env.ss.data.inventory_level("SKU-00001", where)
    assert level is not None
    level["on_hand"] = "n/a"
    level["note"] = f"key {V1.api_secret.reveal()}"
    env.ss.data.set_inventory_level(level)
    summary = job.run()
    out = runtime()
    _render_inventory(out, summary)
    text = out.stdout.getvalue()  # type: ignore[attr-defined]
    assert "inventory: 0 adjustments: no change" in text
    assert "1 records listed by ShipStation could not be decoded" in text
    assert "held, not compared: SKU-00001" in text
    assert f"FAILED  shipstation inventory-level SKU-00001@{where}" in text
    document = _inventory_json(summary)
    assert document["undecodable"] == 1 and document["held_skus"] == ["SKU-00001"]
    rendered = json.dumps(document, default=str) + text
    assert V1.api_secret.reveal() not in rendered


def test_the_notebook_table_says_the_reconciliation_is_incomplete() -> None:
    env = realistic_env(broken=1)
    html = run_reconcile(env)._repr_html_()
    assert "listed by ShipStation but undecodable: 1" in html


def test_secrets_in_an_undecodable_label_reach_neither_results_nor_rows() -> None:
    env = realistic_env(broken=2)
    secret = V1.api_secret.reveal()
    odd = [s for s in env.day.iter_shipments() if s.get("shipmentCost") == "n/a"]
    first = env.ss.data.shipments.reindex(odd[0]["shipmentId"])
    first["shipmentCost"] = f"cost {secret}"  # echoed by the reason ("got '...'")
    env.ss.data.shipments.touched(odd[0]["shipmentId"])
    second = env.ss.data.shipments.reindex(odd[1]["shipmentId"])
    second["customerNotes"] = f"key {secret}"  # kept in the raw payload
    env.ss.data.shipments.touched(odd[1]["shipmentId"])
    summary = ShipmentSync(
        shipstation=env.shipstation(),
        oracle=env.oracle(),
        mapping=env.mapping,
        audit=env.audit,
        checkpoints=env.checkpoints,
        clock=env.clock,
        results="all",
    ).run((DAY_START, DAY_END))
    failed = [r for r in summary.results if r.record.id in {str(s["shipmentId"]) for s in odd}]
    assert len(failed) == 2
    assert "customerNotes" in repr([r.payload for r in failed])
    assert secret not in repr([(r.payload, r.detail, r.error) for r in failed])
    report = run_reconcile(env)
    assert len(report.undecodable()) == 2
    out = runtime()
    render_reconciliation(out, report)
    text = out.stdout.getvalue()  # type: ignore[attr-defined]
    assert secret not in report.to_csv() + text + json.dumps(
        _reconcile_json(report, all_rows=True), default=str
    )
