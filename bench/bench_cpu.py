"""CPU: decode + map throughput against plain ``json.loads`` of the same bytes.

Real V1 pages (500 shipments with items, and the orders they belong to) are fetched once from
the simulator and kept as bytes. The baseline parses those bytes with ``json.loads`` and
nothing else. The measured path does what a sync does with them: the clients' parse
(``ml_connector._json.loads``: Decimal money, the garbage collector paused while it runs, see
``ml_connector._collector``), typed models with aware UTC datetimes (Pacific wall time
converted), customer matching and mapping to Oracle invoice plans. Both run in this process
on the same bytes, in interleaved rounds measured in process CPU time; the ratio is taken
within each round.

The whole-sync row reads the async 10k-order run of ``bench/_scenario.py``: the sync process's
CPU against plain ``json.loads`` of every response body it received.
"""

from __future__ import annotations

import contextlib
import gc
import json
import statistics
import time
from collections.abc import Callable
from decimal import Decimal

import httpx

from ml_connector._errors import MappingError
from ml_connector._json import loads
from ml_connector.mapping import CustomerMatch, map_shipment, match_customer
from ml_connector.shipstation import Order, Shipment
from ml_connector.shipstation._converter import Decoder
from ml_connector.testing import GeneratedDay, ShipStationV1Simulator, generate_day

from ._report import Result, Table
from ._scenario import directory_for, mapping_for, repeated_runs

DECODE_GOAL = 2.5
MAP_GOAL = 4.0
SYNC_GOAL = 10.0
SYNC_ORDERS = 10_000
SYNC_ROUNDS = 5
"""Whole-sync runs of :data:`SYNC_ORDERS` orders (each in its own process): median and range."""


def fetch_pages(orders: int, seed: int = 11) -> tuple[list[bytes], list[bytes], GeneratedDay]:
    """Shipment and order pages of a generated day, as the V1 API sends them."""
    day = generate_day(seed, orders=orders, warehouses=3)
    simulator = ShipStationV1Simulator(rate_limit=None)
    simulator.data.load(day)
    shipments: list[bytes] = []
    order_pages: list[bytes] = []
    with httpx.Client(transport=simulator.transport(), auth=("sim-key", "sim-secret")) as http:
        for path, key, sink, extra in (
            ("/shipments", "shipments", shipments, {"includeShipmentItems": "true"}),
            ("/orders", "orders", order_pages, {}),
        ):
            page, pages = 1, 1
            while page <= pages:
                response = http.get(
                    f"https://ssapi.shipstation.com{path}",
                    params={"page": page, "pageSize": 500, **extra},
                )
                response.raise_for_status()
                sink.append(response.content)
                pages = response.json()["pages"]
                page += 1
            del key
    return shipments, order_pages, day


def _cpu(run: Callable[[], int]) -> tuple[float, int]:
    """Process CPU seconds of one call of ``run`` (and what it returns)."""
    gc.collect()
    started = time.process_time()
    count = run()
    return time.process_time() - started, count


def _median(values: list[float]) -> float:
    return statistics.median(values)


