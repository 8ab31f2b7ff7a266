"""Valid wire payloads to mutate: a generated day, the documented fixtures, Oracle's own rows.

Everything is built once per test session (small: a few dozen records) and handed out as deep
copies, so a mutation never leaks into another example.
"""

from __future__ import annotations

import copy
import functools
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from ml_connector import Secret
from ml_connector.audit import MemoryAuditSink
from ml_connector.cli._demo import demo_mapping_toml
from ml_connector.mapping import MappingConfig
from ml_connector.oracle import OAuthClientCredentials, OracleFusionClient, OracleFusionSettings
from ml_connector.shipstation import ShipStationV1Client, ShipStationV1Settings
from ml_connector.sync import ShipmentSync
from ml_connector.testing import (
    GeneratedDay,
    OracleFusionSimulator,
    ShipStationSimulator,
    VirtualClock,
    generate_day,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
START = datetime(2026, 1, 15, 8, tzinfo=UTC)
END = START + timedelta(days=3)


def fixture(name: str) -> Any:
    """A JSON fixture, with fractional numbers as Decimal (as the clients decode them)."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"), parse_float=Decimal)


@functools.cache
def day() -> GeneratedDay:
    # High split and void rates so that the mapping sees every shape of order.
    return generate_day(17, orders=24, warehouses=2, split_rate=0.3, void_rate=0.2)


@functools.cache
def mapping() -> MappingConfig:
    return MappingConfig.from_toml(demo_mapping_toml(day()))


def _wire(value: Any) -> Any:
    # Generated records are wire dicts already; a JSON round trip gives them exactly the types
    # a client sees (Decimal for fractions, no tuples).
    return json.loads(json.dumps(value, default=str), parse_float=Decimal)


@functools.cache
def _v1() -> dict[str, tuple[Any, ...]]:
    d = day()
    bundles = list(d.iter_bundles())
    return {
        "order": tuple(_wire(b.order) for b in bundles),
        "shipment": tuple(_wire(s) for b in bundles for s in b.shipments),
        "fulfillment": tuple(_wire(f) for b in bundles for f in b.fulfillments)
        + tuple(fixture("shipstation/v1-fulfillment-list.json")["fulfillments"]),
        "customer": (
            *(_wire(c) for c in d.iter_customers()),
            fixture("shipstation/v1-customer.example.json"),
        ),
        "warehouse": tuple(_wire(w) for w in d.warehouses),
        "store": tuple(_wire(s) for s in d.stores),
        "product": (fixture("shipstation/v1-product.json"),),
        "webhook": tuple(fixture("shipstation/v1-webhook-list.json")["webhooks"]),
        "webhook_body": (
            fixture("shipstation/v1-webhook-body.ILLUSTRATIVE.example.json"),
            fixture("shipstation/v2-webhook-body.batch.example.json"),
        ),
        "bundle": tuple(
            _wire({"order": b.order, "shipments": list(b.shipments)})
            for b in bundles
            if b.shipments
        ),
    }


@functools.cache
def _v2() -> dict[str, tuple[Any, ...]]:
    d = day()
    return {
        "inventory_level": tuple(_wire(x) for x in d.inventory[:20]),
        "inventory_warehouse": tuple(_wire(x) for x in d.inventory_warehouses),
        "inventory_location": tuple(_wire(x) for x in d.inventory_locations),
    }


@functools.cache
def _oracle() -> dict[str, tuple[Any, ...]]:
    """Rows as the Oracle simulator stores and serves them, after a real sync run."""
    d = day()
    clock = VirtualClock()
    shipstation = ShipStationSimulator(clock=clock)
    shipstation.load(d)
    oracle = OracleFusionSimulator(clock=clock)
    oracle.load(d)
    settings = OracleFusionSettings(
        pod_url=oracle.pod_url,
        auth=OAuthClientCredentials(
            token_url=oracle.identity_url + "/oauth2/v1/token",
            client_id="sim-client",
            client_secret=Secret("sim-client-secret"),
            scope="urn:opc:resource:consumer::all",
        ),
        party_email_resources=("hubPersons",),
    )
    v1 = ShipStationV1Settings(api_key="sim-key", api_secret="sim-secret")
    with (
        ShipStationV1Client(v1, transport=shipstation.transport(), clock=clock) as ss,
        OracleFusionClient(settings, transport=oracle.transport(), clock=clock) as client,
    ):
        ShipmentSync(
            shipstation=ss, oracle=client, mapping=mapping(), audit=MemoryAuditSink(), clock=clock
        ).run((START, END))
    invoices = tuple(_wire(x) for x in oracle.invoices())
    return {
        "invoice": invoices,
        # No label of this day is voided after posting; a memo row has the invoice's shape.
        "credit_memo": tuple(_wire(x) for x in oracle.credit_memos()) or invoices,
        "staged": tuple(_wire(x) for x in oracle.inventory_transactions()[:20]),
        "site": tuple(_wire(x) for x in d.iter_oracle_customer_sites()),
        "party": tuple(_wire(x) for x in d.iter_oracle_parties()),
        "combination": tuple(_wire(x) for x in oracle.collection("accountCombinationsLOV")[:6]),
    }


def samples(kind: str) -> tuple[Any, ...]:
    """Deep copies of the valid payloads of ``kind``."""
    for table in (_v1(), _v2(), _oracle()):
        if kind in table:
            return copy.deepcopy(table[kind])
    raise KeyError(kind)
