"""Batch requests: parts, per-part results, and isolating the part that sank a batch.

Fusion batches (``POST <version root>`` with ``application/vnd.oracle.adf.batch+json`` and a
``parts[]`` body) are all-or-none: "If a single part … fails, then all the other parts also
implicitly fail … only the part containing the error is listed in the response … none of the
parts are processed"
(https://docs.oracle.com/en/cloud/saas/procurement/24c/fapra/Batch_Actions.html).

So after a definite rejection nothing was created, and the other parts may be sent again:

- when the rejection names the failing parts, those are reported and the rest re-sent;
- when it names none, the batch is split in halves until each failing part stands alone.

Only a definite client-side rejection (400/409/412/422, or another 4xx that names parts) is
split. A timeout or a 5xx leaves the outcome unknown, so it is raised for the caller to resolve
with find-before-create; nothing is re-sent blindly. The response shape for failures is
UNCERTAIN, so both the named and the anonymous case are handled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from ml_connector._errors import ApiError, ConfigurationError, ConnectorError, MappingError

__all__ = [
    "BATCH_CONTENT_TYPE",
    "BatchPart",
    "BatchPartResult",
    "BatchPlanner",
]

BATCH_CONTENT_TYPE = "application/vnd.oracle.adf.batch+json"
_SPLITTABLE = frozenset({400, 409, 412, 422})
_NEVER_SPLIT = frozenset({401, 403, 405, 406, 415, 429})


@attrs.frozen
class BatchPart:
    """One part of a batch request.

    Attributes:
        id: Our id for the part, unique within the batch (echoed by Oracle).
        path: Resource path relative to the version root, e.g. ``/receivablesInvoices``.
        operation: ``create`` (or ``get``, ``update``, ``replace``, ``delete``).
        payload: The wire payload (from :func:`~ml_connector.oracle.to_wire`).
    """

    id: str
    path: str
    operation: str = "create"
    payload: Mapping[str, Any] | None = None

    def to_wire(self) -> dict[str, Any]:
        """The part as it goes in ``parts[]``."""
        data: dict[str, Any] = {"id": self.id, "path": self.path, "operation": self.operation}
        if self.payload is not None:
            data["payload"] = self.payload
        return data


@attrs.frozen
class BatchPartResult:
    """What happened to one part.

    Attributes:
        id: The part's id.
        path: The part's path.
        ok: Whether Oracle processed the part.
        payload: The part's response payload (the created item), when it succeeded.
        error: Why it failed, when it did.
        looked_up: The 2xx answer carried no id for the part, and the client found the
            document by its key (``payload`` is then the record found).
    """

    id: str
    path: str
    ok: bool
    payload: Mapping[str, Any] | None = None
    error: ConnectorError | None = None
    looked_up: bool = False


def _part_error(exc: ApiError, detail: Mapping[str, Any] | None, part: BatchPart) -> ApiError:
    message = str(detail.get("message")) if detail and detail.get("message") else exc.message
    code = str(detail.get("code")) if detail and detail.get("code") else exc.code
    error = type(exc)(
        f"batch part {part.id} ({part.path}) failed: {message}",
        method=exc.method,
        url=exc.url,
        status=exc.status,
        request_id=exc.request_id,
        body=exc.body,
        code=code,
        details=(detail,) if detail else exc.details,
    )
    return error


class BatchPlanner:
    """The I/O-free state machine that drives one logical batch to per-part results.

    Call :meth:`next_group` for the parts to send, then :meth:`succeeded` or :meth:`failed`
    with the outcome, until :meth:`next_group` returns ``None``; then read :meth:`results`.

    Args:
        parts: The parts, with unique ids.
        size: Largest number of parts per request.
    """

    def __init__(self, parts: Sequence[BatchPart], size: int) -> None:
        ids = [part.id for part in parts]
        seen: set[str] = set()
        for part_id in ids:
            if part_id in seen:
                raise MappingError("batch part ids must be unique", field="id", record=part_id)
            seen.add(part_id)
        if size < 1:
            raise ConfigurationError("must be at least 1", setting="batch_size")
        self._order = ids
        self._results: dict[str, BatchPartResult] = {}
        self._queue: list[list[BatchPart]] = [
            list(parts[start : start + size]) for start in range(0, len(parts), size)
        ]
        self._queue.reverse()
        self._current: list[BatchPart] | None = None
        self.requests = 0

    def next_group(self) -> list[BatchPart] | None:
        """The parts to send next, or ``None`` when every part has a result."""
        if not self._queue:
            self._current = None
            return None
        self._current = self._queue.pop()
        self.requests += 1
        return self._current

    def succeeded(self, body: Any) -> None:
        """Record a 2xx answer for the current group."""
        group = self._take()
        returned: dict[str, Mapping[str, Any]] = {}
        if isinstance(body, Mapping) and isinstance(body.get("parts"), list):
            for part in body["parts"]:
                if isinstance(part, Mapping) and part.get("id") is not None:
                    payload = part.get("payload")
                    returned[str(part["id"])] = payload if isinstance(payload, Mapping) else {}
        for part in group:
            self._results[part.id] = BatchPartResult(
                id=part.id, path=part.path, ok=True, payload=returned.get(part.id)
            )

    def failed(self, exc: ApiError) -> None:
        """Record a rejection of the current group; re-raises it when it cannot be isolated."""
        group = self._take()
        by_id = {part.id: part for part in group}
        named = {
            str(d["id"]): d for d in exc.details if isinstance(d, Mapping) and d.get("id") in by_id
        }
        status = exc.status or 0
        if status in _NEVER_SPLIT or status >= 500 or status < 400:
            raise exc
        if named:
            for part_id, detail in named.items():
                part = by_id[part_id]
                self._fail(part, _part_error(exc, detail, part))
            rest = [part for part in group if part.id not in named]
            if rest:
                self._queue.append(rest)
            return
        if status not in _SPLITTABLE:
            raise exc
        if len(group) == 1:
            self._fail(group[0], _part_error(exc, None, group[0]))
            return
        middle = len(group) // 2
        # Second half queued first so the first half is tried next (original order kept).
        self._queue.append(group[middle:])
        self._queue.append(group[:middle])

    def results(self) -> list[BatchPartResult]:
        """Per-part results, in the order the parts were given."""
        return [self._results[part_id] for part_id in self._order]

    def _take(self) -> list[BatchPart]:
        if self._current is None:
            raise RuntimeError("no batch group is in flight")
        group, self._current = self._current, None
        return group

    def _fail(self, part: BatchPart, error: ApiError) -> None:
        self._results[part.id] = BatchPartResult(id=part.id, path=part.path, ok=False, error=error)
