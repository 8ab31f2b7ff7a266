"""Inventory adjustments: :class:`InventorySync` and :class:`AsyncInventorySync`.

Each run reads a snapshot of ShipStation V2 inventory levels (grouped by location), compares it
with the previous snapshot (the *baseline*), nets out what shipments issued in between (labels
created minus labels voided, from V1), and posts each unexplained change as a staged inventory
transaction, find-before-create by its deterministic key. The new snapshot then becomes the
baseline.

The baseline is kept in the job's :class:`~ml_connector.audit.CheckpointStore` (so in the same
SQLite file as the other checkpoints, with no new table): job ``inventory``, source
``shipstation-v2/inventory``, the watermark is the snapshot time and each level is one entry of
``seen_ids``, a small JSON array ``[sku, location id, warehouse id, on hand]``. The first run only
stores the baseline and posts nothing.

The baseline moves after every run that is not a dry run, even when some adjustments failed:
their keys depend on both snapshot times, so recomputing them from an older baseline would post
the successful ones again under new keys. Failed adjustments stay in the audit trail with their
payload for a person to resolve.
"""

from __future__ import annotations

import asyncio
from typing import Any

import attrs

from ml_connector._clock import Clock, SystemClock
from ml_connector._errors import ConfigurationError
from ml_connector._json import dumps, loads
from ml_connector.audit import (
    AuditSink,
    Checkpoint,
    CheckpointStore,
    RecordRef,
    Stage,
    new_correlation_id,
    new_event,
    redact_error,
)
from ml_connector.mapping import (
    InventoryAdjustmentPlan,
    InventorySnapshot,
    MappingConfig,
    plan_adjustments,
    shipped_quantities,
)
from ml_connector.shipstation import InventoryLevel
from ml_connector.sync._configfile import Config

from ._documents import INVENTORY, Doc, lookup_flow, post_one_flow
from ._flow import Flow, arun_flow, run_flow
from ._labels import SYSTEM, labels_from
from ._owned import AsyncOwned, Owned, from_config
from ._protocols import (
    INVENTORY_V2,
    AsyncInventoryReader,
    AsyncOracleWriter,
    AsyncShipStationReader,
    InventoryReader,
    OracleWriter,
    ShipStationReader,
    check_clients,
    inventory_list,
    shipstation_list,
)
from ._results import Outcome, RecordResult

__all__ = [
    "AsyncInventorySync",
    "InventorySync",
    "InventorySyncSummary",
    "decode_baseline",
    "encode_baseline",
]

JOB = "inventory"
SOURCE = "shipstation-v2/inventory"


def encode_baseline(snapshot: InventorySnapshot, job: str = JOB) -> Checkpoint:
    """A snapshot as a checkpoint (see the module docstring for the layout)."""
    entries = {
        dumps(
            [
                level.sku,
                level.inventory_location_id,
                level.inventory_warehouse_id,
                level.on_hand,
            ]
        )
        for level in snapshot.levels
    }
    return Checkpoint(job=job, source=SOURCE, watermark=snapshot.taken_at, seen_ids=entries)


def decode_baseline(checkpoint: Checkpoint) -> InventorySnapshot:
    """The snapshot a checkpoint holds."""
    levels = []
    for entry in sorted(checkpoint.seen_ids):
        sku, location, warehouse, on_hand = loads(entry)
        levels.append(
            InventoryLevel(
                sku=sku,
                on_hand=on_hand,
                allocated=0,
                available=on_hand,
                inventory_location_id=location,
                inventory_warehouse_id=warehouse,
            )
        )
    return InventorySnapshot(taken_at=checkpoint.watermark, levels=tuple(levels))


@attrs.frozen
class InventorySyncSummary:
    """One inventory run.

    Attributes:
        snapshot: The snapshot read now (the next baseline unless this was a dry run).
        baseline: The previous snapshot, or None on the first run.
        plan: The adjustments mapping planned (None on the first run).
        results: One result per adjustment.
        dry_run: Whether nothing was written.
    """

    snapshot: InventorySnapshot
    baseline: InventorySnapshot | None
    plan: InventoryAdjustmentPlan | None
    results: tuple[RecordResult, ...]
    dry_run: bool

    def count(self, outcome: Outcome) -> int:
        """Adjustments that ended with ``outcome``."""
        return sum(1 for result in self.results if result.outcome is outcome)