def run(quick: bool) -> Result:
    orders = 2_000 if quick else 10_000
    rounds = 5 if quick else 7
    shipment_pages, order_pages, day = fetch_pages(orders)
    config = mapping_for(day)
    directory = directory_for(day)
    all_bytes = shipment_pages + order_pages

    def plain() -> int:
        count = 0
        for raw in all_bytes:
            body = json.loads(raw)
            count += len(body.get("shipments") or ())
        return count

    def plain_paused() -> int:
        # The baseline with the collector paused too, as the library's own parse runs: shown
        # beside the goal's ratio, so that the pause's share of it can be seen.
        collecting = gc.isenabled()
        gc.disable()
        try:
            return plain()
        finally:
            if collecting:
                gc.enable()

    def decimal_only() -> int:
        count = 0
        for raw in all_bytes:
            body = json.loads(raw, parse_float=Decimal)
            count += len(body.get("shipments") or ())
        return count

    # Each step decodes with one Decoder, built in the step, as a client holds one for its life.

    def decode_dropped() -> int:
        decoder = Decoder("V1")
        count = 0
        for raw in shipment_pages:
            count += len(decoder.page(loads(raw), "shipments", Shipment).items)
        for raw in order_pages:
            decoder.page(loads(raw), "orders", Order)
        return count

    def decode_kept() -> int:
        decoder = Decoder("V1")
        kept: list[object] = []
        for raw in shipment_pages:
            kept.extend(decoder.page(loads(raw), "shipments", Shipment).items)
        count = len(kept)
        for raw in order_pages:
            kept.extend(decoder.page(loads(raw), "orders", Order).items)
        return count

    def decode_and_map() -> int:
        decoder = Decoder("V1")
        orders_by_id: dict[int | None, Order] = {}
        for raw in order_pages:
            page = decoder.page(loads(raw), "orders", Order)
            for order in page.items:
                orders_by_id[order.order_id] = order
        shipments: list[Shipment] = []
        for raw in shipment_pages:
            shipments.extend(decoder.page(loads(raw), "shipments", Shipment).items)
        by_order: dict[int | None, list[Shipment]] = {}
        for shipment in shipments:
            by_order.setdefault(shipment.order_id, []).append(shipment)
        matches: dict[int | None, CustomerMatch] = {}
        for shipment in shipments:
            order = orders_by_id[shipment.order_id]
            match = matches.get(order.order_id)
            if match is None:
                match = matches[order.order_id] = match_customer(order, config, directory)
            # An unmatched customer (MappingError) is an outcome too: the record was processed.
            with contextlib.suppress(MappingError):
                map_shipment(
                    shipment, order, match, config, order_shipments=by_order[order.order_id]
                )
        return len(shipments)

    steps: dict[str, Callable[[], int]] = {
        "plain": plain,
        "paused": plain_paused,
        "decimal": decimal_only,
        "dropped": decode_dropped,
        "kept": decode_kept,
        "map": decode_and_map,
    }
    times: dict[str, list[float]] = {name: [] for name in steps}
    ratios: dict[str, list[float]] = {name: [] for name in steps}
    count = plain()
    names = list(steps)
    for n in range(rounds):
        # Interleaved: every round measures every step, in a rotating order, so a slow spell
        # of the shared machine falls on all of them alike; ratios are taken within a round.
        order = names[n % len(names) :] + names[: n % len(names)]
        measured: dict[str, float] = {}
        for name in order:
            seconds, got = _cpu(steps[name])
            assert got == count, (name, got, count)
            measured[name] = seconds
        for name in names:
            times[name].append(measured[name])
            ratios[name].append(measured[name] / measured["plain"])

    def cell(name: str) -> tuple[str, str, str]:
        median = _median(times[name])
        low, high = min(ratios[name]), max(ratios[name])
        return (
            f"{count / median:,.0f}",
            f"{median / len(shipment_pages) * 1000:.1f} ms",
            f"{_median(ratios[name]):.2f}x ({low:.2f}-{high:.2f})",
        )

    syncs = sorted(
        repeated_runs(SYNC_ORDERS, SYNC_ROUNDS),
        key=lambda run: run.sync_cpu / run.loads_cpu if run.loads_cpu else float("inf"),
    )
    sync_ratios = [run.sync_cpu / run.loads_cpu if run.loads_cpu else float("inf") for run in syncs]
    sync = syncs[len(syncs) // 2]  # the median run (an odd count)
    sync_ratio = sync_ratios[len(syncs) // 2]
    sync_range = f"{sync_ratios[0]:.2f}-{sync_ratios[-1]:.2f}"
    table = Table(
        ("Step (same bytes, same process)", "shipments/s", "CPU per page of 500",
         "vs json.loads: median (range)"),
        (
            ("baseline: plain `json.loads`", *cell("plain")),
            ("`json.loads` with the garbage collector paused (reference)", *cell("paused")),
            ("`json.loads` with Decimal money alone", *cell("decimal")),
            ("decode: the clients' parse (Decimal, collector paused) + typed models, UTC "
             "(models dropped page by page)",
             *cell("dropped")),
            ("decode, every model kept to the end of the round", *cell("kept")),
            ("decode + match customer + map to invoice plans", *cell("map")),
        ),
    )  # fmt: skip
    sync_table = Table(
        (f"Whole sync (one process; the median of {len(syncs)} runs)", "CPU",
         "vs json.loads of every response body: median (range)"),
        (
            (f"baseline: plain `json.loads` of the {sync.bodies:,} response bodies the sync "
             f"received ({sync.body_bytes / 1e6:,.0f} MB)", f"{sync.loads_cpu:.1f} s", "1.00x"),
            (f"the async sync of {sync.orders:,} orders (fetch, decode, map, look up, post, "
             "audit trail)", f"{sync.sync_cpu:.1f} s", f"{sync_ratio:.2f}x ({sync_range})"),
        ),
    )  # fmt: skip
    decode = _median(ratios["dropped"])
    kept = _median(ratios["kept"])
    full = _median(ratios["map"])
    against_paused = _median([m / p for m, p in zip(times["map"], times["paused"], strict=True)])
    verdict = (
        f"decode alone {decode:.2f}x `json.loads` (models kept: {kept:.2f}x; goal 2.5x "
        f"{'met' if decode <= DECODE_GOAL else 'not met'}); decode + map {full:.2f}x (goal 4x "
        f"{'met' if full <= MAP_GOAL else 'not met'}; {against_paused:.2f}x against `json.loads` "
        f"with the collector paused too); the whole sync {sync_ratio:.2f}x the "
        f"`json.loads` of every body it received (median of {len(syncs)} runs, range "
        f"{sync_range}; goal 10x "
        f"{'met' if sync_ratio <= SYNC_GOAL else 'not met'})."
    )
    plain_median = _median(times["plain"])

    def per_shipment(seconds: float) -> str:
        return f"{seconds / count * 1e6:.0f} us"

    def more(seconds: float) -> str:
        return f"{seconds / count * 1e6:+.0f} us"

    decimal_median = _median(times["decimal"])
    dropped_median = _median(times["dropped"])
    where = (
        f"Per shipment (with its order), medians: `json.loads` {per_shipment(plain_median)}, "
        f"Decimal money {more(decimal_median - plain_median)}, the clients' parse (collector "
        f"paused), typed models and UTC times {more(dropped_median - decimal_median)}, "
        f"customer match and mapping {more(_median(times['map']) - dropped_median)}."
    )
    return Result(
        title="CPU: decode, map and the whole sync",
        goal="decode alone within 2.5x of plain `json.loads` of the same bytes; decode + map "
        "within 4x, without a compiled decoder; the whole sync's process CPU within 10x of "
        "`json.loads` of every response body it received.",
        tables=(table, sync_table),
        notes=(
            f"{count:,} shipments in {len(shipment_pages)} V1 pages of up to 500 (with items), "
            f"plus {len(order_pages)} order pages; {orders:,} generated orders; {rounds} "
            "interleaved rounds (every step once a round, in a rotating order), each step "
            "measured in process CPU time (`time.process_time`) after a full collection; the "
            "ratio is taken within each round, its median and range are shown.",
            "The baseline stops at dicts of floats; the measured rows parse as the clients do "
            "(`ml_connector._json.loads`: Decimal money, the garbage collector paused while a "
            "body is parsed, a page decoded or a shipment mapped, see docs/sync.md), build "
            "frozen attrs models with Decimal money and aware UTC datetimes converted from "
            "Pacific wall time (one "
            "`Decoder` per step, built in the step, as a client holds one), then "
            "match each order's customer and map each shipment to an AR invoice plan with "
            "inventory postings (a plan's explanation is worked out when it is first read, "
            "as in a sync that keeps only problems; this step reads none).",
            where,
            f"Whole sync: {len(syncs)} async runs of {SYNC_ORDERS:,} orders, each in a fresh "
            "process (the first is the run of the API-calls and end-to-end tables), measured "
            "with `time.process_time`; the cost of the benchmark's pipe to the simulators' "
            "process is taken out, and so is the measuring `json.loads` itself, timed on each "
            "body as it arrived. Each run's ratio is its own CPU against its own `json.loads`; "
            "the row shows the median run and the range.",
        ),
        verdict=verdict,
    )
