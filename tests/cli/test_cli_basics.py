"""The command line, run in-process."""

from __future__ import annotations

import pytest

from ml_connector.cli import main


def test_demo_runs_and_reports_figures(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--requests", "100"]) == 0
    out = capsys.readouterr().out
    assert "429 responses drawn     0" in out
    assert "rate-limit windows used 3 (the minimum at 40/min is 3)" in out


def test_version_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert "ml-connector" in capsys.readouterr().out


def test_unknown_command_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2
