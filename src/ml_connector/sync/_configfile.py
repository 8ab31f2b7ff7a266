"""The configuration file ``ml-connector.toml``: where the systems are, which variables hold
the secrets, the mapping, the audit trail and the job options.

The CLI and code read the same file: :func:`load_config` gives scripts and notebooks the typed
settings objects the CLI builds, with environment-variable references resolved the same way.

The file is TOML. Secrets are never written in it: a credential is given as the NAME of an
environment variable (``api_key_env = "SHIPSTATION_API_KEY"``), and every name has a default,
so with no file at all the standard variables are read (see :data:`DEFAULT_ENV`). Plain
values (URLs, the OAuth scope, the client id) may be written in the file or, the same way,
named by an ``*_env`` key.

Loading happens in two steps, each reporting every problem at once:

1. :func:`load_cli_config` reads and checks the file (unknown keys, wrong types, non-https
   URLs, a secret pasted into the file, a broken mapping configuration) with the one TOML
   checker the mapping configuration also uses;
2. :func:`resolve` reads the environment for the systems a command needs and builds the
   clients' settings objects, listing every variable that is missing.

The library reads the environment only here, and only through the mapping the caller passes
(``os.environ`` by default in :func:`load_config`, a plain dict in tests).
"""

from __future__ import annotations

import enum
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import attrs

from ml_connector._errors import ConfigurationError
from ml_connector._network import check_proxy
from ml_connector._redact import Secret
from ml_connector._retry import RetryPolicy
from ml_connector._settings import HttpSettings, validate_https_url
from ml_connector._toml import TomlChecker
from ml_connector.mapping import MappingConfig, MappingConfigError
from ml_connector.oracle import BasicCredentials, OAuthClientCredentials, OracleFusionSettings
from ml_connector.shipstation import (
    V1_BASE_URL,
    V2_BASE_URL,
    ShipStationV1Settings,
    ShipStationV2Settings,
)

__all__ = [
    "DEFAULT_AUDIT_PATH",
    "DEFAULT_CONFIG_NAME",
    "DEFAULT_ENV",
    "CliConfig",
    "CliConfigError",
    "Config",
    "ConfigFileError",
    "EnvRef",
    "NetworkSection",
    "ResolvedSettings",
    "SyncSection",
    "System",
    "load_cli_config",
    "load_config",
    "resolve",
]

T = TypeVar("T")

DEFAULT_CONFIG_NAME = "ml-connector.toml"
"""The file looked for in the working directory when no ``--config`` is given."""

DEFAULT_AUDIT_PATH = Path(".ml-connector") / "audit.sqlite3"
"""Where the audit trail goes when the file does not say (relative to the working directory)."""

DEFAULT_ENV: Mapping[str, str] = {
    "shipstation.api_key": "SHIPSTATION_API_KEY",
    "shipstation.api_secret": "SHIPSTATION_API_SECRET",
    "shipstation.v2_api_key": "SHIPSTATION_V2_API_KEY",
    "oracle.pod_url": "ORACLE_POD_URL",
    "oracle.token_url": "ORACLE_TOKEN_URL",
    "oracle.scope": "ORACLE_SCOPE",
    "oracle.client_id": "ORACLE_CLIENT_ID",
    "oracle.client_secret": "ORACLE_CLIENT_SECRET",
    "oracle.username": "ORACLE_USERNAME",
    "oracle.password": "ORACLE_PASSWORD",
}
"""The environment variable read for each setting when the file names none."""

_SECRETS = frozenset(
    {
        "shipstation.api_key",
        "shipstation.api_secret",
        "shipstation.v2_api_key",
        "oracle.client_secret",
        "oracle.password",
    }
)
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CONVENTIONAL_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")


class System(enum.StrEnum):
    """The systems a command talks to."""

    SHIPSTATION_V1 = "shipstation-v1"
    SHIPSTATION_V2 = "shipstation-v2"
    ORACLE = "oracle"

    @property
    def label(self) -> str:
        """A label for people."""
        return {
            System.SHIPSTATION_V1: "ShipStation V1",
            System.SHIPSTATION_V2: "ShipStation V2",
            System.ORACLE: "Oracle Fusion",
        }[self]


