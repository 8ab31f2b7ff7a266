"""Ready-made sync jobs: shipments into Oracle exactly once, customers, inventory, reconciliation.

Host applications call these from their own scheduler, notebook or integration platform; they
also show how the parts (clients, mapping, audit) compose. Every job has a blocking and an
asyncio twin over one I/O-free flow. ShipStation only ever sees GET requests from these jobs.

Example::

    from datetime import UTC, datetime
    from ml_connector.audit import SqliteAuditSink, SqliteCheckpointStore
    from ml_connector.mapping import load_mapping_config
    from ml_connector.oracle import OracleFusionClient
    from ml_connector.shipstation import ShipStationV1Client
    from ml_connector.sync import ShipmentSync

    sync = ShipmentSync(
        shipstation=ShipStationV1Client(v1_settings),
        oracle=OracleFusionClient(oracle_settings),
        mapping=load_mapping_config("mapping.toml"),
        audit=SqliteAuditSink("audit.db"),
        checkpoints=SqliteCheckpointStore("audit.db"),
    )
    summary = sync.run(window=(datetime(2026, 1, 15, 8, tzinfo=UTC),
                               datetime(2026, 1, 16, 8, tzinfo=UTC)))
    print(summary.describe())        # posted / already posted / skipped / failed
    summary = sync.run_incremental()  # from the checkpoint, with overlap
    plan = sync.run(window, dry_run=True)  # payloads and reasons, nothing written
    report = sync.replay()            # re-map and re-post failed records, never twice
    recon = sync.reconcile(window)    # rows with reason codes; recon.to_csv("close.csv")
    # A backfill in flat memory: keep only failures and skips, count the rest.
    big = ShipmentSync(..., results="problems").run(quarter)

See docs/sync.md (composition, the exactly-once argument, checkpoints, dry run, preflight) and
docs/reconciliation.md (reason codes, the daily close).
"""

from ._catalog import AsyncCatalogCheck, CatalogCheck, CatalogOptions
from ._catalog_report import CatalogFinding, CatalogIssue, CatalogReport, SkuPrice
from ._customers import AsyncCustomerSync, CustomerAction, CustomerSync, CustomerSyncSummary
from ._inventory import AsyncInventorySync, InventorySync, InventorySyncSummary
from ._inventory_replay import AsyncInventoryReplayTarget, InventoryReplayTarget
from ._preflight import PreflightError, PreflightProblem, PreflightReport
from ._protocols import (
    Annotator,
    AsyncAnnotator,
    AsyncCatalogReader,
    AsyncCustomerWriter,
    AsyncInventoryReader,
    AsyncItemMasterReader,
    AsyncOracleWriter,
    AsyncShipStationReader,
    CatalogReader,
    CustomerWriter,
    InventoryReader,
    ItemMasterReader,
    OracleWriter,
    ShipStationReader,
)
from ._reconcile import (
    ReasonCode,
    ReconciliationReport,
    ReconciliationRow,
    WarehouseDayTotal,
    async_reconcile,
    reconcile,
)
from ._replay import AsyncShipmentReplayTarget, ShipmentReplayTarget
from ._results import (
    Outcome,
    Progress,
    ProgressCallback,
    RecordResult,
    ResultCallback,
    ResultsPolicy,
    RunSummary,
)
from ._shipments import AsyncShipmentSync, ShipmentSync
from ._window import SyncWindow

__all__ = [
    "Annotator",
    "AsyncAnnotator",
    "AsyncCatalogCheck",
    "AsyncCatalogReader",
    "AsyncCustomerSync",
    "AsyncCustomerWriter",
    "AsyncInventoryReader",
    "AsyncInventoryReplayTarget",
    "AsyncInventorySync",
    "AsyncItemMasterReader",
    "AsyncOracleWriter",
    "AsyncShipStationReader",
    "AsyncShipmentReplayTarget",
    "AsyncShipmentSync",
    "CatalogCheck",
    "CatalogFinding",
    "CatalogIssue",
    "CatalogOptions",
    "CatalogReader",
    "CatalogReport",
    "CustomerAction",
    "CustomerSync",
    "CustomerSyncSummary",
    "CustomerWriter",
    "InventoryReader",
    "InventoryReplayTarget",
    "InventorySync",
    "InventorySyncSummary",
    "ItemMasterReader",
    "OracleWriter",
    "Outcome",
    "PreflightError",
    "PreflightProblem",
    "PreflightReport",
    "Progress",
    "ProgressCallback",
    "ReasonCode",
    "ReconciliationReport",
    "ReconciliationRow",
    "RecordResult",
    "ResultCallback",
    "ResultsPolicy",
    "RunSummary",
    "ShipStationReader",
    "ShipmentReplayTarget",
    "ShipmentSync",
    "SkuPrice",
    "SyncWindow",
    "WarehouseDayTotal",
    "async_reconcile",
    "reconcile",
]
