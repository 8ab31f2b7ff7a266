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
payload: :meth:`InventorySync.replay` posts each exactly as it was planned, after looking its
posting key up in Oracle (see :mod:`._inventory_replay`).

Records ShipStation lists but nothing can decode (a V2 level, or a V1 shipment between the
snapshots) never stop the run and never pass for a level gone to zero. Each becomes a failed
record of its own (``inventory-level`` or ``inventory-shipment``, its raw payload kept, the
field named), and the SKUs it could touch are *held*: not compared, their last known levels
kept in the baseline with the time they were read. A held SKU whose records read again is
compared from that older level, with the shipments of the whole span, so no change is lost or
counted twice; the failed records are then settled (``replayed``) by that run. A level whose
SKU cannot be read holds every SKU the snapshot no longer accounts for; a shipment whose items
cannot be read holds every SKU. The baseline's extra entries are JSON objects next to the level
arrays: ``{"since": t, "level": [...]}`` (a held level and when it was read),
``{"unknown": sku}`` (no earlier level is known: the SKU's next levels are stored, not
compared; ``null`` for a level whose SKU could not be read) and ``{"held": [kind, id], "skus":
[...]}`` (a failed record waiting for its SKUs).
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
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
    ReplayReport,
    Stage,
    async_replay,
    latest_of,
    new_correlation_id,
    new_event,
    redact_error,
    replay,
)
from ml_connector.mapping import (
    InventoryAdjustmentPlan,
    InventorySnapshot,
    MappingConfig,
    plan_adjustments,
    shipped_quantities,
)
from ml_connector.shipstation import InventoryLevel, UndecodableRecord

from ._documents import INVENTORY, Doc, lookup_flow, post_one_flow
from ._flow import Flow, arun_flow, run_flow
from ._inventory_replay import (
    INVENTORY_ADJUSTMENT,
    INVENTORY_REPLAY_KINDS,
    AsyncInventoryReplayTarget,
    InventoryReplayTarget,
)
from ._labels import SYSTEM, labels_from
from ._owned import AsyncOwned, Owned
from ._protocols import (
    INVENTORY_V2,
    AsyncInventoryReader,
    AsyncOracleWriter,
    AsyncShipStationReader,
    InventoryReader,
    OracleWriter,
    ShipStationReader,
    check_clients,
    inventory_call,
    inventory_list,
    shipstation_call,
    shipstation_list,
)
from ._results import FINAL_STAGES, Outcome, RecordResult
from ._routing import JobTrail
from ._undecodable import (
    INVENTORY_KINDS,
    inventory_ref,
    inventory_undecodable_result,
    level_place,
    shipment_skus,
)

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
        value = loads(entry)
        if isinstance(value, list):  # the objects are held SKUs' entries (module docstring)
            levels.append(_level_of(value))
    return InventorySnapshot(taken_at=checkpoint.watermark, levels=tuple(levels))


def _entry(level: InventoryLevel) -> list[Any]:
    return [level.sku, level.inventory_location_id, level.inventory_warehouse_id, level.on_hand]


def _level_of(entry: Sequence[Any]) -> InventoryLevel:
    sku, location, warehouse, on_hand = entry
    return InventoryLevel(
        sku=sku,
        on_hand=on_hand,
        allocated=0,
        available=on_hand,
        inventory_location_id=location,
        inventory_warehouse_id=warehouse,
    )


def _place(level: InventoryLevel) -> tuple[str, str | None, str | None]:
    return (level.sku, level.inventory_location_id, level.inventory_warehouse_id)


def _by_sku(levels: Iterable[InventoryLevel]) -> dict[str, list[InventoryLevel]]:
    grouped: dict[str, list[InventoryLevel]] = {}
    for level in levels:
        grouped.setdefault(level.sku, []).append(level)
    return grouped


@attrs.frozen
class _Held:
    """A failed record (in the trail) whose SKUs wait to be compared (``None``: all)."""

    ref: RecordRef
    skus: frozenset[str] | None


