"""``ml-connector ping``: can we reach each system with these credentials?

One cheap, read-only request per system:

- ShipStation V1: ``GET /warehouses`` (Basic auth with the key pair); the response's
  ``X-Rate-Limit-*`` headers give the headroom left in the 40-a-minute window
  (https://www.shipstation.com/docs/api/requirements/#api-rate-limits);
- ShipStation V2: ``GET /v2/inventory_warehouses`` (the ``api-key`` header);
- Oracle Fusion: an OAuth token from the identity domain, then a ``describe`` of
  ``receivablesInvoices`` on the pod.

Each system passes or fails on its own; nothing secret is printed (errors carry redacted URLs
and scrubbed bodies only). Retries are cut to one so that an unreachable host fails in seconds.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import attrs

from ml_connector._errors import ConnectorError, TransportError
from ml_connector._retry import RetryPolicy
from ml_connector.oracle import OracleFusionClient, OracleOAuth
from ml_connector.shipstation import ShipStationV1Client, ShipStationV2Client

from ._config import CliConfig, CliConfigError, System, resolve
from ._runtime import Runtime

__all__ = ["PING_RETRY", "SystemCheck", "ping", "render_ping"]

PING_RETRY = RetryPolicy(max_attempts=2, base=0.5, cap=2.0)
"""One retry only: ping answers quickly, it does not ride out an outage."""


@attrs.frozen
class SystemCheck:
    """The outcome for one system.

    Attributes:
        system: Which system.
        status: ``ok``, ``failed`` (the system answered with an error or could not be
            reached) or ``not_configured`` (credentials or settings missing).
        detail: One line for people.
        facts: Figures for machines (host, rate-limit headroom, ...).
        elapsed_ms: Wall time of the check.
    """

    system: System
    status: str
    detail: str
    facts: dict[str, Any] = attrs.field(factory=dict)
    elapsed_ms: int | None = None

    @property
    def ok(self) -> bool:
        """Whether the check passed."""
        return self.status == "ok"

    def as_json(self) -> dict[str, Any]:
        """The check as a JSON-ready dict."""
        return {
            "system": self.system.value,
            "ok": self.ok,
            "status": self.status,
            "detail": self.detail,
            **self.facts,
            "elapsed_ms": self.elapsed_ms,
        }


def _failure(system: System, exc: ConnectorError, started: float) -> SystemCheck:
    elapsed = int((time.perf_counter() - started) * 1000)
    facts: dict[str, Any] = {"error": exc.evidence()}
    detail = f"cannot reach the host: {exc}" if isinstance(exc, TransportError) else str(exc)
    return SystemCheck(system, "failed", detail, facts, elapsed)


def _check_v1(config: CliConfig, runtime: Runtime) -> SystemCheck:
    system = System.SHIPSTATION_V1
    settings = resolve(config, runtime.environ, [system], retry=PING_RETRY).shipstation_v1
    assert settings is not None
    started = time.perf_counter()
    with ShipStationV1Client(
        settings, transport=runtime.transport("shipstation"), clock=runtime.clock
    ) as client:
        try:
            warehouses = client.list_warehouses()
        except ConnectorError as exc:
            return _failure(system, exc, started)
        state = client.limiter.state
        reset_in = state.reset_in(runtime.clock.monotonic())
    facts: dict[str, Any] = {
        "host": settings.http.host,
        "warehouses": len(warehouses),
        "rate_limit": {
            "limit": state.limit,
            "remaining": state.remaining,
            "reset_in_seconds": None if reset_in is None else round(reset_in),
        },
    }
    detail = f"{settings.http.host}, {len(warehouses)} warehouses"
    if state.limit is not None and state.remaining is not None:
        detail += f", rate limit {state.remaining}/{state.limit} left this minute"
        if reset_in is not None:
            detail += f" (resets in {round(reset_in)} s)"
    elapsed = int((time.perf_counter() - started) * 1000)
    return SystemCheck(system, "ok", detail, facts, elapsed)


def _check_v2(config: CliConfig, runtime: Runtime) -> SystemCheck:
    system = System.SHIPSTATION_V2
    settings = resolve(config, runtime.environ, [system], retry=PING_RETRY).shipstation_v2
    assert settings is not None
    started = time.perf_counter()
    with ShipStationV2Client(
        settings, transport=runtime.transport("shipstation"), clock=runtime.clock
    ) as client:
        try:
            page = client.list_inventory_warehouses(limit=100)
        except ConnectorError as exc:
            return _failure(system, exc, started)
        state = client.limiter.state
    count = len(page.items)
    facts: dict[str, Any] = {"host": settings.http.host, "inventory_warehouses": count}
    detail = f"{settings.http.host}, {count} inventory warehouses"
    if state.limit is not None:
        facts["rate_limit"] = {"limit": state.limit, "remaining": state.remaining}
        detail += f", rate limit {state.remaining}/{state.limit} left"
    elapsed = int((time.perf_counter() - started) * 1000)
    return SystemCheck(system, "ok", detail, facts, elapsed)


def _check_oracle(config: CliConfig, runtime: Runtime) -> SystemCheck:
    system = System.ORACLE
    settings = resolve(config, runtime.environ, [system], retry=PING_RETRY).oracle
    assert settings is not None
    started = time.perf_counter()
    with OracleFusionClient(
        settings, transport=runtime.transport("oracle"), clock=runtime.clock
    ) as client:
        oauth = client.auth if isinstance(client.auth, OracleOAuth) else None
        try:
            described = client.ping()
        except ConnectorError as exc:
            check = _failure(system, exc, started)
            if oauth is not None:
                got_token = oauth.token_requests > 0 and oauth.cached_token() is not None
                check.facts["token"] = "ok" if got_token else "failed"
            return check
    facts: dict[str, Any] = {
        "host": described.get("pod"),
        "auth": "oauth" if oauth is not None else "basic",
        "token": "ok" if oauth is not None else None,
        "rest_version": described.get("rest_version"),
        "described": described.get("resource"),
        "attributes": described.get("attributes"),
    }
    auth_text = "OAuth token ok" if oauth is not None else "Basic auth ok"
    count = described.get("attributes")
    noun = "attribute" if count == 1 else "attributes"
    detail = (
        f"{described.get('pod')}, {auth_text}, describe {described.get('resource')} ok "
        f"({count} {noun}, REST {described.get('rest_version')})"
    )
    elapsed = int((time.perf_counter() - started) * 1000)
    return SystemCheck(system, "ok", detail, facts, elapsed)


_CHECKS = {
    System.SHIPSTATION_V1: _check_v1,
    System.SHIPSTATION_V2: _check_v2,
    System.ORACLE: _check_oracle,
}


def ping(config: CliConfig, runtime: Runtime, systems: Iterable[System]) -> list[SystemCheck]:
    """Check each system in turn; a failure of one never stops the others."""
    checks = []
    for system in systems:
        try:
            checks.append(_CHECKS[system](config, runtime))
        except CliConfigError as exc:
            checks.append(
                SystemCheck(
                    system,
                    "not_configured",
                    "; ".join(exc.problems),
                    {"problems": list(exc.problems)},
                )
            )
    return checks


def ping_exit_code(checks: Iterable[SystemCheck]) -> int:
    """0 when every check passed, 2 when one lacks configuration, else 1."""
    checks = list(checks)
    if any(c.status == "not_configured" for c in checks):
        return 2
    return 0 if all(c.ok for c in checks) else 1


def render_ping(checks: Iterable[SystemCheck], runtime: Runtime) -> None:
    """Print the checks, one line each."""
    checks = list(checks)
    runtime.say("ml-connector ping")
    labels = {"ok": "ok", "failed": "FAIL", "not_configured": "MISSING"}
    for check in checks:
        runtime.say(f"  {check.system.label:<15} {labels[check.status]:<8} {check.detail}")
    passed = sum(1 for c in checks if c.ok)
    runtime.say(f"{passed} of {len(checks)} systems passed")