class ConfigFileError(ConfigurationError):
    """The configuration file has problems; ``problems`` lists every one as ``key: message``."""

    def __init__(self, problems: Iterable[str], *, source: str = "configuration") -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"{source} has {count} {noun}:\n{lines}")


CliConfigError = ConfigFileError
"""The name the CLI's modules use."""


@attrs.frozen
class EnvRef:
    """A value read from an environment variable.

    Attributes:
        name: The variable's name.
        setting: The setting it provides, e.g. ``shipstation.api_key``.
        declared_as: The file key that named it (``shipstation.api_key_env``), or ``None`` when
            the default name is used.
    """

    name: str
    setting: str
    declared_as: str | None = None

    @property
    def conventional(self) -> bool:
        """Whether the name looks like a variable name (else it may be a pasted secret)."""
        return _CONVENTIONAL_ENV_NAME.fullmatch(self.name) is not None

    def describe(self) -> str:
        """The variable for an error message, without echoing something that is not a name.

        A value that does not look like a conventional variable name may be a secret pasted
        in the wrong key, so it is not repeated.
        """
        if _CONVENTIONAL_ENV_NAME.fullmatch(self.name):
            where = f" (named by {self.declared_as})" if self.declared_as else ""
            return f"environment variable {self.name}{where}"
        return (
            f"the environment variable named by {self.declared_as or self.setting + '_env'} "
            "(its value does not look like a variable name; did you paste the secret itself?)"
        )


Value = str | EnvRef
"""A setting given literally in the file, or read from the environment."""


@attrs.frozen
class ShipStationSection:
    """``[shipstation]``: V1 key pair, V2 key, base URLs."""

    api_key: EnvRef
    api_secret: EnvRef
    v2_api_key: EnvRef
    base_url: str = V1_BASE_URL
    v2_base_url: str = V2_BASE_URL
    timeout: float = 30.0


@attrs.frozen
class OracleSection:
    """``[oracle]``: the pod, its identity domain and the client's options."""

    pod_url: Value
    auth: str
    token_url: Value
    scope: Value
    client_id: Value
    client_secret: EnvRef
    username: Value
    password: EnvRef
    timeout: float = 60.0
    options: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class SyncSection:
    """``[sync]``: job options.

    Attributes:
        overlap_hours: How far before the checkpoint an incremental shipment run starts.
        batch: Post missing documents in Oracle batch requests where possible.
        create_parties: Let the customer job create Oracle parties for unmatched customers.
        trust_audit_trail: Create documents of records the audit trail has never seen without
            looking them up first (see ``ShipmentSync(trust_audit_trail=...)``).
    """

    overlap_hours: float = 2.0
    batch: bool = True
    create_parties: bool = False
    trust_audit_trail: bool = False


@attrs.frozen
class NetworkSection:
    """``[http]``: how every client reaches the systems through an enterprise network.

    Attributes:
        proxy: Proxy URL, written in the file or read from ``proxy_env`` (a proxy URL with
            credentials belongs in a variable); ``None``: httpx's default (``HTTPS_PROXY``).
        ca_bundle: PEM file of CA certificates to trust (relative to the file).
    """

    proxy: Value | None = None
    ca_bundle: Path | None = None