@attrs.define
class _Baseline:
    """A baseline checkpoint with its held SKUs (see the module docstring for the layout)."""

    taken_at: datetime
    levels: dict[str, list[InventoryLevel]] = attrs.field(factory=dict)
    carried: dict[str, tuple[datetime, list[InventoryLevel]]] = attrs.field(factory=dict)
    unknown: set[str] = attrs.field(factory=set)
    unknown_any: bool = False
    held: list[_Held] = attrs.field(factory=list)

    @classmethod
    def of(cls, checkpoint: Checkpoint) -> _Baseline:
        base = cls(checkpoint.watermark)
        for text in sorted(checkpoint.seen_ids):
            value = loads(text)
            if isinstance(value, list):
                level = _level_of(value)
                base.levels.setdefault(level.sku, []).append(level)
            elif "since" in value:
                level = _level_of(value["level"])
                since = datetime.fromisoformat(value["since"])
                base.carried.setdefault(level.sku, (since, []))[1].append(level)
            elif "unknown" in value:
                if value["unknown"] is None:
                    base.unknown_any = True
                else:
                    base.unknown.add(value["unknown"])
            elif "held" in value:
                system, kind, ident = value["held"]
                skus = value["skus"]
                base.held.append(
                    _Held(RecordRef(system, kind, ident), None if skus is None else frozenset(skus))
                )
        return base

    def checkpoint(self, job: str) -> Checkpoint:
        entries = {dumps(_entry(level)) for levels in self.levels.values() for level in levels}
        for since, levels in self.carried.values():
            entries |= {dumps({"since": since.isoformat(), "level": _entry(lv)}) for lv in levels}
        entries |= {dumps({"unknown": sku}) for sku in self.unknown}
        if self.unknown_any:
            entries.add(dumps({"unknown": None}))
        for held in self.held:
            ref = held.ref
            skus = None if held.skus is None else sorted(held.skus)
            entries.add(dumps({"held": [ref.system, ref.kind, ref.id], "skus": skus}))
        return Checkpoint(job=job, source=SOURCE, watermark=self.taken_at, seen_ids=entries)


@attrs.frozen
class InventorySyncSummary:
    """One inventory run.

    Attributes:
        snapshot: The snapshot read now (the next baseline unless this was a dry run); the
            levels that could not be decoded are not in it (see :attr:`undecodable`).
        baseline: The previous snapshot, or None on the first run.
        plan: The adjustments mapping planned (None on the first run).
        results: One result per adjustment, then one failed result per record ShipStation
            listed but nothing could decode (see :attr:`undecodable`).
        dry_run: Whether nothing was written.
        held: The SKUs not compared this run because a record that could touch them could
            not be decoded; compared from their last known level once it reads again.
        replayed: Failed records of earlier runs settled by this run: their SKUs were
            compared (or stored, when no earlier level was known) this time.
    """

    snapshot: InventorySnapshot
    baseline: InventorySnapshot | None
    plan: InventoryAdjustmentPlan | None
    results: tuple[RecordResult, ...]
    dry_run: bool
    held: tuple[str, ...] = ()
    replayed: tuple[RecordRef, ...] = ()

    def count(self, outcome: Outcome) -> int:
        """Results (adjustments and undecodable records) that ended with ``outcome``."""
        return sum(1 for result in self.results if result.outcome is outcome)

    @property
    def undecodable(self) -> tuple[RecordResult, ...]:
        """The failed records of levels and shipments listed but not decodable."""
        return tuple(r for r in self.results if r.record.kind in INVENTORY_KINDS)


@attrs.define
class _Failure:
    record: UndecodableRecord
    skus: frozenset[str] | None
    """The SKUs it could touch (``None``: any)."""


def _unique(records: Iterable[UndecodableRecord]) -> list[_Failure]:
    """One failure per record (a shipment is listed by creation and by void date alike)."""
    seen: set[RecordRef] = set()
    failures = []
    for record in records:
        ref = inventory_ref(record)
        if ref in seen:
            continue
        seen.add(ref)
        if record.model == "Shipment":
            skus = shipment_skus(record)
        else:
            sku = level_place(record)[0]
            skus = None if sku is None else frozenset({sku})
        failures.append(_Failure(record, skus))
    return failures


