"""Tenants on a real Procrastinate worker: periodic runs, one run per tenant at a time, webhooks."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
import time
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest

from ml_connector.shipstation import WebhookPointer
from ml_connector.workers import (
    RunReport,
    Tenant,
    TenantRegistry,
    defer_webhook,
    ensure_queue_schema,
    make_app,
)


class SlowRunner:
    """A runner that takes a while and records when each run started and ended."""

    def __init__(self) -> None:
        self.runs: list[tuple[str, str, float, float]] = []
        self.lock = threading.Lock()

    def _run(self, kind: str, tenant: Tenant) -> RunReport:
        start = time.monotonic()
        time.sleep(0.4)
        with self.lock:
            self.runs.append((kind, tenant.name, start, time.monotonic()))
        return RunReport(tenant.name, ok=True, posted=1)

    def run(self, tenant: Tenant) -> RunReport:
        return self._run("sync", tenant)

    def run_webhook(self, tenant: Tenant, pointer: WebhookPointer) -> RunReport:
        assert pointer.resource_type == "SHIP_NOTIFY"
        return self._run("webhook", tenant)


@pytest.fixture
def queue_url(postgres_url: str, postgres_schema: str) -> str:
    """The test server with Procrastinate's tables in the test's own schema."""
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {postgres_schema}")
    separator = "&" if "?" in postgres_url else "?"
    return f"{postgres_url}{separator}options={quote(f'-csearch_path={postgres_schema}')}"


def test_every_tenant_runs_on_schedule_never_twice_at_once(queue_url: str, tmp_path: Path) -> None:
    assert ensure_queue_schema(queue_url) is True
    assert ensure_queue_schema(queue_url) is False  # a second worker finds it there
    config = tmp_path / "c.toml"
    config.write_text("", encoding="utf-8")
    registry = TenantRegistry(
        (
            *tuple(
                Tenant(name, config, schedule="* * * * * *") for name in ("alpha", "beta", "gamma")
            ),
            Tenant("off", config, schedule="* * * * * *", enabled=False),
        )
    )
    runner = SlowRunner()
    app = make_app(queue_url, registry, runner)
    with app.open():
        pointer = WebhookPointer("https://ssapi.shipstation.com/shipments?batchId=1", "SHIP_NOTIFY")
        assert defer_webhook(app, "alpha", pointer, registry=registry) > 0

    async def work_a_while() -> None:
        async with app.open_async():
            worker = asyncio.create_task(
                app.run_worker_async(
                    queues=["ml-connector"], concurrency=4, install_signal_handlers=False
                )
            )
            await asyncio.sleep(4.0)
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(worker, timeout=10)

    asyncio.run(work_a_while())
    by_tenant: dict[str, list[tuple[float, float]]] = {}
    for _kind, name, start, end in runner.runs:
        by_tenant.setdefault(name, []).append((start, end))
    assert set(by_tenant) == {"alpha", "beta", "gamma"}  # the disabled tenant never runs
    assert all(len(spans) >= 2 for spans in by_tenant.values()), by_tenant
    assert ("webhook", "alpha") in {(k, n) for k, n, _s, _e in runner.runs}
    for name, spans in by_tenant.items():
        spans.sort()
        for (_s1, end1), (start2, _e2) in itertools.pairwise(spans):
            assert start2 >= end1, f"two runs of {name} overlapped"
    # Different tenants did run at the same time (the worker's concurrency is used).
    everything = sorted((s, e) for spans in by_tenant.values() for s, e in spans)
    assert any(b[0] < a[1] for a, b in itertools.pairwise(everything))