@attrs.frozen
class CliConfig:
    """A checked configuration file (or the defaults, when there is none).

    Attributes:
        path: The file read, or ``None``.
        shipstation: The ShipStation section.
        oracle: The Oracle section.
        audit_path: The audit trail file (``.jsonl``: JSON Lines; anything else: SQLite).
        mapping: The mapping configuration, when the file has one.
        sync: Job options.
        network: Proxy and CA bundle for every client.
    """

    path: Path | None
    shipstation: ShipStationSection
    oracle: OracleSection
    audit_path: Path
    mapping: MappingConfig | None
    sync: SyncSection = SyncSection()
    network: NetworkSection = NetworkSection()

    def require_mapping(self) -> MappingConfig:
        """The mapping configuration, or a clear error saying where to put it."""
        if self.mapping is None:
            raise CliConfigError(
                [
                    'mapping: missing; add a [mapping] section with path = "mapping.toml" '
                    "(or the mapping tables inline) to the configuration file"
                ],
                source=self.source,
            )
        return self.mapping

    @property
    def source(self) -> str:
        """How error messages name this configuration."""
        return self.path.name if self.path is not None else "the default configuration"


# -- loading ---------------------------------------------------------------------------------


@attrs.frozen
class _OracleOptions:
    """``[oracle]`` options passed to :class:`OracleFusionSettings` as they are."""

    rest_version: str | None = None
    framework_version: str | None = None
    metadata_context: str | None = None
    invoice_key_attribute: str | None = None
    credit_memo_key_attribute: str | None = None
    credit_memo_reference_attribute: str | None = None
    scope_key_by_business_unit: bool | None = None
    party_root: str | None = None
    party_email_resources: tuple[str, ...] | None = None
    party_email_attribute: str | None = None
    account_segment_delimiter: str | None = None
    chart_of_accounts_id: int | None = None
    page_size: int | None = None
    batch_size: int | None = None
    bulk_lookup_size: int | None = None


_ORACLE_OPTIONS = tuple(field.name for field in attrs.fields(_OracleOptions))


class _Checker(TomlChecker):
    """The shared TOML checker plus this file's domain checks (URLs, variable names)."""

    def url(self, data: Mapping[str, Any], key: str, where: str, default: str) -> str:
        value = data.get(key, default)
        return self._check_url(value, f"{where}.{key}", allow_path=False) or default

    def _check_url(self, value: Any, setting: str, *, allow_path: bool) -> str | None:
        try:
            return validate_https_url(value, setting=setting, allow_path=allow_path)
        except ConfigurationError as exc:
            message = exc.message.removeprefix(f"{setting}: ")
            self.problem(setting, message)
            return None

    def env_ref(self, data: Mapping[str, Any], name: str, where: str) -> EnvRef:
        setting = f"{where}.{name}"
        key = f"{name}_env"
        if name in data:
            self.problem(
                setting,
                "secrets are not read from the file; set "
                f"{key} to the name of the environment variable that holds it",
            )
        declared = data.get(key)
        if declared is None:
            return EnvRef(DEFAULT_ENV[setting], setting)
        if not isinstance(declared, str) or not _ENV_NAME.fullmatch(declared):
            self.problem(f"{where}.{key}", "must be an environment variable name")
            return EnvRef(DEFAULT_ENV[setting], setting)
        return EnvRef(declared, setting, f"{where}.{key}")

    def value(self, data: Mapping[str, Any], name: str, where: str, *, url: bool = False) -> Value:
        setting = f"{where}.{name}"
        key = f"{name}_env"
        if name in data and key in data:
            self.problem(setting, f"give either {name} or {key}, not both")
        if name in data:
            literal = data[name]
            if not isinstance(literal, str) or not literal.strip():
                self.problem(setting, "must be a non-empty string")
                return EnvRef(DEFAULT_ENV[setting], setting)
            if url:
                self._check_url(literal, setting, allow_path=name == "token_url")
            return literal.strip()
        return self.env_ref(data, name, where)


def _shipstation(check: _Checker, data: Mapping[str, Any]) -> ShipStationSection:
    table = check.table(data, "shipstation")
    secrets = ("api_key", "api_secret", "v2_api_key")
    check.keys(
        table,
        {
            *(f"{name}_env" for name in secrets),
            *secrets,
            "base_url",
            "v2_base_url",
            "timeout",
        },
        "shipstation",
    )
    return ShipStationSection(
        api_key=check.env_ref(table, "api_key", "shipstation"),
        api_secret=check.env_ref(table, "api_secret", "shipstation"),
        v2_api_key=check.env_ref(table, "v2_api_key", "shipstation"),
        base_url=check.url(table, "base_url", "shipstation", V1_BASE_URL),
        v2_base_url=check.url(table, "v2_base_url", "shipstation", V2_BASE_URL),
        timeout=check.number(table, "timeout", "shipstation", 30.0),
    )


