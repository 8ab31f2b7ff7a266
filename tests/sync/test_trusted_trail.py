"""``trust_audit_trail=True``: records the trail has never seen are created without a look-up.

Oracle's own duplicate-number check is switched off in these worlds (the keys sit on attributes
the connector never sends), so a second post would be stored and counted, not refused: every
"posted once" below comes from the connector alone.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from ml_connector.audit import (
    MemoryAuditSink,
    RecordRef,
    SqliteAuditSink,
    Stage,
    new_event,
    select_failed,
)
from ml_connector.oracle import OracleFusionClient
from ml_connector.sync import AsyncShipmentSync, Outcome, ReasonCode, ShipmentSync

from ._env import DAY_END, DAY_START, Env, make_env, oracle_settings
from .test_shipments import keys_in_oracle, make_sync

WINDOW = (DAY_START, DAY_END)
LOOKED_UP = ("receivablesInvoices", "receivablesCreditMemos", "inventoryStagedTransactions")


def world(**options: Any) -> Env:
    env = make_env(**options)
    env.oracle_sim.invoice_key = "NoSuchAttribute"
    env.oracle_sim.credit_memo_key = "NoSuchAttribute"
    env.oracle_sim.inventory_key = None
    return env


def lookups(env: Env) -> Counter[str]:
    """Posting keys Oracle was asked for, by resource (a bulk read asks for one key per
    ``or`` group of its ``q``)."""
    found: Counter[str] = Counter()
    for method, url in env.oracle_sim.requests:
        resource = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        # A bulk read asks for one key per ``or`` group of its ``q``; the look-up of an
        # invoice by its echo (CrossReference) is part of the same look-up.
        if method == "GET" and resource in LOOKED_UP:
            q = parse_qs(urlsplit(url).query).get("q", [""])[0]
            groups = q.split(") or (") if q else [""]
            found[resource] += sum(1 for group in groups if "CrossReference" not in group)
    return found


def outcomes(summary: Any) -> Counter[str]:
    return Counter(result.outcome.value for result in summary.results)


def test_a_fresh_window_posts_every_document_once_without_a_single_lookup() -> None:
    trusted, default = world(void_rate=0.0), world(void_rate=0.0)
    summary = make_sync(trusted, trust_audit_trail=True).run(WINDOW)
    expected = make_sync(default).run(WINDOW)

    assert sum(lookups(trusted).values()) == 0
    assert sum(lookups(default).values()) > 0
    keys = keys_in_oracle(trusted)
    assert keys == keys_in_oracle(default)
    assert set(keys.values()) == {1}
    assert summary.posted == expected.posted > 0
    assert outcomes(summary) == outcomes(expected)
    # Fewer requests, and the creates themselves are the same batches.
    assert len(trusted.oracle_sim.requests) < len(default.oracle_sim.requests)
    assert trusted.oracle_posts() == default.oracle_posts()


def test_every_posted_record_was_announced_before_its_post() -> None:
    env = world(void_rate=0.0)

    class Watching(MemoryAuditSink):
        """Notes the keys Oracle held when each ``posting`` event was written."""

        def __init__(self) -> None:
            super().__init__()
            self.held_at: dict[RecordRef, frozenset[str]] = {}

        def write_many(self, events: Any) -> None:
            batch = list(events)
            held = frozenset(keys_in_oracle(env))
            for event in batch:
                if event.stage is Stage.POSTING:
                    self.held_at[event.record] = held
            super().write_many(batch)

    env.audit = Watching()
    summary = make_sync(env, trust_audit_trail=True, chunk_size=25).run(WINDOW)
    posted = [r for r in summary.results if r.outcome is Outcome.POSTED]
    assert posted
    for result in posted:
        trail = env.audit.events(record=result.record)
        assert [event.stage for event in trail] == [Stage.POSTING, Stage.POSTED]
        # One journey, one attempt: the outcome follows its announcement.
        assert trail[0].correlation_id == trail[1].correlation_id
        assert trail[0].attempt == trail[1].attempt == 1
        assert trail[0].posting_key == result.posting_key
        held = env.audit.held_at[result.record]
        assert not set(result.keys) & held, "announced after its documents reached Oracle"
    # Several chunks, so several write-aheads, each before its own chunk's posts.
    assert len(set(env.audit.held_at.values())) > 1


def test_a_record_with_any_event_is_looked_up_and_a_rerun_posts_nothing() -> None:
    env = world(void_rate=0.0)
    clean = world(void_rate=0.0)
    make_sync(clean).run(WINDOW)
    shipments = [s for s in env.day.iter_shipments() if s.get("orderId") is not None]
    chosen = shipments[:3]
    refs = [RecordRef("shipstation", "shipment", str(s["shipmentId"])) for s in chosen]
    stages = (Stage.FAILED, Stage.POSTING, Stage.MAPPED)
    for ref, stage in zip(refs, stages, strict=True):
        env.audit.write(new_event(env.clock, correlation_id="c-" + ref.id, record=ref, stage=stage))

    first = make_sync(env, trust_audit_trail=True).run(WINDOW)
    by_record = {result.record: result for result in first.results}
    # Exactly the three records with events were looked up: invoice plus inventory lines.
    expected_lookups = sum(len(by_record[ref].keys) for ref in refs)
    assert expected_lookups >= 3
    assert sum(lookups(env).values()) == expected_lookups
    for ref in refs:
        trail = env.audit.events(record=ref)
        # The journey goes on under its correlation id, one attempt later.
        assert trail[-1].correlation_id == "c-" + ref.id
        assert trail[-1].attempt == 2
    assert keys_in_oracle(env) == keys_in_oracle(clean)

    posts = len(env.oracle_posts())
    again = make_sync(env, trust_audit_trail=True).run(WINDOW)
    assert again.posted == 0
    assert len(env.oracle_posts()) == posts
    # Final records are not touched; failed ones are tried again, looked up first.
    retried = sum(len(r.keys) for r in first.results if r.outcome is Outcome.FAILED)
    assert sum(lookups(env).values()) == expected_lookups + retried
    assert keys_in_oracle(env) == keys_in_oracle(clean)


def test_voided_labels_dry_runs_and_a_day_with_voids_still_match_the_default() -> None:
    trusted, default = world(), world()
    plan = make_sync(trusted, trust_audit_trail=True).run(WINDOW, dry_run=True)
    planned = make_sync(default).run(WINDOW, dry_run=True)
    # A dry run shows what Oracle holds: it looks everything up, trusted or not.
    assert sum(lookups(trusted).values()) > 0
    assert lookups(trusted) == lookups(default)
    assert outcomes(plan) == outcomes(planned)
    planned_lookups = sum(lookups(default).values())

    summary = make_sync(trusted, trust_audit_trail=True).run(WINDOW)
    expected = make_sync(default).run(WINDOW)
    assert keys_in_oracle(trusted) == keys_in_oracle(default)
    assert set(keys_in_oracle(trusted).values()) == {1}
    assert outcomes(summary) == outcomes(expected)
    voided = [r for r in summary.results if r.record.kind.endswith("-void")]
    assert voided, "the day has voided labels"
    # The real run looked up only the voided labels' originals, never the other records.
    trusted_lookups = sum(lookups(trusted).values()) - planned_lookups
    default_lookups = sum(lookups(default).values()) - planned_lookups
    assert 0 < trusted_lookups < default_lookups


@pytest.mark.anyio
async def test_the_async_twin_trusts_the_trail_the_same_way() -> None:
    env, blocking = world(void_rate=0.0), world(void_rate=0.0)
    sync = AsyncShipmentSync(
        shipstation=env.async_shipstation(),
        oracle=env.async_oracle(),
        mapping=env.mapping,
        audit=env.audit,
        clock=env.clock,
        trust_audit_trail=True,
    )
    summary = await sync.run(WINDOW)
    expected = make_sync(blocking, trust_audit_trail=True).run(WINDOW)
    assert sum(lookups(env).values()) == 0
    assert keys_in_oracle(env) == keys_in_oracle(blocking)
    assert set(keys_in_oracle(env).values()) == {1}
    assert outcomes(summary) == outcomes(expected)


class Killed(BaseException):
    """The process died (a BaseException: nothing in the library catches it)."""


class KillAfterFirstCommit(httpx.BaseTransport):
    """Delivers the first document POST to Oracle, then dies before its answer arrives."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.armed = True

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if self.armed and request.method == "POST" and "/fscmRestApi" in request.url.path:
            self.armed = False
            raise Killed("killed after Oracle committed the first batch")
        return response


