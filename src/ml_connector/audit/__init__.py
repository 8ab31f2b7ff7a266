"""The audit trail: every step of every record, durable, queryable and replayable.

- :class:`AuditEvent` records one step (fetched, mapped, posted, failed, replayed, ...) of one
  record's journey, with its correlation id, payload (canonical JSON plus SHA-256) and redacted
  error; build it with :func:`new_event`.
- :class:`AuditSink` is a small protocol; :class:`MemoryAuditSink`, :class:`JsonlAuditSink`
  and :class:`SqliteAuditSink` implement it, and so can any object with the same methods.
- :class:`Checkpoint` and a :class:`CheckpointStore` (in the SQLite file by default) let an
  incremental sync resume exactly where it stopped.
- :class:`ClaimStore` leases (memory, SQLite, Postgres) let many workers post to one target,
  each record by one worker at a time.
- :class:`PostgresAuditSink` and :class:`PostgresCheckpointStore` (extra ``postgres``) keep the
  trail, checkpoints and claims in one Postgres database for workers on many machines.
- :func:`replay` re-maps and re-posts failed records through find-before-create, never twice.

This package imports no API client and no mapping module; the sync layer plugs them in.
"""

from ._checkpoint import Checkpoint, CheckpointStore, MemoryCheckpointStore
from ._claims import (
    Claim,
    ClaimOutcome,
    ClaimStore,
    MemoryClaimStore,
    PostgresClaimStore,
    SqliteClaimStore,
    check_lease,
    new_owner_id,
)
from ._diff import PayloadChange, diff_payloads, format_diff
from ._event import (
    AuditEvent,
    RecordRef,
    Stage,
    canonical_json,
    content_hash,
    new_correlation_id,
    new_event,
    new_event_id,
    payload_of,
    redact_error,
)
from ._jsonl import CorruptAuditTrailError, FsyncPolicy, JsonlAuditSink
from ._postgres import (
    POSTGRES_SCHEMA_VERSION,
    PostgresAuditSink,
    PostgresCheckpointStore,
    PostgresDatabase,
)
from ._replay import (
    AsyncReplayTarget,
    Remapped,
    ReplayItem,
    ReplayOutcome,
    ReplayReport,
    ReplayTarget,
    async_replay,
    replay,
    select_failed,
)
from ._sink import AuditSink, MemoryAuditSink, latest_of
from ._sqlite import SCHEMA_VERSION, SqliteAuditSink, SqliteCheckpointStore
from ._wire import make_converter

__all__ = [
    "AsyncReplayTarget",
    "AuditEvent",
    "AuditSink",
    "Checkpoint",
    "CheckpointStore",
    "Claim",
    "ClaimOutcome",
    "ClaimStore",
    "CorruptAuditTrailError",
    "FsyncPolicy",
    "JsonlAuditSink",
    "MemoryAuditSink",
    "MemoryCheckpointStore",
    "MemoryClaimStore",
    "POSTGRES_SCHEMA_VERSION",
    "PayloadChange",
    "PostgresAuditSink",
    "PostgresCheckpointStore",
    "PostgresClaimStore",
    "PostgresDatabase",
    "RecordRef",
    "Remapped",
    "ReplayItem",
    "ReplayOutcome",
    "ReplayReport",
    "ReplayTarget",
    "SCHEMA_VERSION",
    "SqliteAuditSink",
    "SqliteCheckpointStore",
    "SqliteClaimStore",
    "Stage",
    "async_replay",
    "canonical_json",
    "check_lease",
    "content_hash",
    "diff_payloads",
    "format_diff",
    "latest_of",
    "make_converter",
    "new_correlation_id",
    "new_event",
    "new_event_id",
    "new_owner_id",
    "payload_of",
    "redact_error",
    "replay",
    "select_failed",
]
