"""Checkpoints for incremental sync: per job and source, how far the last run got.

A checkpoint holds a UTC watermark (the latest change time processed) and the ids already seen
*at exactly that time*. The next run asks the source for changes from the watermark on
(inclusive, often with an extra overlap); :meth:`Checkpoint.is_new` then drops what was already
processed, so overlapping windows neither miss nor repeat a record, even when several records
share the watermark's timestamp.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import datetime
from typing import Protocol, runtime_checkable

import attrs

from ._event import ensure_utc

__all__ = ["Checkpoint", "CheckpointStore", "MemoryCheckpointStore"]


def _frozen_ids(ids: Iterable[str]) -> frozenset[str]:
    return frozenset(ids)


@attrs.frozen
class Checkpoint:
    """How far one job got through one source.

    Attributes:
        job: The sync job's name (``"shipments-to-invoices"``).
        source: The source it reads (``"shipstation-v1/shipments"``).
        watermark: The latest change time processed, aware UTC.
        seen_ids: Ids of the records processed whose change time equals ``watermark``.
    """

    job: str
    source: str
    watermark: datetime = attrs.field(converter=ensure_utc)
    seen_ids: frozenset[str] = attrs.field(default=frozenset(), converter=_frozen_ids)

    def is_new(self, record_id: str, changed_at: datetime) -> bool:
        """Whether a record changed at ``changed_at`` still needs processing.

        Records after the watermark are new; records at the watermark are new unless their id
        was seen; records before it were processed by an earlier run.
        """
        changed_at = ensure_utc(changed_at)
        if changed_at != self.watermark:
            return changed_at > self.watermark
        return record_id not in self.seen_ids

    def advance(self, processed: Iterable[tuple[str, datetime]]) -> Checkpoint:
        """The checkpoint after processing ``(record_id, changed_at)`` pairs (in any order).

        Records that failed belong here too once their failure is in the audit trail:
        :func:`~ml_connector.audit.replay` picks them up from there, not from the source.
        """
        watermark = self.watermark
        seen = set(self.seen_ids)
        for record_id, changed_at in processed:
            changed_at = ensure_utc(changed_at)
            if changed_at > watermark:
                watermark, seen = changed_at, {record_id}
            elif changed_at == watermark:
                seen.add(record_id)
        return attrs.evolve(self, watermark=watermark, seen_ids=frozenset(seen))


@runtime_checkable
class CheckpointStore(Protocol):
    """Where checkpoints are kept, one per (job, source)."""

    def load(self, job: str, source: str) -> Checkpoint | None:
        """The saved checkpoint, or None before the first run."""
        ...

    def save(self, checkpoint: Checkpoint) -> None:
        """Replace the checkpoint of ``checkpoint.job`` and ``checkpoint.source``."""
        ...


class MemoryCheckpointStore:
    """Checkpoints in a dict: for tests and one-off runs. Thread-safe."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, str], Checkpoint] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MemoryCheckpointStore(checkpoints={len(self._items)})"

    def load(self, job: str, source: str) -> Checkpoint | None:
        with self._lock:
            return self._items.get((job, source))

    def save(self, checkpoint: Checkpoint) -> None:
        with self._lock:
            self._items[(checkpoint.job, checkpoint.source)] = checkpoint
