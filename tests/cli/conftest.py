"""Fixtures for CLI tests: simulators, a credential environment and a runtime factory."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest

from ml_connector.cli._demo import demo_mapping_toml
from ml_connector.cli._main import _run
from ml_connector.cli._runtime import Runtime
from ml_connector.testing import (
    GeneratedDay,
    OracleFusionSimulator,
    ShipStationSimulator,
    VirtualClock,
    generate_day,
)

V1_KEY = "0123456789abcdef0123456789abcdef"
V1_SECRET = "fedcba9876543210fedcba9876543210"
V2_KEY = "TEST_v2key_5f3c1d2e9a7b"
ORACLE_SECRET = "oracle-client-secret-123"
SECRETS = (V1_KEY, V1_SECRET, V2_KEY, ORACLE_SECRET)


@attrs.define
class Result:
    """What a CLI run left behind."""

    code: int
    out: str
    err: str


@attrs.define
class Sims:
    day: GeneratedDay
    clock: VirtualClock
    shipstation: ShipStationSimulator
    oracle: OracleFusionSimulator

    def transports(self) -> dict[str, httpx.BaseTransport]:
        return {"shipstation": self.shipstation.transport(), "oracle": self.oracle.transport()}


DAY_SEED, DAY_ORDERS, DAY_WAREHOUSES = 7, 16, 2


@pytest.fixture
def sims(clock: VirtualClock) -> Sims:
    day = generate_day(DAY_SEED, orders=DAY_ORDERS, warehouses=DAY_WAREHOUSES)
    shipstation = ShipStationSimulator(
        clock=clock,
        v1_options={"api_key": V1_KEY, "api_secret": V1_SECRET},
        v2_options={"api_key": V2_KEY},
    )
    shipstation.load(day)
    oracle = OracleFusionSimulator(clock=clock, client_secret=ORACLE_SECRET)
    oracle.load(day)
    return Sims(day, clock, shipstation, oracle)


@pytest.fixture
def env(sims: Sims) -> dict[str, str]:
    """Every credential the default configuration reads, pointing at the simulators."""
    return {
        "SHIPSTATION_API_KEY": V1_KEY,
        "SHIPSTATION_API_SECRET": V1_SECRET,
        "SHIPSTATION_V2_API_KEY": V2_KEY,
        "ORACLE_POD_URL": sims.oracle.pod_url,
        "ORACLE_TOKEN_URL": sims.oracle.identity_url + "/oauth2/v1/token",
        "ORACLE_SCOPE": "urn:opc:resource:consumer::all",
        "ORACLE_CLIENT_ID": "sim-client",
        "ORACLE_CLIENT_SECRET": ORACLE_SECRET,
    }


CliRunner = Callable[..., Result]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A configuration file with the mapping of the simulators' generated day."""
    day = generate_day(DAY_SEED, orders=DAY_ORDERS, warehouses=DAY_WAREHOUSES)
    (tmp_path / "mapping.toml").write_text(demo_mapping_toml(day), encoding="utf-8")
    path = tmp_path / "ml-connector.toml"
    path.write_text(
        '[mapping]\npath = "mapping.toml"\n[audit]\npath = "trail/audit.sqlite3"\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture
def cli(clock: VirtualClock, tmp_path: Path) -> CliRunner:
    """Run the CLI in-process: ``cli(argv, environ=..., transports=...)``."""

    def run(
        argv: list[str],
        *,
        environ: Mapping[str, str] | None = None,
        transports: Mapping[str, httpx.BaseTransport] | None = None,
        progress: bool | None = False,
        **extra: Any,
    ) -> Result:
        out, err = io.StringIO(), io.StringIO()
        runtime = Runtime(
            stdout=out,
            stderr=err,
            environ=dict(environ or {}),
            clock=clock,
            transports=dict(transports or {}),
            cwd=tmp_path,
            progress=progress,
            **extra,
        )
        code = _run(argv, runtime)
        return Result(code, out.getvalue(), err.getvalue())

    return run
