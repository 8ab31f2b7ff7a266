"""A replay that fails before it re-maps carries the kept payload forward.

The payload a record failed with (an order id, a raw record, a planned transaction) is what a
later replay works from. A replay failing before it re-maps has no payload of its own, so its
new failed event stores the failed event's payload: any number of failed replays later, the
payload is still there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import pytest

from ml_connector import MappingError, ServerError
from ml_connector.audit import (
    AuditEvent,
    AuditSink,
    Remapped,
    ReplayOutcome,
    Stage,
    async_replay,
    payload_of,
    replay,
)
from ml_connector.testing import VirtualClock

EventFactory = Callable[..., AuditEvent]

KEPT = {
    "source": {"kind": "shipment", "id": "1", "order_id": 77},
    "raw": {"amount": Decimal("9.50")},
}


class Target:
    """Fails to re-map ``failures`` times, then re-maps from the payload it is given."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.seen: list[Any] = []
        self.created: list[Mapping[str, Any]] = []

    def remap(self, failed: AuditEvent) -> Remapped:
        kept = payload_of(failed)
        self.seen.append(kept)
        if self.failures:
            self.failures -= 1
            raise MappingError("the customer has no account yet", field="customer")
        if not isinstance(kept, Mapping) or "source" not in kept:
            raise MappingError("the failed event does not name the order", field="source")
        return Remapped(payload={"invoice": kept["source"]}, posting_key="SS1")

    def find(self, posting_key: str) -> str | None:
        return None

    def create(self, payload: Mapping[str, Any]) -> str:
        self.created.append(payload)
        return "3001"


class AsyncTarget:
    def __init__(self, inner: Target) -> None:
        self.inner = inner

    async def remap(self, failed: AuditEvent) -> Remapped:
        return self.inner.remap(failed)

    async def find(self, posting_key: str) -> str | None:
        return self.inner.find(posting_key)

    async def create(self, payload: Mapping[str, Any]) -> str:
        return self.inner.create(payload)


def _failed(sink: AuditSink, make_event: EventFactory) -> None:
    sink.write(
        make_event(
            "1",
            Stage.FAILED,
            payload=KEPT,
            error=ServerError("Oracle is down", status=503),
        )
    )


def test_a_replay_failing_twice_still_has_the_payload_on_the_third_attempt(
    sink: AuditSink, make_event: EventFactory, clock: VirtualClock
) -> None:
    _failed(sink, make_event)
    target = Target(failures=2)
    for attempt in (2, 3):
        [item] = replay(sink, target, clock=clock).items
        assert item.outcome is ReplayOutcome.FAILED
        latest = sink.failed()[0]
        assert latest.attempt == attempt
        assert payload_of(latest) == payload_of(sink.events()[0])
        clock.advance(60)
    [item] = replay(sink, target, clock=clock).items
    assert item.outcome is ReplayOutcome.POSTED
    assert target.seen == [payload_of(sink.events()[0])] * 3
    assert target.created == [{"invoice": {"kind": "shipment", "id": "1", "order_id": 77}}]
    # Nothing left to replay.
    assert replay(sink, target, clock=clock).items == ()


def test_a_failed_event_without_a_payload_stays_without_one(
    sink: AuditSink, make_event: EventFactory, clock: VirtualClock
) -> None:
    sink.write(make_event("1", Stage.FAILED, error="broken"))
    [item] = replay(sink, Target(failures=1), clock=clock).items
    assert item.outcome is ReplayOutcome.FAILED
    assert sink.failed()[0].payload is None


def test_a_dry_run_writes_no_carried_payload(
    sink: AuditSink, make_event: EventFactory, clock: VirtualClock
) -> None:
    _failed(sink, make_event)
    [item] = replay(sink, Target(failures=1), clock=clock, dry_run=True).items
    assert item.outcome is ReplayOutcome.FAILED and item.event is None
    assert len(sink.events()) == 1


@pytest.mark.anyio
async def test_the_async_replay_carries_the_payload_too(
    sink: AuditSink, make_event: EventFactory, clock: VirtualClock
) -> None:
    _failed(sink, make_event)
    target = Target(failures=2)
    for _attempt in range(2):
        [item] = (await async_replay(sink, AsyncTarget(target), clock=clock)).items
        assert item.outcome is ReplayOutcome.FAILED
        clock.advance(60)
    [item] = (await async_replay(sink, AsyncTarget(target), clock=clock)).items
    assert item.outcome is ReplayOutcome.POSTED
    *failures, posted = sink.events()
    assert [event.stage for event in failures] == [Stage.FAILED] * 3
    assert all(payload_of(event) == payload_of(failures[0]) for event in failures)
    assert posted.stage is Stage.REPLAYED
