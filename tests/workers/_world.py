"""Tenants on the simulators: one ShipStation account and one Oracle pod each."""

from __future__ import annotations

from pathlib import Path

import attrs
import httpx

from ml_connector.cli._demo import demo_mapping_toml
from ml_connector.testing import (
    GeneratedDay,
    OracleFusionSimulator,
    ShipStationSimulator,
    VirtualClock,
    generate_day,
)

V1_KEY = "0123456789abcdef0123456789abcdef"
V1_SECRET = "fedcba9876543210fedcba9876543210"
ORACLE_SECRET = "oracle-client-secret-123"


@attrs.define
class World:
    """Simulators for some tenants (one ShipStation account and one Oracle pod each)."""

    clock: VirtualClock
    day: GeneratedDay
    shipstation: dict[str, ShipStationSimulator]
    oracle: dict[str, OracleFusionSimulator]
    folder: Path

    def environ(self) -> dict[str, str]:
        env: dict[str, str] = {}
        for name, sim in self.oracle.items():
            upper = name.upper()
            env[f"{upper}_SS_KEY"] = V1_KEY + name
            env[f"{upper}_SS_SECRET"] = V1_SECRET
            env[f"{upper}_ORACLE_SECRET"] = ORACLE_SECRET
            env[f"{upper}_POD"] = sim.pod_url
            env[f"{upper}_TOKEN_URL"] = sim.identity_url + "/oauth2/v1/token"
        return env

    def transports(self, name: str) -> dict[str, httpx.BaseTransport]:
        return {
            "shipstation": self.shipstation[name].transport(),
            "oracle": self.oracle[name].transport(),
        }


def build_world(folder: Path, names: list[str], clock: VirtualClock, orders: int = 12) -> World:
    day = generate_day(7, orders=orders, warehouses=2)
    configs = folder / "configs"
    configs.mkdir(parents=True, exist_ok=True)
    (configs / "mapping.toml").write_text(demo_mapping_toml(day), encoding="utf-8")
    shipstation: dict[str, ShipStationSimulator] = {}
    oracle: dict[str, OracleFusionSimulator] = {}
    for name in names:
        upper = name.upper()
        ss = ShipStationSimulator(
            clock=clock, v1_options={"api_key": V1_KEY + name, "api_secret": V1_SECRET}
        )
        ss.load(day)
        pod = OracleFusionSimulator(clock=clock, client_secret=ORACLE_SECRET)
        pod.load(day)
        shipstation[name], oracle[name] = ss, pod
        (configs / f"{name}.toml").write_text(
            f"""[mapping]
path = "mapping.toml"
[shipstation]
api_key_env = "SHIPSTATION_API_KEY"
[oracle]
pod_url_env = "{upper}_POD"
token_url_env = "{upper}_TOKEN_URL"
scope = "urn:opc:resource:consumer::all"
client_id = "sim-client"
""",
            encoding="utf-8",
        )
        (folder / f"{name}.toml").write_text(
            f"""[tenant]
name = "{name}"
config = "configs/{name}.toml"
account = "{name}-v1"
initial_start = "2026-01-15T08:00:00Z"
[tenant.secrets]
SHIPSTATION_API_KEY = {{ env = "{upper}_SS_KEY" }}
SHIPSTATION_API_SECRET = {{ env = "{upper}_SS_SECRET" }}
ORACLE_CLIENT_SECRET = {{ env = "{upper}_ORACLE_SECRET" }}
""",
            encoding="utf-8",
        )
    clock.advance(3 * 86400)  # the morning after the generated day
    return World(clock, day, shipstation, oracle, folder)
