"""Tenants' syncs as Procrastinate tasks: the engine stays at the edge.

Procrastinate (https://procrastinate.readthedocs.io/) is a task queue on Postgres, so the only
server a deployment runs is the one that already holds the trail. :func:`make_app` builds an
app whose tasks only call a :class:`~ml_connector.workers.TenantRunner`:

- ``ml_connector.sync_tenant``: each enabled tenant's incremental sync, deferred periodically
  on the tenant's cron schedule (one periodic entry per tenant, ``periodic_id`` = its name).
  The job has the tenant's ``lock`` (Procrastinate runs jobs sharing a lock one at a time:
  never two runs of one tenant at once) and its ``queueing_lock`` (at most one run waiting).
- ``ml_connector.webhook``: one webhook pointer, deferred by the receiving web process with
  :func:`defer_webhook` to the same queue and under the same lock.
- ``ml_connector.retry_stalled``: every minute, the jobs of workers whose heartbeat stopped
  (killed, frozen, partitioned) go back to the queue, so another worker picks up a crashed
  worker's tenant. Records the dead worker held stay claimed until their lease expires; then the
  new run takes them over and looks them up before posting.

The periodic deferrer runs in every worker; Procrastinate records each periodic defer once
(a unique row per task, periodic id and tick), so any number of workers schedule each tick once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ml_connector.shipstation import WebhookPointer

from ._runner import RunReport, TenantRunner
from ._tenants import TenantRegistry

if TYPE_CHECKING:
    import procrastinate

__all__ = [
    "DEFAULT_QUEUE",
    "SYNC_TASK",
    "WEBHOOK_TASK",
    "defer_webhook",
    "ensure_queue_schema",
    "make_app",
]

DEFAULT_QUEUE = "ml-connector"
SYNC_TASK = "ml_connector.sync_tenant"
WEBHOOK_TASK = "ml_connector.webhook"
RETRY_STALLED_TASK = "ml_connector.retry_stalled"


def _report_json(report: RunReport) -> dict[str, Any]:
    return {
        "tenant": report.tenant,
        "ok": report.ok,
        "posted": report.posted,
        "failed": report.failed,
        "window_end": None if report.window_end is None else report.window_end.isoformat(),
    }


def make_app(
    conninfo: str,
    registry: TenantRegistry,
    runner: Callable[[], TenantRunner] | TenantRunner,
    *,
    queue: str = DEFAULT_QUEUE,
    stalled_after: float = 30.0,
    stalled_check: str = "* * * * *",
    retries: int = 2,
    connector_kwargs: dict[str, Any] | None = None,
) -> procrastinate.App:
    """A Procrastinate app running ``registry``'s tenants through ``runner``.

    Args:
        conninfo: The Postgres connection string (Procrastinate opens its own async pool).
        registry: The tenants; each enabled one gets a periodic entry on its schedule.
        runner: The runner, or a factory called once per worker process on first use (so a
            process that only defers tasks opens no store).
        queue: The queue name.
        stalled_after: Seconds without a worker heartbeat before its jobs are requeued.
        stalled_check: When to look for them (cron; every minute by default).
        retries: How many times Procrastinate retries a run that raised (with backoff).
        connector_kwargs: Extra arguments for the connector's pool.
    """
    import procrastinate

    connector = procrastinate.PsycopgConnector(conninfo=conninfo, **(connector_kwargs or {}))
    app = procrastinate.App(connector=connector)
    held: list[TenantRunner] = []

    def the_runner() -> TenantRunner:
        if not held:
            held.append(runner() if callable(runner) else runner)
        return held[0]

    retry = procrastinate.RetryStrategy(max_attempts=retries, exponential_wait=5)

    @app.task(name=SYNC_TASK, queue=queue, retry=retry)
    def sync_tenant(timestamp: int, tenant: str) -> dict[str, Any]:
        del timestamp  # the tick; the run starts from the tenant's checkpoint
        return _report_json(the_runner().run(registry.get(tenant)))

    @app.task(name=WEBHOOK_TASK, queue=queue, retry=retry)
    def webhook(tenant: str, resource_url: str, resource_type: str) -> dict[str, Any]:
        pointer = WebhookPointer(resource_url=resource_url, resource_type=resource_type)
        return _report_json(the_runner().run_webhook(registry.get(tenant), pointer))

    for tenant in registry.enabled():
        app.periodic_registry.register_task(
            task=sync_tenant,
            cron=tenant.schedule,
            periodic_id=tenant.name,
            configure_kwargs={
                "task_kwargs": {"tenant": tenant.name},
                "lock": tenant.lock,
                "queueing_lock": tenant.lock,
            },
        )

    @app.periodic(cron=stalled_check, periodic_id="retry-stalled")
    @app.task(
        name=RETRY_STALLED_TASK,
        queue=queue,
        queueing_lock="ml-connector:retry-stalled",
        pass_context=True,
    )
    async def retry_stalled(context: procrastinate.JobContext, timestamp: int) -> int:
        del timestamp
        manager = context.app.job_manager
        stalled = await manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after)
        for job in stalled:
            await manager.retry_job(job)
        return len(list(stalled))

    del webhook, retry_stalled
    return app


def defer_webhook(
    app: procrastinate.App, tenant_name: str, pointer: WebhookPointer, *, registry: TenantRegistry
) -> int:
    """Queue one webhook pointer for ``tenant_name`` (from a web process); returns the job id.

    The job takes the tenant's lock, so it never runs alongside the tenant's periodic sync.
    """
    tenant = registry.get(tenant_name)
    task = app.tasks[WEBHOOK_TASK]
    return task.configure(lock=tenant.lock).defer(
        tenant=tenant.name,
        resource_url=pointer.resource_url,
        resource_type=pointer.resource_type,
    )


def ensure_queue_schema(conninfo: str) -> bool:
    """Create Procrastinate's tables when the database has none; True when it created them.

    Runs under an advisory lock, so workers starting together apply it once. Upgrading an
    existing Procrastinate schema is Procrastinate's own migration procedure (see its docs).
    """
    import psycopg
    from procrastinate.schema import SchemaManager

    with psycopg.connect(conninfo, autocommit=True) as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('ml-connector:procrastinate'))")
        row = conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").fetchone()
        if row is not None and row[0]:
            return False
        conn.execute(SchemaManager.get_schema())
        return True
