"""Which job replays which failed record: every record kind has one owner.

A job's ``replay()`` works on the failed records of its own kinds only, so a trail shared by
several jobs (one SQLite file for all of them, as the CLI keeps it) is replayed job by job,
each record by the job that can post it:

======================  ==========================================================
job                     record kinds
======================  ==========================================================
``shipments``           ``shipment``, ``shipment-void``, ``fulfillment``,
                        ``fulfillment-void``
``inventory``           ``inventory-adjustment``, ``inventory-level``,
                        ``inventory-shipment``
======================  ==========================================================

Other kinds (``customer``, ``order``: the customer job's) have no replay; running their job
again is how they are retried. The shipment job's replay also takes the inventory job's
undecodable records (``inventory-level``, ``inventory-shipment``): their replay posts nothing
and only needs the kept payload, so either job settles them the same way.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

from ml_connector.audit import AuditEvent, AuditSink, RecordRef, Stage

from ._inventory_replay import INVENTORY_REPLAY_KINDS
from ._labels import BASE_KIND
from ._undecodable import INVENTORY_KINDS

__all__ = ["REPLAY_JOBS", "SHIPMENT_REPLAY_KINDS", "JobTrail", "replay_job_of"]

SHIPMENT_KINDS = frozenset(BASE_KIND)
SHIPMENT_REPLAY_KINDS = SHIPMENT_KINDS | INVENTORY_KINDS
"""What the shipment job's replay takes (see the module docstring)."""

REPLAY_JOBS: dict[str, frozenset[str]] = {
    "shipments": SHIPMENT_KINDS,
    "inventory": INVENTORY_REPLAY_KINDS,
}
"""The job that owns each record kind, for routing (each kind under exactly one job)."""


def replay_job_of(kind: str) -> str | None:
    """The job that owns (and replays) records of ``kind``; ``None`` when no job replays it."""
    return next((job for job, kinds in REPLAY_JOBS.items() if kind in kinds), None)


class JobTrail:
    """An audit sink as one job's replay sees it: ``failed()`` lists only ``kinds``.

    Every other read and every write goes to ``sink`` unchanged.
    """

    def __init__(self, sink: AuditSink, kinds: Collection[str]) -> None:
        self.sink = sink
        self.kinds = frozenset(kinds)

    def write(self, event: AuditEvent) -> None:
        """Store one event."""
        self.sink.write(event)

    def write_many(self, events: Iterable[AuditEvent]) -> None:
        """Store several events."""
        self.sink.write_many(events)

    def events(
        self,
        *,
        record: RecordRef | None = None,
        correlation_id: str | None = None,
        stage: Stage | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[AuditEvent]:
        """The stored events matching every given filter."""
        return self.sink.events(
            record=record, correlation_id=correlation_id, stage=stage, since=since, until=until
        )

    def latest(self, *, records: Collection[RecordRef] | None = None) -> list[AuditEvent]:
        """The most recent event of each record."""
        return self.sink.latest(records=records)

    def failed(self) -> list[AuditEvent]:
        """The failed records of this job's kinds."""
        return [event for event in self.sink.failed() if event.record.kind in self.kinds]