def test_a_process_killed_after_a_committed_batch_posts_nothing_twice(tmp_path: Path) -> None:
    env, clean = world(void_rate=0.0), world(void_rate=0.0)
    make_sync(clean).run(WINDOW)
    path = tmp_path / "audit.db"

    def job(transport: httpx.BaseTransport) -> tuple[ShipmentSync, SqliteAuditSink]:
        audit = SqliteAuditSink(path)
        sync = ShipmentSync(
            shipstation=env.shipstation(),
            oracle=OracleFusionClient(oracle_settings(), transport=transport, clock=env.clock),
            mapping=env.mapping,
            audit=audit,
            clock=env.clock,
            trust_audit_trail=True,
            chunk_size=40,
        )
        return sync, audit

    sync, audit = job(KillAfterFirstCommit(env.oracle_sim.transport()))
    with pytest.raises(Killed):
        sync.run(WINDOW)
    audit.close()
    committed = sum(keys_in_oracle(env).values())
    assert committed > 0
    assert sum(lookups(env).values()) == 0

    # The killed chunk's records are all announced, none settled: open, not replayable.
    audit = SqliteAuditSink(path)
    announced = [event for event in audit.latest() if event.stage is Stage.POSTING]
    assert len(announced) >= 2
    assert select_failed(audit) == []
    sync = ShipmentSync(
        shipstation=env.shipstation(),
        oracle=env.oracle(),
        mapping=env.mapping,
        audit=audit,
        clock=env.clock,
    )
    # Reconcile treats them as open records: in Oracle (the committed batch) or missing.
    report = sync.reconcile(WINDOW)
    reasons = {row.record: row.reason for row in report.rows}
    held = {event.posting_key for event in announced} & set(keys_in_oracle(env))
    assert held, "the committed batch holds some announced records"
    for event in announced:
        reason = reasons[str(event.record)]
        if event.posting_key in held:
            assert reason is ReasonCode.OK
        else:
            assert reason is ReasonCode.MISSING_IN_ORACLE
    audit.close()

    # Restarted over the same file: the announced records are looked up, nothing posts twice.
    before = sum(lookups(env).values())  # reconcile looked everything up
    sync, audit = job(env.oracle_sim.transport())
    summary = sync.run(WINDOW)
    audit.close()
    keys = keys_in_oracle(env)
    assert keys == keys_in_oracle(clean)
    assert set(keys.values()) == {1}
    announced_docs = sum(len(summary_keys(summary, event.record)) for event in announced)
    assert sum(lookups(env).values()) - before == announced_docs
    recovered = [
        r
        for r in summary.results
        if r.record in {event.record for event in announced} and r.outcome is Outcome.ALREADY_POSTED
    ]
    assert recovered, "the committed batch's records are found, not posted again"


