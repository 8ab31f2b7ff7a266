"""Embedding the async sync in an asyncio application that is busy with other work.

``AsyncShipmentSync`` shares the event loop: Oracle look-ups and posts of different records
overlap (at most ``concurrency`` requests in flight) while the rest of the application keeps
running. Here a periodic sync task runs next to a stand-in for the host's own work, reports
progress through a callback, and stops cleanly when the application shuts down.

Run it with ``python examples/async_embedding.py``.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from simulation import DAY_START, simulate

from ml_connector.audit import MemoryAuditSink, MemoryCheckpointStore
from ml_connector.oracle import AsyncOracleFusionClient
from ml_connector.shipstation import AsyncShipStationV1Client
from ml_connector.sync import AsyncShipmentSync, Progress, RunSummary


async def main() -> int:
    sim = simulate(orders=120)
    progress_seen: list[Progress] = []
    summaries: list[RunSummary] = []
    heartbeats = 0
    stop = asyncio.Event()

    async with (
        AsyncShipStationV1Client(
            sim.v1_settings, transport=sim.shipstation.async_transport(), clock=sim.clock
        ) as shipstation,
        AsyncOracleFusionClient(
            sim.oracle_settings, transport=sim.oracle.async_transport(), clock=sim.clock
        ) as oracle,
    ):
        sync = AsyncShipmentSync(
            shipstation=shipstation,
            oracle=oracle,
            mapping=sim.mapping,
            audit=MemoryAuditSink(),  # SqliteAuditSink("audit.db") in production
            checkpoints=MemoryCheckpointStore(),
            clock=sim.clock,
            concurrency=8,
            progress=progress_seen.append,  # must be quick and must not raise
        )

        async def sync_every(interval: timedelta, runs: int) -> None:
            for _ in range(runs):
                summaries.append(await sync.run_incremental(initial_start=DAY_START))
                sim.clock.advance(interval.total_seconds())
            stop.set()

        async def host_work() -> None:
            # Stands in for the application's own tasks (serving requests, consuming a queue).
            nonlocal heartbeats
            while not stop.is_set():
                heartbeats += 1
                await asyncio.sleep(0)

        async with asyncio.TaskGroup() as group:
            group.create_task(sync_every(timedelta(minutes=10), runs=2))
            group.create_task(host_work())

    for n, summary in enumerate(summaries, 1):
        print(f"run {n}: {summary.describe()}")
    last = progress_seen[-1]
    print(f"progress callbacks: {len(progress_seen)} (last: {last.done} of {last.total} done)")
    print(f"the host's own task ran {heartbeats} times while the sync worked")
    assert heartbeats > 1 and summaries[0].posted > 0 and summaries[1].posted == 0
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
