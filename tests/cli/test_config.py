"""The configuration file: every problem at once, secrets only by variable name."""

from __future__ import annotations

from pathlib import Path

import pytest

from ml_connector._redact import Secret
from ml_connector.cli._config import (
    CliConfigError,
    System,
    load_cli_config,
    resolve,
)

from .conftest import CliRunner

MAPPING = Path(__file__).parent.parent / "mapping" / "retailer.toml"


def _write(tmp_path: Path, text: str, name: str = "ml-connector.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_means_standard_variables(tmp_path: Path) -> None:
    config = load_cli_config(None, cwd=tmp_path)
    assert config.audit_path == tmp_path / ".ml-connector" / "audit.sqlite3"
    assert config.mapping is None
    settings = resolve(
        config,
        {"SHIPSTATION_API_KEY": "k", "SHIPSTATION_API_SECRET": "s"},
        [System.SHIPSTATION_V1],
    )
    assert settings.shipstation_v1 is not None
    assert isinstance(settings.shipstation_v1.api_key, Secret)
    assert settings.shipstation_v1.api_key.reveal() == "k"
    assert settings.oracle is None


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "[shipstation]\n"
        'api_key = "0123456789abcdef"\n'
        'base_url = "http://ssapi.shipstation.com"\n'
        "timeout = -1\n"
        "[oracle]\n"
        'pod_url = "https://pod.example.com/fscmRestApi"\n'
        'auth = "saml"\n'
        'batch_size = "fifty"\n'
        "[audit]\n"
        "path = 3\n"
        "[colour]\n",
    )
    with pytest.raises(CliConfigError) as info:
        load_cli_config(path, cwd=tmp_path)
    problems = info.value.problems
    keys = [p.split(":", 1)[0] for p in problems]
    assert keys == [
        "colour",
        "shipstation.api_key",
        "shipstation.base_url",
        "shipstation.timeout",
        "oracle.auth",
        "oracle.batch_size",
        "oracle.pod_url",
        "audit.path",
    ]
    assert "set api_key_env to the name of the environment variable" in problems[1]
    assert "0123456789abcdef" not in str(info.value)
    assert str(info.value).startswith("ml-connector.toml has 8 problems:")


def test_resolve_lists_every_missing_variable(tmp_path: Path) -> None:
    config = load_cli_config(None, cwd=tmp_path)
    with pytest.raises(CliConfigError) as info:
        resolve(config, {}, list(System))
    text = str(info.value)
    for name in (
        "SHIPSTATION_API_KEY",
        "SHIPSTATION_API_SECRET",
        "SHIPSTATION_V2_API_KEY",
        "ORACLE_POD_URL",
        "ORACLE_TOKEN_URL",
        "ORACLE_SCOPE",
        "ORACLE_CLIENT_ID",
        "ORACLE_CLIENT_SECRET",
    ):
        assert name in text
    assert len(info.value.problems) == 8


def test_invalid_values_from_the_environment_are_named(tmp_path: Path) -> None:
    config = load_cli_config(None, cwd=tmp_path)
    environ = {
        "ORACLE_POD_URL": "http://pod.example.com",
        "ORACLE_TOKEN_URL": "https://idcs.example.com/oauth2/v1/token",
        "ORACLE_SCOPE": "s",
        "ORACLE_CLIENT_ID": "id",
        "ORACLE_CLIENT_SECRET": "secret",
    }
    with pytest.raises(CliConfigError) as info:
        resolve(config, environ, [System.ORACLE])
    assert info.value.problems == ("oracle.pod_url: must use https, not 'http'",)


def test_a_secret_pasted_as_a_variable_name_is_not_echoed(tmp_path: Path) -> None:
    path = _write(tmp_path, '[shipstation]\napi_secret_env = "a1b2c3d4e5f6a7b8"\n')
    config = load_cli_config(path, cwd=tmp_path)
    with pytest.raises(CliConfigError) as info:
        resolve(config, {"SHIPSTATION_API_KEY": "k"}, [System.SHIPSTATION_V1])
    text = str(info.value)
    assert "a1b2c3d4e5f6a7b8" not in text
    assert "did you paste the secret itself?" in text
    assert "shipstation.api_secret_env" in text


