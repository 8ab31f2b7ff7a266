"""The tenant registry: one TOML file per tenant in a directory.

A tenant is one ShipStation account + one Oracle pod + one mapping + its schedule. Its file::

    [tenant]
    name = "acme"                      # lower-case letters, digits, "_"; also its schema name
    config = "configs/acme.toml"       # the connector configuration (the CLI's format)
    schedule = "*/5 * * * *"           # cron; default every 5 minutes
    account = "acme-v1"                # the rate-budget key (default: derived from the key)
    oracle_pod = "acme.fa.ocs.oraclecloud.com"  # the pod's concurrency-cap key (optional)
    oracle_concurrency = 4             # requests in flight to that pod, all workers (optional)
    initial_start = "2026-01-15T00:00:00Z"  # where the first run starts (optional)
    enabled = true

    [tenant.secrets]                   # the variables the connector configuration reads
    SHIPSTATION_API_KEY = { env = "ACME_SHIPSTATION_API_KEY" }
    SHIPSTATION_API_SECRET = { file = "/run/secrets/acme/shipstation-api-secret" }

Every ``*.toml`` file directly in the directory is a tenant; keep the connector configurations
in a subfolder (``configs/`` above).

**Why files and not rows in Postgres.** A tenant's setup (its mapping above all) is reviewed,
versioned and rolled back like code, and a directory of files is what a deployment mounts (a
Kubernetes ConfigMap, a Git checkout); rows would need a second tool to edit and review them.
The database keeps only what the workers *do*: runs, claims, budgets and the audit trail.

Secrets are never in the files: only a reference, an environment variable (``env``) or a file
(``file``, e.g. a mounted Kubernetes or Docker secret). A value that is not a reference is
refused. Every problem of every file is reported at once.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs

from ml_connector._errors import AuditError, ConfigurationError
from ml_connector._redact import Secret
from ml_connector.audit._event import parse_utc

__all__ = ["DEFAULT_SCHEDULE", "SecretRef", "Tenant", "TenantRegistry", "TenantRegistryError"]

DEFAULT_SCHEDULE = "*/5 * * * *"
"""Every five minutes."""

_NAME = re.compile(r"[a-z][a-z0-9_]{0,40}")
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CRON_FIELD = re.compile(r"[0-9*/,\-A-Za-z]+")


class TenantRegistryError(ConfigurationError):
    """One or more tenant files are wrong; ``problems`` lists every one as (where, what)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        lines = "\n".join(f"  {where}: {what}" for where, what in problems)
        super().__init__(f"{len(problems)} problem(s) in the tenant registry:\n{lines}")


@attrs.frozen
class SecretRef:
    """Where a secret is read from: an environment variable or a file (never the value).

    Attributes:
        env: The environment variable's name.
        file: The file's path (its content, stripped of surrounding whitespace).
    """

    env: str | None = None
    file: Path | None = None

    def read(self, environ: Mapping[str, str]) -> Secret | None:
        """The secret, or None when the variable is unset or the file missing."""
        if self.env is not None:
            value = environ.get(self.env, "").strip()
            return Secret(value) if value else None
        assert self.file is not None
        try:
            value = self.file.read_text(encoding="utf-8").strip()
        except OSError:
            return None
        return Secret(value) if value else None

    def describe(self) -> str:
        """Where it is read from, for messages (never the value)."""
        return f"environment variable {self.env}" if self.env else f"file {self.file}"


