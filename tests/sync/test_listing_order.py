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

import pytest

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


def _run_day(env: Env, chunk: int) -> None:
    ShipmentSync(
        shipstation=env.shipstation(),
        oracle=env.oracle(),
        mapping=env.mapping,
        audit=env.audit,
        clock=env.clock,
        chunk_size=chunk,
    ).run((DAY_START, DAY_END))


def test_creation_date_order_costs_no_extra_order_calls() -> None:
    small, whole = _env(), _env()
    _run_day(small, 60)
    _run_day(whole, 10_000)
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


def test_the_order_list_moves_with_labels_listed_by_creation_date() -> None:
    """With a cache far smaller than the day, in creation-date order, with orders in the list
    that no label asks for (awaiting, cancelled): each order comes with its page of the list,
    never alone, and the list is read once."""
    from typing import Any

    from ml_connector.shipstation import Order
    from ml_connector.sync import SyncWindow
    from ml_connector.sync._flow import run_flow
    from ml_connector.sync._window import _OrderCache, _WindowLabels

    env = make_env(
        orders=300,
        split_rate=0.2,
        awaiting_rate=0.3,
        realism=REALISTIC,
        unmatched_email_rate=0.0,
        bad_sku_orders=0,
    )
    unasked = sum(1 for b in env.day.iter_bundles() if not b.shipments and not b.fulfillments)
    assert unasked > 60  # the list holds orders no label asks for, more than the cache holds
    window = SyncWindow(DAY_START, DAY_END)
    stream = _WindowLabels(window, 20)
    cache = _OrderCache(window, capacity=100, page=20, labels=stream)
    found: dict[int, Any] = {}

    def run() -> Any:
        waiting: list[Any] = []
        seen: set[tuple[str, int]] = set()
        while True:
            listed = yield from stream.next_flow()
            # As a run does: a label is processed once (the voided list repeats those created
            # in the window and voided since).
            chunk = [label for label in listed if (label.kind, label.id) not in seen]
            seen.update((label.kind, label.id) for label in chunk)
            work = [*waiting, *chunk]
            final = not listed
            ids = {label.order_id for label in work if label.order_id is not None}
            got = yield from cache.get_flow(ids, labels=work, fetch_missing=final, to_end=final)
            found.update(got)
            waiting = [label for label in work if label.order_id not in got]
            if final:
                return

    run_flow(run(), {"shipstation": env.shipstation()})
    calls = _calls(env)
    assert not stream.by_order_id  # ShipStation's own order, not the tidy one
    assert calls["single order"] == 0, calls
    listed = sum(1 for b in env.day.iter_bundles())  # every order was modified in the window
    assert calls["/orders"] <= -(-listed // 20) + 1, calls
    shipped = {b.order["orderId"] for b in env.day.iter_bundles() if b.shipments or b.fulfillments}
    assert shipped <= {k for k, v in found.items() if isinstance(v, Order)}


def test_orders_modified_after_the_window_come_from_a_list_not_one_by_one() -> None:
    """Incremental windows cut split orders and voids: an order whose later label or void
    falls after the window's end is not in the window's order list; the run reads the orders
    modified since the window's end (while that pays) instead of fetching each alone, and posts
    the same documents as one window over the whole day."""
    from datetime import timedelta

    cut, whole = _env(), _env()
    middle = DAY_START + timedelta(hours=14)
    for env, windows in (
        (cut, ((DAY_START, middle), (middle, DAY_END))),
        (whole, ((DAY_START, DAY_END),)),
    ):
        sync = ShipmentSync(
            shipstation=env.shipstation(),
            oracle=env.oracle(),
            mapping=env.mapping,
            audit=env.audit,
            clock=env.clock,
        )
        for window in windows:
            sync.run(window)
    assert _keys(cut) == _keys(whole)
    assert set(_keys(cut).values()) == {1}
    # Split orders ship hours apart, so some straddle the cut.
    assert any(b.kind == "split" for b in cut.day.iter_bundles())
    calls = _calls(cut)
    assert calls["single order"] == 0, calls
    # Two window lists and one list of the orders modified after the first window.
    assert calls["/orders"] <= 4, calls


def test_a_busy_day_waits_by_time_not_by_count() -> None:
    """The bounds of waiting are in the listing's time, not in labels: with chunks far smaller
    than the day (as a 100k-order day is to 500-label chunks), a split order's first label,
    listed hours before its sibling and its order, still waits for them. Each order comes
    with its page of the list, never alone, and the documents are those of one big chunk. A
    partial shipment's label, whose rest never ships, does not wait at all: its order was
    listed when it shipped, so no more labels of it can come."""
    import attrs

    from ml_connector.sync._window import _Carry

    busy, whole = (
        make_env(
            orders=2_000,
            split_rate=0.2,
            realism=REALISTIC,
            unmatched_email_rate=0.0,
            bad_sku_orders=0,
        )
        for _ in range(2)
    )
    # Twelve chunks of ten labels are a small part of this day (a couple of hours); split
    # labels are one to six hours apart, so a bound counted in chunks would give up on most.
    labels = sum(1 for _ in busy.day.iter_shipments())
    assert attrs.fields(_Carry).max_age.default * 10 * 6 < labels
    _run_day(busy, 10)
    _run_day(whole, 10_000)
    assert _keys(busy) == _keys(whole)
    assert set(_keys(busy).values()) == {1}
    calls = _calls(busy)
    assert calls["single order"] == 0, calls
    unknowable = {
        b.order["orderId"] for b in busy.day.iter_bundles() if b.kind in ("partial", "void")
    }
    assert calls["order labels"] <= len(unknowable), calls


@pytest.mark.anyio
async def test_labels_that_wait_are_not_claimed_by_the_chunk_they_left() -> None:
    """The async job plans the next chunk while one posts. A label put off to a later chunk
    gives its claim back when it is put off, so the chunk that posts it holds it alone: with
    claims on, one worker skips nothing as "claimed by another worker", and posts what the
    blocking job posts."""
    from ml_connector.audit import MemoryClaimStore
    from ml_connector.sync import AsyncShipmentSync
    from ml_connector.sync._post import CLAIMED_ELSEWHERE

    blocking, asynchronous = _env(), _env()
    _run_day(blocking, 10)
    summary = await AsyncShipmentSync(
        shipstation=asynchronous.async_shipstation(),
        oracle=asynchronous.async_oracle(),
        mapping=asynchronous.mapping,
        audit=asynchronous.audit,
        claims=MemoryClaimStore(asynchronous.clock),
        clock=asynchronous.clock,
        chunk_size=10,
        concurrency=4,
    ).run((DAY_START, DAY_END))
    assert not summary.skip_reasons.get(CLAIMED_ELSEWHERE), summary.skip_reasons
    assert _keys(asynchronous) == _keys(blocking)
    assert set(_keys(asynchronous).values()) == {1}