def _merge(plans: Sequence[InventoryAdjustmentPlan], notes: list[str]) -> InventoryAdjustmentPlan:
    return InventoryAdjustmentPlan(
        adjustments=tuple(a for plan in plans for a in plan.adjustments),
        unmapped=tuple(sorted({u for plan in plans for u in plan.unmapped})),
        explanation=tuple(line for plan in plans for line in plan.explanation) + tuple(notes),
    )


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
        taken = yield inventory_call(InventoryReader.take_undecodable)
        snapshot = InventorySnapshot(taken_at=taken_at, levels=tuple(levels))
        current = _by_sku(snapshot.levels)
        saved = self.baselines.load(self.job, SOURCE)
        base = _Baseline.of(saved) if saved is not None else None
        failures = _unique(r for r in taken if r.model == "InventoryLevel")
        shipments = []
        if base is not None:
            # A held SKU catches up from its last known level: the shipments of its whole span.
            earliest = min([base.taken_at, *(since for since, _ in base.carried.values())])
            created = yield shipstation_list(
                ShipStationReader.iter_shipments,
                include_shipment_items=True,
                create_date_start=earliest,
                create_date_end=taken_at,
            )
            voided = yield shipstation_list(
                ShipStationReader.iter_shipments,
                include_shipment_items=True,
                void_date_start=earliest,
                void_date_end=taken_at,
            )
            taken = yield shipstation_call(ShipStationReader.take_undecodable)
            failures += _unique(r for r in taken if r.model == "Shipment")
            shipments = [
                label.shipment for label in labels_from([*created, *voided], ()) if label.shipment
            ]
        level_unknown = any(f.skus is None for f in failures if f.record.model != "Shipment")
        items_unknown = any(f.skus is None for f in failures if f.record.model == "Shipment")
        held = {sku for f in failures for sku in f.skus or ()}
        if base is not None and level_unknown:
            # A level whose SKU cannot be read is one the snapshot no longer accounts for.
            now = {_place(level) for level in snapshot.levels}
            known = [*base.levels.items(), *((k, v[1]) for k, v in base.carried.items())]
            held |= {sku for sku, lvs in known if any(_place(lv) not in now for lv in lvs)}
        if base is not None and items_unknown:
            held |= {*current, *base.levels, *base.carried, *base.unknown}
        plan = None
        results: list[RecordResult] = []
        stored = set(current) - held
        compared: dict[str, datetime] = {}
        if base is not None:
            plan, compared, stored = yield from self._compare(
                base, snapshot, current, held, shipments, dry_run, results
            )
        undecodable = [
            inventory_undecodable_result(f.record, f.skus, self._since(f, base)) for f in failures
        ]
        replayed, waiting = self._settle(
            base, failures, held, level_unknown or items_unknown, compared, stored, plan, dry_run
        )
        if not dry_run:
            for result in undecodable:
                self._record_failure(result)
            after = self._next_baseline(
                base, taken_at, current, held, failures, level_unknown, items_unknown, waiting
            )
            self.baselines.save(after.checkpoint(self.job))
        return InventorySyncSummary(
            snapshot,
            decode_baseline(saved) if saved is not None else None,
            plan,
            (*results, *undecodable),
            dry_run,
            held=tuple(sorted(held)),
            replayed=replayed,
        )

    def _compare(
        self,
        base: _Baseline,
        snapshot: InventorySnapshot,
        current: Mapping[str, list[InventoryLevel]],
        held: set[str],
        shipments: Sequence[Any],
        dry_run: bool,
        results: list[RecordResult],
    ) -> Flow[tuple[InventoryAdjustmentPlan, dict[str, datetime], set[str]]]:
        """Plan and post the adjustments of every SKU not held: from the baseline, or from the
        older level a held SKU kept (with the shipments of its whole span)."""
        now = snapshot.taken_at
        fresh = {
            sku
            for sku in current
            if sku not in held
            and sku not in base.levels
            and sku not in base.carried
            and (sku in base.unknown or base.unknown_any)
        }
        aside = held | fresh | set(base.carried)
        previous = [
            lv for sku, lvs in sorted(base.levels.items()) if sku not in aside for lv in lvs
        ]
        shipped = shipped_quantities(shipments, after=base.taken_at, until=now)
        plans = [
            plan_adjustments(
                InventorySnapshot(base.taken_at, tuple(previous)),
                InventorySnapshot(now, tuple(lv for lv in snapshot.levels if lv.sku not in aside)),
                {key: q for key, q in shipped.items() if key[1] not in aside},
                self.mapping,
            )
        ]
        compared = {sku: base.taken_at for sku in {*base.levels, *current} - aside}
        groups: dict[datetime, set[str]] = {}
        for sku, (since, _levels) in base.carried.items():
            if sku not in held:
                groups.setdefault(since, set()).add(sku)
        for since, skus in sorted(groups.items()):
            span = shipped_quantities(shipments, after=since, until=now)
            kept = tuple(lv for sku in sorted(skus) for lv in base.carried[sku][1])
            plans.append(
                plan_adjustments(
                    InventorySnapshot(since, kept),
                    InventorySnapshot(now, tuple(lv for lv in snapshot.levels if lv.sku in skus)),
                    {key: q for key, q in span.items() if key[1] in skus},
                    self.mapping,
                )
            )
            compared.update(dict.fromkeys(skus, since))
        notes = [
            f"{sku} held: a record that could touch it could not be decoded; not compared"
            for sku in sorted(held)
        ] + [
            f"{sku}: no earlier level is known (it could not be decoded before): stored as the "
            "baseline, not compared"
            for sku in sorted(fresh)
        ]
        plan = _merge(plans, notes)
        docs = [
            Doc(INVENTORY, adjustment.posting.key, adjustment.posting.transaction)
            for adjustment in plan.adjustments
        ]
        yield from lookup_flow(docs)
        if not dry_run:
            for doc in docs:
                if doc.state == "missing":
                    yield from post_one_flow(doc)
        results.extend(
            self._result(doc, adjustment, dry_run)
            for doc, adjustment in zip(docs, plan.adjustments, strict=True)
        )
        return plan, compared, fresh

    @staticmethod
    def _since(failure: _Failure, base: _Baseline | None) -> datetime | None:
        """When the last known levels of the SKUs ``failure`` holds were read."""
        if base is None:
            return None
        skus = failure.skus if failure.skus is not None else {*base.levels, *base.carried}
        times = [
            base.carried[sku][0] if sku in base.carried else base.taken_at
            for sku in skus
            if sku in base.carried or sku in base.levels
        ]
        return min(times, default=None)

    def _settle(
        self,
        base: _Baseline | None,
        failures: Sequence[_Failure],
        held: set[str],
        unknown_now: bool,
        compared: Mapping[str, datetime],
        stored: set[str],
        plan: InventoryAdjustmentPlan | None,
        dry_run: bool,
    ) -> tuple[tuple[RecordRef, ...], list[_Held]]:
        """Settle the failed records of earlier runs whose SKUs were compared (or stored) now;
        the others wait on. Returns the settled records and those still waiting."""
        if base is None:
            return (), []
        again = {inventory_ref(f.record) for f in failures}
        pending = [h for h in base.held if h.ref not in again]
        ready = [
            h for h in pending if (not (h.skus & held) if h.skus is not None else not unknown_now)
        ]
        waiting = [h for h in pending if h not in ready]
        keys: dict[str, list[str]] = {}
        for adjustment in plan.adjustments if plan is not None else ():
            keys.setdefault(adjustment.sku, []).append(adjustment.posting.key)
        latest = latest_of(self.audit, [h.ref for h in ready])
        settled = []
        for h in ready:
            event = latest.get(h.ref)
            if event is None or event.stage is not Stage.FAILED:
                continue  # replayed or otherwise settled since
            settled.append(h.ref)
            if dry_run:
                continue
            skus = sorted(h.skus) if h.skus is not None else sorted({*compared, *stored})
            parts = []
            for sku in skus:
                if sku in compared:
                    made = keys.get(sku)
                    parts.append(
                        f"{sku} compared from {compared[sku].isoformat()}: "
                        + (f"adjustment {', '.join(made)}" if made else "no unexplained change")
                    )
                elif sku in stored:
                    parts.append(f"{sku} stored as the baseline (no earlier level known)")
                else:
                    parts.append(f"{sku} no longer listed")
            self.audit.write(
                new_event(
                    self.clock,
                    correlation_id=event.correlation_id,
                    record=h.ref,
                    stage=Stage.REPLAYED,
                    attempt=event.attempt + 1,
                    detail=f"replayed by the inventory run of {self.clock.now().isoformat()}: "
                    + ("; ".join(parts) or "nothing held any more"),
                )
            )
        return tuple(settled), waiting

    def _record_failure(self, result: RecordResult) -> None:
        previous = latest_of(self.audit, [result.record]).get(result.record)
        carry = previous is not None and previous.stage not in FINAL_STAGES
        self.audit.write(
            new_event(
                self.clock,
                correlation_id=(
                    previous.correlation_id
                    if carry and previous is not None
                    else new_correlation_id()
                ),
                record=result.record,
                stage=Stage.FAILED,
                attempt=previous.attempt + 1 if carry and previous is not None else 1,
                detail=result.detail,
                payload=result.payload,
                error=result.error,
            )
        )

    @staticmethod
    def _next_baseline(
        base: _Baseline | None,
        taken_at: datetime,
        current: Mapping[str, list[InventoryLevel]],
        held: set[str],
        failures: Sequence[_Failure],
        level_unknown: bool,
        items_unknown: bool,
        waiting: Sequence[_Held],
    ) -> _Baseline:
        new = _Baseline(taken_at, levels={s: lvs for s, lvs in current.items() if s not in held})
        new.unknown_any = level_unknown or (items_unknown and base is not None and base.unknown_any)
        for sku in held:
            if base is not None and sku in base.carried:
                new.carried[sku] = base.carried[sku]
            elif base is not None and sku in base.levels:
                new.carried[sku] = (base.taken_at, base.levels[sku])
            else:
                new.unknown.add(sku)
        new.held = [_Held(inventory_ref(f.record), f.skus) for f in failures] + list(waiting)
        return new

    def _result(self, doc: Doc, adjustment: Any, dry_run: bool) -> RecordResult:
        ref = RecordRef(SYSTEM, INVENTORY_ADJUSTMENT, doc.key)
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


