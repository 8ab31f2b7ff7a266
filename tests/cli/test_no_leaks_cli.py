"""The CLI prints no secret (text, JSON, --debug), lists bad settings as configuration problems,
and exits 3 when a system is unavailable."""

from __future__ import annotations

import base64
import json
import sqlite3
import tempfile
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ml_connector.cli._main import EXIT_OUTAGE, EXIT_USAGE

from .conftest import SECRETS, CliRunner, Sims

WINDOW = ["--since", "2026-01-15T08:00:00Z", "--until", "2026-01-17T08:00:00Z"]


def _echo(request: httpx.Request) -> str:
    parts = []
    for name in ("authorization", "api-key"):
        value = request.headers.get(name)
        if value:
            bare = value.split(" ", 1)[-1]
            parts.append(f"{name}: {value} (trace_{bare})")
            if value.startswith("Basic "):
                parts.append(base64.b64decode(bare).decode())
    return "; ".join(parts)


class Echoing(httpx.BaseTransport):
    """Sends ``status`` with an echo of the credentials for requests ``when`` picks."""

    def __init__(self, inner: httpx.BaseTransport, status: int, when: str) -> None:
        self.inner, self.status, self.when = inner, status, when

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        token = "/oauth2/" in request.url.path
        pick = {
            "all": not token,
            "post": request.method == "POST" and not token,
            "token": token,
        }[self.when]
        if not pick:
            return self.inner.handle_request(request)
        request.read()
        text = _echo(request)
        if token:
            body = {"error": "invalid_client", "error_description": text}
        else:
            body = {"message": text, "title": text, "errors": [{"message": text}]}
        return httpx.Response(self.status, json=body)


def _all_secrets(sims: Sims) -> list[str]:
    """The configured secrets, their Basic encodings and the tokens the pod handed out."""
    found = list(SECRETS)
    found += [base64.b64encode(f"{a}:{b}".encode()).decode() for a, b in [(SECRETS[0], SECRETS[1])]]
    found += [base64.b64encode(f"sim-client:{SECRETS[3]}".encode()).decode()]
    return found


def _assert_clean(sims: Sims, *texts: str) -> None:
    for secret in _all_secrets(sims):
        for text in texts:
            assert secret not in text, f"{secret!r} leaked"


@pytest.mark.parametrize("status", [401, 403, 429, 500])
def test_ping_prints_no_echoed_secret(
    cli: CliRunner, sims: Sims, env: dict[str, str], status: int
) -> None:
    transports = {
        "shipstation": Echoing(sims.shipstation.transport(), status, "all"),
        "oracle": Echoing(sims.oracle.transport(), status, "all"),
    }
    text = cli(["ping"], environ=env, transports=transports)
    as_json = cli(["ping", "--json"], environ=env, transports=transports)
    debug = cli(["ping", "--debug"], environ=env, transports=transports)
    assert text.code == as_json.code == 1
    assert "***" in text.out + text.err
    json.loads(as_json.out)
    _assert_clean(sims, text.out, text.err, as_json.out, as_json.err, debug.out, debug.err)


def test_token_endpoint_echo_is_masked_in_ping(
    cli: CliRunner, sims: Sims, env: dict[str, str]
) -> None:
    transports = {
        "shipstation": sims.shipstation.transport(),
        "oracle": Echoing(sims.oracle.transport(), 401, "token"),
    }
    for argv in (["ping"], ["ping", "--json"], ["ping", "--debug"]):
        result = cli(argv, environ=env, transports=transports)
        assert result.code == 1
        assert "invalid_client" in result.out + result.err
        _assert_clean(sims, result.out, result.err)


def test_debug_shows_token_requests_with_the_secret_masked(
    cli: CliRunner, sims: Sims, env: dict[str, str]
) -> None:
    result = cli(
        ["ping", "--debug", "--system", "oracle"], environ=env, transports=sims.transports()
    )
    assert result.code == 0, result.err
    token_lines = [line for line in result.err.splitlines() if "OAuth token request" in line]
    assert token_lines, result.err
    assert "Authorization: Basic ***" in token_lines[0]
    assert "identity" in token_lines[0]
    _assert_clean(sims, result.out, result.err)