class _InventoryCore:
    def __init__(
        self,
        *,
        oracle: OracleWriter | AsyncOracleWriter,
        mapping: MappingConfig,
        audit: AuditSink,
        baselines: CheckpointStore,
        clock: Clock | None,
        job: str,
    ) -> None:
        self.oracle = oracle
        self.mapping = mapping
        self.audit = audit
        self.baselines = baselines
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.job = job

    def run_flow(self, *, dry_run: bool) -> Flow[InventorySyncSummary]:
        taken_at = self.clock.now()
        levels = yield inventory_list(InventoryReader.iter_inventory, group_by="location")
        snapshot = InventorySnapshot(taken_at=taken_at, levels=tuple(levels))
        saved = self.baselines.load(self.job, SOURCE)
        if saved is None:
            if not dry_run:
                self.baselines.save(encode_baseline(snapshot, self.job))
            return InventorySyncSummary(snapshot, None, None, (), dry_run)
        baseline = decode_baseline(saved)
        created = yield shipstation_list(
            ShipStationReader.iter_shipments,
            include_shipment_items=True,
            create_date_start=baseline.taken_at,
            create_date_end=taken_at,
        )
        voided = yield shipstation_list(
            ShipStationReader.iter_shipments,
            include_shipment_items=True,
            void_date_start=baseline.taken_at,
            void_date_end=taken_at,
        )
        shipments = [
            label.shipment for label in labels_from([*created, *voided], ()) if label.shipment
        ]
        shipped = shipped_quantities(shipments, after=baseline.taken_at, until=taken_at)
        plan = plan_adjustments(baseline, snapshot, shipped, self.mapping)
        docs = [
            Doc(INVENTORY, adjustment.posting.key, adjustment.posting.transaction)
            for adjustment in plan.adjustments
        ]
        yield from lookup_flow(docs)
        if not dry_run:
            for doc in docs:
                if doc.state == "missing":
                    yield from post_one_flow(doc)
        results = tuple(
            self._result(doc, adjustment, dry_run)
            for doc, adjustment in zip(docs, plan.adjustments, strict=True)
        )
        if not dry_run:
            self.baselines.save(encode_baseline(snapshot, self.job))
        return InventorySyncSummary(snapshot, baseline, plan, results, dry_run)

    def _result(self, doc: Doc, adjustment: Any, dry_run: bool) -> RecordResult:
        ref = RecordRef(SYSTEM, "inventory-adjustment", doc.key)
        outcome = {
            "created": Outcome.POSTED,
            "found": Outcome.ALREADY_POSTED,
            "failed": Outcome.FAILED,
            "missing": Outcome.WOULD_POST,
        }[doc.state]
        payload = {"transaction": doc.wire(self.oracle.converter)}
        detail = (
            f"{adjustment.sku} at warehouse {adjustment.warehouse_id}/{adjustment.subinventory}: "
            f"{adjustment.previous_on_hand} -> {adjustment.current_on_hand}, shipped "
            f"{adjustment.shipped}, adjustment {adjustment.delta:+}; {doc.describe()}"
        )
        result = RecordResult(
            record=ref,
            outcome=outcome,
            posting_key=doc.key,
            keys=(doc.key,),
            detail=detail,
            error=redact_error(doc.error) if doc.error is not None else None,
            oracle_ids={doc.key: doc.oracle_id} if doc.oracle_id else {},
            payload=payload,
            warehouse_id=adjustment.warehouse_id,
        )
        if not dry_run:
            stage = {
                Outcome.POSTED: Stage.POSTED,
                Outcome.ALREADY_POSTED: Stage.ALREADY_POSTED,
                Outcome.FAILED: Stage.FAILED,
            }[outcome]
            self.audit.write(
                new_event(
                    self.clock,
                    correlation_id=new_correlation_id(),
                    record=ref,
                    stage=stage,
                    target="inventoryStagedTransactions",
                    posting_key=doc.key,
                    detail=detail,
                    oracle_id=doc.oracle_id,
                    payload=payload,
                    error=doc.error,
                )
            )
        return result