def _setup(
    job: str, arguments: Mapping[str, Any], *, asynchronous: bool
) -> tuple[_InventoryCore, dict[str, Any]]:
    """The core and clients of a twin, from its keyword ``arguments`` (its ``locals()``): the
    twins list them in their signatures, for readers and type checkers, and build from here."""
    shipstation, inventory, oracle = (arguments[n] for n in ("shipstation", "inventory", "oracle"))
    check_clients(
        job,
        shipstation=shipstation,
        oracle=oracle,
        asynchronous=asynchronous,
        more={"inventory": (INVENTORY_V2, inventory)},
    )
    if arguments["baselines"] is None:
        raise ConfigurationError("inventory sync needs a baseline store", setting="baselines")
    core = _InventoryCore(
        oracle=oracle,
        **{n: arguments[n] for n in ("mapping", "audit", "baselines", "clock", "job")},
    )
    return core, {"shipstation": shipstation, "shipstation_v2": inventory, "oracle": oracle}


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

    _JOB = "inventory"

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
        self._core, self._clients = _setup("InventorySync", locals(), asynchronous=False)

    def run(self, *, dry_run: bool = False) -> InventorySyncSummary:
        """Snapshot, compare with the baseline, post adjustments, store the new baseline.

        Raises:
            MappingError: the snapshots cannot be compared (e.g. the clock went backwards).
        """
        return run_flow(self._core.run_flow(dry_run=dry_run), self._clients)

    def replay_target(self) -> InventoryReplayTarget:
        """The :class:`~ml_connector.audit.ReplayTarget` for this job's records."""
        return InventoryReplayTarget(self._core.audit, self._clients)

    def replay(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        error_kinds: Collection[str] | None = None,
        record_ids: Collection[str] | None = None,
        dry_run: bool = False,
    ) -> ReplayReport:
        """Re-post this job's failed records exactly as planned; never posts twice.

        Takes the failed records of the inventory job's kinds only (``inventory-adjustment``,
        and the undecodable ``inventory-level`` and ``inventory-shipment``). An adjustment is
        posted from the transaction its failed event kept, after looking its posting key up in
        Oracle (found: ``already-posted``); an undecodable record is decoded again from its
        kept payload with the current quirk rules. See :func:`ml_connector.audit.replay` for
        the filters and outcomes.
        """
        return replay(
            JobTrail(self._core.audit, INVENTORY_REPLAY_KINDS),
            self.replay_target(),
            clock=self._core.clock,
            since=since,
            until=until,
            error_kinds=error_kinds,
            record_ids=record_ids,
            dry_run=dry_run,
        )


