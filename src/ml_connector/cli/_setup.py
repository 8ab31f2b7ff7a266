"""``ml-connector init``, ``config show`` and ``completion``: getting a configuration right.

- ``init`` writes a commented ``ml-connector.toml`` and ``mapping.toml`` to start from (it
  never overwrites a file without ``--force``);
- ``config show`` prints the configuration as the commands will use it: which file, every
  setting with where its value comes from, secrets masked (``set``/``NOT SET`` and the
  variable's name, never a character of the value), and the mapping's essentials;
- ``completion bash|zsh`` prints a completion script built from the parser itself (argparse
  has no completion of its own).
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ml_connector._errors import ConfigurationError
from ml_connector._redact import redact_url
from ml_connector.sync._configfile import (
    DEFAULT_CONFIG_NAME,
    CliConfig,
    Value,
)

from ._runtime import Runtime

__all__ = [
    "CONFIG_TEMPLATE",
    "MAPPING_TEMPLATE",
    "completion_script",
    "config_document",
    "run_config_show",
    "run_init",
]

CONFIG_TEMPLATE = """\
# ml-connector configuration, written by `ml-connector init`. The CLI reads it from the working
# directory (or --config FILE, or the file named in $ML_CONNECTOR_CONFIG); scripts and
# notebooks read the same file with ml_connector.load_config("ml-connector.toml").
# Check it with `ml-connector config show` (secrets masked) and `ml-connector ping`.
#
# Secrets are never written here. A credential is the NAME of an environment variable that
# holds it (`*_env`); the names below are the defaults, used when a key is left out. Plain
# values (URLs, scope, client id) may be written here or named by `*_env` the same way.

[shipstation]
api_key_env = "SHIPSTATION_API_KEY"          # V1 API key (Settings > Account > API Settings)
api_secret_env = "SHIPSTATION_API_SECRET"    # V1 API secret
v2_api_key_env = "SHIPSTATION_V2_API_KEY"    # V2 key: inventory only (Inventory API add-on)
timeout = 30                                 # seconds per request

[oracle]
pod_url_env = "ORACLE_POD_URL"               # or: pod_url = "https://abcd-test.fa.us2.oraclecloud.com"
auth = "oauth"                               # or "basic" for development pods
token_url_env = "ORACLE_TOKEN_URL"           # the identity domain's /oauth2/v1/token URL
scope_env = "ORACLE_SCOPE"
client_id_env = "ORACLE_CLIENT_ID"
client_secret_env = "ORACLE_CLIENT_SECRET"
# With auth = "basic":
# username_env = "ORACLE_USERNAME"
# password_env = "ORACLE_PASSWORD"
timeout = 60

[audit]
# The audit trail (and checkpoints): keep it on durable storage and back it up with the close.
# Relative paths are relative to this file.
path = ".ml-connector/audit.sqlite3"

[mapping]
# How warehouses, stores, SKUs and accounts meet Oracle: reviewed by finance.
path = "mapping.toml"

[sync]
overlap_hours = 2          # incremental runs start this long before the checkpoint
batch = true               # post missing documents in Oracle batch requests
create_parties = false     # let `sync --job customers` create Oracle parties
trust_audit_trail = false  # create records this trail has never seen without a look-up

# [http]
# Enterprise networks. Without these, the HTTPS_PROXY/NO_PROXY variables and the default CA
# certificates apply.
# proxy = "http://proxy.example.com:3128"   # a proxy URL with a password: use proxy_env
# proxy_env = "ML_CONNECTOR_PROXY"
# ca_bundle = "certs/corporate-ca.pem"      # PEM file of the CA your TLS-inspecting proxy uses
"""
"""The configuration template ``init`` writes."""

MAPPING_TEMPLATE = """\
# The mapping configuration, written by `ml-connector init`: how ShipStation warehouses,
# stores and SKUs meet Oracle Fusion. Replace the example values with yours (the layout and
# every optional key are in the mapping guide); `ml-connector config show` lists every
# problem at once, with its key path.

[segments]                     # your chart of accounts, in order
names = ["company", "cost_center", "account", "product", "intercompany"]
delimiter = "-"
cost_center = "cost_center"    # which segment each warehouse sets
lengths = { company = 2, cost_center = 4, account = 6, product = 3, intercompany = 2 }
defaults = { company = "01", product = "000", intercompany = "00" }

[accounts]                     # per purpose: the segments that differ (the natural account)
revenue = { account = "401000" }
receivable = { account = "121000" }
freight = { account = "402000" }
tax = { account = "224000" }
inventory_issue = { account = "501000" }
inventory_adjustment = { account = "515000" }

