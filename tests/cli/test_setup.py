"""``init``, ``config show`` and ``completion``: output captured as a user sees it."""

from __future__ import annotations

import json
from pathlib import Path

from ml_connector import load_config

from .conftest import SECRETS, CliRunner


def test_init_writes_templates_that_load(cli: CliRunner, tmp_path: Path) -> None:
    result = cli(["init"])
    assert result.code == 0
    assert result.out.splitlines() == [
        f"wrote {tmp_path / 'ml-connector.toml'}",
        f"wrote {tmp_path / 'mapping.toml'}",
        "next: set the variables it names, then `ml-connector config show` and `ping`",
    ]
    text = (tmp_path / "ml-connector.toml").read_text(encoding="utf-8")
    assert text.count("\n#") > 10  # commented for the person filling it in
    config = load_config(tmp_path / "ml-connector.toml", environ={})
    mapping = config.require_mapping()
    assert mapping.dates.label == "posting date (America/Los_Angeles)"
    again = cli(["init"])
    assert again.code == 2
    assert "use --force to overwrite" in again.err
    assert cli(["init", "--force", "--json"]).code == 0


def test_config_show_masks_secrets_and_names_its_file(
    cli: CliRunner, tmp_path: Path, env: dict[str, str]
) -> None:
    cli(["init"])
    del env["SHIPSTATION_V2_API_KEY"]
    result = cli(["config", "show"], environ=env)
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0] == f"configuration: {tmp_path / 'ml-connector.toml'}"
    assert "  api_key                      ****  ($SHIPSTATION_API_KEY)" in lines
    assert "  v2_api_key                   NOT SET  ($SHIPSTATION_V2_API_KEY)" in lines
    assert any(line.startswith("  pod_url ") and "$ORACLE_POD_URL" in line for line in lines)
    assert (
        "  dates                        posting date (America/Los_Angeles), from label_created"
        in (lines)
    )
    assert lines[-1] == "not set: shipstation.v2_api_key ($SHIPSTATION_V2_API_KEY)"
    for secret in SECRETS:
        assert secret not in result.out + result.err
    document = json.loads(cli(["config", "show", "--json"], environ=env).out)
    assert document["file"] == str(tmp_path / "ml-connector.toml")
    assert document["shipstation"]["api_key"] == {
        "value": "****",
        "source": "$SHIPSTATION_API_KEY",
        "set": True,
    }
    assert document["missing"] == ["shipstation.v2_api_key ($SHIPSTATION_V2_API_KEY)"]


def test_config_show_without_a_file(cli: CliRunner) -> None:
    result = cli(["config", "show"], environ={})
    assert result.code == 0
    assert result.out.startswith(
        "configuration: no file: environment variables and defaults only\n"
    )
    assert "  none (sync, replay and reconcile need one)" in result.out


def test_config_show_reports_problems_like_every_command(cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "ml-connector.toml").write_text("[sync]\nbatch = 1\n", encoding="utf-8")
    result = cli(["config", "show", "--json"], environ={})
    assert result.code == 2
    assert "sync.batch: must be true or false, not a number" in json.loads(result.out)["error"]


def test_completion_script_knows_every_command(cli: CliRunner) -> None:
    result = cli(["completion", "bash"])
    assert result.code == 0
    assert "complete -o default -F _ml_connector ml-connector" in result.out
    for command in ("demo", "ping", "sync", "replay", "reconcile", "init", "config"):
        assert f"        {command}) words=" in result.out
    assert "--no-progress" in result.out
    assert cli(["completion", "zsh"]).out.startswith("autoload -U +X bashcompinit")


def test_completion_with_json_is_one_document(cli: CliRunner) -> None:
    result = cli(["--json", "completion", "bash"])
    document = json.loads(result.out)
    assert document["ok"] is True and "complete -o default" in document["script"]
