"""The embedded demo: runs on a fresh machine with no credentials and no network.

Until the full flow lands, the demo drives the HTTP core against an in-process endpoint that
enforces ShipStation V1's documented limit (40 requests a minute, ``X-Rate-Limit-*`` headers,
429 when exceeded) on a virtual clock, and reports how close the proactive limiter runs to the
limit without drawing a 429.
"""

from __future__ import annotations

import time
from typing import TextIO

import httpx

from ._http import Request, SyncSender, read_json
from ._settings import HttpSettings
from .testing import VirtualClock

__all__ = ["run_demo"]

LIMIT = 40
WINDOW = 60.0


def run_demo(*, requests: int, out: TextIO) -> int:
    """Send ``requests`` GETs through the core against a rate-limited fake; print figures."""
    clock = VirtualClock()
    state = {"window_start": 0.0, "used": 0, "served": 0, "throttled": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        now = clock.monotonic()
        if now - state["window_start"] >= WINDOW:
            state["window_start"] = now - (now - state["window_start"]) % WINDOW
            state["used"] = 0
        reset = max(1, int(WINDOW - (now - state["window_start"]) + 0.999))
        if state["used"] >= LIMIT:
            state["throttled"] += 1
            headers = {
                "X-Rate-Limit-Limit": str(LIMIT),
                "X-Rate-Limit-Remaining": "0",
                "X-Rate-Limit-Reset": str(reset),
            }
            return httpx.Response(429, headers=headers, json={"message": "Too Many Requests"})
        state["used"] += 1
        state["served"] += 1
        headers = {
            "X-Rate-Limit-Limit": str(LIMIT),
            "X-Rate-Limit-Remaining": str(LIMIT - state["used"]),
            "X-Rate-Limit-Reset": str(reset),
        }
        return httpx.Response(200, headers=headers, json={"page": 1, "pages": 1, "orders": []})

    sender = SyncSender(
        HttpSettings("https://ssapi.shipstation.com"),
        transport=httpx.MockTransport(handler),
        clock=clock,
    )
    started = time.perf_counter()
    for page in range(1, requests + 1):
        read_json(sender.send(Request("GET", "/orders", params={"page": page, "pageSize": 500})))
    real = time.perf_counter() - started
    # Requests land in 60-second windows; the last window is the one in progress.
    windows_used = int(clock.monotonic() // WINDOW) + 1
    minimum_windows = -(-requests // LIMIT)
    out.write(
        "ml-connector demo: HTTP core against a simulated ShipStation V1 rate limit\n"
        f"  requests sent           {requests}\n"
        f"  simulated time          {clock.monotonic():.1f} s\n"
        f"  rate-limit windows used {windows_used} (the minimum at {LIMIT}/min is "
        f"{minimum_windows})\n"
        f"  429 responses drawn     {int(state['throttled'])}\n"
        f"  proactive waits         {len(clock.sleeps)}\n"
        f"  real time               {real * 1000:.0f} ms\n"
    )
    sender.close()
    return 0
