"""A complete offline setting for sync tests: a generated day in the ShipStation and Oracle
simulators, clients wired to them, a mapping configuration that fits the day, an audit sink."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import attrs

from ml_connector import Secret
from ml_connector.audit import MemoryAuditSink, MemoryCheckpointStore
from ml_connector.mapping import MappingConfig
from ml_connector.oracle import (
    AsyncOracleFusionClient,
    OAuthClientCredentials,
    OracleFusionClient,
    OracleFusionSettings,
)
from ml_connector.shipstation import (
    AsyncShipStationV1Client,
    AsyncShipStationV2Client,
    ShipStationV1Client,
    ShipStationV1Settings,
    ShipStationV2Client,
    ShipStationV2Settings,
)
from ml_connector.testing import (
    FaultPlan,
    GeneratedDay,
    OracleFusionSimulator,
    ShipStationSimulator,
    VirtualClock,
    generate_day,
)

POD = "https://sim-test.fa.us2.oraclecloud.com"
IDENTITY = "https://idcs-0c0ffee0c0ffee0c0ffee0c0ffee0c0f.identity.oraclecloud.com"
DAY_START = datetime(2026, 1, 15, 8, tzinfo=UTC)  # midnight Pacific
DAY_END = datetime(2026, 1, 17, 8, tzinfo=UTC)
NOW = datetime(2026, 1, 17, 12, tzinfo=UTC)
NATURAL = {
    "revenue": "4011001",
    "receivable": "1210000",
    "freight": "4040000",
    "tax": "2210000",
    "inventory_issue": "5011001",
    "inventory_adjustment": "1410000",
}


def mapping_for(day: GeneratedDay, **changes: Any) -> MappingConfig:
    """A mapping configuration that fits a generated day."""
    data: dict[str, Any] = {
        "segments": {
            "names": ["company", "account", "sub", "cost_center", "product", "ic", "future"],
            "cost_center": "cost_center",
            "defaults": {"company": "01", "sub": "00", "product": "01", "ic": "01", "future": "00"},
        },
        "accounts": {purpose: {"account": natural} for purpose, natural in NATURAL.items()},
        "warehouses": {
            str(wh["warehouseId"]): {
                "name": wh["warehouseName"],
                "business_unit": "US1 Business Unit",
                "inventory_organization": day.organizations[wh["warehouseId"]],
                "subinventory": "FG",
                "cost_center": f"{(n + 1) * 100:04d}",
            }
            for n, wh in enumerate(day.warehouses)
        },
        "stores": {
            str(store["storeId"]): {
                "name": store["storeName"],
                **(
                    {"customer_account": day.marketplace_accounts[store["storeName"]]}
                    if store["storeName"] in day.marketplace_accounts
                    else {}
                ),
            }
            for store in day.stores
        },
        "receivables": {
            "transaction_source": "SHIPSTATION",
            "transaction_type": "Invoice",
            "credit_memo_transaction_type": "Credit Memo",
            "payment_terms": "IMMEDIATE",
            "currency": "USD",
        },
        "inventory": {"source_code": "SHIPSTATION", "reference": "posting_key"},
        "inventory_locations": {
            location["inventory_location_id"]: str(wh["warehouseId"])
            for location, wh in zip(day.inventory_locations, day.warehouses, strict=True)
        },
    }
    for key, value in changes.items():
        data[key] = value
    return MappingConfig.from_dict(data)


def oracle_settings(**changes: Any) -> OracleFusionSettings:
    fields: dict[str, Any] = {
        "pod_url": POD,
        "auth": OAuthClientCredentials(
            token_url=f"{IDENTITY}/oauth2/v1/token",
            client_id="sim-client",
            client_secret=Secret("sim-client-secret"),
            scope="urn:opc:resource:fa:instanceid=1urn:opc:resource:consumer::all",
        ),
        "party_email_resources": ("hubPersons",),
    }
    fields.update(changes)
    return OracleFusionSettings(**fields)


V1 = ShipStationV1Settings(api_key="sim-key", api_secret="sim-secret")
V2 = ShipStationV2Settings(api_key="sim-v2-key")


@attrs.define
class Env:
    """One simulated world; build clients with :meth:`shipstation` and friends."""

    clock: VirtualClock
    day: GeneratedDay
    ss: ShipStationSimulator
    oracle_sim: OracleFusionSimulator
    mapping: MappingConfig
    audit: MemoryAuditSink = attrs.field(factory=MemoryAuditSink)
    checkpoints: MemoryCheckpointStore = attrs.field(factory=MemoryCheckpointStore)

    def shipstation(self) -> ShipStationV1Client:
        return ShipStationV1Client(V1, transport=self.ss.transport(), clock=self.clock)

    def shipstation_v2(self) -> ShipStationV2Client:
        return ShipStationV2Client(V2, transport=self.ss.transport(), clock=self.clock)

    def oracle(self, **changes: Any) -> OracleFusionClient:
        return OracleFusionClient(
            oracle_settings(**changes), transport=self.oracle_sim.transport(), clock=self.clock
        )

    def async_shipstation(self) -> AsyncShipStationV1Client:
        return AsyncShipStationV1Client(V1, transport=self.ss.async_transport(), clock=self.clock)

    def async_shipstation_v2(self) -> AsyncShipStationV2Client:
        return AsyncShipStationV2Client(V2, transport=self.ss.async_transport(), clock=self.clock)

    def async_oracle(self, **changes: Any) -> AsyncOracleFusionClient:
        return AsyncOracleFusionClient(
            oracle_settings(**changes),
            transport=self.oracle_sim.async_transport(),
            clock=self.clock,
        )

    def shipstation_methods(self) -> set[str]:
        """HTTP methods ShipStation (V1 and V2) has seen."""
        return {method for method, _url in [*self.ss.v1.requests, *self.ss.v2.requests]}

    def oracle_posts(self) -> list[str]:
        """Document and batch POSTs to the pod (token requests excluded)."""
        return [
            url
            for method, url in self.oracle_sim.requests
            if method == "POST" and "/oauth2/" not in url
        ]


def make_env(
    *,
    seed: int = 10,
    orders: int = 60,
    oracle_faults: FaultPlan | None = None,
    mapping_changes: Mapping[str, Any] | None = None,
    **day_options: Any,
) -> Env:
    clock = VirtualClock(NOW)
    options: dict[str, Any] = {"warehouses": 3, "stores": ("web", "amazon", "ebay")}
    options.update(day_options)
    day = generate_day(seed, orders=orders, **options)
    ss = ShipStationSimulator(clock=clock)
    ss.load(day)
    oracle_sim = OracleFusionSimulator(clock=clock, faults=oracle_faults)
    oracle_sim.load(day)
    return Env(clock, day, ss, oracle_sim, mapping_for(day, **dict(mapping_changes or {})))


def by_key(items: list[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        grouped.setdefault(str(item.get(key)), []).append(item)
    return grouped