class AsyncInventorySync(AsyncOwned):
    """The asyncio twin of :class:`InventorySync`."""

    _JOB = "inventory"

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
        self._core, self._clients = _setup("AsyncInventorySync", locals(), asynchronous=True)
        self._concurrency = concurrency

    async def run(self, *, dry_run: bool = False) -> InventorySyncSummary:
        """See :meth:`InventorySync.run`."""
        result: InventorySyncSummary = await arun_flow(
            self._core.run_flow(dry_run=dry_run),
            self._clients,
            asyncio.Semaphore(self._concurrency),
        )
        return result

    def replay_target(self) -> AsyncInventoryReplayTarget:
        """The :class:`~ml_connector.audit.AsyncReplayTarget` for this job's records."""
        return AsyncInventoryReplayTarget(self._core.audit, self._clients, self._concurrency)

    async def replay(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        error_kinds: Collection[str] | None = None,
        record_ids: Collection[str] | None = None,
        dry_run: bool = False,
    ) -> ReplayReport:
        """See :meth:`InventorySync.replay`."""
        return await async_replay(
            JobTrail(self._core.audit, INVENTORY_REPLAY_KINDS),
            self.replay_target(),
            clock=self._core.clock,
            since=since,
            until=until,
            error_kinds=error_kinds,
            record_ids=record_ids,
            dry_run=dry_run,
        )