@attrs.frozen
class Tenant:
    """One tenant: an account, a pod, a mapping (in ``config``) and a schedule.

    Attributes:
        name: Its id; also the name of its Postgres schema (``tenant_<name>``).
        config: The connector configuration file (the CLI's format).
        schedule: When its sync runs (cron, five or six fields).
        account: The ShipStation account id for the shared rate budget (``None``: derived
            from the API key with :func:`~ml_connector.workers.account_id_for`).
        oracle_pod: The key of the pod's concurrency cap (``None``: no cap).
        oracle_concurrency: Requests in flight to the pod across workers (with ``oracle_pod``).
        initial_start: Where the first incremental run starts.
        enabled: Whether workers schedule it.
        secrets: The variables its configuration reads, by reference.
        source: The file it was read from.
    """

    name: str
    config: Path
    schedule: str = DEFAULT_SCHEDULE
    account: str | None = None
    oracle_pod: str | None = None
    oracle_concurrency: int | None = None
    initial_start: datetime | None = None
    enabled: bool = True
    secrets: Mapping[str, SecretRef] = attrs.field(factory=dict)
    source: Path | None = None

    @property
    def schema(self) -> str:
        """Its Postgres schema: trail, checkpoints and claims, apart from other tenants'."""
        return f"tenant_{self.name}"

    @property
    def lock(self) -> str:
        """The Procrastinate lock: never two runs of one tenant at once."""
        return f"ml-connector:tenant:{self.name}"

    def environ(self, environ: Mapping[str, str]) -> dict[str, str]:
        """The environment its configuration is resolved against.

        The worker's own environment, with each referenced variable replaced by its secret;
        a reference that yields nothing leaves the variable out, so the configuration's
        resolver reports it as missing (naming the variable, not the value).
        """
        built = {k: v for k, v in environ.items() if k not in self.secrets}
        for variable, ref in self.secrets.items():
            value = ref.read(environ)
            if value is not None:
                built[variable] = value.reveal()
        return built


class _Checker:
    def __init__(self, source: Path) -> None:
        self.source = source
        self.problems: list[tuple[str, str]] = []

    def problem(self, where: str, what: str) -> None:
        self.problems.append((f"{self.source.name}: {where}", what))


def _secrets(check: _Checker, table: Any, base: Path) -> dict[str, SecretRef]:
    found: dict[str, SecretRef] = {}
    if table is None:
        return found
    if not isinstance(table, Mapping):
        check.problem("tenant.secrets", "must be a table of references")
        return found
    for variable, ref in table.items():
        where = f"tenant.secrets.{variable}"
        if not _VARIABLE.fullmatch(variable):
            check.problem(where, "must be an environment variable name")
            continue
        if not isinstance(ref, Mapping) or set(ref) not in ({"env"}, {"file"}):
            check.problem(
                where,
                'must be { env = "VARIABLE" } or { file = "/path" }: a reference, never the '
                "secret itself",
            )
            continue
        if "env" in ref:
            if not isinstance(ref["env"], str) or not _VARIABLE.fullmatch(ref["env"]):
                check.problem(
                    f"{where}.env",
                    "must be an environment variable name (did you paste the secret itself?)",
                )
                continue
            found[variable] = SecretRef(env=ref["env"])
        else:
            if not isinstance(ref["file"], str) or not ref["file"]:
                check.problem(f"{where}.file", "must be a path")
                continue
            found[variable] = SecretRef(file=(base / ref["file"]).resolve())
    return found


def _check_cron(check: _Checker, value: Any) -> str:
    if not isinstance(value, str):
        check.problem("tenant.schedule", "must be a cron string")
        return DEFAULT_SCHEDULE
    fields = value.split()
    if len(fields) not in (5, 6) or not all(_CRON_FIELD.fullmatch(f) for f in fields):
        check.problem("tenant.schedule", f"must be a cron expression of 5 or 6 fields: {value!r}")
        return DEFAULT_SCHEDULE
    return value


_KEYS = {
    "name",
    "config",
    "schedule",
    "account",
    "oracle_pod",
    "oracle_concurrency",
    "initial_start",
    "enabled",
    "secrets",
}


