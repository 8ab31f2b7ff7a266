"""Shared set-up for the benchmarks: a generated day in the simulators, clients, a sync job.

The mapping configuration is the one ``ml-connector demo`` writes for a generated day
(:func:`ml_connector._demo.demo_mapping_toml`), so every shipment the generator makes can be
mapped and the Oracle simulator accepts every account combination the mapping composes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs

from ml_connector import Secret
from ml_connector._demo import demo_mapping_toml
from ml_connector.audit import SqliteAuditSink
from ml_connector.mapping import CustomerDirectory, MappingConfig
from ml_connector.oracle import (
    AsyncOracleFusionClient,
    OAuthClientCredentials,
    OracleFusionClient,
    OracleFusionSettings,
)
from ml_connector.shipstation import (
    AsyncShipStationV1Client,
    ShipStationV1Client,
    ShipStationV1Settings,
)
from ml_connector.sync import AsyncShipmentSync, RunSummary, ShipmentSync
from ml_connector.testing import (
    GeneratedDay,
    OracleFusionSimulator,
    ShipStationSimulator,
    VirtualClock,
    generate_day,
)

START = datetime(2026, 1, 15, 8, tzinfo=UTC)  # midnight Pacific on the generated day
NOW = datetime(2026, 1, 17, 12, tzinfo=UTC)
V1 = ShipStationV1Settings(api_key="sim-key", api_secret="sim-secret")


def mapping_for(day: GeneratedDay) -> MappingConfig:
    """A mapping configuration under which every record of ``day`` maps."""
    return MappingConfig.from_toml(demo_mapping_toml(day))


def directory_for(day: GeneratedDay) -> CustomerDirectory:
    """What Oracle knows about the day's customers (email -> account), as the sync reads it."""
    emails: dict[str, list[str]] = {}
    for j, customer in enumerate(day.iter_customers()):
        account = day.oracle_account_number(j)
        if account is not None:
            emails.setdefault(customer["email"], []).append(account)
    return CustomerDirectory.build((), emails=emails)


def oracle_settings(oracle: OracleFusionSimulator) -> OracleFusionSettings:
    return OracleFusionSettings(
        pod_url=oracle.pod_url,
        auth=OAuthClientCredentials(
            token_url=oracle.identity_url + "/oauth2/v1/token",
            client_id="sim-client",
            client_secret=Secret("sim-client-secret"),
            scope="urn:opc:resource:consumer::all",
        ),
        party_email_resources=("hubPersons",),
    )


class LoopClock:
    """Virtual time that models concurrency: the asyncio loop's own clock, advanced when idle.

    :class:`~ml_connector.testing.VirtualClock` adds every sleep to one shared time, so eight
    concurrent 50 ms waits cost 400 ms: right for a blocking client, wrong for overlapping
    async requests. Here ``async_sleep`` is a real ``asyncio.sleep`` on a loop whose time is
    virtual and jumps to the next timer whenever every task is waiting (the technique of
    aiotools' ``VirtualClock``), so overlapping waits overlap. Blocking ``sleep`` just adds.
    """

    def __init__(self, start: datetime) -> None:
        self._start = start
        self._elapsed = 0.0

    def monotonic(self) -> float:
        return self._elapsed

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self._elapsed)

    def sleep(self, seconds: float) -> None:
        self._elapsed += max(0.0, seconds)

    async def async_sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    def new_loop(self) -> asyncio.AbstractEventLoop:
        """An event loop whose ``time()`` is this clock and which never waits for real."""
        loop = asyncio.new_event_loop()
        selector: Any = loop._selector  # type: ignore[attr-defined]
        real_select = selector.select

        def select(timeout: float | None = None) -> Any:
            # Nothing is ready before ``timeout``: jump there instead of waiting.
            if timeout is not None and timeout > 0:
                self._elapsed += timeout
            return real_select(0)

        selector.select = select
        loop.time = self.monotonic  # type: ignore[method-assign]
        return loop


@attrs.define
class SyncRun:
    """One sync over a generated day: outcome counts, request counts, times, memory."""

    orders: int
    shipments: int
    summary: str
    posted: int
    failed: int
    shipstation_requests: Counter[str]
    oracle_requests: Counter[str]
    documents: int
    simulated_seconds: float
    real_seconds: float
    latency: float
    concurrency: int
    rss_setup_kb: int = 0
    rss_peak_kb: int = 0

    def to_json(self) -> str:
        data = attrs.asdict(self)
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> SyncRun:
        data = json.loads(text)
        data["shipstation_requests"] = Counter(data["shipstation_requests"])
        data["oracle_requests"] = Counter(data["oracle_requests"])
        return cls(**data)


