"""Replay: failed records are re-mapped and posted once, never twice; dry runs post nothing."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from ml_connector import ConflictError, ConnectorError, MappingError, ServerError
from ml_connector.audit import (
    AsyncReplayTarget,
    AuditEvent,
    AuditSink,
    MemoryAuditSink,
    PayloadChange,
    Remapped,
    ReplayOutcome,
    ReplayTarget,
    Stage,
    async_replay,
    diff_payloads,
    format_diff,
    replay,
)
from ml_connector.testing import VirtualClock

EventFactory = Callable[..., AuditEvent]


class FakeOracle:
    """An in-memory Oracle behind the ReplayTarget protocol, counting what it creates."""

    def __init__(self) -> None:
        self.documents: dict[str, str] = {}
        self.created: list[Mapping[str, Any]] = []
        self.finds = 0
        self.amount: Any = Decimal("12.00")
        self.remap_errors: dict[str, Exception] = {}
        self.create_errors: list[Exception] = []

    def remap(self, failed: AuditEvent) -> Remapped:
        if failed.record.id in self.remap_errors:
            raise self.remap_errors[failed.record.id]
        key = f"SS-{failed.record.id}"
        payload = {"TransactionNumber": key, "lines": [{"amount": self.amount}]}
        return Remapped(payload=payload, posting_key=key, target="receivablesInvoices")

    def find(self, posting_key: str) -> str | None:
        self.finds += 1
        return self.documents.get(posting_key)

    def create(self, payload: Mapping[str, Any]) -> str:
        if self.create_errors:
            raise self.create_errors.pop(0)
        oracle_id = str(300_000 + len(self.created))
        self.created.append(payload)
        self.documents[payload["TransactionNumber"]] = oracle_id
        return oracle_id


class AsyncFakeOracle:
    """The same fake behind the async protocol."""

    def __init__(self, inner: FakeOracle) -> None:
        self.inner = inner

    async def remap(self, failed: AuditEvent) -> Remapped:
        return self.inner.remap(failed)

    async def find(self, posting_key: str) -> str | None:
        return self.inner.find(posting_key)

    async def create(self, payload: Mapping[str, Any]) -> str:
        return self.inner.create(payload)


def failed_payload(record_id: str) -> dict[str, Any]:
    return {"TransactionNumber": f"SS-{record_id}", "lines": [{"amount": Decimal("10.00")}]}


@pytest.fixture
def trail(make_event: EventFactory, clock: VirtualClock) -> MemoryAuditSink:
    """Records 1-3 failed (one a minute, different errors); record 4 posted."""
    sink = MemoryAuditSink()
    errors: list[ConnectorError] = [
        ServerError("Oracle is down", status=503),
        ServerError("bad customer", status=400, code="AR_BILL_TO_CUST_NOT_FOUND"),
        MappingError("no item", field="sku", record="3"),
    ]
    for n, error in enumerate(errors, start=1):
        sink.write(make_event(str(n), Stage.MAPPED, correlation_id=f"c{n}"))
        sink.write(
            make_event(
                str(n),
                Stage.FAILED,
                correlation_id=f"c{n}",
                posting_key=f"SS-{n}",
                target="receivablesInvoices",
                payload=failed_payload(str(n)),
                error=error,
            )
        )
        clock.advance(60)
    sink.write(make_event("4", Stage.POSTED, oracle_id="299999"))
    return sink


def test_replay_posts_each_failed_record_once_and_records_it(
    trail: MemoryAuditSink, clock: VirtualClock
) -> None:
    oracle = FakeOracle()
    report = replay(trail, oracle, clock=clock)

    assert len(oracle.created) == 3
    assert report.posted == 3
    assert not report.dry_run
    assert [item.outcome for item in report.items] == [ReplayOutcome.POSTED] * 3
    assert trail.failed() == []
    replayed = trail.events(stage=Stage.REPLAYED)
    assert [e.record.id for e in replayed] == ["1", "2", "3"]
    first = replayed[0]
    assert first.correlation_id == "c1"  # the same journey continues
    assert first.attempt == 2
    assert first.oracle_id == "300000"
    assert first.posting_key == "SS-1"
    assert first.target == "receivablesInvoices"
    assert first.payload == '{"TransactionNumber":"SS-1","lines":[{"amount":"12.00"}]}'
    assert report.items[0].event == first


def test_a_second_replay_posts_nothing(trail: MemoryAuditSink, clock: VirtualClock) -> None:
    oracle = FakeOracle()
    replay(trail, oracle, clock=clock)
    written = len(trail)
    again = replay(trail, oracle, clock=clock)
    assert len(oracle.created) == 3
    assert again.items == ()
    assert len(trail) == written


def test_replay_finds_documents_whose_replayed_event_was_lost(
    trail: MemoryAuditSink, clock: VirtualClock
) -> None:
    """A crash between the post and the audit write: the next replay must not post again."""
    before_crash = MemoryAuditSink()
    before_crash.write_many(trail.events())
    oracle = FakeOracle()
    replay(trail, oracle, clock=clock)  # posts; its events are "lost" with ``trail``

    report = replay(before_crash, oracle, clock=clock)
    assert len(oracle.created) == 3
    assert report.count(ReplayOutcome.ALREADY_POSTED) == 3
    assert before_crash.failed() == []
    found = before_crash.events(stage=Stage.ALREADY_POSTED)
    assert [e.oracle_id for e in found] == ["300000", "300001", "300002"]


def test_dry_run_posts_and_records_nothing_and_shows_the_diff(
    trail: MemoryAuditSink, clock: VirtualClock
) -> None:
    oracle = FakeOracle()
    oracle.documents["SS-2"] = "288888"  # already in Oracle
    before = trail.events()

    report = replay(trail, oracle, clock=clock, dry_run=True)

    assert oracle.created == []
    assert trail.events() == before
    assert report.dry_run
    outcomes = {item.failed.record.id: item.outcome for item in report.items}
    assert outcomes == {
        "1": ReplayOutcome.WOULD_POST,
        "2": ReplayOutcome.WOULD_SKIP,
        "3": ReplayOutcome.WOULD_POST,
    }
    item = report.items[0]
    assert item.event is None
    assert item.changes == (PayloadChange("$.lines[0].amount", "changed", "10.00", "12.00"),)
    assert format_diff(item.changes) == '~ $.lines[0].amount: "10.00" -> "12.00"'
    assert report.items[1].oracle_id == "288888"


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["1", "2", "3"]),
        ({"record_ids": {"2", "3", "4"}}, ["2", "3"]),
        ({"record_ids": "12"}, []),  # one id, not the characters "1" and "2"
        ({"record_ids": "2", "error_kinds": "ServerError"}, ["2"]),
        ({"error_kinds": {"MappingError"}}, ["3"]),
        ({"error_kinds": {"AR_BILL_TO_CUST_NOT_FOUND"}}, ["2"]),
        ({"since": 1}, ["2", "3"]),  # minutes after the first failure, inclusive
        ({"until": 1}, ["1"]),  # exclusive
        ({"since": 1, "until": 2, "error_kinds": {"ServerError"}}, ["2"]),
    ],
)
def test_selection_filters(
    trail: MemoryAuditSink, filters: dict[str, Any], expected: list[str]
) -> None:
    start = trail.events()[0].occurred_at
    for key in ("since", "until"):
        if key in filters:
            filters[key] = start + timedelta(minutes=filters[key])
    oracle = FakeOracle()
    report = replay(trail, oracle, clock=VirtualClock(), dry_run=True, **filters)
    assert [item.failed.record.id for item in report.items] == expected


def test_a_record_that_still_cannot_be_mapped_fails_again(
    trail: MemoryAuditSink, clock: VirtualClock
) -> None:
    oracle = FakeOracle()
    oracle.remap_errors["3"] = MappingError("still no item", field="sku", record="3")
    report = replay(trail, oracle, clock=clock)
    assert len(oracle.created) == 2
    item = report.items[2]
    assert item.outcome is ReplayOutcome.FAILED
    assert item.error is not None
    assert item.error["field"] == "sku"
    (still_failed,) = trail.failed()
    assert still_failed.record.id == "3"
    assert still_failed.attempt == 2
    assert still_failed.correlation_id == "c3"
    assert still_failed.error is not None
    assert still_failed.error["type"] == "MappingError"


def test_a_failed_post_is_recorded_with_its_payload_and_replayed_later(
    trail: MemoryAuditSink, clock: VirtualClock
) -> None:
    oracle = FakeOracle()
    oracle.create_errors.append(ServerError("still down", status=503))
    first = replay(trail, oracle, clock=clock, record_ids={"1"})
    assert first.items[0].outcome is ReplayOutcome.FAILED
    (failed_again,) = [e for e in trail.failed() if e.record.id == "1"]
    assert failed_again.attempt == 2
    assert failed_again.payload is not None
    assert '"12.00"' in failed_again.payload
    clock.advance(60)
    second = replay(trail, oracle, clock=clock, record_ids={"1"})
    assert second.posted == 1
    assert trail.events(stage=Stage.REPLAYED)[0].attempt == 3


def test_a_conflict_on_create_is_resolved_by_finding_again(
    trail: MemoryAuditSink, clock: VirtualClock
) -> None:
    """Another process posted SS-1 between replay's find and its create."""

    class RacedOracle(FakeOracle):
        def create(self, payload: Mapping[str, Any]) -> str:
            if payload["TransactionNumber"] == "SS-1":
                self.documents["SS-1"] = "277777"
                raise ConflictError("duplicate transaction number", status=409)
            return super().create(payload)

    oracle = RacedOracle()
    report = replay(trail, oracle, clock=clock)
    assert report.items[0].outcome is ReplayOutcome.ALREADY_POSTED
    assert report.items[0].oracle_id == "277777"
    assert report.posted == 2
    assert trail.failed() == []


