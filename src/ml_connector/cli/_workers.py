"""``ml-connector worker`` and ``ml-connector tenants``: many tenants on Procrastinate workers.

Both need the extra ``postgres``. The database URL is read from an environment variable
(``ML_CONNECTOR_DATABASE_URL`` unless ``--database-env`` names another), never from the command
line, where it would show in process listings with its password.

- ``worker``: run a Procrastinate worker for the tenants of a directory (``--tenants``): each
  tenant's sync on its schedule, one run per tenant at a time, webhook tasks, stalled jobs of
  dead workers requeued. Start as many as you like, on any machines.
- ``tenants list``: the registry as read (schedule, account, pod, secret references).
- ``tenants status``: last run, lag and failures per tenant.
- ``tenants health``: one document a platform can poll; exit 0 when ``ok``, 1 otherwise.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from ml_connector._errors import ConfigurationError

from ._runtime import Runtime

__all__ = ["WORKER_COMMANDS", "add_worker_parsers"]

DATABASE_ENV = "ML_CONNECTOR_DATABASE_URL"
TENANTS_ENV = "ML_CONNECTOR_TENANTS"


def add_worker_parsers(sub: Any, common: list[argparse.ArgumentParser]) -> None:
    """Add ``worker`` and ``tenants`` to the command's subparsers."""
    worker = sub.add_parser(
        "worker",
        parents=common,
        help="run a worker for many tenants (Procrastinate on Postgres)",
        description="Each tenant's sync runs on its schedule, one run per tenant at a time, on "
        "whichever worker is free; start several on any machines. Needs the extra 'postgres'.",
    )
    _with_store(worker)
    worker.add_argument(
        "--concurrency", type=int, default=4, help="tenants run at once by this worker (4)"
    )
    worker.add_argument("--queue", default="ml-connector", help="queue name (ml-connector)")
    worker.add_argument("--name", help="this worker's name in Procrastinate (default: generated)")

    tenants = sub.add_parser(
        "tenants",
        parents=common,
        help="list tenants, their status (last run, lag, failures) and health",
        description="Read the tenant registry and the workers' records in Postgres.",
    )
    tenants.add_argument("action", choices=["list", "status", "health"], help="what to show")
    _with_store(tenants)
    tenants.add_argument(
        "--max-lag-minutes", type=float, default=60.0, help="health: lag that degrades (60)"
    )
    tenants.add_argument(
        "--max-failures", type=int, default=3, help="health: failed runs in a row that degrade (3)"
    )


def _with_store(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tenants",
        type=Path,
        metavar="DIR",
        help=f"the tenant registry: one TOML file per tenant (default: ${TENANTS_ENV}, "
        "else ./tenants)",
    )
    parser.add_argument(
        "--database-env",
        default=DATABASE_ENV,
        metavar="NAME",
        help=f"environment variable holding the Postgres URL (default {DATABASE_ENV})",
    )


def _registry(args: argparse.Namespace, runtime: Runtime) -> Any:
    from ml_connector.workers import TenantRegistry

    folder: Path | None = args.tenants
    if folder is None:
        named = runtime.environ.get(TENANTS_ENV, "").strip()
        folder = Path(named) if named else Path("tenants")
    if not folder.is_absolute():
        folder = runtime.cwd / folder
    return TenantRegistry.from_directory(folder)


def _database_url(args: argparse.Namespace, runtime: Runtime) -> str:
    url = runtime.environ.get(args.database_env, "").strip()
    if not url:
        raise ConfigurationError(
            f"set {args.database_env} to the Postgres URL (postgresql://user@host/db)",
            setting="--database-env",
        )
    return url


def _cmd_worker(args: argparse.Namespace, runtime: Runtime) -> int:
    from psycopg_pool import ConnectionPool

    from ml_connector.workers import ShipmentRunner, ensure_queue_schema, make_app

    if args.concurrency < 1:
        raise ConfigurationError("must be at least 1", setting="--concurrency")
    registry = _registry(args, runtime)
    url = _database_url(args, runtime)
    ensure_queue_schema(url)

    def runner() -> ShipmentRunner:
        pool = ConnectionPool(
            url, min_size=1, max_size=args.concurrency + 2, kwargs={"autocommit": True}, open=True
        )
        return ShipmentRunner(
            pool, environ=runtime.environ, clock=runtime.clock, transports=runtime.transports
        )

    app = make_app(url, registry, runner, queue=args.queue)
    runtime.warn(
        f"ml-connector: worker for {len(registry.enabled())} tenant(s) on queue {args.queue}"
    )
    options: dict[str, Any] = {"queues": [args.queue], "concurrency": args.concurrency}
    if args.name:
        options["name"] = args.name
    app.run_worker(**options)
    return 0


def _cmd_tenants(args: argparse.Namespace, runtime: Runtime) -> int:
    registry = _registry(args, runtime)
    if args.action == "list":
        return _list(registry, runtime, as_json=args.json)
    from ml_connector.audit import PostgresDatabase
    from ml_connector.workers import health, tenant_statuses

    database = PostgresDatabase(_database_url(args, runtime), max_connections=1)
    try:
        if args.action == "status":
            statuses = tenant_statuses(database, registry)
            document = health(database, registry).to_json()["tenants"]
            if args.json:
                runtime.emit_json({"command": "tenants status", "tenants": document})
            else:
                runtime.say(f"{'tenant':<20} {'last run':<26} {'ok':<5} {'lag':>10} failures")
                for s in statuses:
                    last = "never" if s.last_run is None else s.last_run.isoformat()[:19] + "Z"
                    lag = "-" if s.lag is None else _duration(s.lag)
                    ok = "-" if s.last_ok is None else ("yes" if s.last_ok else "no")
                    runtime.say(
                        f"{s.name:<20} {last:<26} {ok:<5} {lag:>10} "
                        f"{s.consecutive_failures} run(s), {s.failed_records} record(s)"
                        + ("" if s.enabled else "  (disabled)")
                    )
            return 0
        report = health(
            database,
            registry,
            max_lag=timedelta(minutes=args.max_lag_minutes),
            max_failures=args.max_failures,
        )
        if args.json:
            runtime.emit_json(report.to_json())
        else:
            runtime.say(f"status: {report.status}")
            runtime.say(f"workers alive: {report.workers_alive}")
            for problem in report.problems:
                runtime.say(f"  {problem}")
        return 0 if report.status == "ok" else 1
    finally:
        database.close()


def _duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h"


def _list(registry: Any, runtime: Runtime, *, as_json: bool) -> int:
    rows = [
        {
            "name": t.name,
            "enabled": t.enabled,
            "schedule": t.schedule,
            "config": str(t.config),
            "account": t.account or "(derived from the API key)",
            "oracle_pod": t.oracle_pod,
            "oracle_concurrency": t.oracle_concurrency,
            "secrets": {k: ref.describe() for k, ref in sorted(t.secrets.items())},
        }
        for t in registry
    ]
    if as_json:
        runtime.emit_json({"command": "tenants list", "tenants": rows})
        return 0
    for row in rows:
        state = "" if row["enabled"] else "  (disabled)"
        runtime.say(f"{row['name']}: {row['schedule']}, account {row['account']}{state}")
        for variable, where in row["secrets"].items():
            runtime.say(f"    {variable} <- {where}")
    return 0


WORKER_COMMANDS: dict[str, Callable[[argparse.Namespace, Runtime], int]] = {
    "worker": _cmd_worker,
    "tenants": _cmd_tenants,
}
"""Command name to handler, merged into the CLI's table."""
