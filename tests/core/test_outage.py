"""Outages are told apart from everything else, carry their cause, and map to exit code 3."""

from __future__ import annotations

import io

import pytest

from ml_connector import (
    AuthenticationError,
    ConfigurationError,
    MappingError,
    OutageError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
    TransportError,
)
from ml_connector._errors import is_outage
from ml_connector.cli import _main
from ml_connector.cli._runtime import Runtime


@pytest.mark.parametrize(
    ("error", "outage"),
    [
        (TransportError("refused"), True),
        (RequestTimeoutError("timed out"), True),
        (ServerError("503", status=503), True),
        (RateLimitError("429", status=429), True),
        (OutageError("down"), True),
        (AuthenticationError("401", status=401), False),
        (MappingError("bad"), False),
        (ConfigurationError("bad", setting="x"), False),
    ],
)
def test_is_outage(error: Exception, outage: bool) -> None:
    assert is_outage(error) is outage


def test_an_outage_keeps_its_cause_and_names_the_system_and_step() -> None:
    cause = RequestTimeoutError(
        "ReadTimeout: no response from pod.example.com (timed out)",
        method="GET",
        url="https://pod.example.com/x",
    )
    error = OutageError.of(cause, system="oracle", step="preflight")
    assert str(error).startswith("oracle was unavailable during the preflight: RequestTimeoutError")
    assert error.__cause__ is cause
    evidence = error.evidence()
    assert evidence["system"] == "oracle" and evidence["step"] == "preflight"
    assert evidence["cause"]["type"] == "RequestTimeoutError"
    assert evidence["url"] == "https://pod.example.com/x"


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (OutageError("oracle was unavailable during the preflight"), _main.EXIT_OUTAGE),
        (ServerError("503", status=503), _main.EXIT_OUTAGE),
        (ConfigurationError("bad", setting="x"), _main.EXIT_USAGE),
        (AuthenticationError("401", status=401), _main.EXIT_FAILURES),
    ],
)
def test_the_cli_maps_outages_to_their_own_exit_code(
    error: Exception, code: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    def command(args: object, runtime: object) -> int:
        raise error

    # The command table is the CLI's seam between parsing and running a command.
    monkeypatch.setitem(_main._COMMANDS, "ping", command)
    err = io.StringIO()
    runtime = Runtime(stdout=io.StringIO(), stderr=err, environ={})
    assert _main._run(["ping"], runtime) == code
    if code == _main.EXIT_OUTAGE:
        assert "unavailable" in err.getvalue()
