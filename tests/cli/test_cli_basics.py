"""The command line as a whole: parsing, exit codes, error lines, entry points."""

from __future__ import annotations

import io
import logging
import subprocess
import sys

import pytest

from ml_connector.cli import main
from ml_connector.cli._console import Progress
from ml_connector.cli._runtime import Runtime
from ml_connector.testing import VirtualClock

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


def _bar_runtime(width: int = 100, *, enabled: bool = True) -> tuple[Runtime, io.StringIO]:
    stream = io.StringIO()
    clock = VirtualClock()
    return Runtime(stderr=stream, clock=clock, progress=enabled, width=width), stream


def test_progress_bar_has_counts_rate_and_eta_and_fits_the_terminal() -> None:
    runtime, stream = _bar_runtime(width=100)
    clock = runtime.clock
    assert isinstance(clock, VirtualClock)
    bar = Progress(runtime, "shipments")
    bar.update(0, 40)
    for done in (10, 20, 30):
        clock.advance(5)
        bar.update(done, 40, f"posted {done} + already posted 0 + skipped 0 + failed 0")
    bar.update(30, 40, "posted 30 + already posted 0 + skipped 0 + failed 0")  # not redrawn
    bar.close()
    assert bar.updates == 4  # the repeated state was not redrawn
    text = stream.getvalue()
    last = [line for line in text.replace("\r", "\n").split("\n") if "shipments" in line][-1]
    plain = _strip_ansi(last)
    assert "30/40" in plain
    # 10 records every 5 s of the virtual clock: 2 per second, so 10 left take 5 s.
    assert "2.0/s" in plain
    assert "0:05" in plain
    assert "posted 30 + already posted 0 + skipped 0 + failed 0" in plain
    assert len(plain.rstrip()) <= 100
    assert _strip_ansi(text).endswith("\n")


def test_log_lines_print_above_the_bar_not_through_it() -> None:
    runtime, stream = _bar_runtime(width=80)
    bar = Progress(runtime, "shipments")
    bar.update(1, 4, "posted 1")
    runtime.warn("ml-connector: WARNING: something to say")
    bar.update(2, 4, "posted 2")
    bar.close()
    # The bar is cleared, the line printed on its own, the bar redrawn below it.
    text = _strip_ansi(stream.getvalue())
    assert "\rml-connector: WARNING: something to say\nshipments " in text


def test_disabled_progress_bar_writes_nothing() -> None:
    runtime, stream = _bar_runtime(enabled=False)
    bar = Progress(runtime, "shipments")
    bar.update(1, 2)
    bar.close()
    assert stream.getvalue() == ""


def _strip_ansi(text: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)


def test_progress_follows_the_terminal() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert Runtime(stderr=Tty()).show_progress() is True
    assert Runtime(stderr=io.StringIO()).show_progress() is False
    assert Runtime(stderr=Tty(), progress=False).show_progress() is False
