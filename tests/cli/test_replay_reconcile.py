"""``replay`` and ``reconcile`` (and the customer and inventory jobs) over the simulators."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

from ml_connector.cli._demo import apply_finance_fixes

from .conftest import CliRunner, Sims

WINDOW = ["--since", "2026-01-15T08:00:00Z", "--until", "2026-01-17T08:00:00Z"]


def _sync(cli: CliRunner, sims: Sims, env: dict[str, str], *extra: str) -> dict:
    result = cli(["sync", *WINDOW, "--json", *extra], environ=env, transports=sims.transports())
    return json.loads(result.out)


def test_failures_replayed_after_the_fix_then_reconcile_is_clean(
    cli: CliRunner, sims: Sims, env: dict[str, str], config: Path, tmp_path: Path
) -> None:
    first = _sync(cli, sims, env)["jobs"][0]
    assert first["counts"]["failed"] > 0  # unmatched customers (and perhaps the bad SKU)

    before = cli(["reconcile", *WINDOW, "--json"], environ=env, transports=sims.transports())
    assert before.code == 1
    report = json.loads(before.out)
    assert report["clean"] is False
    assert report["reasons"].get("customer_unmatched", 0) > 0
    assert all(row["reason"] != "ok" for row in report["rows"])  # differences only
    # The money the unmatched customers hold back, as exact text.
    assert Decimal(report["not_in_oracle"]) > 0
    by_reason = report["not_in_oracle_by_reason"]
    assert Decimal(by_reason["customer_unmatched"]) > 0
    assert sum(map(Decimal, by_reason.values())) == Decimal(report["not_in_oracle"])
    assert report["currency"] == "USD"

    invoices = len(sims.oracle.invoices())
    dry = cli(["replay", "--dry-run", "--json"], environ=env, transports=sims.transports())
    assert json.loads(dry.out)["dry_run"] is True
    assert len(sims.oracle.invoices()) == invoices

    apply_finance_fixes(sims.day, sims.oracle)
    replayed = cli(["replay", "--json"], environ=env, transports=sims.transports())
    assert replayed.code == 0, replayed.out
    document = json.loads(replayed.out)
    assert document["selected"] == first["counts"]["failed"]
    assert document["counts"].get("failed", 0) == 0

    nothing = cli(["replay"], environ=env, transports=sims.transports())
    assert nothing.out.startswith("replay: 0 failed records selected: nothing to replay")

    after = cli(
        ["reconcile", *WINDOW, "--csv", "close.csv"], environ=env, transports=sims.transports()
    )
    assert after.code == 0, after.out
    assert after.out.splitlines()[-2] == "clean: every record is in order"
    assert "not yet in Oracle USD 0.00" in after.out
    assert "rows written to close.csv" in after.out
    with (tmp_path / "close.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and {row["reason"] for row in rows} == {"ok"}

    again = _sync(cli, sims, env)["jobs"][0]["counts"]
    assert again["posted"] == 0 and again["failed"] == 0


def test_replay_filters_and_text_output(
    cli: CliRunner, sims: Sims, env: dict[str, str], config: Path
) -> None:
    first = _sync(cli, sims, env)["jobs"][0]
    failed = [r for r in first["results"] if r["outcome"] == "failed"]
    record_id = failed[0]["record"].rsplit(" ", 1)[1]
    result = cli(["replay", "--record", record_id], environ=env, transports=sims.transports())
    assert result.code == 1  # the customer still has no account
    lines = result.out.splitlines()
    assert lines[0].startswith("replay: ")
    assert record_id in result.out
    none = cli(["replay", "--error", "NO_SUCH_CODE"], environ=env, transports=sims.transports())
    assert none.code == 0
    assert "0 failed records selected" in none.out


def test_replay_before_any_sync_explains_itself(
    cli: CliRunner, sims: Sims, env: dict[str, str], config: Path
) -> None:
    result = cli(["replay"], environ=env, transports=sims.transports())
    assert result.code == 2
    assert "nothing has been synced yet" in result.err


def test_reconcile_needs_a_window(cli: CliRunner, env: dict[str, str], config: Path) -> None:
    result = cli(["reconcile"], environ=env)
    assert result.code == 2
    assert "give the window" in result.err


def test_reconcile_text_lists_totals_per_warehouse_and_day(
    cli: CliRunner, sims: Sims, env: dict[str, str], config: Path
) -> None:
    _sync(cli, sims, env)
    result = cli(["reconcile", *WINDOW], environ=env, transports=sims.transports())
    lines = result.out.splitlines()
    assert lines[0].startswith("reconciliation 2026-01-15T08:00:00+00:00 .. ")
    assert "warehouse" in lines[1] and "in Oracle" in lines[1]
    assert any(line.strip().startswith("Reno DC (10000)") for line in lines)
    assert "customer_unmatched" in result.out
    assert lines[-1].endswith("differences")


def test_reconcile_is_read_only(
    cli: CliRunner, sims: Sims, env: dict[str, str], config: Path
) -> None:
    _sync(cli, sims, env)
    sims.shipstation.v1.requests.clear()
    sims.oracle.requests.clear()
    cli(["reconcile", *WINDOW], environ=env, transports=sims.transports())
    assert {method for method, _ in sims.shipstation.v1.requests} == {"GET"}
    assert {method for method, url in sims.oracle.requests if "/oauth2/" not in url} == {"GET"}


def test_all_jobs_in_one_run(cli: CliRunner, sims: Sims, env: dict[str, str], config: Path) -> None:
    document = _sync(cli, sims, env, "--job", "all")
    jobs = [job["job"] for job in document["jobs"]]
    assert jobs == ["customers", "shipments", "inventory"]
    customers, _shipments, inventory = document["jobs"]
    assert customers["orders"] == 16
    assert customers["unmatched"] > 0
    assert all(a["outcome"] == "skipped" for a in customers["actions"])  # creation is off
    assert inventory["baseline_taken_at"] is None  # the first run stores the baseline


def test_customer_job_creates_parties_when_enabled(
    cli: CliRunner, sims: Sims, env: dict[str, str], config: Path
) -> None:
    config.write_text(config.read_text() + "[sync]\ncreate_parties = true\n", encoding="utf-8")
    result = cli(["sync", *WINDOW, "--job", "customers"], environ=env, transports=sims.transports())
    assert result.code == 0, result.out + result.err
    assert result.out.startswith("customers: 16 orders checked")
    created = [p for p in sims.oracle.party_resource.items.values() if "PartyId" in p]
    assert len(created) > len(list(sims.day.iter_oracle_parties()))


def test_inventory_job_posts_count_changes(
    cli: CliRunner, sims: Sims, env: dict[str, str], config: Path
) -> None:
    # After the generated day: no label is printed between the two snapshots.
    sims.clock.advance(3 * 86400)
    first = cli(["sync", "--job", "inventory"], environ=env, transports=sims.transports())
    assert "stored as the baseline" in first.out
    level = next(iter(sims.shipstation.data.inventory.values()))
    sims.shipstation.data.set_inventory_level(dict(level, on_hand=level["on_hand"] + 4))
    sims.clock.advance(3600)
    second = cli(["sync", "--job", "inventory"], environ=env, transports=sims.transports())
    assert second.code == 0, second.out
    assert "inventory: 1 adjustments: 1 posted" in second.out
    assert "adjustment +4" in second.out


def test_job_window_rules(cli: CliRunner, env: dict[str, str], config: Path) -> None:
    inventory = cli(["sync", "--job", "inventory", *WINDOW], environ=env)
    assert inventory.code == 2
    assert "takes no window" in inventory.err
    customers = cli(["sync", "--job", "customers"], environ=env)
    assert customers.code == 2
    assert "needs a window" in customers.err


def test_sync_section_is_checked(cli: CliRunner, env: dict[str, str], config: Path) -> None:
    config.write_text(
        config.read_text() + '[sync]\nbatch = "yes"\novertime = 1\n', encoding="utf-8"
    )
    result = cli(["sync", *WINDOW], environ=env)
    assert result.code == 2
    assert "sync.overtime: unknown key" in result.err
    assert "sync.batch: must be true or false" in result.err
