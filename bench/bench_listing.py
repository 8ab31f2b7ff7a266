"""ShipStation calls of a sync when the listings come in ShipStation's own order.

Real V1 lists shipments and fulfillments by creation date and orders by order id
(https://docs.shipstation.com/apis/shipstation-v1/docs/shipments/list); the tidy simulator
lists everything in order-id order. The same day is synced twice on the simulator: tidy, and in
the realistic mode (creation-date order, creation-time ids, orders created hours to days before
their labels, split labels hours apart). Each row counts the V1 requests by kind next to the
floor ``ceil(created/500) + max(1, ceil(voided/500))`` (the label listings alone) and the order
floor ``ceil(distinct orders/500)``.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import timedelta
from urllib.parse import urlsplit

from ml_connector.audit import MemoryAuditSink
from ml_connector.oracle import OracleFusionClient
from ml_connector.shipstation import ShipStationV1Client
from ml_connector.sync import ShipmentSync
from ml_connector.testing import (
    REALISTIC,
    OracleFusionSimulator,
    ShipStationSimulator,
    VirtualClock,
    generate_day,
)

from ._report import Result, Table
from ._scenario import NOW, START, V1, directory_for, mapping_for

_POD = "https://sim-test.fa.us2.oraclecloud.com"


def _kind(url: str) -> str:
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    if path.startswith("/orders/"):
        return "GET /orders/{id}"
    if path == "/shipments" and "orderId=" in parts.query:
        return "GET /shipments?orderId="
    if path == "/fulfillments" and "orderId=" in parts.query:
        return "GET /fulfillments?orderId="
    return f"GET {path}"


def measure(
    orders: int, *, realistic: bool, seed: int = 21, window_hours: float | None = None
) -> dict[str, object]:
    """V1 requests by kind for a sync of a generated day (in process, no faults): one window,
    or successive windows of ``window_hours`` as incremental runs make them."""
    from ._scenario import oracle_settings

    day = generate_day(
        seed,
        orders=orders,
        warehouses=2,
        unmatched_email_rate=0.0,
        bad_sku_orders=0,
        realism=REALISTIC if realistic else None,
    )
    clock = VirtualClock(NOW)
    shipstation = ShipStationSimulator(clock=clock, v1_options={"rate_limit": None})
    shipstation.load(day)
    oracle = OracleFusionSimulator(clock=clock)
    oracle.load(day)
    identity = "https://idcs-0c0ffee0c0ffee0c0ffee0c0ffee0c0f.identity.oraclecloud.com"
    with (
        ShipStationV1Client(V1, transport=shipstation.transport(), clock=clock) as ss,
        OracleFusionClient(
            oracle_settings(_POD, identity), transport=oracle.transport(), clock=clock
        ) as fusion,
    ):
        sync = ShipmentSync(
            shipstation=ss,
            oracle=fusion,
            mapping=mapping_for(day),
            audit=MemoryAuditSink(),
            clock=clock,
            directory=directory_for(day),
            results="problems",
            fulfillment_void_lookback=timedelta(0),
        )
        step = NOW - START if window_hours is None else timedelta(hours=window_hours)
        start = START
        while start < NOW:
            end = min(NOW, start + step)
            sync.run((start, end), dry_run=True)
            start = end
    kinds = Counter(_kind(url) for method, url in shipstation.v1.requests if method == "GET")
    stats = day.stats()
    created = stats["shipments"] + stats["fulfillments"]
    voided = stats["voided_shipments"]
    shipped_orders = sum(1 for b in day.iter_bundles() if b.shipments or b.fulfillments)
    return {
        "kinds": kinds,
        "total": sum(kinds.values()),
        "floor": math.ceil(created / 500) + max(1, math.ceil(voided / 500)),
        "order_floor": math.ceil(shipped_orders / 500),
        "created": created,
        "voided": voided,
        "orders": shipped_orders,
    }


def run(quick: bool) -> Result:
    del quick  # the size (a 10,000-order day) in both modes: about a minute
    size = 10_000
    rows = []
    for name, realistic, hours in (
        ("order id (tidy)", False, None),
        ("creation date (realistic)", True, None),
        ("creation date, 4-hour windows", True, 4.0),
    ):
        m = measure(size, realistic=realistic, window_hours=hours)
        kinds: Counter[str] = m["kinds"]  # type: ignore[assignment]
        rows.append(
            (
                name,
                f"{m['created']:,} / {m['voided']:,}",
                f"{kinds['GET /shipments'] + kinds['GET /fulfillments']:,}",
                f"{m['floor']:,}" if hours is None else "-",
                f"{kinds['GET /orders']:,} + {kinds['GET /orders/{id}']:,} single",
                f"{m['order_floor']:,}" if hours is None else "-",
                f"{kinds['GET /shipments?orderId=']:,}",
                f"{m['total']:,}",
            )
        )
    table = Table(
        (
            "listing order",
            "labels created / voided",
            "label list calls",
            "floor",
            "order calls",
            "order floor",
            "order-label look-ups",
            "V1 calls in all",
        ),
        tuple(rows),
    )
    return Result(
        title="ShipStation calls in ShipStation's listing order",
        goal="order look-ups grow with distinct orders, not with the listing order",
        tables=(table,),
        notes=(
            f"{size:,} orders, one dry run each (documents looked up, nothing posted): the "
            "whole day in one window, or in successive 4-hour windows as incremental runs cut "
            "it.",
            "In 4-hour windows the floors are per window (not shown); an order modified after "
            "its window's end (a split order's later label, a later void) is not in that "
            "window's order list and is fetched alone, and a split or partial order whose "
            "labels fall in two windows is asked for its labels.",
        ),
    )
