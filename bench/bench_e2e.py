"""End to end: a 10k-order sync on the simulators with 50 ms latency, against the lower bound.

The async job (``AsyncShipmentSync``, 8 requests in flight) syncs a generated day of 10,000
orders from the ShipStation V1 simulator (40 requests a minute, enforced) into the Oracle
simulator, every response taking 50 ms. Time is virtual but models concurrency (see
:class:`ml_connector.testing.LoopClock`). The simulators answer from a process of their own;
the 50 ms are spent in the sync's process, on its clock (see ``bench/_scenario.py``). The
lower bound uses the requests the run actually made (the API-calls table shows how close those
are to the minimum): ShipStation's cannot go faster than 40 a minute, and Oracle's cannot take
less than their latency divided by the requests in flight.
"""

from __future__ import annotations

from ._report import Result, Table, ratio
from ._scenario import LATENCY, SyncRun, cached_run

ORDERS = 10_000
SHIPSTATION_LIMIT = 40
WINDOW = 60.0
GOAL = 1.15


def shipstation_bound(requests: int, latency: float) -> float:
    """Fastest time for ``requests`` sequential requests at 40 per 60-second window."""
    return ((requests - 1) // SHIPSTATION_LIMIT) * WINDOW + latency


def bounds(run: SyncRun) -> tuple[float, float]:
    """(ShipStation bound, Oracle bound) in seconds for the run's own requests."""
    ss = shipstation_bound(sum(run.shipstation_requests.values()), run.latency)
    oracle = sum(run.oracle_requests.values()) * run.latency / run.concurrency
    return ss, oracle


def run(quick: bool) -> Result:
    del quick  # the size runs in both modes (it is shared with the API-calls table)
    r = cached_run(ORDERS)
    ss, oracle = bounds(r)
    physical = max(ss, oracle)
    phases = ss + oracle
    blocking = ss + sum(r.oracle_requests.values()) * r.latency
    elapsed = r.simulated_seconds
    table = Table(
        ("", "simulated time", "vs lower bound"),
        (
            ("lower bound: max(ShipStation at 40/min, Oracle latency / 8 in flight)",
             f"{physical / 60:.1f} min", "1.00x"),
            ("  ShipStation: "
             f"{sum(r.shipstation_requests.values()):,} requests at 40/min", f"{ss / 60:.1f} min",
             ratio(ss, physical)),
            (f"  Oracle: {sum(r.oracle_requests.values()):,} requests x 50 ms / 8",
             f"{oracle / 60:.1f} min", ratio(oracle, physical)),
            ("bound if fetching and posting did not overlap (the job before streaming)",
             f"{phases / 60:.1f} min", ratio(phases, physical)),
            ("baseline (computed): the same requests, blocking, no overlap",
             f"{blocking / 60:.1f} min", ratio(blocking, physical)),
            (f"**measured: AsyncShipmentSync, {r.orders:,} orders**", f"{elapsed / 60:.1f} min",
             ratio(elapsed, physical)),
        ),
    )  # fmt: skip
    met = elapsed <= GOAL * physical
    verdict = (
        f"{elapsed / 60:.1f} simulated minutes, {elapsed / physical:.2f}x the lower bound "
        f"({'within' if met else 'outside'} the 15% goal); {elapsed / phases:.2f}x the bound of "
        f"the job's fetch-then-post phases; {r.real_seconds:.0f} s of real time."
    )
    return Result(
        title="End to end: 10,000 orders with 50 ms latency",
        goal="within 15% of the lower bound set by the rate limit and latency; the async "
        "client overlaps Oracle requests.",
        tables=(table,),
        notes=(
            f"{r.summary}.",
            f"{LATENCY * 1000:.0f} ms per response on both simulators; ShipStation V1 limited to "
            "40 requests per 60-second window; Oracle unlimited; no faults. The simulators run "
            "in a process of their own (real time includes the pipe between the two).",
            "Failed records are the generator's unmatched web customers (10% by design) and "
            "its bad SKU: they are recorded for replay after the customers are aligned.",
        ),
        verdict=verdict,
    )