def _oracle(check: _Checker, data: Mapping[str, Any]) -> OracleSection:
    table = check.table(data, "oracle")
    plain = ("pod_url", "token_url", "scope", "client_id", "username")
    secrets = ("client_secret", "password")
    check.keys(
        table,
        {
            *plain,
            *(f"{name}_env" for name in (*plain, *secrets)),
            *secrets,
            "auth",
            "timeout",
            *_ORACLE_OPTIONS,
        },
        "oracle",
    )
    auth = table.get("auth", "oauth")
    if auth not in ("oauth", "basic"):
        check.problem("oracle.auth", "must be 'oauth' (production) or 'basic' (development pods)")
        auth = "oauth"
    raw = {name: table[name] for name in _ORACLE_OPTIONS if name in table}
    structured = check.structure(raw, _OracleOptions, "oracle")
    options: dict[str, Any] = {}
    if structured is not None:
        options = {k: v for k, v in attrs.asdict(structured).items() if v is not None}
    return OracleSection(
        pod_url=check.value(table, "pod_url", "oracle", url=True),
        auth=auth,
        token_url=check.value(table, "token_url", "oracle", url=True),
        scope=check.value(table, "scope", "oracle"),
        client_id=check.value(table, "client_id", "oracle"),
        client_secret=check.env_ref(table, "client_secret", "oracle"),
        username=check.value(table, "username", "oracle"),
        password=check.env_ref(table, "password", "oracle"),
        timeout=check.number(table, "timeout", "oracle", 60.0),
        options=options,
    )


def _audit_path(check: _Checker, data: Mapping[str, Any], base: Path, cwd: Path) -> Path:
    table = check.table(data, "audit")
    check.keys(table, {"path"}, "audit")
    value = table.get("path")
    if value is None:
        return cwd / DEFAULT_AUDIT_PATH
    if not isinstance(value, str) or not value.strip():
        check.problem("audit.path", "must be a file path")
        return cwd / DEFAULT_AUDIT_PATH
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


def _mapping(check: _Checker, data: Mapping[str, Any], base: Path) -> MappingConfig | None:
    if "mapping" not in data:
        return None
    table = check.table(data, "mapping")
    try:
        if "path" in table:
            extra = sorted(set(table) - {"path"})
            if extra:
                check.problem("mapping", "give either path or the mapping tables, not both")
                return None
            raw = table["path"]
            if not isinstance(raw, str) or not raw.strip():
                check.problem("mapping.path", "must be a file path")
                return None
            file = Path(raw).expanduser()
            file = file if file.is_absolute() else base / file
            try:
                text = file.read_text(encoding="utf-8")
            except OSError as exc:
                check.problem("mapping.path", f"cannot read {file}: {exc.strerror}")
                return None
            return MappingConfig.from_toml(text)
        return MappingConfig.from_dict(table)
    except MappingConfigError as exc:
        for problem in exc.problems:
            path = f"mapping.{problem.path}" if problem.path else "mapping"
            check.problem(path, problem.message)
        return None


def _sync(check: _Checker, data: Mapping[str, Any]) -> SyncSection:
    table = check.table(data, "sync")
    section = check.structure(table, SyncSection, "sync") or SyncSection()
    if section.overlap_hours < 0:
        check.problem("sync.overlap_hours", "must be a number of hours, 0 or more")
        section = attrs.evolve(section, overlap_hours=2.0)
    return section


