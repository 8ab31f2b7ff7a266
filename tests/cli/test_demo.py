"""``ml-connector demo``: the whole product on the simulators, end to end, small size."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from .conftest import CliRunner


def test_demo_tells_the_whole_story(cli: CliRunner, tmp_path: Path) -> None:
    result = cli(["demo", "--orders", "40", "--warehouses", "2", "--workdir", "run"])
    assert result.code == 0, result.err
    out = result.out
    for heading in (
        "1. A day of ShipStation activity (2026-01-15, Pacific)",
        "2. Customer sync",
        "3. Shipment sync",
        "4. Inventory sync",
        "5. Fix the causes in Oracle, then replay the failures",
        "6. Run again, from the start of the day to now",
        "only the void is new: 1 credit memo",
        "7. Reconciliation",
        "8. Exactly once",
    ):
        assert heading in out
    assert "faults injected" in out
    assert "reconciliation now: " in out and "customer_unmatched" in out
    assert "clean: every record is explained" in out
    assert "0 duplicates, although" in out
    audit = tmp_path / "run" / "audit.sqlite3"
    assert f"Audit trail: {Path('run') / 'audit.sqlite3'} (" in out  # relative to the cwd
    assert (tmp_path / "run" / "mapping.toml").is_file()
    with sqlite3.connect(audit) as db:
        stages = dict(db.execute("SELECT stage, count(*) FROM events GROUP BY stage").fetchall())
    assert stages["posted"] > 0
    assert result.err == ""  # injected faults are expected: no retry warnings


def test_demo_json_is_deterministic_and_clean(cli: CliRunner) -> None:
    first = json.loads(cli(["demo", "--orders", "30", "--workdir", "a", "--json"]).out)
    second = json.loads(cli(["demo", "--orders", "30", "--workdir", "b", "--json"]).out)
    assert first["ok"] is True
    assert first["exactly_once"]["duplicates"] == 0
    assert first["exactly_once"]["lost_after_commit"] >= 1
    # The second run posts only the reversal of the label voided in between.
    assert first["voided_after_posting"]
    assert first["second_run"]["counts"]["posted"] == 1
    assert first["exactly_once"]["oracle"]["credit_memos"] == {"documents": 1, "distinct_keys": 1}
    assert first["second_run"]["counts"]["failed"] == 0
    assert first["first_run"]["counts"]["failed"] > 0  # unmatched customers, the bad SKU
    assert first["reconciliation_before"]["clean"] is False
    assert first["reconciliation"]["clean"] is True
    assert set(first["reconciliation"]["reasons"]) == {"ok"}
    totals = first["reconciliation"]["totals"]
    assert {t["warehouse_id"] for t in totals} == {"10000", "10001", "10002"}
    assert all(t["expected_amount"] == t["oracle_amount"] for t in totals)
    assert first["inventory"]["adjustments"]
    assert all(a["outcome"] == "posted" for a in first["inventory"]["adjustments"])
    for key in ("day", "faults", "fixes", "replay", "exactly_once", "reconciliation"):
        assert first[key] == second[key]
    assert first["first_run"]["counts"] == second["first_run"]["counts"]


def test_demo_without_faults(cli: CliRunner) -> None:
    document = json.loads(cli(["demo", "--orders", "20", "--no-faults", "--json"]).out)
    assert document["faults"] == {"shipstation": {}, "oracle": {}}
    assert document["ok"] is True


def test_default_workdir_is_a_fresh_folder(cli: CliRunner, tmp_path: Path) -> None:
    cli(["demo", "--orders", "10", "--no-faults", "--json"])
    cli(["demo", "--orders", "10", "--no-faults", "--json"])
    folders = sorted((tmp_path / ".ml-connector").iterdir())
    assert len(folders) == 2
    assert all(f.name.startswith("demo-") for f in folders)


def test_rerun_in_the_same_workdir_starts_a_fresh_trail(cli: CliRunner) -> None:
    first = json.loads(cli(["demo", "--orders", "15", "--workdir", "w", "--json"]).out)
    again = json.loads(cli(["demo", "--orders", "15", "--workdir", "w", "--json"]).out)
    assert again["first_run"]["counts"] == first["first_run"]["counts"]
    assert again["events"] == first["events"]