def _tenant(check: _Checker, data: Mapping[str, Any]) -> Tenant | None:
    table = data.get("tenant")
    if set(data) - {"tenant"}:
        check.problem(", ".join(sorted(set(data) - {"tenant"})), "unknown table (only [tenant])")
    if not isinstance(table, Mapping):
        check.problem("tenant", "missing [tenant] table")
        return None
    for key in sorted(set(table) - _KEYS):
        check.problem(f"tenant.{key}", "unknown key")
    name = table.get("name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        check.problem("tenant.name", "must be lower-case letters, digits and _ (max 41)")
        name = "invalid"
    base = check.source.parent
    config = table.get("config")
    if not isinstance(config, str) or not config:
        check.problem("tenant.config", "must be the path of the tenant's connector configuration")
        config = "missing.toml"
    config_path = (base / config).resolve()
    if isinstance(table.get("config"), str) and not config_path.is_file():
        check.problem("tenant.config", f"no such file: {config}")
    account = table.get("account")
    if account is not None and (not isinstance(account, str) or not account):
        check.problem("tenant.account", "must be a non-empty string (an id, never the key)")
        account = None
    pod = table.get("oracle_pod")
    if pod is not None and not isinstance(pod, str):
        check.problem("tenant.oracle_pod", "must be a string")
        pod = None
    concurrency = table.get("oracle_concurrency")
    if concurrency is not None and (
        not isinstance(concurrency, int) or isinstance(concurrency, bool) or concurrency < 1
    ):
        check.problem("tenant.oracle_concurrency", "must be a positive integer")
        concurrency = None
    if concurrency is not None and pod is None:
        check.problem("tenant.oracle_concurrency", "needs tenant.oracle_pod")
    start = table.get("initial_start")
    initial_start: datetime | None = None
    if isinstance(start, datetime):
        if start.tzinfo is None:
            check.problem("tenant.initial_start", "must have a UTC offset")
        else:
            initial_start = start
    elif isinstance(start, str):
        try:
            initial_start = parse_utc(start)
        except AuditError:
            check.problem("tenant.initial_start", "must be an ISO-8601 time with an offset")
    elif start is not None:
        check.problem("tenant.initial_start", "must be a time with an offset")
    enabled = table.get("enabled", True)
    if not isinstance(enabled, bool):
        check.problem("tenant.enabled", "must be true or false")
        enabled = True
    return Tenant(
        name=name,
        config=config_path,
        schedule=_check_cron(check, table.get("schedule", DEFAULT_SCHEDULE)),
        account=account,
        oracle_pod=pod,
        oracle_concurrency=concurrency,
        initial_start=initial_start,
        enabled=enabled,
        secrets=_secrets(check, table.get("secrets"), base),
        source=check.source,
    )


@attrs.frozen
class TenantRegistry:
    """The tenants, in name order.

    Build it with :meth:`from_directory`; tests may pass tenants directly.
    """

    tenants: tuple[Tenant, ...]

    @classmethod
    def from_directory(cls, directory: str | Path) -> TenantRegistry:
        """Read every ``*.toml`` file of ``directory`` (not its subfolders) as one tenant.

        Raises:
            TenantRegistryError: every problem of every file, at once.
        """
        folder = Path(directory)
        if not folder.is_dir():
            raise TenantRegistryError([(str(folder), "not a directory")])
        problems: list[tuple[str, str]] = []
        tenants: list[Tenant] = []
        for path in sorted(folder.glob("*.toml")):
            check = _Checker(path)
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError) as exc:
                check.problem("file", f"cannot be read as TOML: {exc}")
                problems += check.problems
                continue
            tenant = _tenant(check, data)
            problems += check.problems
            if tenant is not None and not check.problems:
                tenants.append(tenant)
        names = [t.name for t in tenants]
        for name in sorted({n for n in names if names.count(n) > 1}):
            problems.append((name, "two files name this tenant"))
        if problems:
            raise TenantRegistryError(problems)
        return cls(tuple(sorted(tenants, key=lambda t: t.name)))

    def __iter__(self) -> Iterator[Tenant]:
        return iter(self.tenants)

    def __len__(self) -> int:
        return len(self.tenants)

    def get(self, name: str) -> Tenant:
        """The tenant called ``name``.

        Raises:
            ConfigurationError: there is none.
        """
        for tenant in self.tenants:
            if tenant.name == name:
                return tenant
        raise ConfigurationError(f"no tenant called {name!r} in the registry", setting="tenant")

    def enabled(self) -> list[Tenant]:
        """The tenants workers schedule."""
        return [t for t in self.tenants if t.enabled]

    def names(self) -> Iterable[str]:
        """Every tenant's name."""
        return [t.name for t in self.tenants]