def _network(check: _Checker, data: Mapping[str, Any], base: Path) -> NetworkSection:
    table = check.table(data, "http")
    check.keys(table, {"proxy", "proxy_env", "ca_bundle"}, "http")
    proxy: Value | None = None
    if "proxy" in table and "proxy_env" in table:
        check.problem("http.proxy", "give either proxy or proxy_env, not both")
    elif "proxy" in table:
        literal = table["proxy"]
        try:
            check_proxy(literal, setting="http.proxy")
        except ConfigurationError as exc:
            check.problem("http.proxy", exc.message.removeprefix("http.proxy: "))
        else:
            if isinstance(literal, str) and "@" in urlsplit(literal).netloc:
                check.problem(
                    "http.proxy",
                    "has credentials: put the URL in an environment variable and name it "
                    "with proxy_env",
                )
            else:
                proxy = literal
    elif "proxy_env" in table:
        name = table["proxy_env"]
        if not isinstance(name, str) or not _ENV_NAME.fullmatch(name):
            check.problem("http.proxy_env", "must be an environment variable name")
        else:
            proxy = EnvRef(name, "http.proxy", "http.proxy_env")
    ca_bundle = None
    raw = table.get("ca_bundle")
    if raw is not None:
        if not isinstance(raw, str) or not raw.strip():
            check.problem("http.ca_bundle", "must be the path of a PEM file")
        else:
            ca_bundle = Path(raw).expanduser()
            ca_bundle = ca_bundle if ca_bundle.is_absolute() else base / ca_bundle
            if not ca_bundle.is_file():
                check.problem("http.ca_bundle", f"{ca_bundle} is not a file")
    return NetworkSection(proxy=proxy, ca_bundle=ca_bundle)


def load_cli_config(
    path: Path | None, *, mapping: bool = True, cwd: Path | None = None
) -> CliConfig:
    """Read and check a configuration file; ``None`` gives the defaults (environment only).

    Args:
        path: The TOML file, or ``None``.
        mapping: Whether to load and check the ``[mapping]`` section (``ping`` needs none).
        cwd: The working directory the default audit path is relative to.

    Raises:
        CliConfigError: listing every problem found.
    """
    data: Mapping[str, Any] = {}
    cwd = cwd if cwd is not None else Path.cwd()
    base = cwd
    source = "the default configuration"
    if path is not None:
        source = path.name
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise CliConfigError([f"cannot read {path}: {exc.strerror}"], source=source) from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise CliConfigError([f"not valid TOML: {exc}"], source=source) from None
        base = path.resolve().parent
    check = _Checker()
    check.keys(data, {"shipstation", "oracle", "audit", "mapping", "sync", "http"}, "")
    shipstation = _shipstation(check, data)
    oracle = _oracle(check, data)
    audit_path = _audit_path(check, data, base, cwd)
    mapping_config = _mapping(check, data, base) if mapping else None
    sync = _sync(check, data)
    network = _network(check, data, base)
    if check.problems:
        raise CliConfigError(check.messages(), source=source)
    return CliConfig(
        path=path,
        shipstation=shipstation,
        oracle=oracle,
        audit_path=audit_path,
        mapping=mapping_config,
        sync=sync,
        network=network,
    )


# -- resolving against the environment -------------------------------------------------------


@attrs.frozen
class ResolvedSettings:
    """Settings objects for the systems a command asked for (``None`` for the others)."""

    shipstation_v1: ShipStationV1Settings | None = None
    shipstation_v2: ShipStationV2Settings | None = None
    oracle: OracleFusionSettings | None = None


class _Resolver:
    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ
        self.problems: list[str] = []

    def text(self, value: Value) -> str | None:
        if isinstance(value, str):
            return value
        found = self.environ.get(value.name, "").strip()
        if not found:
            self.problems.append(f"{value.setting}: {value.describe()} is not set")
            return None
        return found

    def secret(self, value: EnvRef) -> Secret | None:
        found = self.text(value)
        return None if found is None else Secret(found)

    def build(self, section: str, make: Callable[[], T]) -> T | None:
        try:
            return make()
        except ConfigurationError as exc:
            message = exc.message
            setting = getattr(exc, "setting", None)
            if setting and message.startswith(f"{setting}: "):
                message = message[len(setting) + 2 :]
            key = f"{section}.{setting}" if setting else section
            self.problems.append(f"{key}: {message}")
            return None


