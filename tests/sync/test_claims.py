"""Claims in the shipment sync: several workers on one window post every document once."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from ml_connector.audit import AuditSink, PostgresAuditSink, SqliteAuditSink, Stage
from ml_connector.sync import Outcome, RunSummary, ShipmentSync
from ml_connector.sync._post import CLAIMED_ELSEWHERE, claim_key

from ._env import DAY_END, DAY_START, Env, make_env


def open_sink(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Any:
    if kind == "sqlite":
        return SqliteAuditSink(tmp_path / "trail.db", synchronous="NORMAL")
    url = request.getfixturevalue("postgres_url")
    return PostgresAuditSink(url, schema=request.getfixturevalue("postgres_schema"))


def job(env: Env, sink: AuditSink, **options: Any) -> ShipmentSync:
    return ShipmentSync(
        shipstation=env.shipstation(),
        oracle=env.oracle(),
        mapping=env.mapping,
        audit=sink,
        clock=env.clock,
        chunk_size=10,
        **options,
    )


def documents_per_key(env: Env) -> Counter[str]:
    keys: Counter[str] = Counter()
    for invoice in env.oracle_sim.invoices():
        keys[str(invoice.get("TransactionNumber"))] += 1
    for memo in env.oracle_sim.credit_memos():
        keys[str(memo.get("TransactionNumber"))] += 1
    for movement in env.oracle_sim.inventory_transactions():
        keys[str(movement.get("TransactionReference"))] += 1
    return keys


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_four_workers_on_one_window_post_every_document_once(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    env = make_env(orders=40)
    sinks = [open_sink(kind, tmp_path, request) for _ in range(4)]  # four connections, owners
    summaries: list[RunSummary] = []
    errors: list[BaseException] = []

    def work(sink: AuditSink) -> None:
        try:
            summaries.append(job(env, sink).run((DAY_START, DAY_END)))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(sink,)) for sink in sinks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    keys = documents_per_key(env)
    assert keys and max(keys.values()) == 1, [k for k, n in keys.items() if n > 1]
    # Every record ended final in the shared trail, whichever worker did it.
    latest = sinks[0].latest()
    assert all(e.stage is not Stage.POSTING for e in latest)
    for sink in sinks:
        sink.close()


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_a_record_another_worker_holds_is_skipped_and_left_to_it(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    env = make_env(orders=12)
    sink = open_sink(kind, tmp_path, request)
    label = next(b for b in env.day.iter_bundles() if b.shipments).shipments[0]
    ref_key = f"shipstation:shipment:{label['shipmentId']}"
    held = sink.claims.claim([ref_key], owner="other-worker", lease=timedelta(minutes=5))
    summary = job(env, sink, results="all").run((DAY_START, DAY_END))
    skipped = [r for r in summary.results if r.reason == CLAIMED_ELSEWHERE]
    assert [claim_key(r.record) for r in skipped] == [ref_key]
    assert skipped[0].outcome is Outcome.SKIPPED
    assert sink.events(record=skipped[0].record) == []  # the holder writes its outcome
    # The holder dies; its lease runs out; the next run takes the record over and posts it.
    sink.claims.renew(held.held, lease=timedelta(seconds=0.2))
    time.sleep(0.3)
    again = job(env, sink, results="all").run((DAY_START, DAY_END))
    outcome = {r.record: r.outcome for r in again.results}[skipped[0].record]
    assert outcome in (Outcome.POSTED, Outcome.SKIPPED)
    assert outcome is Outcome.SKIPPED or sink.events(record=skipped[0].record)
    assert max(documents_per_key(env).values()) == 1
    sink.close()


def test_the_lease_must_outlast_a_request(tmp_path: Path) -> None:
    from ml_connector import ConfigurationError

    env = make_env(orders=2)
    with (
        SqliteAuditSink(tmp_path / "t.db") as sink,
        pytest.raises(ConfigurationError, match="lease"),
    ):
        job(env, sink, claim_lease=timedelta(seconds=10))


def test_a_run_that_left_records_to_another_worker_keeps_the_checkpoint(tmp_path: Path) -> None:
    # If the holder dies before it posts, only a re-read of the window finds the record again:
    # the run that skipped it must not move the watermark past it.
    env = make_env(orders=12)
    sink = SqliteAuditSink(tmp_path / "trail.db", synchronous="NORMAL")
    label = next(b for b in env.day.iter_bundles() if b.shipments).shipments[0]
    ref_key = f"shipstation:shipment:{label['shipmentId']}"
    held = sink.claims.claim([ref_key], owner="other-worker", lease=timedelta(minutes=5))
    first = job(env, sink, checkpoints=sink.checkpoints).run_incremental(initial_start=DAY_START)
    assert first.skip_reasons.get(CLAIMED_ELSEWHERE) == 1
    assert sink.checkpoints.load("shipments", "shipstation-v1/shipments") is None  # not moved
    sink.claims.release(held.held)  # the holder is done (or its lease ran out)
    second = job(env, sink, checkpoints=sink.checkpoints).run_incremental(initial_start=DAY_START)
    assert not second.skip_reasons.get(CLAIMED_ELSEWHERE)
    saved = sink.checkpoints.load("shipments", "shipstation-v1/shipments")
    assert saved is not None and saved.watermark == second.end
    sink.close()
