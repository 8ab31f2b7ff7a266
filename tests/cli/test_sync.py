"""``ml-connector sync`` over the simulators: posts once, JSON output, dry run, bad options."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ml_connector.cli._config import CliConfigError, System, load_cli_config
from ml_connector.cli._jobs import _run_shipments
from ml_connector.cli._runtime import Runtime
from ml_connector.cli._session import Session, summary_json

from .conftest import SECRETS, CliRunner, Sims

WINDOW = ["--since", "2026-01-15T08:00:00Z", "--until", "2026-01-17T08:00:00Z"]


def test_sync_posts_then_posts_nothing_twice(
    cli: CliRunner, sims: Sims, env: dict[str, str], config: Path
) -> None:
    first = cli(["sync", *WINDOW, "--json"], environ=env, transports=sims.transports())
    document = json.loads(first.out)
    assert document["command"] == "sync"
    (shipments,) = document["jobs"]
    counts = shipments["counts"]
    assert counts["posted"] > 0
    assert first.code == (1 if counts["failed"] else 0)
    assert Path(document["audit"]).is_file()
    totals = [r["total"] for r in shipments["results"] if r["outcome"] == "posted"]
    assert totals and all(re.fullmatch(r"-?\d+\.\d\d", t) for t in totals)  # exact, as text
    invoices = len(sims.oracle.invoices())
    assert invoices == len({i["TransactionNumber"] for i in sims.oracle.invoices()})

    second = cli(["sync", *WINDOW, "--json"], environ=env, transports=sims.transports())
    again = json.loads(second.out)["jobs"][0]["counts"]
    assert again["posted"] == 0
    assert again["already_posted"] == counts["posted"] + counts["already_posted"]
    assert len(sims.oracle.invoices()) == invoices
    for secret in SECRETS:
        assert secret not in first.out + second.out


def test_sync_text_output_names_the_audit_trail(
    cli: CliRunner, sims: Sims, env: dict[str, str], config: Path
) -> None:
    result = cli(["sync", *WINDOW], environ=env, transports=sims.transports())
    assert result.out.startswith("shipments 2026-01-15T08:00:00+00:00 .. ")
    assert f"audit trail: {config.parent / 'trail' / 'audit.sqlite3'}" in result.out


def test_dry_run_writes_nothing_and_shows_payloads(
    cli: CliRunner, sims: Sims, env: dict[str, str], config: Path
) -> None:
    result = cli(
        ["sync", *WINDOW, "--dry-run", "--json"], environ=env, transports=sims.transports()
    )
    document = json.loads(result.out)["jobs"][0]
    assert document["dry_run"] is True
    assert document["counts"]["would_post"] > 0
    planned = [r for r in document["results"] if r["outcome"] == "would-post"]
    assert all("payload" in r for r in planned)
    assert sims.oracle.invoices() == []
    assert not any(method != "GET" for method, _ in sims.shipstation.v1.requests)


def test_progress_bar_goes_to_stderr_only_when_asked(
    cli: CliRunner, sims: Sims, env: dict[str, str], config: Path
) -> None:
    quiet = cli(["sync", *WINDOW, "--dry-run"], environ=env, transports=sims.transports())
    assert quiet.err == ""
    shown = cli(
        ["sync", *WINDOW, "--dry-run"],
        environ=env,
        transports=sims.transports(),
        progress=True,
        width=120,
    )
    final = shown.err.split("\r")[-1]
    assert "shipments" in final
    # The bar's counts are the summary's counts, in the summary's words.
    counts = re.search(
        r"posted \d+ \+ already posted \d+ \+ skipped \d+ \+ failed \d+ "
        r"\+ would post \d+",
        final,
    )
    assert counts is not None
    assert f"records: {counts.group(0)}" in shown.out


def test_sync_without_mapping_is_a_config_error(
    cli: CliRunner, sims: Sims, env: dict[str, str]
) -> None:
    result = cli(["sync", *WINDOW], environ=env, transports=sims.transports())
    assert result.code == 2
    assert "mapping: missing" in result.err


def test_sync_with_missing_credentials_lists_them(cli: CliRunner, config: Path) -> None:
    result = cli(["sync", *WINDOW], environ={"SHIPSTATION_API_KEY": "k"})
    assert result.code == 2
    assert "SHIPSTATION_API_SECRET" in result.err
    assert "ORACLE_CLIENT_SECRET" in result.err
    assert "SHIPSTATION_V2_API_KEY" not in result.err  # the shipment job does not need V2


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--since", "2026-01-15T08:00:00"], "--since: '2026-01-15T08:00:00' has no time zone"),
        (["--since", "yesterday"], "is not an ISO 8601 date-time"),
        (["--day", "2026-01-15", "--since", "2026-01-15T08:00:00Z"], "not both"),
        (["--until", "2026-01-15T08:00:00Z"], "--until: needs --since"),
        (["--day", "15/01/2026"], "is not a date"),
    ],
)
def test_bad_window_options(
    cli: CliRunner, env: dict[str, str], config: Path, options: list[str], message: str
) -> None:
    result = cli(["sync", *options], environ=env)
    assert result.code == 2
    assert message in result.err


def test_incremental_without_checkpoint_explains_itself(
    cli: CliRunner, sims: Sims, env: dict[str, str], config: Path
) -> None:
    result = cli(["sync"], environ=env, transports=sims.transports())
    assert result.code == 2
    assert "no checkpoint yet: start incremental runs with --initial-start" in result.err


def test_json_lines_audit_trail_keeps_checkpoints_beside_it(
    cli: CliRunner, sims: Sims, env: dict[str, str], config: Path
) -> None:
    config.write_text(
        '[mapping]\npath = "mapping.toml"\n[audit]\npath = "trail/audit.jsonl"\n', encoding="utf-8"
    )
    sims.clock.advance(3 * 86400)  # the morning after the generated day
    first = cli(
        ["sync", "--initial-start", "2026-01-15T08:00:00Z", "--json"],
        environ=env,
        transports=sims.transports(),
    )
    assert first.code in (0, 1), first.err
    document = json.loads(first.out)["jobs"][0]
    assert document["counts"]["posted"] > 0
    assert document["watermark"] == document["window"]["end"]
    trail = config.parent / "trail" / "audit.jsonl"
    assert trail.is_file()
    assert (config.parent / "trail" / "audit.jsonl.checkpoints.sqlite3").is_file()
    # The next run starts from the checkpoint (minus the overlap) and posts nothing again.
    sims.clock.advance(3600)
    again = cli(["sync", "--json"], environ=env, transports=sims.transports())
    assert again.code in (0, 1), again.err
    window = json.loads(again.out)["jobs"][0]["window"]
    assert window["start"] < document["window"]["end"]
    assert json.loads(again.out)["jobs"][0]["counts"]["posted"] == 0


def test_initial_start_does_not_combine_with_a_window(
    cli: CliRunner, env: dict[str, str], config: Path
) -> None:
    result = cli(
        ["sync", "--day", "2026-01-15", "--initial-start", "2026-01-15T08:00:00Z"], environ=env
    )
    assert result.code == 2
    assert "--initial-start: starts incremental runs" in result.err


@pytest.mark.parametrize(("as_json", "kept"), [(False, "problems"), (True, "slim")])
def test_text_output_keeps_only_problems_json_keeps_every_record(
    sims: Sims, env: dict[str, str], config: Path, as_json: bool, kept: str
) -> None:
    # The text summary needs counts, skip reasons and failures only, so a backfill of any size
    # runs in flat memory; the JSON document lists every record, so it keeps them all.
    cli_config = load_cli_config(config, cwd=config.parent)
    runtime = Runtime(
        stdout=io.StringIO(),
        stderr=io.StringIO(),
        environ=env,
        clock=sims.clock,
        transports=dict(sims.transports()),
        cwd=config.parent,
        progress=False,
    )
    mapping = cli_config.require_mapping()
    window = (datetime(2026, 1, 15, 8, tzinfo=UTC), datetime(2026, 1, 17, 8, tzinfo=UTC))
    with Session(cli_config, runtime, [System.SHIPSTATION_V1, System.ORACLE]) as session:
        summary = _run_shipments(session, mapping, window, False, as_json=as_json)
    assert summary.results_policy == kept
    assert summary.posted > 0 and summary.failed > 0
    outcomes = {r.outcome.value for r in summary.results}
    assert ("posted" in outcomes) is as_json
    assert len(summary.failures()) == summary.failed
    document = summary_json(summary)
    assert document["results_kept"] == kept
    assert document["counts"]["posted"] == summary.posted


def _oracle_get_count(sims: Sims, fragment: str) -> int:
    # Look-ups only: the preflight's /describe of the resource is metadata, not a look-up.
    return sum(
        1
        for method, url in sims.oracle.requests
        if method == "GET" and fragment in url and not url.endswith("/describe")
    )


def test_trust_audit_trail_from_the_config_skips_lookups_of_new_records(
    cli: CliRunner, sims: Sims, env: dict[str, str], config: Path
) -> None:
    config.write_text(
        config.read_text(encoding="utf-8") + "[sync]\ntrust_audit_trail = true\n",
        encoding="utf-8",
    )
    first = cli(["sync", *WINDOW, "--json"], environ=env, transports=sims.transports())
    counts = json.loads(first.out)["jobs"][0]["counts"]
    assert counts["posted"] > 0
    # New records go straight to the batch create: no invoice look-up by key at all.
    assert _oracle_get_count(sims, "receivablesInvoices") == 0
    second = cli(["sync", *WINDOW, "--json"], environ=env, transports=sims.transports())
    again = json.loads(second.out)["jobs"][0]["counts"]
    assert again["posted"] == 0  # every record is in the trail now: looked up, found
    assert _oracle_get_count(sims, "receivablesInvoices") > 0
    assert len(sims.oracle.invoices()) == len(
        {i["TransactionNumber"] for i in sims.oracle.invoices()}
    )


def test_trust_audit_trail_must_be_a_boolean(tmp_path: Path) -> None:
    path = tmp_path / "ml-connector.toml"
    path.write_text('[sync]\ntrust_audit_trail = "yes"\n', encoding="utf-8")
    with pytest.raises(CliConfigError, match=r"sync\.trust_audit_trail: must be true or false"):
        load_cli_config(path)


def test_customer_job_reports_customers_oracle_could_not_be_asked_about(
    cli: CliRunner, sims: Sims, env: dict[str, str], config: Path
) -> None:
    from ml_connector.testing import FaultKind, FaultPlan, Faults

    sims.oracle.faults = Faults(
        FaultPlan(
            rates={FaultKind.SERVER_ERROR: 1.0},
            methods=["GET"],
            path_prefixes=["/crmRestApi/resources/11.13.18.05/hubPersons"],
        )
    )
    text = cli(["sync", *WINDOW, "--job", "customers"], environ=env, transports=sims.transports())
    assert text.code == 1
    assert "not looked up" in text.out
    assert "could not be asked about email" in text.out
    document = cli(
        ["sync", *WINDOW, "--job", "customers", "--json"],
        environ=env,
        transports=sims.transports(),
    )
    (job,) = json.loads(document.out)["jobs"]
    assert job["lookup_failed"]
    assert job["unmatched"] == 0  # nothing proposed for customers that may exist
