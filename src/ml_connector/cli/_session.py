"""What ``sync``, ``replay`` and ``reconcile`` share: clients, audit sink, windows, summaries.

A :class:`Session` opens the clients a command needs (with the runtime's transports and clock)
and the audit trail named by the configuration, and closes them all at the end.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ml_connector._errors import ConfigurationError
from ml_connector.audit import AuditSink, CheckpointStore, JsonlAuditSink, SqliteAuditSink
from ml_connector.audit import SqliteCheckpointStore as _SqliteCheckpoints
from ml_connector.mapping.config import DateSettings
from ml_connector.oracle import OracleFusionClient
from ml_connector.shipstation import ShipStationV1Client, ShipStationV2Client
from ml_connector.sync import Progress as SyncProgress
from ml_connector.sync import RecordResult, RunSummary

from ._config import CliConfig, System, resolve
from ._console import Progress
from ._runtime import Runtime

__all__ = [
    "Session",
    "Window",
    "parse_instant",
    "parse_window",
    "progress_callback",
    "render_results",
    "summary_json",
]

Window = tuple[datetime, datetime]


def parse_instant(text: str, option: str) -> datetime:
    """An ISO 8601 date-time with its offset (``2026-01-15T08:00:00Z``) as aware UTC.

    Raises:
        ConfigurationError: naming ``option``, for text that is not one, or has no offset.
    """
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConfigurationError(
            f"{text!r} is not an ISO 8601 date-time (e.g. 2026-01-15T08:00:00Z)", setting=option
        ) from None
    if value.tzinfo is None:
        raise ConfigurationError(
            f"{text!r} has no time zone; add Z or an offset such as -08:00", setting=option
        )
    return value


def posting_day(text: str, option: str, dates: DateSettings, now: datetime) -> Window:
    """The instants whose posting date is the day ``text`` names, as a UTC window.

    ``text`` is ``YYYY-MM-DD``, ``today`` or ``yesterday``; the day is a calendar day in the
    mapping's posting-date zone (``[dates]``: UTC, or e.g. America/Los_Angeles), so a run over
    ``--day D`` covers exactly the records the reconciliation reports on ``D``.
    """
    zone = ZoneInfo(dates.zone_name) if dates.zone_name != "UTC" else UTC
    word = text.strip().lower()
    if word in ("today", "yesterday"):
        day = now.astimezone(zone).date() - timedelta(days=1 if word == "yesterday" else 0)
    else:
        try:
            day = date.fromisoformat(word)
        except ValueError:
            raise ConfigurationError(
                f"{text!r} is not a date (YYYY-MM-DD, today or yesterday)", setting=option
            ) from None
    # Midnight exists on every day in the zones ledgers use; zoneinfo picks the offset in force.
    start = datetime.combine(day, time(), zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(), zone).astimezone(UTC)
    return start, end


def parse_window(
    *,
    day: str | None,
    since: str | None,
    until: str | None,
    now: datetime,
    dates: DateSettings | None = None,
) -> Window | None:
    """The window the options describe, or ``None`` for "from the checkpoint".

    ``--day`` is a calendar day in the posting-date zone of ``dates`` (UTC without one).

    Raises:
        ConfigurationError: conflicting or malformed options.
    """
    if day is not None:
        if since is not None or until is not None:
            raise ConfigurationError("give --day or --since/--until, not both", setting="--day")
        return posting_day(day, "--day", dates or DateSettings(), now)
    if since is None:
        if until is not None:
            raise ConfigurationError("needs --since", setting="--until")
        return None
    start = parse_instant(since, "--since")
    end = parse_instant(until, "--until") if until is not None else now
    if end <= start:
        raise ConfigurationError("must be after --since", setting="--until")
    return start, end


class Session(contextlib.ExitStack):
    """The clients and audit trail of one command, closed together.

    Args:
        config: The checked configuration.
        runtime: Streams, environment, clock and transports.
        systems: The systems the command talks to (credentials are resolved for these only,
            every missing one reported at once).
    """

    def __init__(self, config: CliConfig, runtime: Runtime, systems: Iterable[System]) -> None:
        super().__init__()
        self.config = config
        self.runtime = runtime
        self.settings = resolve(config, runtime.environ, systems)
        self._audit: AuditSink | None = None
        self._checkpoints: CheckpointStore | None = None

    @property
    def audit_path(self) -> Path:
        """The audit trail file."""
        return self.config.audit_path

    def shipstation_v1(self) -> ShipStationV1Client:
        """A V1 client (the session closes it)."""
        assert self.settings.shipstation_v1 is not None
        return self.enter_context(
            ShipStationV1Client(
                self.settings.shipstation_v1,
                transport=self.runtime.transport("shipstation"),
                clock=self.runtime.clock,
            )
        )

    def shipstation_v2(self) -> ShipStationV2Client:
        """A V2 client (the session closes it)."""
        assert self.settings.shipstation_v2 is not None
        return self.enter_context(
            ShipStationV2Client(
                self.settings.shipstation_v2,
                transport=self.runtime.transport("shipstation"),
                clock=self.runtime.clock,
            )
        )

    def oracle(self) -> OracleFusionClient:
        """An Oracle client (the session closes it)."""
        assert self.settings.oracle is not None
        return self.enter_context(
            OracleFusionClient(
                self.settings.oracle,
                transport=self.runtime.transport("oracle"),
                clock=self.runtime.clock,
            )
        )

    def audit(self) -> AuditSink:
        """The audit sink: SQLite, or JSON Lines for a ``.jsonl`` path."""
        if self._audit is None:
            path = self.audit_path
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.suffix == ".jsonl":
                self._audit = self.enter_context(JsonlAuditSink(path))
            else:
                sink = self.enter_context(SqliteAuditSink(path))
                self._audit = sink
                self._checkpoints = sink.checkpoints
        return self._audit

    def checkpoints(self) -> CheckpointStore:
        """Checkpoints: in the SQLite audit file, or next to a JSON Lines trail."""
        self.audit()
        if self._checkpoints is None:
            sidecar = self.audit_path.with_name(self.audit_path.name + ".checkpoints.sqlite3")
            store = _SqliteCheckpoints(sidecar)
            self.callback(store.close)
            self._checkpoints = store
        return self._checkpoints


def progress_callback(bar: Progress) -> Any:
    """A sync progress callback drawing ``bar``."""

    def update(progress: SyncProgress) -> None:
        # The same words and counts as the summary printed afterwards.
        detail = (
            f"posted {progress.posted} + already posted {progress.already_posted} + "
            f"skipped {progress.skipped} + failed {progress.failed}"
        )
        if progress.planned:
            detail += f" + would post {progress.planned}"
        total = progress.total
        done = progress.done if total is not None else progress.fetched
        bar.update(done, total, detail)

    return update


def _result_json(result: RecordResult, *, payloads: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "record": str(result.record),
        "outcome": result.outcome.value,
        "posting_key": result.posting_key,
        "keys": list(result.keys),
        "order_number": result.order_number,
        "warehouse_id": result.warehouse_id,
        "total": result.total,
        "detail": result.detail,
    }
    if result.reason is not None:
        data["reason"] = result.reason
    if result.error is not None:
        data["error"] = dict(result.error)
    if result.oracle_ids:
        data["oracle_ids"] = dict(result.oracle_ids)
    if payloads and result.payload is not None:
        data["payload"] = dict(result.payload)
        data["explanation"] = list(result.explanation)
    return data


def summary_json(summary: RunSummary, *, payloads: bool = False) -> dict[str, Any]:
    """A run summary as a JSON-ready dict (payloads included for dry runs).

    ``results`` lists the records the run kept (see ``results_kept``); ``counts`` and
    ``skip_reasons`` always count every record.
    """
    return {
        "job": summary.job,
        "window": {"start": summary.start, "end": summary.end},
        "dry_run": summary.dry_run,
        "started_at": summary.started_at,
        "finished_at": summary.finished_at,
        "fetched": summary.fetched,
        "orders_fetched": summary.orders_fetched,
        "counts": {
            "posted": summary.posted,
            "already_posted": summary.already_posted,
            "skipped": summary.skipped,
            "failed": summary.failed,
            "would_post": summary.would_post,
        },
        "skip_reasons": dict(summary.skip_reasons),
        "results_kept": summary.results_policy,
        "watermark": summary.watermark,
        "results": [_result_json(r, payloads=payloads) for r in summary.results],
    }


def render_results(runtime: Runtime, summary: RunSummary, *, limit: int = 10) -> None:
    """Human lines: counts, skip reasons, and the failures (first ``limit``)."""
    runtime.say(summary.describe())
    for reason, count in summary.skip_reasons.items():
        runtime.say(f"  skipped {count:>4}  {reason}")
    failures = summary.failures()
    for result in failures[:limit]:
        runtime.say(f"  FAILED  {result.record}: {_first_line(result.detail)}")
    if len(failures) > limit:
        runtime.say(f"  ... and {len(failures) - limit} more failures (use --json for all)")
    if summary.dry_run:
        planned = [r for r in summary.results if r.outcome.value == "would-post"]
        for result in planned[:limit]:
            runtime.say(f"  would post  {result.record}: {_first_line(result.detail)}")
        if len(planned) > limit:
            runtime.say(f"  ... and {len(planned) - limit} more (use --json for the payloads)")


def _first_line(text: str, width: int = 160) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= width else line[: width - 3] + "..."
