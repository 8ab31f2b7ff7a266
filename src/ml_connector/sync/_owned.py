"""Jobs as context managers: a job closes what it opened itself, never what it was given.

A job built from clients you created leaves them to you (``close()`` does nothing to them); a
job built with ``from_config`` opened its clients and audit trail itself, and closes them::

    with ShipmentSync.from_config(load_config("ml-connector.toml")) as sync:
        print(sync.run(window).describe())

    async with AsyncShipmentSync.from_config(config) as sync:
        print((await sync.run(window)).describe())
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, Self, TypeVar

from ml_connector.audit import (
    AuditSink,
    CheckpointStore,
    JsonlAuditSink,
    SqliteAuditSink,
    SqliteCheckpointStore,
)
from ml_connector.oracle import AsyncOracleFusionClient, OracleFusionClient
from ml_connector.shipstation import (
    AsyncShipStationV1Client,
    AsyncShipStationV2Client,
    ShipStationV1Client,
    ShipStationV2Client,
)
from ml_connector.sync._configfile import Config, ConfigFileError

__all__ = ["AsyncOwned", "Owned", "open_audit", "open_clients"]

T = TypeVar("T")


class Owned:
    """Context-manager protocol of the blocking jobs."""

    _owned: contextlib.ExitStack | None = None

    def close(self) -> None:
        """Close the clients and audit trail this job opened (``from_config``); nothing else."""
        if self._owned is not None:
            self._owned.close()
            self._owned = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncOwned:
    """Context-manager protocol of the async jobs."""

    _owned: contextlib.AsyncExitStack | None = None

    async def close(self) -> None:
        """Close the clients and audit trail this job opened (``from_config``); nothing else."""
        if self._owned is not None:
            await self._owned.aclose()
            self._owned = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


def _need(value: T | None, what: str, variables: str, config: Config) -> T:
    if value is None:
        source = config.path.name if config.path is not None else "the default configuration"
        raise ConfigFileError([f"{what}: not configured (set {variables})"], source=source)
    return value


def open_audit(path: Path, stack: contextlib.ExitStack) -> tuple[AuditSink, CheckpointStore]:
    """The audit sink at ``path`` and its checkpoint store, as the CLI opens them.

    A SQLite file keeps both; a ``.jsonl`` trail keeps its checkpoints in
    ``<file>.checkpoints.sqlite3`` next to it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".jsonl":
        jsonl = stack.enter_context(JsonlAuditSink(path))
        store = SqliteCheckpointStore(path.with_name(path.name + ".checkpoints.sqlite3"))
        stack.callback(store.close)
        return jsonl, store
    sqlite = stack.enter_context(SqliteAuditSink(path))
    return sqlite, sqlite.checkpoints


def open_clients(
    config: Config,
    stack: contextlib.ExitStack | contextlib.AsyncExitStack,
    *,
    asynchronous: bool,
    inventory: bool = False,
) -> dict[str, Any]:
    """The clients a job needs, opened from ``config`` and registered on ``stack``."""
    v1 = _need(
        config.shipstation_v1,
        "shipstation",
        "SHIPSTATION_API_KEY and SHIPSTATION_API_SECRET",
        config,
    )
    oracle = _need(config.oracle, "oracle", "the ORACLE_* variables", config)
    opened: dict[str, Any] = {}
    if asynchronous:
        assert isinstance(stack, contextlib.AsyncExitStack)
        opened["shipstation"] = AsyncShipStationV1Client(v1)
        stack.push_async_callback(opened["shipstation"].aclose)
        opened["oracle"] = AsyncOracleFusionClient(oracle)
        stack.push_async_callback(opened["oracle"].aclose)
        if inventory:
            v2 = _need(config.shipstation_v2, "shipstation.v2", "SHIPSTATION_V2_API_KEY", config)
            opened["inventory"] = AsyncShipStationV2Client(v2)
            stack.push_async_callback(opened["inventory"].aclose)
        return opened
    assert isinstance(stack, contextlib.ExitStack)
    opened["shipstation"] = stack.enter_context(ShipStationV1Client(v1))
    opened["oracle"] = stack.enter_context(OracleFusionClient(oracle))
    if inventory:
        v2 = _need(config.shipstation_v2, "shipstation.v2", "SHIPSTATION_V2_API_KEY", config)
        opened["inventory"] = stack.enter_context(ShipStationV2Client(v2))
    return opened


J = TypeVar("J", bound="Owned | AsyncOwned")


def from_config(cls: type[J], config: Config, options: dict[str, Any], *, job: str) -> J:
    """A ``job`` (``shipments``, ``customers`` or ``inventory``) of ``cls`` from ``config``.

    The clients and the audit trail are opened here and closed by the job's ``close()``;
    ``options`` override what the file's ``[sync]`` section says.
    """
    from datetime import timedelta

    asynchronous = issubclass(cls, AsyncOwned)
    mapping = config.require_mapping()
    sync = config.sync
    stack: contextlib.ExitStack | contextlib.AsyncExitStack = (
        contextlib.AsyncExitStack() if asynchronous else contextlib.ExitStack()
    )
    files = contextlib.ExitStack()
    stack.callback(files.close)
    try:
        audit, checkpoints = open_audit(config.audit_path, files)
        arguments: dict[str, Any] = {"mapping": mapping, "audit": audit}
        if job == "shipments":
            arguments |= {
                "checkpoints": checkpoints,
                "overlap": timedelta(hours=sync.overlap_hours),
                "batch": sync.batch,
                "trust_audit_trail": sync.trust_audit_trail,
            }
        elif job == "customers":
            arguments["create_parties"] = sync.create_parties
        else:
            arguments["baselines"] = checkpoints
        arguments |= open_clients(
            config, stack, asynchronous=asynchronous, inventory=job == "inventory"
        )
        created = cls(**(arguments | options))
    except BaseException:
        files.close()
        raise
    created._owned = stack
    return created
