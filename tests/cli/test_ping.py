"""``ml-connector ping`` against the simulators, with missing, wrong and unreachable systems."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx

from .conftest import SECRETS, CliRunner, Sims


def _refuse(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("[Errno -2] Name or service not known", request=request)


def _assert_no_secret(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


def test_every_system_passes_with_good_credentials(
    cli: CliRunner, sims: Sims, env: dict[str, str]
) -> None:
    result = cli(["ping"], environ=env, transports=sims.transports())
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[1].split()[:3] == ["ShipStation", "V1", "ok"]
    assert lines[2].split()[:3] == ["ShipStation", "V2", "ok"]
    assert lines[3].split()[:3] == ["Oracle", "Fusion", "ok"]
    assert "OAuth token ok" in lines[3]
    assert "3 of 3 systems passed" in result.out
    _assert_no_secret(result.out, result.err)


def test_json_output_reports_rate_limit_headroom(
    cli: CliRunner, sims: Sims, env: dict[str, str]
) -> None:
    result = cli(["ping", "--json"], environ=env, transports=sims.transports())
    assert result.code == 0
    document = json.loads(result.out)
    assert document["ok"] is True
    by_system = {s["system"]: s for s in document["systems"]}
    assert set(by_system) == {"shipstation-v1", "shipstation-v2", "oracle"}
    v1 = by_system["shipstation-v1"]
    assert v1["rate_limit"]["limit"] == 40
    assert v1["rate_limit"]["remaining"] == 39
    assert v1["warehouses"] == 2
    assert by_system["oracle"]["token"] == "ok"
    assert by_system["oracle"]["host"] == "sim-test.fa.us2.oraclecloud.com"


def test_json_flag_is_accepted_before_the_command(
    cli: CliRunner, sims: Sims, env: dict[str, str]
) -> None:
    result = cli(["--json", "ping"], environ=env, transports=sims.transports())
    assert json.loads(result.out)["command"] == "ping"


def test_missing_credentials_name_every_variable_and_exit_2(cli: CliRunner) -> None:
    result = cli(["ping"], environ={"SHIPSTATION_API_KEY": "x"})
    assert result.code == 2
    assert "MISSING" in result.out
    for name in (
        "SHIPSTATION_API_SECRET",
        "SHIPSTATION_V2_API_KEY",
        "ORACLE_POD_URL",
        "ORACLE_CLIENT_SECRET",
    ):
        assert name in result.out
    assert "SHIPSTATION_API_KEY " not in result.out  # it is set
    assert "0 of 3 systems passed" in result.out


def test_missing_credentials_in_json(cli: CliRunner) -> None:
    result = cli(["ping", "--json", "--system", "oracle"], environ={})
    assert result.code == 2
    (oracle,) = json.loads(result.out)["systems"]
    assert oracle["status"] == "not_configured"
    assert any("ORACLE_TOKEN_URL" in p for p in oracle["problems"])


def test_unreachable_host_fails_that_system_only(
    cli: CliRunner, sims: Sims, env: dict[str, str]
) -> None:
    transports = {
        "shipstation": sims.shipstation.transport(),
        "oracle": httpx.MockTransport(_refuse),
    }
    result = cli(["ping", "--json"], environ=env, transports=transports)
    assert result.code == 1
    by_system = {s["system"]: s for s in json.loads(result.out)["systems"]}
    assert by_system["shipstation-v1"]["ok"] is True
    oracle = by_system["oracle"]
    assert oracle["status"] == "failed"
    assert oracle["detail"].startswith("cannot reach the host")
    assert oracle["error"]["type"] == "TransportError"
    assert oracle["token"] == "failed"


def test_unreachable_host_in_text(cli: CliRunner, env: dict[str, str]) -> None:
    transports = {"shipstation": httpx.MockTransport(_refuse)}
    result = cli(["ping", "--system", "shipstation-v1"], environ=env, transports=transports)
    assert result.code == 1
    assert "FAIL" in result.out
    assert "cannot reach the host" in result.out
    assert "ssapi.shipstation.com" in result.out
    # The core retried once (ping cuts retries short) and said so on stderr: one line for the
    # retry, one grouped line at the end.
    lines = result.err.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("ml-connector: retry TransportError GET https://ssapi.")
    assert re.search(r"\(try 2 of 2\), waiting \d+\.\d\d s$", lines[0])
    assert lines[1] == "ml-connector: retried 1 request: TransportError x 1"


def test_wrong_secrets_fail_without_showing_them(
    cli: CliRunner, sims: Sims, env: dict[str, str]
) -> None:
    wrong = dict(
        env,
        SHIPSTATION_API_SECRET="not-the-secret-0000",
        ORACLE_CLIENT_SECRET="also-wrong-secret-1111",
    )
    result = cli(["ping", "--json"], environ=wrong, transports=sims.transports())
    assert result.code == 1
    by_system = {s["system"]: s for s in json.loads(result.out)["systems"]}
    assert by_system["shipstation-v1"]["error"]["status"] == 401
    assert by_system["shipstation-v2"]["ok"] is True
    assert by_system["oracle"]["token"] == "failed"
    assert "not-the-secret-0000" not in result.out
    assert "also-wrong-secret-1111" not in result.out
    _assert_no_secret(result.out, result.err)


def test_config_file_names_other_variables(
    cli: CliRunner, sims: Sims, env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "ml-connector.toml").write_text(
        "[shipstation]\n"
        'api_key_env = "ACME_SS_KEY"\n'
        'api_secret_env = "ACME_SS_SECRET"\n'
        "[oracle]\n"
        f'pod_url = "{sims.oracle.pod_url}"\n'
        f'token_url = "{sims.oracle.identity_url}/oauth2/v1/token"\n'
        'scope = "urn:opc:resource:consumer::all"\n'
        'client_id = "sim-client"\n'
        'client_secret_env = "ACME_ORACLE_SECRET"\n',
        encoding="utf-8",
    )
    environ = {
        "ACME_SS_KEY": env["SHIPSTATION_API_KEY"],
        "ACME_SS_SECRET": env["SHIPSTATION_API_SECRET"],
        "ACME_ORACLE_SECRET": env["ORACLE_CLIENT_SECRET"],
    }
    result = cli(
        ["ping", "--system", "shipstation-v1", "--system", "oracle"],
        environ=environ,
        transports=sims.transports(),
    )
    assert result.code == 0, result.out + result.err
    assert "2 of 2 systems passed" in result.out


def test_basic_auth_for_development_pods(cli: CliRunner, sims: Sims, tmp_path: Path) -> None:
    sims.oracle.basic_users["integration.user"] = "dev-pod-password"
    config = tmp_path / "dev.toml"
    config.write_text(
        f'[oracle]\nauth = "basic"\npod_url = "{sims.oracle.pod_url}"\n'
        'username = "integration.user"\n',
        encoding="utf-8",
    )
    result = cli(
        ["ping", "--config", str(config), "--system", "oracle"],
        environ={"ORACLE_PASSWORD": "dev-pod-password"},
        transports=sims.transports(),
    )
    assert result.code == 0, result.out + result.err
    assert "Basic auth ok" in result.out
    assert "dev-pod-password" not in result.out


def test_debug_logs_every_request_without_secrets(
    cli: CliRunner, sims: Sims, env: dict[str, str]
) -> None:
    result = cli(["ping", "--debug"], environ=env, transports=sims.transports())
    assert result.code == 0
    assert "ml-connector: INFO: GET https://ssapi.shipstation.com/warehouses" in result.err
    assert "oauth2/v1/token" in result.err
    _assert_no_secret(result.out, result.err)
