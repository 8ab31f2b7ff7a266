"""Shipments into Oracle exactly once: :class:`ShipmentSync` and :class:`AsyncShipmentSync`.

Both twins run the same flows over one :class:`~._core._ShipmentCore` (the pipeline is described
there); only the driver differs: :func:`~._flow.run_flow` for the blocking twin,
:func:`~._flow.arun_flow` with a bounded semaphore for the async one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from ml_connector._clock import Clock
from ml_connector.audit import (
    AuditSink,
    CheckpointStore,
    ClaimStore,
    ReplayReport,
    async_replay,
    replay,
)
from ml_connector.mapping import CustomerDirectory, MappingConfig, PostingKeyFormats
from ml_connector.shipstation import WebhookPointer

from ._core import JOB, ShipmentSyncOptions, _ShipmentCore
from ._flow import Flow, arun_flow, run_flow
from ._owned import AsyncOwned, Owned
from ._post import DEFAULT_CLAIM_LEASE
from ._preflight import PreflightReport
from ._protocols import (
    AsyncOracleWriter,
    AsyncShipStationReader,
    OracleWriter,
    ShipStationReader,
    check_clients,
)
from ._reconcile import ReconciliationReport, reconcile_flow
from ._replay import AsyncShipmentReplayTarget, ShipmentReplayTarget
from ._results import ProgressCallback, ResultCallback, ResultsPolicy, RunSummary
from ._routing import SHIPMENT_REPLAY_KINDS, JobTrail
from ._window import CHUNK, FULFILLMENT_VOID_LOOKBACK, SyncWindow

__all__ = ["AsyncShipmentSync", "ShipmentSync"]


class ShipmentSync(Owned):
    """Post ShipStation shipments (and fulfillments) into Oracle exactly once (blocking).

    Args:
        shipstation: A :class:`~ml_connector.shipstation.ShipStationV1Client`; only its GET
            methods are used.
        oracle: An :class:`~ml_connector.oracle.OracleFusionClient`.
        mapping: The mapping configuration.
        audit: The audit sink every record's outcome is written to.
        checkpoints: Where incremental runs keep their watermark (needed by
            :meth:`run_incremental`).
        clock: Time source (a ``VirtualClock`` in tests).
        directory: Oracle customers to match against; by default read from Oracle each run,
            for the orders of the run.
        job: The job name (the checkpoint key).
        overlap: How far before the watermark an incremental window starts (late records,
            daylight-saving repeats); records seen twice are deduplicated, never posted twice.
        batch: Post missing documents in Oracle batch requests where possible.
        fulfillment_keys: Posting-key formats for fulfillments (default: ``SF...``).
        preflight: Validate accounts and customers against Oracle before the first post.
        progress: Called with :class:`Progress` counts as the run goes.
        results: What :attr:`RunSummary.results` keeps (the counts are always complete):
            ``"all"`` (every result with its payloads and explanation), ``"slim"`` (every
            result; posted and already-posted ones without payloads, which are in the audit
            trail) or ``"problems"`` (only failed and skipped records, in full; memory stays
            flat however large the window). Dry runs always keep everything.
        on_result: Called with every record's full result as soon as it is decided (stream
            them to a file or a queue instead of keeping them); an exception it raises stops
            the run (what was recorded stays recorded).
        chunk_size: Labels processed at a time (fetched, planned, posted and recorded before
            the next are read); memory grows with it, not with the window.
        trust_audit_trail: Treat ``audit`` as the complete record of what this connector ever
            sent to Oracle: a record with no event at all in it is created without looking its
            posting keys up first (fewer Oracle requests). Every run, in either mode, writes a
            ``posting`` event for each record before it is sent, so a run killed mid-post is
            looked up next time. Records with any event, voided labels, reversals and dry runs
            are looked up as always. Only for a trail every run of this job has written: a
            document posted under the same key by other means (another installation, a manual
            entry, a lost trail) would be posted again. See docs/sync.md, "Trusting the audit
            trail".
        fulfillment_void_lookback: How far before the window a run looks for fulfillments
            voided since (V1 ``/fulfillments`` filters by creation date only, so a fulfillment
            voided next week is outside its creation window): every run re-reads the
            fulfillments created in this period before the window and reverses the voided ones
            exactly like voided labels, at ``ceil(fulfillments created in it / 500)`` extra
            calls a run. ``timedelta(0)`` turns it off. See docs/shipstation.md, "Late
            fulfillment voids".
        claims: Where records are claimed before they are looked up and posted, so that
            several processes or workers never post one record twice (see
            :class:`~ml_connector.audit.ClaimStore`). Default: the audit sink's own
            (``sink.claims`` of the SQLite and Postgres sinks); none for other sinks.
        claim_lease: How long a claim lasts without renewal; must exceed Oracle's request
            timeout (checked), and should stay well under ``overlap`` so that a record a dead
            worker held is picked up by the next run.
    """

    _JOB = "shipments"

    def __init__(
        self,
        *,
        shipstation: ShipStationReader,
        oracle: OracleWriter,
        mapping: MappingConfig,
        audit: AuditSink,
        checkpoints: CheckpointStore | None = None,
        clock: Clock | None = None,
        directory: CustomerDirectory | None = None,
        job: str = JOB,
        overlap: timedelta = timedelta(hours=2),
        batch: bool = True,
        fulfillment_keys: PostingKeyFormats | None = None,
        preflight: bool = True,
        progress: ProgressCallback | None = None,
        results: ResultsPolicy = "slim",
        on_result: ResultCallback | None = None,
        chunk_size: int = CHUNK,
        trust_audit_trail: bool = False,
        fulfillment_void_lookback: timedelta = FULFILLMENT_VOID_LOOKBACK,
        claims: ClaimStore | None = None,
        claim_lease: timedelta = DEFAULT_CLAIM_LEASE,
    ) -> None:
        check_clients("ShipmentSync", shipstation=shipstation, oracle=oracle, asynchronous=False)
        self._options = ShipmentSyncOptions.of(locals())
        self._core = _ShipmentCore(self._options, oracle=oracle)
        self._clients = {"shipstation": shipstation, "oracle": oracle}

    def __repr__(self) -> str:
        return f"ShipmentSync(job={self._options.job!r})"

    def run(
        self, window: SyncWindow | tuple[datetime, datetime], *, dry_run: bool = False
    ) -> RunSummary:
        """Sync the shipments created or voided in ``window`` (and its fulfillments).

        Args:
            window: ``(start, end)``, aware datetimes; start inclusive, end exclusive.
            dry_run: Plan only: look everything up, write nothing (no posts, no audit events,
                no checkpoint); each result carries its payloads and reasons.

        Raises:
            PreflightError: the mapping's accounts or customers are not valid in Oracle.
            ConnectorError: ShipStation could not be read, or the audit trail not written.
        """
        return run_flow(self._core.run_flow(SyncWindow.of(window), dry_run=dry_run), self._clients)

    def run_incremental(
        self, *, initial_start: datetime | None = None, dry_run: bool = False
    ) -> RunSummary:
        """Sync from the checkpoint (minus the overlap) to now, then move the checkpoint."""
        window = self._core.incremental_window(initial_start)
        summary = run_flow(self._core.run_flow(window, dry_run=dry_run), self._clients)
        return self._core.save_checkpoint(summary)

    def run_webhook(self, pointer: WebhookPointer, *, dry_run: bool = False) -> RunSummary:
        """Sync the shipments or fulfillments a V1 webhook points at (a repeat is a no-op)."""
        return run_flow(self._core.webhook_flow(pointer, dry_run=dry_run), self._clients)

    def preflight(self) -> PreflightReport:
        """Validate the mapping's accounts and customer accounts against Oracle, and list
        every ShipStation product SKU Oracle's item master would refuse (``catalog``
        problems), all at once; read-only.

        Raises:
            OutageError: ShipStation or Oracle was unavailable (not a problem found).
        """
        return run_flow(self._core.preflight_flow(catalog=True), self._clients)

    def reconcile(self, window: SyncWindow | tuple[datetime, datetime]) -> ReconciliationReport:
        """Join ShipStation, the audit trail and Oracle for ``window`` (read-only)."""
        flow = reconcile_flow(self._core, SyncWindow.of(window))
        result: ReconciliationReport = run_flow(flow, self._clients)
        return result

    def replay_target(self) -> ShipmentReplayTarget:
        """The :class:`~ml_connector.audit.ReplayTarget` for this job's records."""
        return ShipmentReplayTarget(self._core, self._clients)

    def replay(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        error_kinds: Collection[str] | None = None,
        record_ids: Collection[str] | None = None,
        dry_run: bool = False,
    ) -> ReplayReport:
        """Re-map (today's configuration) and re-post failed records; never posts twice.

        Takes this job's records (shipments, fulfillments and their voids) and the inventory
        job's undecodable ones, which it decodes again; an ``inventory-adjustment`` is left to
        :meth:`~ml_connector.sync.InventorySync.replay`. See :func:`ml_connector.audit.replay`
        for the filters.
        """
        return replay(
            JobTrail(self._options.audit, SHIPMENT_REPLAY_KINDS),  # this job's records only
            self.replay_target(),
            clock=self._options.clock,
            since=since,
            until=until,
            error_kinds=error_kinds,
            record_ids=record_ids,
            dry_run=dry_run,
        )


