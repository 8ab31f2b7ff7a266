"""Soak: worker processes, one Postgres, many tenants on one shared simulator process, faults,
SIGKILLs and a SIGSTOP past the lease. Prints the figures the goals are measured on.

The small variant runs in the normal suite; the full one (4 workers, 20 tenants) is ``slow``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote

import attrs
import httpx
import psycopg
import pytest
from psycopg_pool import ConnectionPool

from ml_connector.audit import PostgresAuditSink, PostgresDatabase, Stage
from ml_connector.workers import TenantRegistry, ensure_queue_schema

from . import _soak

SOAK = str(Path(_soak.__file__).resolve())
FINAL = {Stage.POSTED, Stage.ALREADY_POSTED, Stage.SKIPPED, Stage.REVERSED, Stage.REPLAYED}


@attrs.define
class Plan:
    tenants: int
    accounts: int
    workers: int
    orders: int
    seconds: float
    kills: tuple[float, ...] = ()  # when (s) a worker is SIGKILLed (and a new one started)
    stop_at: float | None = None  # when one worker is SIGSTOPped past its lease
    scale: float = 20.0
    lease: float = 4.0
    fault_rate: float = 0.10


def start(args: list[str]) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    # Our own interpreter running our own test module: no untrusted input.
    return subprocess.Popen(  # noqa: S603
        [sys.executable, SOAK, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def soak(plan: Plan, tmp_path: Path, postgres_url: str, schema: str) -> dict[str, Any]:
    folder = tmp_path / "tenants"
    _soak.write_tenants(folder, plan.tenants, plan.accounts, plan.orders, "* * * * * */2")
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in postgres_url else "?"
    url = f"{postgres_url}{separator}options={quote(f'-csearch_path={schema}')}"
    ensure_queue_schema(url)
    PostgresDatabase(postgres_url, schema=schema).close()  # the shared schema, ready
    epoch = time.time()
    port_file = tmp_path / "port"
    numbers = [plan.tenants, plan.accounts, plan.orders, plan.fault_rate, epoch, plan.scale]
    server = start(["serve", str(port_file), *map(str, numbers)])
    processes: list[subprocess.Popen[bytes]] = []
    try:
        deadline = time.monotonic() + 60
        while not port_file.exists() and time.monotonic() < deadline:
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            time.sleep(0.1)
        port = int(port_file.read_text())

        def worker(n: int) -> subprocess.Popen[bytes]:
            return start(["work", url, schema, str(folder), str(port), str(plan.tenants),
                          str(epoch), str(plan.scale), str(plan.lease), f"soak-{n}"])  # fmt: skip

        processes = [worker(n) for n in range(plan.workers)]
        began = time.monotonic()
        events = sorted([(t, "kill") for t in plan.kills] + (
            [(plan.stop_at, "stop")] if plan.stop_at is not None else []))  # fmt: skip
        killed = stopped = 0
        for at, what in events:
            time.sleep(max(0.0, began + at - time.monotonic()))
            victim = processes[(killed + stopped) % len(processes)]
            if what == "kill":
                victim.send_signal(signal.SIGKILL)
                victim.wait()
                if victim.stderr:
                    victim.stderr.close()
                processes[processes.index(victim)] = worker(len(processes) + killed + 100)
                killed += 1
            else:
                victim.send_signal(signal.SIGSTOP)
                time.sleep(plan.lease + 3.0)  # past its claims' lease and its heartbeat
                victim.send_signal(signal.SIGCONT)
                stopped += 1
        time.sleep(max(0.0, began + plan.seconds - time.monotonic()))
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        # The end of the incident: faults off, then every tenant swept (whole window + replay).
        httpx.get(f"http://127.0.0.1:{port}/_soak/faults-off", timeout=30)
        registry = TenantRegistry.from_directory(folder)
        stages: Counter[str] = Counter()
        unexplained = 0
        with ConnectionPool(postgres_url, min_size=1, max_size=2,
                            kwargs={"autocommit": True}, open=True) as pool:  # fmt: skip
            runner = _soak.runner_for(
                pool, schema, port, plan.tenants, epoch, plan.scale, plan.lease
            )
            before: Counter[str] = Counter()
            for tenant in registry:
                sink = PostgresAuditSink(runner.database(tenant))
                for event in sink.latest():
                    before[event.stage.value] += 1
                runner.sweep(tenant)
                for event in sink.latest():
                    stages[event.stage.value] += 1
                    if event.stage is Stage.FAILED and not event.error:
                        unexplained += 1
                    if event.stage not in FINAL and event.stage is not Stage.FAILED:
                        unexplained += 1
            runner.transports["oracle"].close()
        report = httpx.get(f"http://127.0.0.1:{port}/_soak/report", timeout=30).json()
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        server.kill()
        server.wait()
        if server.stderr:
            server.stderr.close()
        for process in processes:
            if process.stderr:
                process.stderr.close()
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            for (name,) in conn.execute(
                "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (schema + "\\_%",)
            ).fetchall():
                conn.execute(f"DROP SCHEMA {name} CASCADE")
    figures = {
        "tenants": plan.tenants,
        "accounts": plan.accounts,
        "workers": plan.workers,
        "sigkills": len(plan.kills),
        "sigstops_past_lease": int(plan.stop_at is not None),
        "documents_in_oracle": report["documents"],
        "keys_with_more_than_one_document": len(report["keys_with_more_than_one_document"]),
        "records_by_latest_stage_before_sweep": dict(before),
        "records_by_latest_stage_after_sweep": dict(stages),
        "records_not_final_or_failed_without_reason": unexplained,
        "max_shipstation_requests_per_account_in_any_60s": max(
            report["max_requests_in_any_window"].values(), default=0
        ),
        "account_limit": _soak.ACCOUNT_LIMIT,
        "shipstation_429s": report["too_many_requests"],
        "shipstation_requests": report["shipstation_requests"],
    }
    print("\nsoak figures: " + json.dumps(figures, indent=1))
    return figures


def check(figures: dict[str, Any]) -> None:
    assert figures["keys_with_more_than_one_document"] == 0
    assert figures["records_not_final_or_failed_without_reason"] == 0
    assert figures["max_shipstation_requests_per_account_in_any_60s"] <= figures["account_limit"]
    assert figures["shipstation_429s"] == 0
    assert figures["documents_in_oracle"] > 0


def test_soak_small(tmp_path: Path, postgres_url: str, postgres_schema: str) -> None:
    plan = Plan(tenants=4, accounts=2, workers=2, orders=10, seconds=14.0, kills=(5.0,))
    check(soak(plan, tmp_path, postgres_url, postgres_schema))


@pytest.mark.slow
def test_soak_four_workers_twenty_tenants(
    tmp_path: Path, postgres_url: str, postgres_schema: str
) -> None:
    plan = Plan(
        tenants=20,
        accounts=5,
        workers=4,
        orders=12,
        seconds=50.0,
        kills=(8.0, 20.0, 32.0),
        stop_at=14.0,
    )
    check(soak(plan, tmp_path, postgres_url, postgres_schema))
