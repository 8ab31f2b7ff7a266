"""End to end: a 10k-order sync at real latencies, against the lower bound they set.

The async job (``AsyncShipmentSync``) and the blocking one (``ShipmentSync``) each sync a
generated day of 10,000 orders (realistic mode: ShipStation lists in its real order, creation
date) from the ShipStation V1 simulator (40 requests a minute, enforced) into the Oracle
simulator, under the latency profile of ``bench/_scenario.py`` (:data:`PROFILE`, printed with
the result). Time is virtual but models concurrency (see
:class:`ml_connector.testing.LoopClock`). The lower bound uses the requests each run actually
made (the API-calls table shows how close those are to the minimum): ShipStation's cannot go
faster than 40 a minute, and Oracle's cannot take less than the sum of their times divided by
the requests a pod serves at once; a blocking job, with one request in flight, cannot take less
than the sum of every request's time.
"""

from __future__ import annotations

from ._report import Result, Table, ratio
from ._scenario import PROFILE, SyncRun, cached_run

ORDERS = 10_000
SHIPSTATION_LIMIT = 40
WINDOW = 60.0
GOAL = 1.10


def shipstation_bound(requests: int, latency: float) -> float:
    """Fastest time for ``requests`` sequential requests at 40 per 60-second window."""
    return ((requests - 1) // SHIPSTATION_LIMIT) * WINDOW + latency


def bounds(run: SyncRun) -> tuple[float, float, float]:
    """(ShipStation bound, Oracle bound, the run's lower bound) in seconds."""
    profile = run.latency_profile
    ss = shipstation_bound(sum(run.shipstation_requests.values()), profile.shipstation)
    if run.use_async:
        oracle = run.oracle_seconds / profile.oracle_in_flight
        return ss, oracle, max(ss, oracle)
    # One request at a time: every request's time adds up.
    return ss, run.oracle_seconds, max(ss, run.shipstation_seconds + run.oracle_seconds)


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:,.1f} min"


def run(quick: bool) -> Result:
    del quick  # the size runs in both modes (it is shared with the API-calls table)
    async_run = cached_run(ORDERS)
    blocking_run = cached_run(ORDERS, blocking=True)
    rows = []
    verdicts = []
    for r, name in ((async_run, "AsyncShipmentSync"), (blocking_run, "ShipmentSync (blocking)")):
        ss, oracle, bound = bounds(r)
        profile = r.latency_profile
        oreq = sum(r.oracle_requests.values())
        ssreq = sum(r.shipstation_requests.values())
        if r.use_async:
            how = f"max(ShipStation, Oracle / {profile.oracle_in_flight} in flight)"
            oracle_text = f"  Oracle: {oreq:,} requests, {_minutes(r.oracle_seconds)} / " + str(
                profile.oracle_in_flight
            )
        else:
            how = "max(ShipStation at 40/min, every request one after another)"
            oracle_text = f"  Oracle: {oreq:,} requests one at a time"
        elapsed = r.simulated_seconds
        rows += [
            (f"{name}: lower bound, {how}", _minutes(bound), "1.00x"),
            (f"  ShipStation: {ssreq:,} requests at 40/min", _minutes(ss), ratio(ss, bound)),
            (oracle_text, _minutes(oracle), ratio(oracle, bound)),
            (f"**measured: {name}, {r.orders:,} orders**", _minutes(elapsed),
             ratio(elapsed, bound)),
        ]  # fmt: skip
        met = elapsed <= GOAL * bound
        verdicts.append(
            f"{name} {elapsed / bound:.2f}x its lower bound "
            f"({'within' if met else 'outside'} 1.10x; {_minutes(elapsed)}, "
            f"{r.real_seconds:.0f} s of real time)"
        )
    return Result(
        title="End to end: 10,000 orders at real latencies",
        goal="within 1.10x of the lower bound the latency profile sets, for 10,000 orders, with "
        "the async and the blocking job.",
        tables=(Table(("", "simulated time", "vs lower bound"), tuple(rows)),),
        notes=(
            f"Latency profile: {PROFILE.describe()}. ShipStation V1 limited to 40 requests per "
            "60-second window; no faults. The simulators run in a process of their own (real "
            "time includes the pipe between the two).",
            f"{async_run.summary}.",
            "The day is generated in realistic mode: ids grow with creation time and the "
            "ShipStation simulator lists labels by creation date, as the real API does.",
            "Failed records are the generator's unmatched web customers (10% by design) and "
            "its bad SKU: they are recorded for replay after the customers are aligned.",
        ),
        verdict="; ".join(verdicts) + ".",
    )
