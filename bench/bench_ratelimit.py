"""Rate limit: a simulated hour against the V1 simulator's 40-requests-a-minute window.

The V1 client (proactive limiter fed by ``X-Rate-Limit-*`` headers) pages through shipments
for one hour of virtual time against :class:`~ml_connector.testing.ShipStationV1Simulator`,
which enforces ShipStation's documented 40 requests per 60-second window per key pair and
answers 429 past it. The baseline, in the same run, is a plain ``httpx`` loop that sends as
fast as it can and waits out ``X-Rate-Limit-Reset`` only after a 429 (what a client without a
proactive limiter does). Nothing really sleeps: both run on a ``VirtualClock``.
"""

from __future__ import annotations

import time

import httpx

from ml_connector.shipstation import ShipStationV1Client, ShipStationV1Settings
from ml_connector.testing import ShipStationV1Simulator, VirtualClock, generate_day

from ._report import Result, Table

LIMIT = 40
HOUR = 3600.0
LATENCY = 0.05


def _simulator(clock: VirtualClock) -> ShipStationV1Simulator:
    simulator = ShipStationV1Simulator(clock=clock, latency=LATENCY)
    simulator.data.load(generate_day(5, orders=40, warehouses=1))
    return simulator


def client_hour(seconds: float) -> tuple[int, int, float, float]:
    """Served requests, 429s, simulated seconds and real seconds for the V1 client."""
    clock = VirtualClock()
    simulator = _simulator(clock)
    settings = ShipStationV1Settings("sim-key", "sim-secret")
    started = time.perf_counter()
    sent = 0
    with ShipStationV1Client(settings, transport=simulator.transport(), clock=clock) as client:
        while clock.monotonic() < seconds:
            client.list_shipments(page=1, page_size=1)
            sent += 1
    real = time.perf_counter() - started
    return sent, simulator.rate_limited, clock.monotonic(), real


def naive_hour(seconds: float) -> tuple[int, int, float]:
    """Served requests, 429s and simulated seconds for a plain retry-on-429 loop."""
    clock = VirtualClock()
    simulator = _simulator(clock)
    served = 0
    with httpx.Client(transport=simulator.transport(), auth=("sim-key", "sim-secret")) as http:
        while clock.monotonic() < seconds:
            response = http.get(
                "https://ssapi.shipstation.com/shipments", params={"page": 1, "pageSize": 1}
            )
            if response.status_code == 429:
                clock.sleep(float(response.headers.get("X-Rate-Limit-Reset", "1")))
            else:
                served += 1
    return served, simulator.rate_limited, clock.monotonic()


def run(quick: bool) -> Result:
    del quick  # a simulated hour costs well under a second either way
    served, throttled, elapsed, real = client_hour(HOUR)
    naive_served, naive_throttled, naive_elapsed = naive_hour(HOUR)
    per_minute = served / (elapsed / 60)
    naive_per_minute = naive_served / (naive_elapsed / 60)
    table = Table(
        ("Client (one simulated hour)", "requests served", "requests/min", "of 40/min",
         "429s drawn"),
        (
            ("limit: ShipStation V1", f"{int(LIMIT * HOUR / 60)}", f"{LIMIT:.1f}", "100.0%",
             "-"),
            ("baseline: plain httpx, wait after a 429", f"{naive_served}",
             f"{naive_per_minute:.1f}", f"{naive_per_minute / LIMIT:.1%}", f"{naive_throttled}"),
            ("ml-connector V1 client (proactive limiter)", f"{served}", f"{per_minute:.1f}",
             f"{per_minute / LIMIT:.1%}", f"{throttled}"),
        ),
    )  # fmt: skip
    met = per_minute >= 0.95 * LIMIT and throttled == 0
    verdict = (
        f"{per_minute:.1f} requests/min ({per_minute / LIMIT:.1%} of the limit) with "
        f"{throttled} 429s: goal {'met' if met else 'NOT met'}."
    )
    return Result(
        title="Rate limit: a simulated hour at 40 requests a minute",
        goal=">= 95% of ShipStation V1's 40 requests/min used over an hour, zero 429s.",
        tables=(table,),
        notes=(
            f"{elapsed / 60:.1f} simulated minutes, {LATENCY * 1000:.0f} ms simulated latency per "
            f"response, one key pair; {real:.2f} s of real time for the client's hour.",
            "The simulator opens a 60-second window at the first request after the previous "
            "window expired and reports `X-Rate-Limit-Remaining` / `X-Rate-Limit-Reset` "
            "(whole seconds) on every response.",
        ),
        verdict=verdict,
    )
