"""Jobs are context managers that close what they opened, and only that."""

from __future__ import annotations

from pathlib import Path

import pytest

from ml_connector import ConfigFileError, load_config
from ml_connector.sync import (
    AsyncCustomerSync,
    AsyncInventorySync,
    AsyncShipmentSync,
    CustomerSync,
    InventorySync,
    ShipmentSync,
)

from ._env import make_env

ENVIRON = {
    "SHIPSTATION_API_KEY": "key",
    "SHIPSTATION_API_SECRET": "secret",
    "SHIPSTATION_V2_API_KEY": "v2",
    "ORACLE_POD_URL": "https://pod.example.com",
    "ORACLE_TOKEN_URL": "https://idcs.example.com/oauth2/v1/token",
    "ORACLE_SCOPE": "scope",
    "ORACLE_CLIENT_ID": "id",
    "ORACLE_CLIENT_SECRET": "client-secret",
}
MAPPING = Path(__file__).parent.parent / "mapping" / "retailer.toml"


def _config_file(tmp_path: Path, audit: str = "trail/audit.sqlite3") -> Path:
    (tmp_path / "mapping.toml").write_text(MAPPING.read_text(encoding="utf-8"), encoding="utf-8")
    path = tmp_path / "ml-connector.toml"
    path.write_text(
        f'[mapping]\npath = "mapping.toml"\n[audit]\npath = "{audit}"\n[sync]\nbatch = false\n',
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("job", [ShipmentSync, CustomerSync, InventorySync])
def test_from_config_opens_and_closes(tmp_path: Path, job: type) -> None:
    config = load_config(_config_file(tmp_path), environ=ENVIRON)
    with job.from_config(config) as sync:
        clients = [c for c in sync._clients.values() if c is not None]
        assert clients and all(not c._sender.client.is_closed for c in clients)
        assert (tmp_path / "trail" / "audit.sqlite3").is_file()
    assert all(c._sender.client.is_closed for c in clients)
    sync.close()  # twice is harmless


def test_from_config_takes_the_sync_section_and_overrides(tmp_path: Path) -> None:
    config = load_config(_config_file(tmp_path, audit="trail.jsonl"), environ=ENVIRON)
    with ShipmentSync.from_config(config, job="nightly") as sync:
        assert sync._options.batch is False  # from [sync]
        assert sync._options.job == "nightly"  # the override
    assert (tmp_path / "trail.jsonl.checkpoints.sqlite3").is_file()


@pytest.mark.anyio
@pytest.mark.parametrize("job", [AsyncShipmentSync, AsyncCustomerSync, AsyncInventorySync])
async def test_async_from_config_opens_and_closes(tmp_path: Path, job: type) -> None:
    config = load_config(_config_file(tmp_path), environ=ENVIRON)
    async with job.from_config(config) as sync:
        clients = [c for c in sync._clients.values() if c is not None]
        assert all(not c._sender.client.is_closed for c in clients)
    assert all(c._sender.client.is_closed for c in clients)


def test_a_job_given_clients_leaves_them_open() -> None:
    env = make_env(orders=2)
    shipstation, oracle = env.shipstation(), env.oracle()
    with ShipmentSync(shipstation=shipstation, oracle=oracle, mapping=env.mapping, audit=env.audit):
        pass
    assert not oracle._sender.client.is_closed
    assert not shipstation._sender.client.is_closed


def test_from_config_without_oracle_says_what_to_set(tmp_path: Path) -> None:
    environ = {k: v for k, v in ENVIRON.items() if not k.startswith("ORACLE")}
    config = load_config(_config_file(tmp_path), environ=environ)
    with pytest.raises(ConfigFileError, match="oracle: not configured"):
        ShipmentSync.from_config(config)