class AsyncShipmentSync(AsyncOwned):
    """The asyncio twin of :class:`ShipmentSync` (same arguments, methods awaited).

    Oracle lookups and posts of different records overlap, with at most ``concurrency``
    requests in flight (``concurrency`` is the one extra argument).
    """

    _JOB = "shipments"

    def __init__(
        self,
        *,
        shipstation: AsyncShipStationReader,
        oracle: AsyncOracleWriter,
        mapping: MappingConfig,
        audit: AuditSink,
        checkpoints: CheckpointStore | None = None,
        clock: Clock | None = None,
        directory: CustomerDirectory | None = None,
        job: str = JOB,
        overlap: timedelta = timedelta(hours=2),
        batch: bool = True,
        fulfillment_keys: PostingKeyFormats | None = None,
        preflight: bool = True,
        progress: ProgressCallback | None = None,
        results: ResultsPolicy = "slim",
        on_result: ResultCallback | None = None,
        chunk_size: int = CHUNK,
        concurrency: int = 8,
        trust_audit_trail: bool = False,
        fulfillment_void_lookback: timedelta = FULFILLMENT_VOID_LOOKBACK,
        claims: ClaimStore | None = None,
        claim_lease: timedelta = DEFAULT_CLAIM_LEASE,
    ) -> None:
        check_clients(
            "AsyncShipmentSync", shipstation=shipstation, oracle=oracle, asynchronous=True
        )
        self._options = ShipmentSyncOptions.of(locals())
        self._core = _ShipmentCore(self._options, oracle=oracle)
        self._clients = {"shipstation": shipstation, "oracle": oracle}

    def __repr__(self) -> str:
        return f"AsyncShipmentSync(job={self._options.job!r})"

    async def _drive(self, flow: Flow[Any]) -> Any:
        return await arun_flow(flow, self._clients, asyncio.Semaphore(self._options.concurrency))

    async def run(
        self, window: SyncWindow | tuple[datetime, datetime], *, dry_run: bool = False
    ) -> RunSummary:
        """See :meth:`ShipmentSync.run`."""
        result: RunSummary = await self._drive(
            self._core.run_flow(SyncWindow.of(window), dry_run=dry_run)
        )
        return result

    async def run_incremental(
        self, *, initial_start: datetime | None = None, dry_run: bool = False
    ) -> RunSummary:
        """See :meth:`ShipmentSync.run_incremental`."""
        window = self._core.incremental_window(initial_start)
        summary: RunSummary = await self._drive(self._core.run_flow(window, dry_run=dry_run))
        return self._core.save_checkpoint(summary)

    async def run_webhook(self, pointer: WebhookPointer, *, dry_run: bool = False) -> RunSummary:
        """See :meth:`ShipmentSync.run_webhook`."""
        result: RunSummary = await self._drive(self._core.webhook_flow(pointer, dry_run=dry_run))
        return result

    async def preflight(self) -> PreflightReport:
        """See :meth:`ShipmentSync.preflight`."""
        result: PreflightReport = await self._drive(self._core.preflight_flow(catalog=True))
        return result

    async def reconcile(
        self, window: SyncWindow | tuple[datetime, datetime]
    ) -> ReconciliationReport:
        """See :meth:`ShipmentSync.reconcile`."""
        result: ReconciliationReport = await self._drive(
            reconcile_flow(self._core, SyncWindow.of(window))
        )
        return result

    def replay_target(self) -> AsyncShipmentReplayTarget:
        """See :meth:`ShipmentSync.replay_target`."""
        return AsyncShipmentReplayTarget(self._core, self._clients, self._options.concurrency)

    async def replay(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        error_kinds: Collection[str] | None = None,
        record_ids: Collection[str] | None = None,
        dry_run: bool = False,
    ) -> ReplayReport:
        """See :meth:`ShipmentSync.replay`."""
        return await async_replay(
            JobTrail(self._options.audit, SHIPMENT_REPLAY_KINDS),  # this job's records only
            self.replay_target(),
            clock=self._options.clock,
            since=since,
            until=until,
            error_kinds=error_kinds,
            record_ids=record_ids,
            dry_run=dry_run,
        )
