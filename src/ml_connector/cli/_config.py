"""The CLI's view of ``ml-connector.toml`` (the loader itself is the library's).

Everything here comes from :mod:`ml_connector.sync._configfile`, which scripts reach through the
public :func:`ml_connector.load_config`.
"""

from __future__ import annotations

from ml_connector.sync._configfile import (
    DEFAULT_AUDIT_PATH,
    DEFAULT_CONFIG_NAME,
    DEFAULT_ENV,
    CliConfig,
    CliConfigError,
    EnvRef,
    ResolvedSettings,
    SyncSection,
    System,
    load_cli_config,
    resolve,
)

__all__ = [
    "DEFAULT_AUDIT_PATH",
    "DEFAULT_CONFIG_NAME",
    "DEFAULT_ENV",
    "CliConfig",
    "CliConfigError",
    "EnvRef",
    "ResolvedSettings",
    "SyncSection",
    "System",
    "load_cli_config",
    "resolve",
]