def _peak_rss_kb() -> int:
    # ru_maxrss is in kilobytes on Linux (bytes on macOS; the benchmarks page says which OS).
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _kind(method: str, url: str) -> str:
    path = url.split("?", 1)[0]
    tail = path.rstrip("/").rsplit("/", 1)[-1]
    if method == "POST" and tail[:1].isdigit():
        return "POST batch"
    if "orderId=" in url and tail == "shipments":
        return "GET shipments by order"
    return f"{method} {tail}"


def run_sync(
    orders: int,
    *,
    seed: int = 21,
    latency: float = 0.0,
    use_async: bool = False,
    concurrency: int = 8,
    unmatched_email_rate: float = 0.1,
) -> SyncRun:
    """Generate a day of ``orders`` orders, load the simulators and sync the whole day once."""
    clock: VirtualClock | LoopClock = LoopClock(NOW) if use_async else VirtualClock(NOW)
    folder = tempfile.TemporaryDirectory()
    audit = SqliteAuditSink(Path(folder.name) / "audit.db")
    day = generate_day(seed, orders=orders, warehouses=2, unmatched_email_rate=unmatched_email_rate)
    shipstation = ShipStationSimulator(clock=clock, v1_options={"latency": latency})
    shipstation.load(day)
    oracle = OracleFusionSimulator(clock=clock, latency=latency)
    oracle.load(day)
    mapping = mapping_for(day)
    window = (START, NOW)
    rss_setup = _peak_rss_kb()
    started = time.perf_counter()
    if use_async:

        async def main() -> RunSummary:
            async with (
                AsyncShipStationV1Client(
                    V1, transport=shipstation.async_transport(), clock=clock
                ) as ss,
                AsyncOracleFusionClient(
                    oracle_settings(oracle), transport=oracle.async_transport(), clock=clock
                ) as client,
            ):
                job = AsyncShipmentSync(
                    shipstation=ss,
                    oracle=client,
                    mapping=mapping,
                    audit=audit,
                    clock=clock,
                    concurrency=concurrency,
                )
                return await job.run(window)

        assert isinstance(clock, LoopClock)
        loop = clock.new_loop()
        try:
            summary = loop.run_until_complete(main())
        finally:
            loop.close()
    else:
        with (
            ShipStationV1Client(V1, transport=shipstation.transport(), clock=clock) as ss,
            OracleFusionClient(
                oracle_settings(oracle), transport=oracle.transport(), clock=clock
            ) as client,
        ):
            job = ShipmentSync(
                shipstation=ss, oracle=client, mapping=mapping, audit=audit, clock=clock
            )
            summary = job.run(window)
    real = time.perf_counter() - started
    audit.close()
    folder.cleanup()
    return SyncRun(
        orders=orders,
        shipments=day.stats()["shipments"],
        summary=summary.describe(),
        posted=summary.posted,
        failed=summary.failed,
        shipstation_requests=Counter(_kind(m, u) for m, u in shipstation.v1.requests),
        oracle_requests=Counter(_kind(m, u) for m, u in oracle.requests),
        documents=len(oracle.invoices())
        + len(oracle.credit_memos())
        + len(oracle.inventory_transactions()),
        simulated_seconds=clock.monotonic(),
        real_seconds=real,
        latency=latency,
        concurrency=concurrency if use_async else 1,
        rss_setup_kb=rss_setup,
        rss_peak_kb=_peak_rss_kb(),
    )


LATENCY = 0.05
"""Simulated latency of every response in the sync benchmarks (50 ms, as the issue asks)."""

_RUNS: dict[int, SyncRun] = {}


def cached_run(orders: int) -> SyncRun:
    """The async sync of ``orders`` orders with 50 ms latency, in a fresh process, run once.

    A child process per size gives a clean peak RSS (the memory benchmark); the API-calls and
    end-to-end benchmarks read the same runs (request counts do not depend on latency), so the
    most expensive step of the run is paid once per size.
    """
    if orders not in _RUNS:
        done = subprocess.run(
            [sys.executable, "-m", "bench._scenario", str(orders)],
            capture_output=True,
            text=True,
            check=False,
            cwd=Path(__file__).resolve().parent.parent,
        )
        if done.returncode != 0:
            raise RuntimeError(f"sync of {orders} orders failed:\n{done.stderr[-3000:]}")
        _RUNS[orders] = SyncRun.from_json(done.stdout.strip().splitlines()[-1])
    return _RUNS[orders]


if __name__ == "__main__":
    logging.disable(logging.WARNING)  # retries are expected and counted, not printed
    print(run_sync(int(sys.argv[1]), latency=LATENCY, use_async=True).to_json())
