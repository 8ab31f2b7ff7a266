"""``ml-connector replay`` sends each failed record to the job that owns its kind.

A trail shared by the shipment and the inventory job (one SQLite file) holds failures of both:
the shipment job replays its labels, the inventory job re-posts its adjustments exactly as they
were planned, and the report says what each job did. Run in-process against the simulators.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ml_connector.audit import RecordRef, SqliteAuditSink, Stage, new_correlation_id, new_event
from ml_connector.cli._demo import apply_finance_fixes
from ml_connector.testing import FaultKind, FaultPlan, Faults

from .conftest import CliRunner, Sims

WINDOW = ["--since", "2026-01-15T08:00:00Z", "--until", "2026-01-17T08:00:00Z"]
ADJUSTMENT = "inventory-adjustment"


def _json(result: Any) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(result.out)
    return document


def _staged(sims: Sims) -> list[dict[str, Any]]:
    """Every inventory row Oracle holds (interface and completed) of an inventory adjustment
    (its reference starts with the adjustment key prefix, ``SA``)."""
    rows = [*sims.oracle.staged_transactions(), *sims.oracle.completed_transactions()]
    return [row for row in rows if str(row.get("TransactionReference", "")).startswith("SA")]


def _failed_adjustments(cli: CliRunner, sims: Sims, env: dict[str, str]) -> list[str]:
    """A baseline, a change of -2, and adjustments Oracle refuses (a 503 on each POST); their
    posting keys."""
    first = cli(["sync", "--job", "inventory"], environ=env, transports=sims.transports())
    assert first.code == 0, first.out
    sims.clock.advance(3600)
    where = sims.day.inventory_locations[0]["inventory_location_id"]
    sku = min(sku for sku, location in sims.shipstation.data.inventory if location == where)
    level = sims.shipstation.data.inventory_level(sku, where)
    assert level is not None
    level["on_hand"] -= 2
    sims.shipstation.data.set_inventory_level(level)
    sims.oracle.faults = Faults(
        FaultPlan(
            rates={FaultKind.SERVER_ERROR: 1.0},
            methods=["POST"],
            path_prefixes=["/fscmRestApi/resources/11.13.18.05/inventoryStagedTransactions"],
        )
    )
    second = cli(
        ["sync", "--job", "inventory", "--json"], environ=env, transports=sims.transports()
    )
    sims.oracle.faults = Faults()
    assert second.code == 1, second.out
    results = _json(second)["jobs"][0]["results"]
    # The change made here, and the labels shipped since the baseline (the virtual clock's day).
    assert results and {r["outcome"] for r in results} == {"failed"}
    assert {r["record"].split()[1] for r in results} == {ADJUSTMENT}
    assert any(f"{sku} " in r["detail"] and "adjustment -2" in r["detail"] for r in results)
    assert _staged(sims) == []
    return [r["posting_key"] for r in results]


def test_replay_settles_shipment_and_inventory_failures_each_by_its_job(
    cli: CliRunner, sims: Sims, env: dict[str, str], config: Path
) -> None:
    shipments = _json(cli(["sync", *WINDOW, "--json"], environ=env, transports=sims.transports()))
    failed_labels = shipments["jobs"][0]["counts"]["failed"]
    assert failed_labels > 0  # unmatched customers
    keys = _failed_adjustments(cli, sims, env)
    selected = failed_labels + len(keys)

    dry = cli(["replay", "--dry-run"], environ=env, transports=sims.transports())
    lines = dry.out.splitlines()
    assert lines[0].startswith(f"replay (dry run): {selected} failed records selected")
    assert lines[1].startswith(f"  shipments: {failed_labels} failed records: ")
    inventory_line = next(line for line in lines if line.startswith("  inventory: "))
    assert inventory_line == f"  inventory: {len(keys)} failed records: {len(keys)} would-post"
    for key in keys:
        assert f"    would-post     shipstation {ADJUSTMENT} {key} {key}" in lines
    assert _staged(sims) == []

    apply_finance_fixes(sims.day, sims.oracle)
    replayed = cli(["replay", "--json"], environ=env, transports=sims.transports())
    assert replayed.code == 0, replayed.out
    document = _json(replayed)
    assert document["ok"] is True and document["not_replayed"] == []
    assert document["selected"] == selected
    assert [job["job"] for job in document["jobs"]] == ["shipments", "inventory"]
    by_job = {job["job"]: job for job in document["jobs"]}
    assert by_job["shipments"]["selected"] == failed_labels
    assert by_job["shipments"]["counts"].get("failed", 0) == 0
    assert by_job["inventory"]["counts"] == {"posted": len(keys)}
    items = [i for i in document["items"] if i["job"] == "inventory"]
    assert [i["record"] for i in items] == [f"shipstation {ADJUSTMENT} {key}" for key in keys]
    assert all(i["oracle_id"] and i["changes"] == [] for i in items)
    assert {i["job"] for i in document["items"] if i["record"].split()[1] != ADJUSTMENT} == {
        "shipments"
    }
    # Each adjustment is in Oracle exactly once.
    assert sorted(row["TransactionReference"] for row in _staged(sims)) == sorted(keys)

    # Settled, both: a second replay selects nothing and posts nothing.
    again = cli(["replay"], environ=env, transports=sims.transports())
    assert again.code == 0
    assert again.out.startswith("replay: 0 failed records selected: nothing to replay")
    assert len(_staged(sims)) == len(keys)
    rerun = _json(cli(["sync", *WINDOW, "--json"], environ=env, transports=sims.transports()))
    assert rerun["jobs"][0]["counts"]["posted"] == 0


def test_shipment_failures_alone_need_no_inventory_credentials(
    cli: CliRunner, sims: Sims, env: dict[str, str], config: Path
) -> None:
    cli(["sync", *WINDOW], environ=env, transports=sims.transports())
    without_v2 = {k: v for k, v in env.items() if k != "SHIPSTATION_V2_API_KEY"}
    result = cli(["replay", "--json"], environ=without_v2, transports=sims.transports())
    document = _json(result)
    assert [job["job"] for job in document["jobs"]] == ["shipments"]
    assert {item["job"] for item in document["items"]} == {"shipments"}


def test_a_failed_record_no_job_replays_is_listed_and_left_alone(
    cli: CliRunner, sims: Sims, env: dict[str, str], config: Path, tmp_path: Path
) -> None:
    cli(["sync", *WINDOW], environ=env, transports=sims.transports())
    apply_finance_fixes(sims.day, sims.oracle)
    customer = RecordRef("shipstation", "customer", "someone@example.com")
    with SqliteAuditSink(tmp_path / "trail" / "audit.sqlite3") as trail:
        trail.write(
            new_event(
                sims.clock,
                correlation_id=new_correlation_id(),
                record=customer,
                stage=Stage.FAILED,
                error="Oracle refused the party",
            )
        )
    result = cli(["replay"], environ=env, transports=sims.transports())
    assert result.code == 1  # a failure is left for its job
    lines = result.out.splitlines()
    assert "1 not-replayed" in lines[0]
    assert "  no job replays 1 failed records: run their job again" in lines
    assert f"    not-replayed   {customer}" in lines
    with SqliteAuditSink(tmp_path / "trail" / "audit.sqlite3") as trail:
        assert [e.stage for e in trail.events(record=customer)] == [Stage.FAILED]
        assert {e.record.kind for e in trail.failed()} == {"customer"}