def summary_keys(summary: Any, record: RecordRef) -> tuple[str, ...]:
    for result in summary.results:
        if result.record == record:
            return tuple(result.keys)
    return ()


def test_a_default_run_killed_mid_post_leaves_a_trail_that_can_be_trusted(tmp_path: Path) -> None:
    # The default mode announces its posts too: switching a trail to trust mode after a run
    # that died between Oracle's commit and the outcome event posts nothing twice.
    env, clean = world(void_rate=0.0), world(void_rate=0.0)
    make_sync(clean).run(WINDOW)
    path = tmp_path / "audit.db"

    def job(transport: httpx.BaseTransport, *, trust: bool) -> tuple[ShipmentSync, Any]:
        audit = SqliteAuditSink(path)
        sync = ShipmentSync(
            shipstation=env.shipstation(),
            oracle=OracleFusionClient(oracle_settings(), transport=transport, clock=env.clock),
            mapping=env.mapping,
            audit=audit,
            clock=env.clock,
            trust_audit_trail=trust,
            chunk_size=40,
        )
        return sync, audit

    sync, audit = job(KillAfterFirstCommit(env.oracle_sim.transport()), trust=False)
    with pytest.raises(Killed):
        sync.run(WINDOW)
    announced = [event for event in audit.latest() if event.stage is Stage.POSTING]
    audit.close()
    assert announced, "the default mode wrote its posting events before sending"
    assert {event.posting_key for event in announced} & set(keys_in_oracle(env))

    sync, audit = job(env.oracle_sim.transport(), trust=True)
    sync.run(WINDOW)
    audit.close()
    keys = keys_in_oracle(env)
    assert keys == keys_in_oracle(clean)
    assert set(keys.values()) == {1}