def _checked_core(**kwargs: Any) -> _InventoryCore:
    if kwargs["baselines"] is None:
        raise ConfigurationError("inventory sync needs a baseline store", setting="baselines")
    return _InventoryCore(**kwargs)


class InventorySync(Owned):
    """Post inventory changes that shipments do not explain (blocking).

    Args:
        shipstation: A ShipStation V1 client (shipments in between snapshots; GET only).
        inventory: A ShipStation V2 client (inventory levels; GET only).
        oracle: An Oracle Fusion client.
        mapping: The mapping configuration (``[inventory_locations]``, adjustment accounts).
        audit: The audit sink.
        baselines: Where the baseline snapshot is kept (any checkpoint store).
        clock: Time source.
        job: The baseline's key.
    """

    @classmethod
    def from_config(cls, config: Config, **options: Any) -> InventorySync:
        """A job that opens its clients and audit trail from ``config`` and closes them.

        ``with InventorySync.from_config(config) as job: ...``;
        ``options`` are this class's other
        arguments and override the ``[sync]`` section (see :func:`ml_connector.load_config`).

        Raises:
            ConfigFileError: the configuration lacks the mapping or a system the job needs.
        """
        return from_config(cls, config, dict(options), job="inventory")

    def __init__(
        self,
        *,
        shipstation: ShipStationReader,
        inventory: InventoryReader,
        oracle: OracleWriter,
        mapping: MappingConfig,
        audit: AuditSink,
        baselines: CheckpointStore,
        clock: Clock | None = None,
        job: str = JOB,
    ) -> None:
        check_clients(
            "InventorySync",
            shipstation=shipstation,
            oracle=oracle,
            asynchronous=False,
            more={"inventory": (INVENTORY_V2, inventory)},
        )
        self._core = _checked_core(
            oracle=oracle, mapping=mapping, audit=audit, baselines=baselines, clock=clock, job=job
        )
        self._clients = {"shipstation": shipstation, "shipstation_v2": inventory, "oracle": oracle}

    def run(self, *, dry_run: bool = False) -> InventorySyncSummary:
        """Snapshot, compare with the baseline, post adjustments, store the new baseline.

        Raises:
            MappingError: the snapshots cannot be compared (e.g. the clock went backwards).
        """
        return run_flow(self._core.run_flow(dry_run=dry_run), self._clients)


class AsyncInventorySync(AsyncOwned):
    """The asyncio twin of :class:`InventorySync`."""

    @classmethod
    def from_config(cls, config: Config, **options: Any) -> AsyncInventorySync:
        """A job that opens its clients and audit trail from ``config`` and closes them.

        ``async with AsyncInventorySync.from_config(config) as job: ...``;
        ``options`` are this class's other
        arguments and override the ``[sync]`` section (see :func:`ml_connector.load_config`).

        Raises:
            ConfigFileError: the configuration lacks the mapping or a system the job needs.
        """
        return from_config(cls, config, dict(options), job="inventory")

    def __init__(
        self,
        *,
        shipstation: AsyncShipStationReader,
        inventory: AsyncInventoryReader,
        oracle: AsyncOracleWriter,
        mapping: MappingConfig,
        audit: AuditSink,
        baselines: CheckpointStore,
        clock: Clock | None = None,
        job: str = JOB,
        concurrency: int = 8,
    ) -> None:
        check_clients(
            "AsyncInventorySync",
            shipstation=shipstation,
            oracle=oracle,
            asynchronous=True,
            more={"inventory": (INVENTORY_V2, inventory)},
        )
        self._core = _checked_core(
            oracle=oracle, mapping=mapping, audit=audit, baselines=baselines, clock=clock, job=job
        )
        self._clients = {"shipstation": shipstation, "shipstation_v2": inventory, "oracle": oracle}
        self._concurrency = concurrency

    async def run(self, *, dry_run: bool = False) -> InventorySyncSummary:
        """See :meth:`InventorySync.run`."""
        result: InventorySyncSummary = await arun_flow(
            self._core.run_flow(dry_run=dry_run),
            self._clients,
            asyncio.Semaphore(self._concurrency),
        )
        return result
