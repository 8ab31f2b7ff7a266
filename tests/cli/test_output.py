"""What the CLI writes where: -q/-v, JSON Lines logs, grouped retries, --json never silent."""

from __future__ import annotations

import io
import json
from pathlib import Path

import httpx
import pytest

from ml_connector.cli._main import _run
from ml_connector.cli._runtime import Runtime

from .conftest import CliRunner, Sims

WINDOW = ["--since", "2026-01-15T08:00:00Z", "--until", "2026-01-17T08:00:00Z"]


def _refuse(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("[Errno -2] Name or service not known", request=request)


def test_json_errors_go_to_stdout_too(cli: CliRunner, config: Path) -> None:
    # A configuration error: nothing was attempted, and stdout still says so as JSON.
    result = cli(["sync", *WINDOW, "--json"], environ={})
    assert result.code == 2
    document = json.loads(result.out)
    assert document == {
        "command": "sync",
        "ok": False,
        "exit_code": 2,
        "error": document["error"],
    }
    assert "SHIPSTATION_API_KEY" in document["error"]
    assert "SHIPSTATION_API_KEY" in result.err  # people still read stderr


def test_json_usage_errors_go_to_stdout_too(capsys: pytest.CaptureFixture[str]) -> None:
    out, err = io.StringIO(), io.StringIO()
    runtime = Runtime(stdout=out, stderr=err, environ={})
    with pytest.raises(SystemExit) as info:
        _run(["sync", "--json", "--no-such-option"], runtime)
    assert info.value.code == 2
    assert json.loads(out.getvalue())["ok"] is False
    # argparse itself writes the usage message to the process's stderr.
    assert "unrecognized arguments: --no-such-option" in capsys.readouterr().err


def test_bad_day_with_json_is_a_json_error(cli: CliRunner, config: Path) -> None:
    result = cli(["reconcile", "--day", "15/01/2026", "--json"], environ={})
    assert result.code == 2
    assert json.loads(result.out)["ok"] is False


def test_quiet_hides_warnings_and_verbose_shows_each_request(
    cli: CliRunner, sims: Sims, env: dict[str, str]
) -> None:
    refused = {"shipstation": httpx.MockTransport(_refuse)}
    quiet = cli(["ping", "--system", "shipstation-v1", "-q"], environ=env, transports=refused)
    assert quiet.code == 1
    assert quiet.err == ""
    verbose = cli(
        ["ping", "--system", "shipstation-v1", "-v"], environ=env, transports=sims.transports()
    )
    assert verbose.code == 0
    assert "ml-connector: INFO: GET https://ssapi.shipstation.com/warehouses -> 200" in verbose.err


def test_logs_as_json_lines(cli: CliRunner, env: dict[str, str]) -> None:
    refused = {"shipstation": httpx.MockTransport(_refuse)}
    result = cli(
        ["ping", "--system", "shipstation-v1", "--log-format", "json"],
        environ=env,
        transports=refused,
    )
    records = [json.loads(line) for line in result.err.splitlines()]
    (retry,) = records
    assert retry["event"] == "retry"
    assert retry["level"] == "warning"
    assert retry["status"] == "TransportError"
    assert retry["attempt"] == 2
    assert retry["logger"].startswith("ml_connector")


def test_no_progress_wins_over_a_terminal(
    cli: CliRunner, sims: Sims, env: dict[str, str], config: Path
) -> None:
    result = cli(
        ["sync", *WINDOW, "--dry-run", "--no-progress"],
        environ=env,
        transports=sims.transports(),
        progress=True,
    )
    assert result.err == ""


def test_reconcile_text_as_a_controller_reads_it(
    cli: CliRunner, sims: Sims, env: dict[str, str], config: Path
) -> None:
    cli(["sync", *WINDOW, "-q"], environ=env, transports=sims.transports())
    result = cli(["reconcile", *WINDOW], environ=env, transports=sims.transports())
    lines = result.out.splitlines()
    assert lines[0] == (
        "reconciliation 2026-01-15T08:00:00+00:00 .. 2026-01-17T08:00:00+00:00 "
        "(dates are posting dates in America/Los_Angeles; amounts in USD)"
    )
    assert lines[1].split() == [
        "warehouse",
        "date",
        "records",
        "expected",
        "in",
        "Oracle",
        "not",
        "in",
        "Oracle",
        "reasons",
    ]
    summary = [line for line in lines if line.endswith(" records: ") or " records: " in line]
    assert summary and summary[-1].startswith("17 records: ")
    assert any(line.startswith("expected in Oracle USD ") for line in lines)
    assert any(line.startswith("  by reason: customer_unmatched USD ") for line in lines)
    assert lines[-1].startswith("NOT clean: ")


def test_day_is_a_posting_date_in_the_mapping_zone() -> None:
    from datetime import UTC, datetime

    from ml_connector.cli._session import parse_window
    from ml_connector.mapping.config import DateSettings

    pacific = DateSettings(basis="zone", zone="America/Los_Angeles")
    # 02:00 UTC on 1 February is still 31 January (18:00 PST) in Los Angeles.
    now = datetime(2026, 2, 1, 2, 0, tzinfo=UTC)
    today = parse_window(day="today", since=None, until=None, now=now, dates=pacific)
    assert today == (
        datetime(2026, 1, 31, 8, 0, tzinfo=UTC),
        datetime(2026, 2, 1, 8, 0, tzinfo=UTC),
    )
    yesterday = parse_window(day="yesterday", since=None, until=None, now=now, dates=pacific)
    assert yesterday is not None and yesterday[1] == today[0]
    # On the library's UTC basis the same instant is already 1 February.
    utc = parse_window(day="today", since=None, until=None, now=now, dates=DateSettings())
    assert utc == (datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 2, 2, tzinfo=UTC))
    # The day of the spring change (8 March 2026) is 23 hours long in Los Angeles.
    spring = parse_window(day="2026-03-08", since=None, until=None, now=now, dates=pacific)
    assert spring is not None and (spring[1] - spring[0]).total_seconds() == 23 * 3600
