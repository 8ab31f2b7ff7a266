"""``ml-connector sync``, ``replay`` and ``reconcile``: thin commands over :mod:`ml_connector.sync`.

Each builds a :class:`~ml_connector.cli._session.Session` (clients, audit trail), runs library
calls, and prints their results: human text, or one JSON document with ``--json``. Exit code 1
when a record failed (or, for ``reconcile``, a difference is found), 0 otherwise.

``replay`` routes each failed record to the job that owns its kind (shipment records to the
shipment job, inventory adjustments and undecodable inventory records to the inventory job;
see :mod:`ml_connector.sync._routing`) and reports per job. A failed record no job replays (the
customer job's) is listed as ``not-replayed``: running its job again retries it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ml_connector._errors import ConfigurationError
from ml_connector.audit import AuditEvent, ReplayItem, ReplayReport, format_diff, select_failed
from ml_connector.mapping import MappingConfig
from ml_connector.sync import (
    CustomerSync,
    CustomerSyncSummary,
    InventorySync,
    InventorySyncSummary,
    Outcome,
    ReconciliationReport,
    ResultsPolicy,
    RunSummary,
    ShipmentSync,
)
from ml_connector.sync import Progress as SyncProgress
from ml_connector.sync._routing import replay_job_of

from ._config import CliConfig, System
from ._console import Progress
from ._runtime import Runtime
from ._session import (
    Session,
    Window,
    parse_instant,
    parse_window,
    progress_callback,
    render_results,
    summary_json,
)

__all__ = ["JOBS", "run_reconcile", "run_replay", "run_sync"]

EXIT_OK = 0
EXIT_FAILURES = 1

JOBS = ("shipments", "customers", "inventory", "all")
"""``sync --job`` values; ``all`` runs customers, then shipments, then inventory."""


def _shipment_job(
    session: Session,
    mapping: MappingConfig,
    *,
    progress: Any = None,
    results: ResultsPolicy = "slim",
) -> ShipmentSync:
    config, runtime = session.config, session.runtime
    return ShipmentSync(
        shipstation=session.shipstation_v1(),
        oracle=session.oracle(),
        mapping=mapping,
        audit=session.audit(),
        checkpoints=session.checkpoints(),
        clock=runtime.clock,
        overlap=timedelta(hours=config.sync.overlap_hours),
        batch=config.sync.batch,
        trust_audit_trail=config.sync.trust_audit_trail,
        progress=progress,
        results=results,
    )


def _systems(job: str) -> list[System]:
    systems = [System.SHIPSTATION_V1, System.ORACLE]
    if job in ("inventory", "all"):
        systems.append(System.SHIPSTATION_V2)
    return systems


def _run_shipments(
    session: Session,
    mapping: MappingConfig,
    window: Window | None,
    dry_run: bool,
    initial_start: datetime | None = None,
    *,
    as_json: bool = False,
) -> RunSummary:
    runtime = session.runtime
    bar = Progress(runtime, "shipments")
    # The JSON document lists every record, so it needs them all; the human summary shows
    # counts, skip reasons and failures only, so a backfill of any size runs in flat memory.
    job = _shipment_job(
        session,
        mapping,
        progress=progress_callback(bar),
        results="slim" if as_json else "problems",
    )
    try:
        if window is not None:
            # An explicit window (a backfill, a rerun) never moves the checkpoint.
            return job.run(window, dry_run=dry_run)
        try:
            return job.run_incremental(initial_start=initial_start, dry_run=dry_run)
        except ConfigurationError as exc:
            if exc.setting != "initial_start":
                raise
            raise ConfigurationError(
                "no checkpoint yet: start incremental runs with --initial-start, e.g. "
                "--initial-start 2026-01-15T08:00:00Z (runs over --day or --since windows "
                "never move the checkpoint)",
                setting="sync",
            ) from None
    finally:
        bar.close()


def _run_customers(
    session: Session, mapping: MappingConfig, window: Window, dry_run: bool
) -> CustomerSyncSummary:
    job = CustomerSync(
        shipstation=session.shipstation_v1(),
        oracle=session.oracle(),
        mapping=mapping,
        audit=session.audit(),
        clock=session.runtime.clock,
        create_parties=session.config.sync.create_parties,
    )
    return job.run(window, dry_run=dry_run)


def _inventory_job(session: Session, mapping: MappingConfig) -> InventorySync:
    return InventorySync(
        shipstation=session.shipstation_v1(),
        inventory=session.shipstation_v2(),
        oracle=session.oracle(),
        mapping=mapping,
        audit=session.audit(),
        baselines=session.checkpoints(),
        clock=session.runtime.clock,
    )


def _run_inventory(session: Session, mapping: MappingConfig, dry_run: bool) -> InventorySyncSummary:
    return _inventory_job(session, mapping).run(dry_run=dry_run)


def _customers_json(summary: CustomerSyncSummary) -> dict[str, Any]:
    plan = summary.plan
    return {
        "job": "customers",
        "dry_run": summary.dry_run,
        "orders": summary.orders,
        "unmatched": len(plan.create),
        "ambiguous": [
            {"order_number": number, "detail": str(match)} for number, match in plan.ambiguous
        ],
        "stores_needing_default_account": list(plan.needs_store_default),
        "lookup_failed": [
            {"order_number": number, "detail": match.reason} for number, match in plan.lookup_failed
        ],
        "actions": [
            {
                "record": str(a.record),
                "action": a.action,
                "outcome": a.outcome.value,
                "detail": a.detail,
                "oracle_id": a.oracle_id,
            }
            for a in summary.actions
        ],
    }


def _inventory_json(summary: InventorySyncSummary) -> dict[str, Any]:
    return {
        "job": "inventory",
        "dry_run": summary.dry_run,
        "snapshot_taken_at": summary.snapshot.taken_at,
        "levels": len(summary.snapshot.levels),
        "baseline_taken_at": summary.baseline.taken_at if summary.baseline else None,
        "undecodable": len(summary.undecodable),
        "held_skus": list(summary.held),
        "replayed": [str(ref) for ref in summary.replayed],
        "results": [
            {
                "record": str(r.record),
                "outcome": r.outcome.value,
                "posting_key": r.posting_key,
                "warehouse_id": r.warehouse_id,
                "detail": r.detail,
                **({"error": dict(r.error)} if r.error else {}),
            }
            for r in summary.results
        ],
    }


def _render_customers(runtime: Runtime, summary: CustomerSyncSummary) -> None:
    plan = summary.plan
    outcomes = Counter(a.outcome.value for a in summary.actions)
    runtime.say(
        f"customers: {summary.orders} orders checked, {len(plan.create)} customers unmatched, "
        f"{len(plan.ambiguous)} ambiguous"
        + (f", {len(plan.lookup_failed)} not looked up" if plan.lookup_failed else "")
        + (
            f"; actions: {', '.join(f'{n} {o}' for o, n in sorted(outcomes.items()))}"
            if outcomes
            else ""
        )
    )
    for number, match in plan.ambiguous:
        runtime.say(f"  REVIEW  order {number}: {match}")
    for store in plan.needs_store_default:
        runtime.say(
            f"  REVIEW  store {store}: masked emails only; set stores.{store}.customer_account"
        )
    for number, unmatched in plan.lookup_failed:
        runtime.say(f"  FAILED  order {number}: {unmatched.reason}; run again when Oracle answers")
    for action in summary.actions:
        if action.outcome is Outcome.FAILED:
            runtime.say(f"  FAILED  {action.record}: {action.detail}")


def _render_inventory(runtime: Runtime, summary: InventorySyncSummary) -> None:
    odd = summary.undecodable
    if summary.baseline is None:
        verb = "would be" if summary.dry_run else "stored as"
        runtime.say(
            f"inventory: {len(summary.snapshot.levels)} levels read; {verb} the baseline "
            "(the next run posts the changes)"
        )
    else:
        made = [r for r in summary.results if r not in odd]
        outcomes = Counter(r.outcome.value for r in made)
        text = ", ".join(f"{n} {o}" for o, n in sorted(outcomes.items())) or "no change"
        runtime.say(f"inventory: {len(made)} adjustments: {text}")
        for result in made:
            runtime.say(f"  {result.outcome.value:<14} {result.detail}")
    if odd:
        runtime.say(
            f"inventory: {len(odd)} records listed by ShipStation could not be decoded; "
            f"held, not compared: {', '.join(summary.held) or 'none'}"
        )
        for result in odd:
            runtime.say(f"  FAILED  {result.record}: {result.detail}")
    for ref in summary.replayed:
        runtime.say(f"  replayed       {ref}: its SKUs were compared this run")


def run_sync(
    config: CliConfig,
    runtime: Runtime,
    *,
    job: str,
    day: str | None,
    since: str | None,
    until: str | None,
    dry_run: bool,
    as_json: bool,
    initial_start: str | None = None,
) -> int:
    """Run the chosen job(s) over a window, or from the checkpoint."""
    mapping = config.require_mapping()
    window = parse_window(
        day=day, since=since, until=until, now=runtime.clock.now(), dates=mapping.dates
    )
    first_start = (
        parse_instant(initial_start, "--initial-start") if initial_start is not None else None
    )
    if first_start is not None and window is not None:
        raise ConfigurationError(
            "starts incremental runs; it cannot be combined with --day or --since",
            setting="--initial-start",
        )
    if job == "inventory" and window is not None:
        raise ConfigurationError(
            "the inventory job compares snapshots and takes no window", setting="--job"
        )
    if job in ("customers", "all") and window is None:
        raise ConfigurationError(
            f"the {job} job needs a window: give --day or --since", setting="--job"
        )
    documents: list[dict[str, Any]] = []
    failed = 0
    with Session(config, runtime, _systems(job)) as session:
        if job in ("customers", "all"):
            assert window is not None
            customers = _run_customers(session, mapping, window, dry_run)
            # A customer Oracle could not be asked about is a failure of the run (exit 1).
            failed += customers.count(Outcome.FAILED) + len(customers.lookup_failed)
            documents.append(_customers_json(customers))
            if not as_json:
                _render_customers(runtime, customers)
        if job in ("shipments", "all"):
            shipments = _run_shipments(
                session, mapping, window, dry_run, first_start, as_json=as_json
            )
            failed += shipments.failed
            documents.append(summary_json(shipments, payloads=dry_run))
            if not as_json:
                render_results(runtime, shipments)
        if job in ("inventory", "all"):
            inventory = _run_inventory(session, mapping, dry_run)
            failed += inventory.count(Outcome.FAILED)
            documents.append(_inventory_json(inventory))
            if not as_json:
                _render_inventory(runtime, inventory)
    if as_json:
        runtime.emit_json(
            {
                "command": "sync",
                "ok": failed == 0,
                "audit": str(session.audit_path),
                "jobs": documents,
            }
        )
    elif not dry_run:
        runtime.say(f"audit trail: {session.audit_path}")
    return EXIT_OK if failed == 0 else EXIT_FAILURES


# -- replay ----------------------------------------------------------------------------------

NOT_REPLAYED = "not-replayed"
"""The outcome shown for a failed record no job replays (the customer job's: run it again)."""


def _clip(text: str, width: int = 150) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _counts_text(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{n} {o}" for o, n in sorted(counts.items()))


def _item_json(job: str, item: ReplayItem) -> dict[str, Any]:
    return {
        "job": job,
        "record": str(item.failed.record),
        "failed_at": item.failed.occurred_at,
        "outcome": item.outcome.value,
        "posting_key": item.posting_key,
        "oracle_id": item.oracle_id,
        "changes": [
            {"path": c.path, "kind": c.kind, "before": c.before, "after": c.after}
            for c in item.changes
        ],
        **({"error": dict(item.error)} if item.error else {}),
    }


def _replay_json(
    reports: Sequence[tuple[str, ReplayReport]], left: Sequence[AuditEvent], dry_run: bool
) -> dict[str, Any]:
    counts: Counter[str] = Counter(NOT_REPLAYED for _ in left)
    for _job, report in reports:
        counts.update(item.outcome.value for item in report.items)
    return {
        "dry_run": dry_run,
        "selected": sum(counts.values()),
        "counts": dict(counts),
        "jobs": [
            {
                "job": job,
                "selected": len(report.items),
                "counts": dict(Counter(item.outcome.value for item in report.items)),
            }
            for job, report in reports
        ],
        "items": [_item_json(job, item) for job, report in reports for item in report.items],
        "not_replayed": [
            {
                "record": str(event.record),
                "failed_at": event.occurred_at,
                "detail": "no job replays this kind of record; run its job again",
                **({"error": dict(event.error)} if event.error else {}),
            }
            for event in left
        ],
    }


def _render_replay(
    runtime: Runtime,
    reports: Sequence[tuple[str, ReplayReport]],
    left: Sequence[AuditEvent],
    dry_run: bool,
) -> None:
    document = _replay_json(reports, left, dry_run)
    mode = " (dry run)" if dry_run else ""
    summary = _counts_text(document["counts"]) or "nothing to replay"
    runtime.say(f"replay{mode}: {document['selected']} failed records selected: {summary}")
    for job, report in reports:
        counts = Counter(item.outcome.value for item in report.items)
        runtime.say(f"  {job}: {len(report.items)} failed records: {_counts_text(counts)}")
        for item in report.items:
            line = f"    {item.outcome.value:<14} {item.failed.record}"
            if item.posting_key:
                line += f" {item.posting_key}"
            if item.error:
                line += f": {item.error.get('message', '')}"
            runtime.say(line)
            if dry_run and item.changes:
                for change in format_diff(item.changes).splitlines():
                    runtime.say(f"        {_clip(change)}")
    if left:
        runtime.say(f"  no job replays {len(left)} failed records: run their job again")
        for event in left:
            runtime.say(f"    {NOT_REPLAYED:<14} {event.record}")


def run_replay(
    config: CliConfig,
    runtime: Runtime,
    *,
    since: str | None,
    until: str | None,
    errors: Sequence[str],
    records: Sequence[str],
    dry_run: bool,
    as_json: bool,
) -> int:
    """Replay the failed records the filters select, each by the job that owns its kind
    (shipments, inventory), and report per job; nothing is posted twice."""
    mapping = config.require_mapping()
    filters: dict[str, Any] = {
        "since": parse_instant(since, "--since") if since is not None else None,
        "until": parse_instant(until, "--until") if until is not None else None,
        "error_kinds": set(errors) or None,
        "record_ids": set(records) or None,
    }
    if not config.audit_path.exists():
        raise ConfigurationError(
            f"{config.audit_path} does not exist: nothing has been synced yet", setting="audit.path"
        )
    with Session(config, runtime, ()) as trail:
        selected = select_failed(trail.audit(), **filters)
    owners = {replay_job_of(event.record.kind) for event in selected}
    left = [event for event in selected if replay_job_of(event.record.kind) is None]
    systems = [System.SHIPSTATION_V1, System.ORACLE]
    if "inventory" in owners:
        systems.append(System.SHIPSTATION_V2)
    reports: list[tuple[str, ReplayReport]] = []
    with Session(config, runtime, systems) as session:
        # Each job replays the records of its own kinds (its replay() selects only those).
        if "shipments" in owners:
            shipments = _shipment_job(session, mapping)
            reports.append(("shipments", shipments.replay(**filters, dry_run=dry_run)))
        if "inventory" in owners:
            inventory = _inventory_job(session, mapping)
            reports.append(("inventory", inventory.replay(**filters, dry_run=dry_run)))
    failed = len(left) + sum(
        1 for _job, report in reports for item in report.items if item.outcome.value == "failed"
    )
    if as_json:
        runtime.emit_json(
            {"command": "replay", "ok": failed == 0, "audit": str(config.audit_path)}
            | _replay_json(reports, left, dry_run)
        )
    else:
        _render_replay(runtime, reports, left, dry_run)
    return EXIT_OK if failed == 0 else EXIT_FAILURES


# -- reconcile -------------------------------------------------------------------------------


def _reconcile_json(report: ReconciliationReport, *, all_rows: bool) -> dict[str, Any]:
    rows = report.rows if all_rows else report.problems()
    return {
        "window": {"start": report.start, "end": report.end},
        "clean": report.clean,
        "records": len(report.rows),
        "undecodable": len(report.undecodable()),
        "currency": report.currency,
        "reasons": dict(sorted(Counter(r.reason.value for r in report.rows).items())),
        "expected_amount": report.expected_amount,
        "oracle_amount": report.oracle_amount,
        "not_in_oracle": report.not_in_oracle,
        "not_in_oracle_by_reason": report.not_in_oracle_by_reason(),
        "totals": [
            {
                "warehouse_id": t.warehouse_id,
                "warehouse_name": t.warehouse_name,
                "day": t.day,
                "records": t.records,
                "expected_amount": t.expected_amount,
                "oracle_amount": t.oracle_amount,
                "not_in_oracle": t.not_in_oracle,
                "not_in_oracle_by_reason": dict(t.not_in_oracle_by_reason),
                "reasons": dict(t.reasons),
            }
            for t in report.totals()
        ],
        "rows": [row.as_dict() for row in rows],
    }


def render_reconciliation(runtime: Runtime, report: ReconciliationReport) -> None:
    """The totals per warehouse and posting date, with the money gap, then the differences."""
    runtime.say(
        f"reconciliation {report.start.isoformat()} .. {report.end.isoformat()} "
        f"(dates are posting dates in {report.date_zone}; amounts in {report.currency})"
    )
    runtime.say(
        f"  {'warehouse':<22} {'date':<10} {'records':>7} {'expected':>12} {'in Oracle':>12} "
        f"{'not in Oracle':>13}  reasons"
    )
    for total in report.totals():
        wid = total.warehouse_id or "-"
        label = f"{total.warehouse_name} ({wid})" if total.warehouse_name else wid
        reasons = ", ".join(f"{n} {reason}" for reason, n in total.reasons.items())
        runtime.say(
            f"  {label:<22} {total.day or '-'!s:<10} {total.records:>7} "
            f"{total.expected_amount:>12,.2f} {total.oracle_amount:>12,.2f} "
            f"{total.not_in_oracle:>13,.2f}  {reasons}"
        )
    problems = report.problems()
    for row in problems[:50]:
        amount = "" if row.expected_amount is None else f" ({row.gap:,.2f} not in Oracle)"
        runtime.say(f"  {row.reason.value:<24} {row.record}{amount}: {row.detail}")
    if len(problems) > 50:
        runtime.say(f"  ... and {len(problems) - 50} more (use --csv or --json for all)")
    for line in report.describe().splitlines()[1:]:
        runtime.say(line)


def run_reconcile(
    config: CliConfig,
    runtime: Runtime,
    *,
    day: str | None,
    since: str | None,
    until: str | None,
    csv_path: Path | None,
    all_rows: bool,
    as_json: bool,
) -> int:
    """Join ShipStation, the audit trail and Oracle for a window (read-only)."""
    mapping = config.require_mapping()
    window = parse_window(
        day=day, since=since, until=until, now=runtime.clock.now(), dates=mapping.dates
    )
    if window is None:
        raise ConfigurationError(
            "give the window: --day, or --since (and --until)", setting="reconcile"
        )
    bar = Progress(runtime, "reconcile")

    def progress(counts: SyncProgress) -> None:
        if counts.total is None:
            bar.update(counts.fetched, None, "labels read; looking them up in Oracle")
        else:
            bar.update(counts.total, counts.total, f"{counts.total} records judged")

    with bar, Session(config, runtime, [System.SHIPSTATION_V1, System.ORACLE]) as session:
        report = _shipment_job(session, mapping, progress=progress).reconcile(window)
    if csv_path is not None:
        target = csv_path if csv_path.is_absolute() else runtime.cwd / csv_path
        report.to_csv(target)
    if as_json:
        runtime.emit_json(
            {
                "command": "reconcile",
                "ok": report.clean,
                "dates": {"meaning": "posting date", "zone": mapping.dates.zone_name},
            }
            | _reconcile_json(report, all_rows=all_rows)
            | ({"csv": str(csv_path)} if csv_path is not None else {})
        )
    else:
        render_reconciliation(runtime, report)
        if csv_path is not None:
            runtime.say(f"rows written to {csv_path}")
    return EXIT_OK if report.clean else EXIT_FAILURES