def test_mapping_by_path_is_loaded_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "mapping.toml").write_text(MAPPING.read_text(), encoding="utf-8")
    path = _write(
        tmp_path / "conf", '[mapping]\npath = "mapping.toml"\n[audit]\npath = "trail.jsonl"\n'
    )
    config = load_cli_config(path, cwd=tmp_path)
    assert config.mapping is not None
    assert "16079" in config.mapping.warehouses
    assert config.audit_path == tmp_path / "conf" / "trail.jsonl"


def test_mapping_problems_join_the_list(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '[shipstation]\ntimeout = "soon"\n[mapping.receivables]\ncurrency = "US$"\n',
    )
    with pytest.raises(CliConfigError) as info:
        load_cli_config(path, cwd=tmp_path)
    problems = info.value.problems
    assert problems[0].startswith("shipstation.timeout")
    assert "mapping.receivables.currency: 'US$' is not an ISO 4217 code" in problems
    assert "mapping.segments: missing" in problems


def test_ping_ignores_the_mapping_section(tmp_path: Path) -> None:
    path = _write(tmp_path, "[mapping]\nnonsense = 1\n")
    assert load_cli_config(path, mapping=False, cwd=tmp_path).mapping is None


def test_bad_config_through_the_cli_is_exit_2_without_traceback(
    cli: CliRunner, tmp_path: Path
) -> None:
    _write(tmp_path, "[shipstation\n")
    result = cli(["ping"])
    assert result.code == 2
    assert result.out == ""
    assert result.err.startswith("ml-connector: error: ml-connector.toml has 1 problem:")
    assert "not valid TOML" in result.err
    assert "Traceback" not in result.err


def test_missing_config_file_is_a_usage_error(cli: CliRunner) -> None:
    result = cli(["ping", "--config", "nowhere.toml"])
    assert result.code == 2
    assert "cannot read" in result.err
    assert "nowhere.toml" in result.err


def test_config_named_by_environment(cli: CliRunner, tmp_path: Path) -> None:
    _write(tmp_path, "[bogus]\n", name="elsewhere.toml")
    result = cli(["ping"], environ={"ML_CONNECTOR_CONFIG": str(tmp_path / "elsewhere.toml")})
    assert result.code == 2
    assert "elsewhere.toml has 1 problem" in result.err


def test_debug_shows_the_traceback(cli: CliRunner, tmp_path: Path) -> None:
    _write(tmp_path, "[bogus]\n")
    with pytest.raises(CliConfigError):
        cli(["ping", "--debug"])


def test_the_shipped_example_configuration_loads(tmp_path: Path) -> None:
    example = Path(__file__).parents[2] / "examples" / "config.example.toml"
    (tmp_path / "mapping.toml").write_text(MAPPING.read_text(), encoding="utf-8")
    path = _write(tmp_path, example.read_text(encoding="utf-8"))
    config = load_cli_config(path, cwd=tmp_path)
    assert config.mapping is not None
    assert config.audit_path == tmp_path / ".ml-connector" / "audit.sqlite3"
    assert config.oracle.pod_url == "https://abcd-test.fa.us2.oraclecloud.com"
    assert config.sync.overlap_hours == 2.0
    environ = {
        "SHIPSTATION_API_KEY": "k",
        "SHIPSTATION_API_SECRET": "s",
        "SHIPSTATION_V2_API_KEY": "v2",
        "ORACLE_CLIENT_ID": "id",
        "ORACLE_CLIENT_SECRET": "secret",
    }
    settings = resolve(config, environ, list(System))
    assert settings.oracle is not None
    assert settings.oracle.pod_url == "https://abcd-test.fa.us2.oraclecloud.com"