def test_sync_output_and_trail_hold_no_echoed_token(
    cli: CliRunner, sims: Sims, env: dict[str, str], config: Path
) -> None:
    transports = {
        "shipstation": sims.shipstation.transport(),
        "oracle": Echoing(sims.oracle.transport(), 500, "post"),
    }
    text = cli(["sync", *WINDOW], environ=env, transports=transports)
    as_json = cli(["sync", *WINDOW, "--json"], environ=env, transports=transports)
    assert text.code == 1
    document = json.loads(as_json.out)
    assert document["jobs"][0]["counts"]["failed"] > 0
    trail = config.parent / "trail" / "audit.sqlite3"
    with sqlite3.connect(trail) as db:
        rows = [json.dumps(row, default=str) for row in db.execute("select * from events")]
    assert any("trace_***" in row for row in rows)
    _assert_clean(sims, text.out, text.err, as_json.out, as_json.err, *rows)


# -- configuration problems -----------------------------------------------------------------------


def _config_with(tmp: Path, oracle_options: str) -> Path:
    path = tmp / "ml-connector.toml"
    path.write_text(f"[oracle]\n{oracle_options}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ("batch_size = -1", "oracle.batch_size: must be >= 1, got -1"),
        ("page_size = 10000", "oracle.page_size: must be between 1 and 500"),
        ("timeout = -1", "oracle.timeout: must be a positive number of seconds"),
    ],
)
def test_bad_oracle_options_are_listed_with_the_other_problems(
    cli: CliRunner, env: dict[str, str], tmp_path: Path, options: str, problem: str
) -> None:
    config = _config_with(tmp_path, options)
    result = cli(["ping", "--system", "oracle", "--config", str(config)], environ=env)
    output = result.out + result.err
    assert result.code == EXIT_USAGE, output
    assert "unexpected error" not in output
    assert problem in output


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=st.one_of(st.integers(max_value=0), st.integers(min_value=501, max_value=10**9)))
def test_any_out_of_range_page_size_is_a_configuration_problem(
    cli: CliRunner, env: dict[str, str], value: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config = _config_with(Path(tmp), f"page_size = {value}")
        result = cli(["ping", "--system", "oracle", "--config", str(config)], environ=env)
    assert result.code == EXIT_USAGE
    assert "oracle.page_size:" in result.out + result.err
    assert "unexpected error" not in result.out + result.err


# -- outages --------------------------------------------------------------------------------------


def _refuse(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("[Errno 111] Connection refused", request=request)


def test_shipstation_down_during_sync_is_an_outage(
    cli: CliRunner, sims: Sims, env: dict[str, str], config: Path
) -> None:
    transports = {"shipstation": httpx.MockTransport(_refuse), "oracle": sims.oracle.transport()}
    result = cli(["sync", *WINDOW], environ=env, transports=transports)
    assert result.code == EXIT_OUTAGE, result.err
    assert "unavailable" in result.err
    assert "ssapi.shipstation.com" in result.err
    assert "Connection refused" in result.err


def test_oracle_down_during_the_preflight_is_an_outage_naming_the_token_host(
    cli: CliRunner, sims: Sims, env: dict[str, str], config: Path
) -> None:
    transports = {
        "shipstation": sims.shipstation.transport(),
        "oracle": httpx.MockTransport(_refuse),
    }
    result = cli(["sync", *WINDOW], environ=env, transports=transports)
    assert result.code == EXIT_OUTAGE, result.err
    assert "unavailable" in result.err
    assert "identity.oraclecloud.com" in result.err  # the host contacted: the token endpoint
    assert "Connection refused" in result.err
    assert "configuration" not in result.err.split("(")[0]


def test_oracle_503_during_the_preflight_is_an_outage(
    cli: CliRunner, sims: Sims, env: dict[str, str], config: Path
) -> None:
    class Down(httpx.BaseTransport):
        def __init__(self, inner: httpx.BaseTransport) -> None:
            self.inner = inner

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            if "/oauth2/" in request.url.path:
                return self.inner.handle_request(request)
            return httpx.Response(503, json={"title": "Service Unavailable"})

    transports = {
        "shipstation": sims.shipstation.transport(),
        "oracle": Down(sims.oracle.transport()),
    }
    result = cli(["sync", *WINDOW], environ=env, transports=transports)
    assert result.code == EXIT_OUTAGE, result.err
    assert "ServerError" in result.err
