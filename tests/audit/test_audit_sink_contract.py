"""The contract every audit sink keeps: the shipped ones and a third-party double alike."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from ml_connector.audit import AuditEvent, AuditSink, RecordRef, Stage, latest_of
from ml_connector.testing import VirtualClock

EventFactory = Callable[..., AuditEvent]


def test_satisfies_the_protocol_structurally(sink: AuditSink) -> None:
    assert isinstance(sink, AuditSink)


def test_an_empty_sink_reads_nothing(sink: AuditSink) -> None:
    assert sink.events() == []
    assert sink.latest() == []
    assert sink.failed() == []


def test_events_read_back_equal(sink: AuditSink, make_event: EventFactory) -> None:
    event = make_event(
        stage=Stage.FAILED,
        target="receivablesInvoices",
        posting_key="SS-123",
        payload={"amount": Decimal("12.30"), "lines": [{"q": 2}]},
        error={"type": "ServerError", "status": 503},
        detail="Oracle answered 503",
        attempt=3,
    )
    sink.write(event)
    assert sink.events() == [event]
    assert sink.events()[0].error == {"type": "ServerError", "status": 503}


def test_writing_an_event_twice_stores_it_once(sink: AuditSink, make_event: EventFactory) -> None:
    event = make_event()
    sink.write(event)
    sink.write(event)
    sink.write_many([event, event])
    assert sink.events() == [event]


def test_write_many_stores_all(sink: AuditSink, make_event: EventFactory) -> None:
    events = [make_event(str(n)) for n in range(5)]
    sink.write_many(iter(events))  # a one-shot iterator is enough
    assert sink.events() == events


def test_reads_are_ordered_by_time_then_write_order(
    sink: AuditSink, make_event: EventFactory, clock: VirtualClock
) -> None:
    earlier = clock.now()
    clock.advance(10)
    later = make_event("late")
    # Written after ``later`` but stamped before it (another host, a slower thread).
    early = AuditEvent(
        "early", "c", earlier, RecordRef("shipstation", "shipment", "early"), Stage.FETCHED
    )
    tie_a = make_event("tie-a")
    tie_b = make_event("tie-b")
    sink.write_many([later, early, tie_a, tie_b])
    assert [e.record.id for e in sink.events()] == ["early", "late", "tie-a", "tie-b"]


def test_filters(sink: AuditSink, make_event: EventFactory, clock: VirtualClock) -> None:
    start = clock.now()
    journey = "journey-1"
    a1 = make_event("A", Stage.FETCHED, correlation_id=journey)
    clock.advance(60)
    a2 = make_event("A", Stage.MAPPED, correlation_id=journey)
    b1 = make_event("B", Stage.FETCHED)
    clock.advance(60)
    a3 = make_event("A", Stage.POSTED, correlation_id=journey)
    other_system = AuditEvent(
        "x", "y", clock.now(), RecordRef("shipstation", "order", "A"), Stage.FETCHED
    )
    sink.write_many([a1, a2, b1, a3, other_system])

    assert sink.events(record=RecordRef("shipstation", "shipment", "A")) == [a1, a2, a3]
    assert sink.events(correlation_id=journey) == [a1, a2, a3]
    assert sink.events(stage=Stage.FETCHED) == [a1, b1, other_system]
    # since inclusive, until exclusive
    minute = timedelta(minutes=1)
    assert sink.events(since=start + minute) == [a2, b1, a3, other_system]
    assert sink.events(until=start + minute) == [a1]
    assert sink.events(since=start + minute, until=start + 2 * minute) == [a2, b1]
    assert sink.events(stage=Stage.FETCHED, since=start + minute) == [b1, other_system]
    assert sink.events(record=RecordRef("shipstation", "shipment", "Z")) == []


def test_latest_and_failed(sink: AuditSink, make_event: EventFactory, clock: VirtualClock) -> None:
    a_failed = make_event("A", Stage.FAILED, error="boom")
    b_failed = make_event("B", Stage.FAILED, error="boom")
    c_posted = make_event("C", Stage.POSTED)
    clock.advance(1)
    a_replayed = make_event("A", Stage.REPLAYED, attempt=2)
    clock.advance(1)
    d_failed = make_event("D", Stage.FAILED, error="boom")
    sink.write_many([a_failed, b_failed, c_posted, a_replayed, d_failed])

    assert sink.latest() == [b_failed, c_posted, a_replayed, d_failed]
    assert sink.failed() == [b_failed, d_failed]


def test_latest_of_some_records(
    sink: AuditSink, make_event: EventFactory, clock: VirtualClock
) -> None:
    a_failed = make_event("A", Stage.FAILED, error="boom")
    b_posted = make_event("B", Stage.POSTED)
    c_posted = make_event("C", Stage.POSTED)
    clock.advance(1)
    a_replayed = make_event("A", Stage.REPLAYED, attempt=2)
    sink.write_many([a_failed, b_posted, c_posted, a_replayed])

    def ref(record_id: str) -> RecordRef:
        return RecordRef("shipstation", "shipment", record_id)

    # Unknown records are left out; the order is by time, ties in write order.
    assert sink.latest(records=[ref("A"), ref("C"), ref("Z")]) == [c_posted, a_replayed]
    assert sink.latest(records={ref("B")}) == [b_posted]
    assert sink.latest(records=[]) == []
    assert sink.latest(records=None) == sink.latest() == [b_posted, c_posted, a_replayed]
    # Another kind with the same id is another record.
    assert sink.latest(records=[RecordRef("shipstation", "order", "A")]) == []


def test_latest_of_many_records_at_once(sink: AuditSink, make_event: EventFactory) -> None:
    events = [make_event(str(n), Stage.POSTED) for n in range(700)]
    sink.write_many(events)
    wanted = [RecordRef("shipstation", "shipment", str(n)) for n in range(0, 700, 2)]
    wanted += [RecordRef("shipstation", "shipment", "missing")]
    assert sink.latest(records=wanted) == events[::2]


def test_latest_of_a_record_written_late_but_stamped_early(
    sink: AuditSink, make_event: EventFactory, clock: VirtualClock
) -> None:
    stamped_early = make_event("A", Stage.FAILED, error="x")
    clock.advance(5)
    later = make_event("A", Stage.POSTED)
    sink.write_many([later, stamped_early])
    ref = RecordRef("shipstation", "shipment", "A")
    assert sink.latest(records=[ref]) == [later] == sink.latest()


def test_latest_of_reads_only_the_records_asked_for(
    sink: AuditSink, make_event: EventFactory
) -> None:
    sink.write_many([make_event("A", Stage.POSTED), make_event("B", Stage.FAILED, error="x")])
    wanted = [RecordRef("shipstation", "shipment", "B")]
    assert list(latest_of(sink, wanted)) == wanted
    assert latest_of(sink, []) == {}


def test_latest_breaks_time_ties_by_write_order(sink: AuditSink, make_event: EventFactory) -> None:
    first = make_event("A", Stage.FAILED, error="x")
    second = make_event("A", Stage.REPLAYED)
    sink.write(first)
    sink.write(second)
    assert sink.latest() == [second]
    assert sink.failed() == []


def test_threads_can_share_a_sink(sink: AuditSink, make_event: EventFactory) -> None:
    batches = [[make_event(f"{t}-{n}") for n in range(25)] for t in range(4)]

    def work(batch: list[AuditEvent]) -> None:
        for event in batch:
            sink.write(event)
            sink.latest()

    threads = [threading.Thread(target=work, args=(batch,)) for batch in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    stored = sink.events()
    assert len(stored) == 100
    assert {e.event_id for e in stored} == {e.event_id for b in batches for e in b}
