"""Tenant status and a health document a platform can poll.

Everything comes from the database (``tenant_runs``, Procrastinate's ``procrastinate_workers``
and ``procrastinate_jobs``) on the database's clock, so any process with the connection string
can answer, whether or not it runs a worker.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import attrs

from ml_connector.audit import PostgresDatabase
from ml_connector.audit._event import ensure_utc

from ._tenants import TenantRegistry

__all__ = ["Health", "TenantStatus", "health", "tenant_statuses"]


@attrs.frozen
class TenantStatus:
    """One tenant as the workers left it.

    Attributes:
        name: The tenant.
        enabled: Whether workers schedule it.
        schedule: Its cron schedule.
        last_run: When its last run finished (``None``: never ran).
        last_ok: Whether that run had no failure.
        last_success: When a run last finished without failure.
        lag: How far behind now its data is: now minus the window end of the last good run.
        consecutive_failures: Failed runs since the last good one.
        failed_records: Records that failed in the last run (reasons in the tenant's trail).
        detail: The last run's error line, when the run itself failed.
    """

    name: str
    enabled: bool
    schedule: str
    last_run: datetime | None = None
    last_ok: bool | None = None
    last_success: datetime | None = None
    lag: timedelta | None = None
    consecutive_failures: int = 0
    failed_records: int = 0
    detail: str | None = None


_STATUS_SQL = """
WITH ranked AS (
    SELECT tenant, finished_at, ok, failed, window_end, detail,
           ROW_NUMBER() OVER (PARTITION BY tenant ORDER BY finished_at DESC, seq DESC) AS n
    FROM {s}.tenant_runs WHERE finished_at IS NOT NULL AND tenant = ANY(%s::text[])
)
SELECT r.tenant, r.finished_at, r.ok, r.failed, r.detail,
       (SELECT max(finished_at) FROM {s}.tenant_runs g WHERE g.tenant = r.tenant AND g.ok),
       (SELECT window_end FROM {s}.tenant_runs g WHERE g.tenant = r.tenant AND g.ok
            AND g.window_end IS NOT NULL ORDER BY finished_at DESC LIMIT 1),
       (SELECT count(*) FROM {s}.tenant_runs b WHERE b.tenant = r.tenant AND NOT b.ok
            AND b.finished_at > coalesce((SELECT max(finished_at) FROM {s}.tenant_runs g
                WHERE g.tenant = r.tenant AND g.ok), '-infinity')),
       clock_timestamp()
FROM ranked r WHERE r.n = 1
"""


def tenant_statuses(database: PostgresDatabase, registry: TenantRegistry) -> list[TenantStatus]:
    """Every registered tenant's status, in name order."""
    rows = database.fetch(_STATUS_SQL, (list(registry.names()),))
    found = {row[0]: row for row in rows}
    statuses: list[TenantStatus] = []
    for tenant in registry:
        row = found.get(tenant.name)
        if row is None:
            statuses.append(TenantStatus(tenant.name, tenant.enabled, tenant.schedule))
            continue
        _, finished, ok, failed, detail, success, window_end, failures, now = row
        statuses.append(
            TenantStatus(
                name=tenant.name,
                enabled=tenant.enabled,
                schedule=tenant.schedule,
                last_run=ensure_utc(finished),
                last_ok=bool(ok),
                last_success=None if success is None else ensure_utc(success),
                lag=None if window_end is None else ensure_utc(now) - ensure_utc(window_end),
                consecutive_failures=int(failures),
                failed_records=int(failed),
                detail=detail,
            )
        )
    return statuses


@attrs.frozen
class Health:
    """A health document: ``status`` is ``ok``, ``degraded`` or ``down``.

    Attributes:
        status: ``down`` when the database cannot be read or no worker is alive; ``degraded``
            when a tenant is past ``max_lag`` or failed ``max_failures`` runs in a row.
        database: Whether the database answered.
        schema_version: The store's schema version.
        workers_alive: Procrastinate workers with a recent heartbeat.
        jobs: Jobs per status (``todo``, ``doing``, ``failed``...).
        problems: One line per problem found.
        tenants: Every tenant's status.
    """

    status: str
    database: bool
    schema_version: int | None = None
    workers_alive: int = 0
    jobs: dict[str, int] = attrs.field(factory=dict)
    problems: tuple[str, ...] = ()
    tenants: tuple[TenantStatus, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The document as plain JSON types."""

        def tenant(t: TenantStatus) -> dict[str, Any]:
            return {
                "name": t.name,
                "enabled": t.enabled,
                "last_run": None if t.last_run is None else t.last_run.isoformat(),
                "last_ok": t.last_ok,
                "lag_seconds": None if t.lag is None else round(t.lag.total_seconds(), 1),
                "consecutive_failures": t.consecutive_failures,
                "failed_records": t.failed_records,
            }

        return {
            "status": self.status,
            "database": self.database,
            "schema_version": self.schema_version,
            "workers_alive": self.workers_alive,
            "jobs": self.jobs,
            "problems": list(self.problems),
            "tenants": [tenant(t) for t in self.tenants],
        }


def health(
    database: PostgresDatabase,
    registry: TenantRegistry,
    *,
    max_lag: timedelta = timedelta(hours=1),
    max_failures: int = 3,
    heartbeat_within: float = 60.0,
) -> Health:
    """Check the store, the workers and every tenant."""
    from ml_connector._errors import AuditError

    try:
        version = database.version()
        statuses = tenant_statuses(database, registry)
        alive, jobs = _queue(database, heartbeat_within)
    except AuditError as exc:
        return Health("down", database=False, problems=(f"database: {exc}",))
    problems: list[str] = []
    if alive == 0:
        problems.append("no worker has sent a heartbeat recently")
    for t in statuses:
        if not t.enabled:
            continue
        if t.consecutive_failures >= max_failures:
            problems.append(f"{t.name}: {t.consecutive_failures} failed runs in a row")
        if t.lag is not None and t.lag > max_lag:
            problems.append(f"{t.name}: {int(t.lag.total_seconds())} s behind")
    status = "down" if alive == 0 else ("degraded" if problems else "ok")
    return Health(status, True, version, alive, jobs, tuple(problems), tuple(statuses))


def _queue(database: PostgresDatabase, heartbeat_within: float) -> tuple[int, dict[str, int]]:
    present = database.fetch("SELECT to_regclass('procrastinate_workers') IS NOT NULL")[0][0]
    if not present:
        return 0, {}
    alive = database.fetch(
        "SELECT count(*) FROM procrastinate_workers"
        " WHERE last_heartbeat > clock_timestamp() - make_interval(secs => %s)",
        (heartbeat_within,),
    )[0][0]
    jobs = {
        str(status): int(n)
        for status, n in database.fetch(
            "SELECT status::text, count(*) FROM procrastinate_jobs GROUP BY status"
        )
    }
    return int(alive), jobs