def test_a_conflict_that_find_cannot_explain_stays_failed(
    trail: MemoryAuditSink, clock: VirtualClock
) -> None:
    oracle = FakeOracle()
    oracle.create_errors.append(ConflictError("duplicate", status=409))
    report = replay(trail, oracle, clock=clock, record_ids={"1"})
    assert report.items[0].outcome is ReplayOutcome.FAILED
    assert report.items[0].error is not None
    assert report.items[0].error["type"] == "ConflictError"


def test_a_payload_with_a_float_is_refused_before_posting(
    trail: MemoryAuditSink, clock: VirtualClock
) -> None:
    oracle = FakeOracle()
    oracle.amount = 12.0
    report = replay(trail, oracle, clock=clock)
    assert oracle.created == []
    assert oracle.finds == 0
    assert {item.outcome for item in report.items} == {ReplayOutcome.FAILED}
    assert len(trail.failed()) == 3


def test_a_bug_in_the_target_is_not_swallowed(trail: MemoryAuditSink, clock: VirtualClock) -> None:
    oracle = FakeOracle()
    oracle.remap_errors["1"] = RuntimeError("bug")
    with pytest.raises(RuntimeError, match="bug"):
        replay(trail, oracle, clock=clock)


@pytest.mark.anyio
async def test_async_replay_behaves_like_replay(
    trail: MemoryAuditSink, clock: VirtualClock
) -> None:
    oracle = FakeOracle()
    target = AsyncFakeOracle(oracle)
    dry = await async_replay(trail, target, clock=clock, dry_run=True)
    assert oracle.created == []
    assert dry.count(ReplayOutcome.WOULD_POST) == 3
    done = await async_replay(trail, target, clock=clock)
    assert done.posted == 3
    again = await async_replay(trail, target, clock=clock)
    assert again.items == ()
    assert len(oracle.created) == 3
    assert isinstance(target, AsyncReplayTarget)


