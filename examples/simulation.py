"""Stand-ins for your real accounts, so that every example runs offline with no credentials.

Each example builds its clients from ``ShipStationV1Settings`` and ``OracleFusionSettings``,
exactly as production code does, and passes them the simulators' transports and a virtual
clock. To run an example against real systems, build the settings from your secrets (see
docs/setup-shipstation.md and docs/setup-oracle.md) and drop the ``transport=``/``clock=``
arguments.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import attrs

from ml_connector import Secret
from ml_connector.mapping import MappingConfig, load_mapping_config
from ml_connector.oracle import OAuthClientCredentials, OracleFusionSettings
from ml_connector.shipstation import ShipStationV1Settings
from ml_connector.testing import (
    GeneratedDay,
    OracleFusionSimulator,
    ShipStationSimulator,
    VirtualClock,
    generate_day,
)

HERE = Path(__file__).resolve().parent
DAY_START = datetime(2026, 1, 15, 8, tzinfo=UTC)  # midnight Pacific, 15 January 2026
DAY_END = datetime(2026, 1, 16, 8, tzinfo=UTC)
NOW = datetime(2026, 1, 16, 9, tzinfo=UTC)


@attrs.define
class Simulation:
    """One simulated company: its ShipStation account, its Oracle pod and the settings."""

    clock: VirtualClock
    day: GeneratedDay
    shipstation: ShipStationSimulator
    oracle: OracleFusionSimulator
    v1_settings: ShipStationV1Settings
    oracle_settings: OracleFusionSettings
    mapping: MappingConfig


def simulate(orders: int = 200, *, seed: int = 7, clock: VirtualClock | None = None) -> Simulation:
    """A generated day of ``orders`` orders, served by in-process ShipStation and Oracle."""
    clock = clock or VirtualClock(NOW)
    day = generate_day(seed, orders=orders, warehouses=2)
    shipstation = ShipStationSimulator(clock=clock)
    shipstation.load(day)
    oracle = OracleFusionSimulator(clock=clock)
    oracle.load(day)
    return Simulation(
        clock=clock,
        day=day,
        shipstation=shipstation,
        oracle=oracle,
        # In production: Secret(os.environ["SHIPSTATION_API_KEY"]) and so on.
        v1_settings=ShipStationV1Settings(api_key="sim-key", api_secret="sim-secret"),
        oracle_settings=OracleFusionSettings(
            pod_url=oracle.pod_url,
            auth=OAuthClientCredentials(
                token_url=oracle.identity_url + "/oauth2/v1/token",
                client_id="sim-client",
                client_secret=Secret("sim-client-secret"),
                scope="urn:opc:resource:consumer::all",
            ),
            party_email_resources=("hubPersons",),
        ),
        mapping=load_mapping_config(HERE / "mapping.toml"),
    )
