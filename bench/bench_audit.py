"""Audit sink throughput against plain sqlite3 inserts and plain file appends, in one run.

Run ``python bench/bench_audit.py`` (a few seconds) or ``python bench/bench_audit.py --quick``.
Every sink gets the same prebuilt events (a 3-line invoice payload each). Each baseline writes
the same events' JSON text, already serialised, with the same durability setting, so a ratio is
the whole cost of the sink (validation, serialisation, payload table, indexes, locks) over raw
I/O. Cases that fsync every event run on fewer events; the rate is per second either way.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from ml_connector.audit import (
    AuditEvent,
    AuditSink,
    FsyncPolicy,
    JsonlAuditSink,
    MemoryAuditSink,
    RecordRef,
    SqliteAuditSink,
    Stage,
    make_converter,
    new_correlation_id,
    new_event,
)
from ml_connector.testing import VirtualClock


def build_events(count: int) -> list[AuditEvent]:
    """``count`` events like a real run's: posted invoices, one in ten failed."""
    clock = VirtualClock()
    events = []
    for n in range(count):
        clock.advance(0.5)
        payload = {
            "TransactionNumber": f"SS-{n}",
            "BillToCustomerNumber": "10042",
            "TransactionDate": "2026-01-15",
            "receivablesInvoiceLines": [
                {"LineNumber": i, "Quantity": i + 1, "UnitSellingPrice": Decimal("19.99")}
                for i in range(1, 4)
            ],
        }
        events.append(
            new_event(
                clock,
                correlation_id=new_correlation_id(),
                record=RecordRef("shipstation", "shipment", str(n)),
                stage=Stage.POSTED if n % 10 else Stage.FAILED,
                target="receivablesInvoices",
                posting_key=f"SS-{n}",
                payload=payload,
                oracle_id=str(300_000 + n),
                error=None if n % 10 else "Oracle answered 503",
            )
        )
    return events


def rate(count: int, run: Callable[[], None]) -> float:
    """Events per second of ``run``, which writes ``count`` events."""
    start = time.perf_counter()
    run()
    return count / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Audit sink throughput against baselines.")
    parser.add_argument("--quick", action="store_true", help="fewer events (well under a second)")
    args = parser.parse_args(argv)
    fast_n = 500 if args.quick else 20_000  # cases without a per-event fsync
    sync_n = 60 if args.quick else 1_000  # cases that fsync every event

    events = build_events(fast_n)
    converter = make_converter()
    lines = [
        (json.dumps(converter.unstructure(e), separators=(",", ":")) + "\n").encode()
        for e in events
    ]
    folder = Path(tempfile.mkdtemp(prefix="bench-audit-"))

    def plain_append(n: int, fsync: bool) -> Callable[[], None]:
        def run() -> None:
            path = folder / f"plain-{fsync}.jsonl"
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
            for line in lines[:n]:
                os.write(fd, line)
                if fsync:
                    os.fsync(fd)
            os.close(fd)

        return run

    def plain_sqlite(n: int, synchronous: str, batch: int) -> Callable[[], None]:
        def run() -> None:
            path = folder / f"plain-{synchronous}-{batch}.db"
            conn = sqlite3.connect(path, isolation_level=None)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(f"PRAGMA synchronous = {synchronous}")
            conn.execute("CREATE TABLE events (id TEXT PRIMARY KEY, body TEXT)")
            rows = [(e.event_id, line.decode()) for e, line in zip(events, lines, strict=True)]
            for start in range(0, n, batch):
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany("INSERT INTO events VALUES (?, ?)", rows[start : start + batch])
                conn.execute("COMMIT")
            conn.close()

        return run

    def sink_writes(sink: AuditSink, n: int, batch: int) -> Callable[[], None]:
        def run() -> None:
            if batch == 1:
                for event in events[:n]:
                    sink.write(event)
            else:
                for start in range(0, n, batch):
                    sink.write_many(events[start : min(start + batch, n)])
            close = getattr(sink, "close", None)
            if close is not None:
                close()

        return run

    baselines: dict[str, tuple[int, Callable[[], None]]] = {
        "append": (fast_n, plain_append(fast_n, fsync=False)),
        "append+fsync": (sync_n, plain_append(sync_n, fsync=True)),
        "sqlite NORMAL x1": (fast_n, plain_sqlite(fast_n, "NORMAL", 1)),
        "sqlite FULL x1": (sync_n, plain_sqlite(sync_n, "FULL", 1)),
        "sqlite FULL x100": (fast_n, plain_sqlite(fast_n, "FULL", 100)),
    }
    cases: list[tuple[str, int, Callable[[], None], str]] = [
        ("MemoryAuditSink.write", fast_n, sink_writes(MemoryAuditSink(), fast_n, 1), "append"),
    ]
    policies: list[tuple[FsyncPolicy, int, str]] = [
        ("never", fast_n, "append"),
        ("batch", fast_n, "append"),
        ("always", sync_n, "append+fsync"),
    ]
    for policy, n, baseline in policies:
        jsonl = JsonlAuditSink(folder / f"sink-{policy}.jsonl", fsync=policy)
        name = f"JsonlAuditSink.write fsync={policy}"
        cases.append((name, n, sink_writes(jsonl, n, 1), baseline))
    jsonl = JsonlAuditSink(folder / "sink-many.jsonl", fsync="batch")
    cases.append(
        ("JsonlAuditSink.write_many x100 fsync=batch", fast_n, sink_writes(jsonl, fast_n, 100),
         "append")
    )  # fmt: skip
    normal = SqliteAuditSink(folder / "sink-normal.db", synchronous="NORMAL")
    cases.append(
        ("SqliteAuditSink.write NORMAL", fast_n, sink_writes(normal, fast_n, 1),
         "sqlite NORMAL x1")
    )  # fmt: skip
    full = SqliteAuditSink(folder / "sink-full.db")
    cases.append(
        ("SqliteAuditSink.write FULL", sync_n, sink_writes(full, sync_n, 1), "sqlite FULL x1")
    )
    many = SqliteAuditSink(folder / "sink-many.db")
    cases.append(
        ("SqliteAuditSink.write_many x100 FULL", fast_n, sink_writes(many, fast_n, 100),
         "sqlite FULL x100")
    )  # fmt: skip

    kind = "quick" if args.quick else "full"
    print(f"ml-connector audit benchmark ({kind} run): Python {sys.version.split()[0]}, "
          f"SQLite {sqlite3.sqlite_version}")  # fmt: skip
    print(f"{'case':46} {'events':>7} {'events/s':>11}  ratio")
    base: dict[str, float] = {}
    for name, (n, run) in baselines.items():
        base[name] = rate(n, run)
        print(f"{'baseline: plain ' + name:46} {n:7d} {base[name]:11,.0f}  1.00")
    for name, n, run, baseline in cases:
        value = rate(n, run)
        print(f"{name:46} {n:7d} {value:11,.0f}  {value / base[baseline]:.2f} of {baseline}")

    for label, reader in (
        ("SqliteAuditSink", SqliteAuditSink(folder / "sink-many.db")),
        ("JsonlAuditSink", JsonlAuditSink(folder / "sink-many.jsonl")),
    ):
        start = time.perf_counter()
        found = reader.failed()
        elapsed = (time.perf_counter() - start) * 1000
        print(f"{label}.failed() over {fast_n} events: {len(found)} found in {elapsed:.1f} ms")
        reader.close()
    shutil.rmtree(folder)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
