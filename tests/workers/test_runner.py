"""A tenant's sync run by the default runner on the shared store, and its status."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from psycopg_pool import ConnectionPool

from ml_connector.audit import PostgresAuditSink, PostgresDatabase
from ml_connector.testing import VirtualClock
from ml_connector.workers import ShipmentRunner, TenantRegistry, health, tenant_statuses

from ._world import World, build_world


@pytest.fixture
def pool(postgres_url: str, postgres_schema: str) -> Iterator[ConnectionPool]:
    with ConnectionPool(
        postgres_url, min_size=1, max_size=4, kwargs={"autocommit": True}, open=True
    ) as opened:
        yield opened
        with opened.connection() as conn:  # the tenants' schemas: <test schema>_<tenant>
            for (name,) in conn.execute(
                "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s",
                (postgres_schema + "\\_%",),
            ).fetchall():
                conn.execute(f"DROP SCHEMA {name} CASCADE")


def test_each_tenant_runs_in_its_own_schema_and_posts_once(
    pool: ConnectionPool, postgres_schema: str, tmp_path: Path, clock: VirtualClock
) -> None:
    world: World = build_world(tmp_path / "tenants", ["alpha", "beta"], clock)
    registry = TenantRegistry.from_directory(world.folder)
    reports = {}
    databases = []
    for name in ("alpha", "beta"):
        runner = ShipmentRunner(
            pool,
            environ=world.environ(),
            shared_schema=postgres_schema,
            clock=clock,
            transports=world.transports(name),
            tenant_schema_prefix=f"{postgres_schema}_",
        )
        first = runner.run(registry.get(name))
        second = runner.run(registry.get(name))
        reports[name] = (first, second)
        databases.append(runner.database(registry.get(name)))
    for first, second in reports.values():
        # The generated day has records that cannot map (unknown SKUs...): they fail, stated.
        assert first.posted > 0, first
        assert (second.posted, second.failed) == (0, 0)  # from the checkpoint: nothing new
    trail = PostgresAuditSink(databases[0])
    reasons = {str(e.error.get("type")) for e in trail.failed() if e.error}
    assert reasons <= {"MappingError", "CustomerLookupError", "InventoryTransactionError"}
    shared = PostgresDatabase(pool, schema=postgres_schema)
    statuses = {s.name: s for s in tenant_statuses(shared, registry)}
    assert statuses["alpha"].last_ok and statuses["alpha"].consecutive_failures == 0
    assert statuses["alpha"].lag is not None
    report = health(shared, registry, max_lag=timedelta(days=3650))
    assert report.status == "down"  # no Procrastinate worker alive in this test
    assert report.problems == ("no worker has sent a heartbeat recently",)