def _http(
    base_url: str,
    timeout: float,
    retry: RetryPolicy | None,
    network: Mapping[str, Any],
) -> HttpSettings:
    if retry is None:
        return HttpSettings(base_url=base_url, timeout=timeout, **network)
    return HttpSettings(base_url=base_url, timeout=timeout, retry=retry, **network)


def _network_options(r: _Resolver, network: NetworkSection) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if network.proxy is not None:
        proxy = r.text(network.proxy)
        if proxy is not None:
            try:
                check_proxy(proxy, setting="http.proxy")
            except ConfigurationError:
                # The value may hold credentials: name the variable, never the value.
                r.problems.append("http.proxy: the proxy URL read from the environment is invalid")
            else:
                options["proxy"] = proxy
    if network.ca_bundle is not None:
        options["ca_bundle"] = str(network.ca_bundle)
    return options


def resolve(
    config: CliConfig,
    environ: Mapping[str, str],
    systems: Iterable[System],
    *,
    retry: RetryPolicy | None = None,
) -> ResolvedSettings:
    """Build the settings of ``systems`` from ``config`` and the environment.

    Args:
        config: The checked configuration.
        environ: The environment (``os.environ``, or a dict in tests).
        systems: The systems the command needs.
        retry: A retry policy to use instead of the clients' defaults (``ping`` fails fast).

    Raises:
        CliConfigError: listing every missing variable and every invalid value.
    """
    wanted = set(systems)
    r = _Resolver(environ)
    network = _network_options(r, config.network) if wanted else {}
    v1 = v2 = oracle = None
    ss = config.shipstation
    if System.SHIPSTATION_V1 in wanted:
        key, secret = r.secret(ss.api_key), r.secret(ss.api_secret)
        if key is not None and secret is not None:
            v1 = r.build(
                "shipstation",
                lambda: ShipStationV1Settings(
                    api_key=key,
                    api_secret=secret,
                    http=_http(ss.base_url, ss.timeout, retry, network),
                ),
            )
    if System.SHIPSTATION_V2 in wanted:
        v2_key = r.secret(ss.v2_api_key)
        if v2_key is not None:
            v2 = r.build(
                "shipstation",
                lambda: ShipStationV2Settings(
                    api_key=v2_key, http=_http(ss.v2_base_url, ss.timeout, retry, network)
                ),
            )
    if System.ORACLE in wanted:
        oracle = _oracle_settings(r, config.oracle, retry, network)
    if r.problems:
        raise CliConfigError(r.problems, source=config.source)
    return ResolvedSettings(shipstation_v1=v1, shipstation_v2=v2, oracle=oracle)


def _oracle_settings(
    r: _Resolver,
    section: OracleSection,
    retry: RetryPolicy | None,
    network: Mapping[str, Any],
) -> OracleFusionSettings | None:
    pod_url = r.text(section.pod_url)
    auth: OAuthClientCredentials | BasicCredentials | None = None
    if section.auth == "oauth":
        token_url = r.text(section.token_url)
        scope = r.text(section.scope)
        client_id = r.text(section.client_id)
        client_secret = r.secret(section.client_secret)
        if token_url and scope and client_id and client_secret:
            auth = r.build(
                "oracle",
                lambda: OAuthClientCredentials(
                    token_url=token_url,
                    client_id=client_id,
                    client_secret=client_secret,
                    scope=scope,
                ),
            )
    else:
        username = r.text(section.username)
        password = r.secret(section.password)
        if username and password:
            auth = r.build("oracle", lambda: BasicCredentials(username=username, password=password))
    if pod_url is None or auth is None:
        return None
    options = dict(section.options) | dict(network)
    if retry is not None:
        options["retry"] = retry
    chosen = auth
    return r.build(
        "oracle",
        lambda: OracleFusionSettings(
            pod_url=pod_url, auth=chosen, timeout=section.timeout, **options
        ),
    )