[warehouses.10000]             # the ShipStation warehouseId (Settings > Ship From Locations)
name = "Main DC"
business_unit = "US1 Business Unit"
inventory_organization = "M1"
subinventory = "FG"
cost_center = "1100"

# [stores.20000]               # optional: a marketplace billed to one Oracle customer account
# name = "Amazon"
# customer_account = "40001"
# customer_site = "40001-BILL"

[receivables]
transaction_source = "SHIPSTATION"     # a source with manual numbering keeps our numbers
transaction_type = "Invoice"
credit_memo_transaction_type = "Credit Memo"
payment_terms = "IMMEDIATE"
currency = "USD"

[inventory]
source_code = "SHIPSTATION"

[dates]
# Which calendar date a shipment posts on (TransactionDate, AccountingDate), and what
# `--day` and the reconciliation mean by a day. "zone": the date where the ledger closes, so
# a label printed at 18:00 PST on 31 January posts in January. "utc" (the library's
# default) would post it on 1 February, in the next period.
basis = "zone"
zone = "America/Los_Angeles"
"""
"""The mapping template ``init`` writes (valid as written: ``config show`` accepts it)."""


def run_init(runtime: Runtime, directory: Path | None, *, force: bool, as_json: bool) -> int:
    """Write the two templates; refuse to overwrite unless ``force``."""
    target = directory if directory is not None else runtime.cwd
    target = target if target.is_absolute() else runtime.cwd / target
    files = {
        target / DEFAULT_CONFIG_NAME: CONFIG_TEMPLATE,
        target / "mapping.toml": MAPPING_TEMPLATE,
    }
    existing = [path for path in files if path.exists()]
    if existing and not force:
        names = ", ".join(str(path) for path in existing)
        raise ConfigurationError(
            f"{names}: already there; use --force to overwrite", setting="init"
        )
    target.mkdir(parents=True, exist_ok=True)
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    if as_json:
        runtime.emit_json({"command": "init", "ok": True, "files": [str(p) for p in files]})
        return 0
    for path in files:
        runtime.say(f"wrote {path}")
    runtime.say("next: set the variables it names, then `ml-connector config show` and `ping`")
    return 0


# -- config show -----------------------------------------------------------------------------


def _shown(value: Value | None, environ: Mapping[str, str], *, secret: bool) -> dict[str, Any]:
    """One setting: its value (masked when secret) and where it comes from."""
    if value is None:
        return {"value": None, "source": "default"}
    if isinstance(value, str):
        return {"value": value, "source": "file"}
    found = environ.get(value.name, "").strip()
    source = f"${value.name}" if value.conventional else "a variable (name not shown)"
    if not found:
        return {"value": None, "source": source, "set": False}
    shown = "****" if secret else (redact_url(found) if "://" in found else found)
    return {"value": shown, "source": source, "set": True}


def config_document(config: CliConfig, environ: Mapping[str, str]) -> dict[str, Any]:
    """The resolved configuration as a JSON-ready dict, secrets masked."""
    ss, oracle = config.shipstation, config.oracle
    document: dict[str, Any] = {
        "file": str(config.path) if config.path is not None else None,
        "shipstation": {
            "api_key": _shown(ss.api_key, environ, secret=True),
            "api_secret": _shown(ss.api_secret, environ, secret=True),
            "v2_api_key": _shown(ss.v2_api_key, environ, secret=True),
            "base_url": {"value": ss.base_url, "source": "file or default"},
            "v2_base_url": {"value": ss.v2_base_url, "source": "file or default"},
            "timeout": {"value": ss.timeout, "source": "file or default"},
        },
        "oracle": {
            "pod_url": _shown(oracle.pod_url, environ, secret=False),
            "auth": {"value": oracle.auth, "source": "file or default"},
        },
        "audit": {"path": str(config.audit_path)},
        "sync": {
            "overlap_hours": config.sync.overlap_hours,
            "batch": config.sync.batch,
            "create_parties": config.sync.create_parties,
            "trust_audit_trail": config.sync.trust_audit_trail,
        },
        "http": {
            "proxy": _shown(config.network.proxy, environ, secret=False),
            "ca_bundle": str(config.network.ca_bundle) if config.network.ca_bundle else None,
        },
    }
    if oracle.auth == "oauth":
        document["oracle"] |= {
            "token_url": _shown(oracle.token_url, environ, secret=False),
            "scope": _shown(oracle.scope, environ, secret=False),
            "client_id": _shown(oracle.client_id, environ, secret=False),
            "client_secret": _shown(oracle.client_secret, environ, secret=True),
        }
    else:
        document["oracle"] |= {
            "username": _shown(oracle.username, environ, secret=False),
            "password": _shown(oracle.password, environ, secret=True),
        }
    document["oracle"]["timeout"] = {"value": oracle.timeout, "source": "file or default"}
    for name, value in oracle.options.items():
        document["oracle"][name] = {"value": value, "source": "file"}
    mapping = config.mapping
    if mapping is None:
        document["mapping"] = None
    else:
        document["mapping"] = {
            "warehouses": {wid: w.name or wid for wid, w in mapping.warehouses.items()},
            "stores": {sid: s.name or sid for sid, s in mapping.stores.items()},
            "currency": mapping.receivables.currency,
            "posting_dates": mapping.dates.label,
            "date_source": mapping.dates.source,
        }
    return document


def _missing(document: dict[str, Any]) -> list[str]:
    missing = []
    for system in ("shipstation", "oracle"):
        for name, entry in document[system].items():
            if isinstance(entry, dict) and entry.get("set") is False:
                missing.append(f"{system}.{name} ({entry['source']})")
    return missing


def run_config_show(config: CliConfig, runtime: Runtime, *, as_json: bool) -> int:
    """Print the configuration the commands would use; secrets masked."""
    document = config_document(config, runtime.environ)
    missing = _missing(document)
    if as_json:
        runtime.emit_json({"command": "config show", "ok": True, "missing": missing} | document)
        return 0
    source = document["file"] or "no file: environment variables and defaults only"
    runtime.say(f"configuration: {source}")
    for section in ("shipstation", "oracle", "http"):
        runtime.say(f"[{section}]")
        for name, entry in document[section].items():
            runtime.say(f"  {name:<28} {_entry_text(entry)}")
    runtime.say("[audit]")
    runtime.say(f"  {'path':<28} {document['audit']['path']}")
    runtime.say("[sync]")
    for name, value in document["sync"].items():
        runtime.say(f"  {name:<28} {value}")
    mapping = document["mapping"]
    runtime.say("[mapping]")
    if mapping is None:
        runtime.say("  none (sync, replay and reconcile need one)")
    else:
        warehouses = ", ".join(f"{name} ({wid})" for wid, name in mapping["warehouses"].items())
        runtime.say(f"  {'warehouses':<28} {warehouses}")
        runtime.say(f"  {'currency':<28} {mapping['currency']}")
        runtime.say(f"  {'dates':<28} {mapping['posting_dates']}, from {mapping['date_source']}")
    if missing:
        runtime.say(f"not set: {', '.join(missing)}")
    return 0


def _entry_text(entry: Any) -> str:
    if not isinstance(entry, dict):
        return "-" if entry is None else str(entry)
    value = entry.get("value")
    if entry.get("set") is False:
        return f"NOT SET  ({entry['source']})"
    text = "-" if value is None else str(value)
    return f"{text}  ({entry['source']})"


# -- completion ------------------------------------------------------------------------------


def _words(parser: argparse.ArgumentParser) -> tuple[list[str], dict[str, list[str]]]:
    top = [o for a in parser._actions for o in a.option_strings if o.startswith("--")]
    commands: dict[str, list[str]] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                options = [o for a in sub._actions for o in a.option_strings if o.startswith("--")]
                nested = [
                    n
                    for a in sub._actions
                    if isinstance(a, argparse._SubParsersAction)
                    for n in a.choices
                ]
                commands[name] = sorted(set(options)) + nested
    return sorted(set(top)), commands


def completion_script(parser: argparse.ArgumentParser, shell: str) -> str:
    """A completion script for ``shell`` (bash; zsh through ``bashcompinit``)."""
    top, commands = _words(parser)
    cases = "\n".join(
        f'        {name}) words="{" ".join(words)}" ;;' for name, words in sorted(commands.items())
    )
    script = f"""\
# ml-connector completion ({shell}); generated by `ml-connector completion {shell}`.
_ml_connector() {{
    local cur command words
    cur="${{COMP_WORDS[COMP_CWORD]}}"
    command=""
    for word in "${{COMP_WORDS[@]:1:COMP_CWORD-1}}"; do
        case "$word" in -*) ;; *) command="$word"; break ;; esac
    done
    case "$command" in
{cases}
        *) words="{" ".join(sorted(commands))} {" ".join(top)}" ;;
    esac
    COMPREPLY=( $(compgen -W "$words" -- "$cur") )
}}
complete -o default -F _ml_connector ml-connector
"""
    if shell == "zsh":
        script = "autoload -U +X bashcompinit && bashcompinit\n" + script
    return script
