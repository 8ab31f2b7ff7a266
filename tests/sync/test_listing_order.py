"""Throughput does not depend on ShipStation's listing order.

Real V1 lists shipments and fulfillments by creation date, orders by order id. On the realistic
simulator (creation-date order, orders created days before their labels, split labels hours
apart), a run reads each order once with its page of the window's order list (no single
``GET /orders/{id}``), completes split orders from the labels it has listed, and asks for an
order's labels only when they cannot be known otherwise (partial shipments, voids).
"""

from __future__ import annotations

from collections import Counter
from urllib.parse import parse_qs, urlsplit

from ml_connector.sync import ShipmentSync
from ml_connector.testing import REALISTIC

from ._env import DAY_END, DAY_START, Env, make_env


def _env() -> Env:
    return make_env(
        orders=300,
        split_rate=0.2,
        realism=REALISTIC,
        unmatched_email_rate=0.0,
        bad_sku_orders=0,
    )


def _calls(env: Env) -> Counter[str]:
    kinds: Counter[str] = Counter()
    for _method, url in env.ss.v1.requests:
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        if parts.path.startswith("/orders/"):
            kinds["single order"] += 1
        elif "orderId" in query:
            kinds["order labels"] += 1
        else:
            kinds[parts.path] += 1
    return kinds


def _keys(env: Env) -> Counter[str]:
    return Counter(i["TransactionNumber"] for i in env.oracle_sim.invoices())


def test_creation_date_order_costs_no_extra_order_calls() -> None:
    small, whole = _env(), _env()
    for env, chunk in ((small, 60), (whole, 10_000)):
        ShipmentSync(
            shipstation=env.shipstation(),
            oracle=env.oracle(),
            mapping=env.mapping,
            audit=env.audit,
            clock=env.clock,
            chunk_size=chunk,
        ).run((DAY_START, DAY_END))
    # Same documents, each once, whatever the chunking.
    assert _keys(small) == _keys(whole)
    assert set(_keys(small).values()) == {1}
    calls = _calls(small)
    assert calls["single order"] == 0, calls
    # Only orders whose labels cannot be known otherwise are asked for their labels.
    unknowable = {
        b.order["orderId"] for b in small.day.iter_bundles() if b.kind in ("partial", "void")
    }
    assert calls["order labels"] <= len(unknowable), calls
    splits = sum(1 for b in small.day.iter_bundles() if b.kind == "split")
    assert splits > 20  # they are there, and cost nothing extra
