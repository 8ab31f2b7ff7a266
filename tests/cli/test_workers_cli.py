"""``ml-connector tenants`` and the worker command's configuration errors."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import CliRunner


def tenant_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "tenants"
    (folder / "configs").mkdir(parents=True)
    (folder / "configs" / "acme.toml").write_text("", encoding="utf-8")
    (folder / "acme.toml").write_text(
        '[tenant]\nname = "acme"\nconfig = "configs/acme.toml"\n'
        '[tenant.secrets]\nSHIPSTATION_API_KEY = { env = "ACME_KEY" }\n',
        encoding="utf-8",
    )
    return folder


def test_tenants_list_shows_references_not_secrets(cli: CliRunner, tmp_path: Path) -> None:
    tenant_dir(tmp_path)
    result = cli(["tenants", "list", "--json"], environ={"ACME_KEY": "the-secret-value"})
    assert result.code == 0, result.err
    document = json.loads(result.out)
    assert document["tenants"][0]["secrets"] == {
        "SHIPSTATION_API_KEY": "environment variable ACME_KEY"
    }
    assert "the-secret-value" not in result.out
    human = cli(["tenants", "list"])
    assert "acme: */5 * * * *" in human.out


def test_status_needs_the_database_variable(cli: CliRunner, tmp_path: Path) -> None:
    tenant_dir(tmp_path)
    result = cli(["tenants", "status"])
    assert result.code == 2
    assert "set ML_CONNECTOR_DATABASE_URL" in result.err


def test_a_broken_registry_is_a_usage_error(cli: CliRunner, tmp_path: Path) -> None:
    folder = tenant_dir(tmp_path)
    (folder / "bad.toml").write_text("[tenant]\n", encoding="utf-8")
    result = cli(["worker", "--tenants", str(folder)], environ={"X": "1"})
    assert result.code == 2
    assert "bad.toml: tenant.name" in result.err


def test_status_and_health_read_the_database(
    cli: CliRunner, tmp_path: Path, postgres_url: str, postgres_schema: str
) -> None:
    from ml_connector.audit import PostgresDatabase
    from ml_connector.workers import RunReport, record_run

    tenant_dir(tmp_path)
    db = PostgresDatabase(postgres_url)  # the default shared schema, as the worker uses
    try:
        record_run(db, RunReport("acme", ok=False, failed=2, detail="ServerError: 503"))
        env = {"ML_CONNECTOR_DATABASE_URL": postgres_url}
        status = cli(["tenants", "status"], environ=env)
        assert status.code == 0, status.err
        assert "acme" in status.out and "no" in status.out
        health = cli(["tenants", "health", "--json"], environ=env)
        document = json.loads(health.out)
        assert health.code == 1  # no worker alive: down
        assert document["status"] == "down"
        assert document["tenants"][0]["consecutive_failures"] >= 1
    finally:
        db.fetch("DELETE FROM {s}.tenant_runs WHERE tenant = 'acme' RETURNING seq")
        db.close()
    del postgres_schema
