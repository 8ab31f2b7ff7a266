"""The command line as a whole: parsing, exit codes, error lines, entry points."""

from __future__ import annotations

import io
import logging
import subprocess
import sys

import pytest

from ml_connector.cli import main
from ml_connector.cli._runtime import Progress, Runtime

from .conftest import CliRunner


def test_version_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.startswith("ml-connector ")


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_no_command_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("demo", "ping", "sync", "replay", "reconcile"):
        assert command in out
    flat = " ".join(out.split())
    assert "Exit codes: 0 ok, 1 the run had failures, 2 usage or configuration error, " in flat
    assert "3 a system was unavailable (try again later)." in flat


def test_bad_demo_size_is_a_usage_error(cli: CliRunner) -> None:
    result = cli(["demo", "--orders", "0"])
    assert result.code == 2
    assert result.err == "ml-connector: error: --orders and --warehouses must be at least 1\n"


def test_library_log_handler_is_removed_after_the_run(cli: CliRunner) -> None:
    before = list(logging.getLogger("ml_connector").handlers)
    cli(["ping"])
    assert logging.getLogger("ml_connector").handlers == before


def test_python_dash_m_runs_the_same_cli() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ml_connector", "--version"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0
    assert done.stdout.startswith("ml-connector ")


def test_progress_bar_draws_in_place_and_ends_its_line() -> None:
    stream = io.StringIO()
    bar = Progress(stream, "shipments", enabled=True)
    bar.update(0, 4)
    bar.update(2, 4, "posted 2, skipped 0, failed 0")
    bar.update(2, 4, "posted 2, skipped 0, failed 0")  # unchanged: not redrawn
    bar.update(4, 4, "posted 4, skipped 0, failed 0")
    bar.close()
    frames = stream.getvalue().split("\r")[1:]
    assert len(frames) == 3 == bar.updates
    assert frames[1].startswith("shipments    [##########..........] 2/4  posted 2")
    assert all(len(frame.rstrip("\n")) == 79 for frame in frames)
    assert stream.getvalue().endswith("\n")


def test_disabled_progress_bar_writes_nothing() -> None:
    stream = io.StringIO()
    bar = Progress(stream, "shipments", enabled=False)
    bar.update(1, 2)
    bar.close()
    assert stream.getvalue() == ""


def test_progress_follows_the_terminal() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert Runtime(stderr=Tty()).show_progress() is True
    assert Runtime(stderr=io.StringIO()).show_progress() is False
    assert Runtime(stderr=Tty(), progress=False).show_progress() is False