def test_the_twins_expose_the_same_methods_and_parameters() -> None:
    def methods(cls: type) -> set[str]:
        return {name for name in dir(cls) if not name.startswith("_")}

    assert methods(ReplayTarget) == methods(AsyncReplayTarget) == {"create", "find", "remap"}
    sync_params = inspect.signature(replay).parameters
    async_params = inspect.signature(async_replay).parameters
    assert list(sync_params) == list(async_params)
    assert isinstance(FakeOracle(), ReplayTarget)


def test_replay_accepts_any_sink(sink: AuditSink, make_event: EventFactory) -> None:
    sink.write(make_event("9", Stage.FAILED, payload=failed_payload("9"), error="x"))
    oracle = FakeOracle()
    assert replay(sink, oracle, clock=VirtualClock()).posted == 1
    assert replay(sink, oracle, clock=VirtualClock()).posted == 0
    assert len(oracle.created) == 1


def test_diff_payloads() -> None:
    before = '{"a":1,"list":[1,2,3],"nested":{"x":"1.0","gone":true}}'
    after = '{"a":1,"list":[1,5],"nested":{"x":"1.00","new":null},"b":[]}'
    assert diff_payloads(before, after) == (
        PayloadChange("$.b", "added", after=[]),
        PayloadChange("$.list[1]", "changed", 2, 5),
        PayloadChange("$.list[2]", "removed", before=3),
        PayloadChange("$.nested.gone", "removed", before=True),
        PayloadChange("$.nested.new", "added", after=None),
        PayloadChange("$.nested.x", "changed", "1.0", "1.00"),
    )
    assert diff_payloads(before, before) == ()
    assert diff_payloads(None, '{"a":1}') == (PayloadChange("$", "added", after={"a": 1}),)
    assert diff_payloads('{"a":1}', '{"a":true}') == (PayloadChange("$.a", "changed", 1, True),)
    assert format_diff(()) == "(no changes)"