# -- the public entry point ------------------------------------------------------------------


@attrs.frozen
class Config:
    """``ml-connector.toml`` as typed settings: what the CLI builds, for scripts and notebooks.

    A system whose variables are all unset (and that the file gives no value for) is ``None``;
    one that is half configured is an error (see :func:`load_config`).

    Attributes:
        path: The file read, or ``None`` (environment variables only).
        shipstation_v1: Settings for :class:`~ml_connector.ShipStationV1Client`.
        shipstation_v2: Settings for :class:`~ml_connector.ShipStationV2Client`.
        oracle: Settings for :class:`~ml_connector.OracleFusionClient`.
        mapping: The mapping configuration, when the file has a ``[mapping]`` section.
        audit_path: The audit trail file (``.jsonl``: JSON Lines; anything else: SQLite).
        sync: Job options of the ``[sync]`` section.
    """

    path: Path | None
    shipstation_v1: ShipStationV1Settings | None
    shipstation_v2: ShipStationV2Settings | None
    oracle: OracleFusionSettings | None
    mapping: MappingConfig | None
    audit_path: Path
    sync: SyncSection = SyncSection()

    def require_mapping(self) -> MappingConfig:
        """The mapping configuration.

        Raises:
            ConfigFileError: the file has no ``[mapping]`` section.
        """
        if self.mapping is None:
            raise ConfigFileError(
                ['mapping: missing; add a [mapping] section with path = "mapping.toml"'],
                source=self.path.name if self.path else "the default configuration",
            )
        return self.mapping


def _configured(config: CliConfig, system: System, environ: Mapping[str, str]) -> bool:
    """Whether anything (a literal in the file, a set variable) configures ``system``."""
    ss, oracle = config.shipstation, config.oracle
    values: tuple[Value, ...]
    if system is System.SHIPSTATION_V1:
        values = (ss.api_key, ss.api_secret)
    elif system is System.SHIPSTATION_V2:
        values = (ss.v2_api_key,)
    else:
        values = (
            oracle.pod_url,
            oracle.token_url,
            oracle.scope,
            oracle.client_id,
            oracle.client_secret,
            oracle.username,
            oracle.password,
        )
    return any(isinstance(value, str) or environ.get(value.name, "").strip() for value in values)


def load_config(
    path: str | Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Config:
    """Load the configuration file the CLI uses, as typed settings.

    Environment-variable references (``api_key_env = "SHIPSTATION_API_KEY"``, and the
    default names when the file gives none) are resolved exactly as the ``ml-connector``
    command resolves them, and relative paths (mapping, audit trail) are taken relative to
    the file::

        from ml_connector import ShipmentSync, load_config

        config = load_config("ml-connector.toml")
        print(config.oracle)  # OracleFusionSettings(pod_url=..., auth=OAuthClientCredentials(...))

    Args:
        path: The TOML file; ``None`` reads the environment variables only.
        environ: Where variables are read (default: ``os.environ``; pass a dict in tests).
        cwd: The directory the default audit path is relative to (default: the current one).

    Returns:
        The settings; a system nobody configured is ``None``.

    Raises:
        ConfigFileError: listing every problem in the file, every missing variable of a
            system that is partly configured, and every invalid value.
    """
    import os

    env: Mapping[str, str] = os.environ if environ is None else environ
    file = None if path is None else Path(path).expanduser()
    config = load_cli_config(file, cwd=cwd)
    systems = [system for system in System if _configured(config, system, env)]
    settings = resolve(config, env, systems)
    return Config(
        path=file,
        shipstation_v1=settings.shipstation_v1,
        shipstation_v2=settings.shipstation_v2,
        oracle=settings.oracle,
        mapping=config.mapping,
        audit_path=config.audit_path,
        sync=config.sync,
    )
