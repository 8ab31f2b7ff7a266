"""Running one tenant's sync: plain library code that any engine can call.

:class:`TenantRunner` is what the Procrastinate tasks call (and what a Temporal activity, an
Airflow task or a Dagster op would call): ``run(tenant)`` and ``run_webhook(tenant, pointer)``.
The default, :class:`ShipmentRunner`, builds a tenant's shipment sync on the shared store:

- its trail, checkpoints and claims in its own Postgres schema (``tenant_<name>``), so tenants
  never see each other's records and one tenant can be dropped with its schema;
- its ShipStation account's request budget shared by every worker (:class:`PostgresRateBudget`);
- optionally a cap on requests in flight to its Oracle pod (:class:`PostgresConcurrencyCap`);
- every run recorded in ``tenant_runs`` for ``ml-connector tenants`` and the health check.

Secrets come from the tenant's references (environment variables or files) at each run, so a
rotated secret file is picked up without restarting the worker.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

import attrs
import httpx

from ml_connector._clock import Clock, SystemClock
from ml_connector._errors import ConnectorError
from ml_connector.audit import PostgresAuditSink, PostgresDatabase
from ml_connector.shipstation import ShipStationV1Client, WebhookPointer
from ml_connector.sync import RunSummary, ShipmentSync

from ._budget import (
    SHIPSTATION_V1_PER_MINUTE,
    ConcurrencyCapTransport,
    PostgresConcurrencyCap,
    PostgresRateBudget,
    account_id_for,
)
from ._tenants import Tenant

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool

__all__ = ["RunReport", "ShipmentRunner", "TenantRunner", "record_run"]


@attrs.frozen
class RunReport:
    """What one tenant run did (also stored in ``tenant_runs``).

    Attributes:
        tenant: The tenant's name.
        ok: Whether the run finished with no failed record.
        posted: Records posted (or found already posted).
        failed: Records that failed (their reasons are in the tenant's trail).
        window_end: How far the run read (the lag is measured from it).
        detail: A one-line error when the run itself failed (redacted; never a secret).
    """

    tenant: str
    ok: bool
    posted: int = 0
    failed: int = 0
    window_end: datetime | None = None
    detail: str | None = None


class TenantRunner(Protocol):
    """Runs tenants' syncs; the engine around it only schedules and retries."""

    def run(self, tenant: Tenant) -> RunReport:
        """One incremental run of ``tenant`` (from its checkpoint)."""
        ...

    def run_webhook(self, tenant: Tenant, pointer: WebhookPointer) -> RunReport:
        """Process one webhook pointer for ``tenant``."""
        ...


def record_run(
    database: PostgresDatabase, report: RunReport, started_at: datetime | None = None
) -> None:
    """Store one run's outcome in ``tenant_runs`` (the database's clock stamps it)."""
    database.fetch(
        """INSERT INTO {s}.tenant_runs
            (tenant, started_at, finished_at, ok, posted, failed, window_end, detail)
        VALUES (%s, coalesce(%s, clock_timestamp()), clock_timestamp(), %s, %s, %s, %s, %s)
        RETURNING seq""",
        (
            report.tenant,
            started_at,
            report.ok,
            report.posted,
            report.failed,
            report.window_end,
            None if report.detail is None else report.detail[:500],
        ),
    )


def _report(tenant: Tenant, summary: RunSummary) -> RunReport:
    return RunReport(
        tenant=tenant.name,
        ok=summary.failed == 0,
        posted=summary.posted + summary.already_posted,
        failed=summary.failed,
        window_end=summary.end,
    )


class ShipmentRunner:
    """The default runner: a tenant's shipment sync on the shared Postgres store.

    Args:
        pool: The worker's connection pool (one per process, shared by every tenant).
        environ: The worker's environment (secrets are read through the tenants' references).
        shared_schema: The schema of the shared tables (budgets, tenant runs).
        clock: The clients' clock.
        transports: Transports by system (``"shipstation"``, ``"oracle"``); tests and the soak
            test put the simulators here; missing: the real network.
        sync_options: Extra keyword arguments for :class:`~ml_connector.sync.ShipmentSync`;
            keys starting with ``budget_`` go to :class:`PostgresRateBudget` instead.
        load: Reads a tenant's connector configuration and resolves its settings (the CLI's
            loader by default).
        tenant_schema_prefix: Each tenant's schema is this prefix and its name.
    """

    def __init__(
        self,
        pool: ConnectionPool,
        *,
        environ: Mapping[str, str],
        shared_schema: str = "ml_connector",
        clock: Clock | None = None,
        transports: Mapping[str, httpx.BaseTransport] | None = None,
        sync_options: Mapping[str, Any] | None = None,
        load: Callable[[Tenant, Mapping[str, str]], Any] | None = None,
        tenant_schema_prefix: str = "tenant_",
    ) -> None:
        self.pool = pool
        self.environ = environ
        self.clock = clock or SystemClock()
        self.transports = dict(transports or {})
        self.sync_options = dict(sync_options or {})
        self.shared = PostgresDatabase(pool, schema=shared_schema)
        self._load = load or _load_tenant
        self.tenant_schema_prefix = tenant_schema_prefix
        self._databases: dict[str, PostgresDatabase] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ShipmentRunner(shared_schema={self.shared.schema!r})"

    def database(self, tenant: Tenant) -> PostgresDatabase:
        """The tenant's schema on the shared pool (created or migrated on first use)."""
        with self._lock:
            found = self._databases.get(tenant.name)
            if found is None:
                schema = self.tenant_schema_prefix + tenant.name
                found = PostgresDatabase(self.pool, schema=schema)
                self._databases[tenant.name] = found
            return found

    def run(self, tenant: Tenant) -> RunReport:
        return self._guarded(
            tenant,
            lambda job, _sink: _report(
                tenant, job.run_incremental(initial_start=tenant.initial_start)
            ),
        )

    def run_webhook(self, tenant: Tenant, pointer: WebhookPointer) -> RunReport:
        return self._guarded(tenant, lambda job, _sink: _report(tenant, job.run_webhook(pointer)))

    def sweep(self, tenant: Tenant) -> RunReport:
        """Finish everything: the whole window since ``initial_start`` again (records already
        final are read from the trail, the rest looked up and posted), then a replay of the
        failed records. For the end of an incident, or of a soak test."""

        def work(job: ShipmentSync, sink: PostgresAuditSink) -> RunReport:
            posted = 0
            end = None
            if tenant.initial_start is not None:
                summary = job.run((tenant.initial_start, self.clock.now()))
                posted, end = summary.posted, summary.end
            replayed = job.replay()
            still_failed = len(sink.failed())
            return RunReport(
                tenant.name,
                ok=still_failed == 0,
                posted=posted + replayed.posted,
                failed=still_failed,
                window_end=end,
            )

        return self._guarded(tenant, work)

    def _guarded(
        self, tenant: Tenant, work: Callable[[ShipmentSync, PostgresAuditSink], RunReport]
    ) -> RunReport:
        # Both ends of a run are stamped on the database's clock (the hosts' may differ).
        started = self.shared.fetch("SELECT clock_timestamp()")[0][0]
        try:
            report = self._run(tenant, work)
        except ConnectorError as exc:
            report = RunReport(tenant.name, ok=False, detail=f"{type(exc).__name__}: {exc}")
            record_run(self.shared, report, started)
            raise
        record_run(self.shared, report, started)
        return report

    def _run(
        self, tenant: Tenant, work: Callable[[ShipmentSync, PostgresAuditSink], RunReport]
    ) -> RunReport:
        config, settings = self._load(tenant, tenant.environ(self.environ))
        sink = PostgresAuditSink(self.database(tenant))
        ss_settings = settings.shipstation_v1
        account = tenant.account or account_id_for(ss_settings.api_key)
        budget_args: dict[str, Any] = {"limit": SHIPSTATION_V1_PER_MINUTE}
        budget_args.update(self._budget_args())
        budget = PostgresRateBudget(self.shared, account=account, **budget_args)
        oracle_transport = self.transports.get("oracle")
        if tenant.oracle_pod is not None and tenant.oracle_concurrency is not None:
            cap = PostgresConcurrencyCap(
                self.shared,
                pod=tenant.oracle_pod,
                limit=tenant.oracle_concurrency,
                clock=self.clock,
            )
            oracle_transport = ConcurrencyCapTransport(
                cap, oracle_transport or httpx.HTTPTransport()
            )
        from ml_connector.oracle import OracleFusionClient

        with (
            ShipStationV1Client(
                ss_settings,
                transport=self.transports.get("shipstation"),
                clock=self.clock,
                limiter=budget,
            ) as shipstation,
            OracleFusionClient(
                settings.oracle, transport=oracle_transport, clock=self.clock
            ) as oracle,
        ):
            options = {k: v for k, v in self.sync_options.items() if not k.startswith("budget_")}
            job = ShipmentSync(
                shipstation=shipstation,
                oracle=oracle,
                mapping=config.require_mapping(),
                audit=sink,
                checkpoints=sink.checkpoints,
                clock=self.clock,
                **options,
            )
            return work(job, sink)

    def _budget_args(self) -> dict[str, Any]:
        # The soak test runs the simulators on a scaled clock: the budget's window scales too.
        return {
            k.removeprefix("budget_"): v
            for k, v in self.sync_options.items()
            if k.startswith("budget_")
        }


def _load_tenant(tenant: Tenant, environ: Mapping[str, str]) -> tuple[Any, Any]:
    from ml_connector.cli._config import System, load_cli_config, resolve

    config = load_cli_config(tenant.config, cwd=tenant.config.parent)
    settings = resolve(config, environ, [System.SHIPSTATION_V1, System.ORACLE])
    return config, settings
