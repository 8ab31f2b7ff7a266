"""``ml-connector sync``, ``replay`` and ``reconcile``: thin commands over :mod:`ml_connector.sync`.

Each builds a :class:`~ml_connector._cli_session.Session` (clients, audit trail), runs one
library call, and prints its result: human text, or one JSON document with ``--json``. Exit
code 1 when a record failed, 0 otherwise.
"""

from __future__ import annotations

from typing import Any

from ._cli_config import CliConfig, System
from ._cli_runtime import Progress, Runtime
from ._cli_session import (
    Session,
    parse_window,
    progress_callback,
    render_results,
    summary_json,
)
from ._errors import ConfigurationError
from .sync import ShipmentSync

__all__ = ["run_sync"]

EXIT_OK = 0
EXIT_FAILURES = 1


def run_sync(
    config: CliConfig,
    runtime: Runtime,
    *,
    day: str | None,
    since: str | None,
    until: str | None,
    dry_run: bool,
    as_json: bool,
) -> int:
    """Run the shipment sync over a window, or from the checkpoint."""
    mapping = config.require_mapping()
    window = parse_window(day=day, since=since, until=until, now=runtime.clock.now())
    bar = Progress(runtime.stderr, "shipments", enabled=runtime.show_progress())
    with Session(config, runtime, [System.SHIPSTATION_V1, System.ORACLE]) as session:
        job = ShipmentSync(
            shipstation=session.shipstation_v1(),
            oracle=session.oracle(),
            mapping=mapping,
            audit=session.audit(),
            checkpoints=session.checkpoints(),
            clock=runtime.clock,
            progress=progress_callback(bar),
        )
        try:
            if window is None:
                try:
                    summary = job.run_incremental(dry_run=dry_run)
                except ConfigurationError as exc:
                    if exc.setting != "initial_start":
                        raise
                    raise ConfigurationError(
                        "no checkpoint yet: give --since or --day for the first run; later "
                        "runs continue from the checkpoint",
                        setting="sync",
                    ) from None
            else:
                summary = job.run(window, dry_run=dry_run)
        finally:
            bar.close()
    if as_json:
        document: dict[str, Any] = {
            "command": "sync",
            "ok": summary.ok,
            "audit": str(session.audit_path),
            **summary_json(summary, payloads=dry_run),
        }
        runtime.emit_json(document)
    else:
        render_results(runtime, summary)
        if not dry_run:
            runtime.say(f"audit trail: {session.audit_path}")
    return EXIT_OK if summary.ok else EXIT_FAILURES
