"""``load_config``: the CLI's configuration file, from code, with one TOML checker."""

from __future__ import annotations

from pathlib import Path

import pytest

import ml_connector
from ml_connector import ConfigFileError, MappingConfigError, load_config
from ml_connector.mapping import MappingConfig

EXAMPLES = Path(__file__).parent.parent.parent / "examples"

ORACLE_ENV = {
    "ORACLE_CLIENT_ID": "client-1",
    "ORACLE_CLIENT_SECRET": "s3cret-value",
}


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "ml-connector.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_file_gives_the_settings_the_cli_builds(tmp_path: Path) -> None:
    environ = {**ORACLE_ENV, "SHIPSTATION_API_KEY": "k", "SHIPSTATION_API_SECRET": "s"}
    config = load_config(EXAMPLES / "config.example.toml", environ=environ)
    assert config.oracle is not None
    assert config.oracle.pod_url == "https://abcd-test.fa.us2.oraclecloud.com"
    assert config.shipstation_v1 is not None
    assert config.shipstation_v1.api_secret.reveal() == "s"
    # Nobody set the V2 key: that system is simply absent.
    assert config.shipstation_v2 is None
    assert isinstance(config.require_mapping(), MappingConfig)
    assert config.audit_path == EXAMPLES / ".ml-connector" / "audit.sqlite3"
    assert config.sync.batch is True
    assert "s3cret-value" not in repr(config)


def test_variables_named_in_the_file_are_read(tmp_path: Path) -> None:
    path = _write(tmp_path, '[shipstation]\napi_key_env = "SS_KEY"\napi_secret_env = "SS_SECRET"\n')
    config = load_config(path, environ={"SS_KEY": "key", "SS_SECRET": "secret"})
    assert config.shipstation_v1 is not None
    assert config.shipstation_v1.api_key.reveal() == "key"
    assert config.oracle is None


def test_a_half_configured_system_lists_what_is_missing(tmp_path: Path) -> None:
    path = _write(tmp_path, '[oracle]\npod_url = "https://pod.example.com"\n')
    with pytest.raises(ConfigFileError) as info:
        load_config(path, environ={})
    text = str(info.value)
    assert "ORACLE_CLIENT_SECRET" in text and "ORACLE_TOKEN_URL" in text
    assert "SHIPSTATION" not in text  # not configured at all: not an error


def test_no_mapping_section_is_a_clear_error(tmp_path: Path) -> None:
    config = load_config(None, environ={}, cwd=tmp_path)
    assert config.mapping is None
    with pytest.raises(ConfigFileError, match=r"\[mapping\]"):
        config.require_mapping()


def test_wrong_types_are_reported_with_their_key_path(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '[oracle]\nbatch_size = true\nparty_email_resources = ["hubPersons", 3]\n'
        '[sync]\nbatch = "yes"\novertime = 1\n',
    )
    with pytest.raises(ConfigFileError) as info:
        load_config(path, environ={})
    assert info.value.problems == (
        "oracle.party_email_resources[1]: must be text, not a number",
        "oracle.batch_size: must be an integer, not true/false",
        "sync.overtime: unknown key (expected one of: batch, create_parties, overlap_hours, "
        "trust_audit_trail)",
        "sync.batch: must be true or false, not text",
    )


def test_mapping_and_cli_files_speak_the_same_checker() -> None:
    with pytest.raises(MappingConfigError) as info:
        MappingConfig.from_dict({"colour": 1, "dates": {"basis": "utc", "tz": "x"}})
    lines = [str(problem) for problem in info.value.problems]
    assert any(line.startswith("colour: unknown key (expected one of: ") for line in lines)
    assert any(line.startswith("dates.tz: unknown key (expected one of: ") for line in lines)


def test_load_config_is_public() -> None:
    assert "load_config" in ml_connector.__all__
    assert "Config" in ml_connector.__all__


def _self_signed_pem(tmp_path: Path) -> Path:
    # Any PEM certificate will do for loading; the one httpx itself trusts is at hand.
    import certifi

    pem = tmp_path / "corp-ca.pem"
    pem.write_text(Path(certifi.where()).read_text(encoding="utf-8"), encoding="utf-8")
    return pem


def test_proxy_and_ca_bundle_reach_every_client(tmp_path: Path) -> None:
    _self_signed_pem(tmp_path)
    path = _write(
        tmp_path,
        '[http]\nproxy_env = "CORP_PROXY"\nca_bundle = "corp-ca.pem"\n'
        '[oracle]\npod_url = "https://pod.example.com"\ntoken_url = "https://idcs.example.com/t"\n'
        'scope = "s"\n',
    )
    environ = {
        **ORACLE_ENV,
        "CORP_PROXY": "http://svc:pa55word@proxy.corp.example:3128",
        "SHIPSTATION_API_KEY": "k",
        "SHIPSTATION_API_SECRET": "s",
    }
    config = load_config(path, environ=environ)
    assert config.oracle is not None and config.shipstation_v1 is not None
    http = config.oracle.http_settings()
    assert http.proxy == "http://svc:pa55word@proxy.corp.example:3128"
    assert http.ca_bundle == str(tmp_path / "corp-ca.pem")
    assert config.shipstation_v1.http.proxy == http.proxy
    # The proxy's password stays out of every repr.
    assert "pa55word" not in repr(config)
    options = http.client_options()
    assert options["proxy"] == http.proxy
    import ssl

    assert isinstance(options["verify"], ssl.SSLContext)
    import httpx

    with httpx.Client(**options):
        pass


def test_a_proxy_with_credentials_is_not_written_in_the_file(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '[http]\nproxy = "http://svc:pa55word@proxy.corp.example:3128"\nca_bundle = "nope.pem"\n',
    )
    with pytest.raises(ConfigFileError) as info:
        load_config(path, environ={})
    text = str(info.value)
    assert "pa55word" not in text
    assert "http.proxy: has credentials: put the URL in an environment variable" in text
    assert "http.ca_bundle:" in text and "nope.pem is not a file" in text


def test_an_unusable_ca_bundle_is_a_configuration_error(tmp_path: Path) -> None:
    from ml_connector import ConfigurationError, HttpSettings

    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate", encoding="utf-8")
    settings = HttpSettings(base_url="https://x.example.com", ca_bundle=str(bad))
    with pytest.raises(ConfigurationError, match="cannot load CA certificates"):
        settings.client_options()
    with pytest.raises(ConfigurationError, match="proxy"):
        HttpSettings(base_url="https://x.example.com", proxy="socks5://p:1080")
