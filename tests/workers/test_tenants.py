"""The tenant registry: TOML files in a directory, secrets by reference only."""

from __future__ import annotations

from pathlib import Path

import pytest

from ml_connector import ConfigurationError
from ml_connector.workers import SecretRef, TenantRegistry, TenantRegistryError

GOOD = """
[tenant]
name = "acme"
config = "configs/acme.toml"
schedule = "*/10 * * * *"
account = "acme-v1"
oracle_pod = "acme-pod"
oracle_concurrency = 4
initial_start = "2026-01-15T08:00:00Z"

[tenant.secrets]
SHIPSTATION_API_KEY = { env = "ACME_SS_KEY" }
SHIPSTATION_API_SECRET = { file = "secrets/acme-ss-secret" }
"""


def write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")
    (folder / "configs").mkdir(exist_ok=True)  # not a tenant file: kept out of the directory
    (folder / "configs" / "acme.toml").write_text("", encoding="utf-8")


def test_a_tenant_file_is_read(tmp_path: Path) -> None:
    write(tmp_path, "acme.toml", GOOD)
    write(tmp_path, "beta.toml", GOOD.replace('"acme"', '"beta"').split("[tenant.secrets]")[0])
    registry = TenantRegistry.from_directory(tmp_path)
    assert list(registry.names()) == ["acme", "beta"]
    acme = registry.get("acme")
    assert acme.schedule == "*/10 * * * *"
    assert acme.account == "acme-v1" and acme.oracle_concurrency == 4
    assert acme.schema == "tenant_acme"
    assert acme.config == (tmp_path / "configs" / "acme.toml").resolve()
    assert acme.secrets["SHIPSTATION_API_KEY"] == SecretRef(env="ACME_SS_KEY")
    assert registry.get("beta").schedule == "*/10 * * * *"
    with pytest.raises(ConfigurationError, match="no tenant called"):
        registry.get("gamma")


def test_secrets_are_resolved_from_the_environment_and_files(tmp_path: Path) -> None:
    write(tmp_path, "acme.toml", GOOD)
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "acme-ss-secret").write_text("file-secret\n", encoding="utf-8")
    acme = TenantRegistry.from_directory(tmp_path).get("acme")
    environ = acme.environ({"ACME_SS_KEY": "env-secret", "SHIPSTATION_API_KEY": "other", "X": "1"})
    assert environ["SHIPSTATION_API_KEY"] == "env-secret"
    assert environ["SHIPSTATION_API_SECRET"] == "file-secret"
    assert environ["X"] == "1"
    # A reference that yields nothing leaves the variable unset: the resolver reports it.
    assert "SHIPSTATION_API_KEY" not in acme.environ({"SHIPSTATION_API_KEY": "not-this-one"})


def test_a_pasted_secret_and_every_other_problem_are_reported_at_once(tmp_path: Path) -> None:
    write(
        tmp_path,
        "bad.toml",
        """
[tenant]
name = "Bad Name"
config = "missing.toml"
schedule = "every minute"
oracle_concurrency = 0
colour = "blue"
[tenant.secrets]
SHIPSTATION_API_KEY = "0123456789abcdef0123456789abcdef"
ORACLE_CLIENT_SECRET = { env = "not a name!" }
""",
    )
    write(tmp_path, "broken.toml", "[tenant\n")
    with pytest.raises(TenantRegistryError) as caught:
        TenantRegistry.from_directory(tmp_path)
    text = str(caught.value)
    for expected in (
        "tenant.name",
        "no such file: missing.toml",
        "cron expression",
        "oracle_concurrency",
        "tenant.colour: unknown key",
        "a reference, never the secret itself",
        "did you paste the secret itself?",
        "broken.toml: file",
    ):
        assert expected in text
    assert "0123456789abcdef0123456789abcdef" not in text


def test_two_files_naming_one_tenant_are_refused(tmp_path: Path) -> None:
    write(tmp_path, "a.toml", GOOD)
    write(tmp_path, "b.toml", GOOD)
    with pytest.raises(TenantRegistryError, match="two files name this tenant"):
        TenantRegistry.from_directory(tmp_path)


def test_disabled_tenants_are_listed_but_not_scheduled(tmp_path: Path) -> None:
    write(
        tmp_path, "acme.toml", GOOD.replace("[tenant.secrets]", "enabled = false\n[tenant.secrets]")
    )
    registry = TenantRegistry.from_directory(tmp_path)
    assert len(registry) == 1 and registry.enabled() == []
