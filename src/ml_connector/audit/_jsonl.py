"""An append-only JSON Lines audit sink: one event per line, readable with ``jq``.

Each line is written with a single ``write`` system call on a file opened with ``O_APPEND``, so
a process killed at any moment leaves whole lines only, and threads of one process never
interleave. The fsync policy decides how much a power cut may take: ``"always"`` syncs every
write, ``"batch"`` every ``write_many`` call and every ``batch_size`` single writes (and on
:meth:`JsonlAuditSink.flush` / close), ``"never"`` leaves it to the operating system. A killed
process (as opposed to a machine that loses power) loses nothing under any policy.

Reads parse the whole file; a corrupt line is an error naming its line number, never skipped.
For large trails and several writing processes use :class:`~ml_connector.audit.SqliteAuditSink`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Literal

from ml_connector._errors import AuditError
from ml_connector._json import dumps, loads

from ._event import AuditEvent, RecordRef
from ._sink import ClosingSink, EventQuery, latest_per_record
from ._wire import make_converter

__all__ = ["CorruptAuditTrailError", "FsyncPolicy", "JsonlAuditSink"]

FsyncPolicy = Literal["always", "batch", "never"]
_POLICIES = ("always", "batch", "never")
_REPORTED_LINES = 20


class CorruptAuditTrailError(AuditError):
    """The trail has lines that are not valid events.

    Attributes:
        path: The file.
        lines: The 1-based numbers of the bad lines (the first few, when there are many).
    """

    def __init__(self, message: str, *, path: str, lines: tuple[int, ...]) -> None:
        super().__init__(message)
        self.path = path
        self.lines = lines


class JsonlAuditSink(ClosingSink):
    """Audit events appended to a JSON Lines file. Thread-safe; one writing process at a time.

    Args:
        path: The file; created (with its parent folder) on first write.
        fsync: ``"always"``, ``"batch"`` (default) or ``"never"``; see the module docs.
        batch_size: Under ``"batch"``, single writes between two fsyncs.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, fsync: FsyncPolicy = "batch", batch_size: int = 100
    ) -> None:
        if fsync not in _POLICIES:
            raise AuditError(f"fsync must be one of {', '.join(_POLICIES)}, got {fsync!r}")
        if batch_size < 1:
            raise AuditError(f"batch_size must be 1 or more, got {batch_size}")
        self.path = Path(path)
        self.fsync: FsyncPolicy = fsync
        self.batch_size = batch_size
        self._converter = make_converter()
        self._lock = threading.RLock()
        self._fd: int | None = None
        self._ids: set[str] | None = None
        self._unsynced = 0

    def __repr__(self) -> str:
        return f"JsonlAuditSink({str(self.path)!r}, fsync={self.fsync!r})"

    # -- writing ---------------------------------------------------------------------------

    def write(self, event: AuditEvent) -> None:
        self._append((event,), sync_now=self.fsync == "always")

    def write_many(self, events: Iterable[AuditEvent]) -> None:
        self._append(tuple(events), sync_now=self.fsync != "never")

    def flush(self) -> None:
        """fsync what was written (a no-op under ``"never"`` or when nothing is pending)."""
        with self._lock:
            if self._fd is not None and self._unsynced and self.fsync != "never":
                self._fsync()

    def close(self) -> None:
        """Sync pending lines (per the policy) and close the file."""
        with self._lock:
            if self._fd is not None:
                self.flush()
                os.close(self._fd)
                self._fd = None

    def _append(self, events: tuple[AuditEvent, ...], *, sync_now: bool) -> None:
        with self._lock:
            fd = self._open()
            assert self._ids is not None
            lines: list[str] = []
            for event in events:
                if event.event_id in self._ids:
                    continue
                self._ids.add(event.event_id)
                lines.append(self._line(event))
            if not lines:
                return
            data = "".join(lines).encode("utf-8")
            try:
                written = os.write(fd, data)
                # A short write (disk full, signal) is finished rather than left torn.
                while written < len(data):
                    written += os.write(fd, data[written:])
            except OSError as exc:
                raise AuditError(f"cannot append to {self.path}: {exc}") from exc
            self._unsynced += len(lines)
            if sync_now or (self.fsync == "batch" and self._unsynced >= self.batch_size):
                self._fsync()

    def _line(self, event: AuditEvent) -> str:
        data = self._converter.unstructure(event)
        return dumps(data, floats=True) + "\n"

    def _open(self) -> int:
        if self._fd is not None:
            return self._fd
        # Reading first both loads the ids (writes are idempotent) and refuses to append to a
        # file that is already corrupt or ends in a torn line.
        self._ids = {event.event_id for event in self._read()}
        created = not self.path.exists()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            if created and self.fsync != "never":
                # The new directory entry must survive a power cut too.
                _fsync_dir(self.path.parent)
        except OSError as exc:
            raise AuditError(f"cannot open {self.path} for appending: {exc}") from exc
        return self._fd

    def _fsync(self) -> None:
        assert self._fd is not None
        try:
            os.fsync(self._fd)
        except OSError as exc:
            raise AuditError(f"cannot fsync {self.path}: {exc}") from exc
        self._unsynced = 0

    # -- reading ---------------------------------------------------------------------------

    def _select(self, query: EventQuery) -> list[AuditEvent]:
        return query.apply(self._read())

    def latest(self, *, records: Collection[RecordRef] | None = None) -> list[AuditEvent]:
        # A JSON Lines file has no index: every read scans it (the SQLite sink does not).
        return latest_per_record(self._read(), records)

    def _read(self) -> list[AuditEvent]:
        """Every event in file order.

        Raises:
            CorruptAuditTrailError: some lines are not events (all of them are named).
        """
        with self._lock:
            try:
                raw = self.path.read_bytes()
            except FileNotFoundError:
                return []
            except OSError as exc:
                raise AuditError(f"cannot read {self.path}: {exc}") from exc
        events: list[AuditEvent] = []
        bad: list[tuple[int, str]] = []
        lines = raw.split(b"\n")
        tail = lines.pop()  # b"" when the file ends with a newline, as every append does
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                bad.append((number, "empty line"))
                continue
            try:
                events.append(self._converter.structure(loads(line), AuditEvent))
            except (ValueError, AuditError) as exc:
                bad.append((number, str(exc)))
        if tail:
            bad.append((len(lines) + 1, "the last line has no newline (a torn write?)"))
        if bad:
            numbers = tuple(number for number, _ in bad[:_REPORTED_LINES])
            first_number, first_reason = bad[0]
            more = f" and {len(bad) - 1} more" if len(bad) > 1 else ""
            raise CorruptAuditTrailError(
                f"{self.path}: corrupt audit trail at line {first_number}: {first_reason}{more}"
                f" (lines {', '.join(map(str, numbers))})",
                path=str(self.path),
                lines=numbers,
            )
        return events


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # Some platforms cannot open folders; the file itself is still synced.
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
