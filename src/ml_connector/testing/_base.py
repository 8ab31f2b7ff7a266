"""What every simulator shares: httpx transports (sync and async), latency and faults.

A simulator answers requests in one synchronous, lock-protected method that returns an
:class:`Outcome` (how long the answer takes and what it is). The sync transport sleeps on the
injected clock and returns; the async transport awaits the clock's ``async_sleep``. So one state
serves ``httpx.Client`` and ``httpx.AsyncClient`` alike, and nothing ever really sleeps when the
clock is a :class:`~ml_connector.testing.VirtualClock`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import attrs
import httpx

from ml_connector._clock import Clock

from ._clock import VirtualClock
from ._faults import FaultKind, FaultPlan, Faults
from ._wire import text_response

__all__ = ["Latency", "Outcome", "SimulatorBase"]

Latency = float | Callable[[httpx.Request], float]
"""Seconds each response takes on the simulator's clock, fixed or per request."""

_HTML_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>Service Unavailable</title></head>"
    "<body><h1>Service Unavailable</h1><p>The server is temporarily unable to service your "
    "request. Please try again later.</p></body></html>"
)


@attrs.frozen
class Outcome:
    """A response (or a transport exception) and the seconds it takes to arrive."""

    delay: float
    response: httpx.Response | None = None
    error: Exception | None = None

    def deliver(self) -> httpx.Response:
        if self.error is not None:
            raise self.error
        assert self.response is not None
        return self.response


class _SyncTransport(httpx.BaseTransport):
    def __init__(self, simulator: SimulatorBase) -> None:
        self._simulator = simulator

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        outcome = self._simulator.dispatch(request)
        self._simulator.clock.sleep(outcome.delay)
        return outcome.deliver()


class _AsyncTransport(httpx.AsyncBaseTransport):
    def __init__(self, simulator: SimulatorBase) -> None:
        self._simulator = simulator

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        outcome = self._simulator.dispatch(request)
        await self._simulator.clock.async_sleep(outcome.delay)
        return outcome.deliver()


def _read_timeout(request: httpx.Request) -> float | None:
    timeout: Any = request.extensions.get("timeout")
    if isinstance(timeout, dict):
        value = timeout.get("read")
        if isinstance(value, int | float):
            return float(value)
    return None


class SimulatorBase:
    """Transports, latency and fault handling; subclasses implement :meth:`handle`.

    Args:
        clock: The clock latency and rate windows run on (default: a fresh ``VirtualClock``).
        latency: Seconds per response, or a function of the request.
        faults: A :class:`FaultPlan` or a running :class:`Faults` (shared between simulators
            if you want one set of figures).
    """

    #: Fault kinds this simulator knows how to produce.
    supported_faults: frozenset[FaultKind] = frozenset(FaultKind) - {
        FaultKind.TOKEN_EXPIRY,
        FaultKind.ONLINE_TIMEOUT,
    }

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        latency: Latency = 0.0,
        faults: FaultPlan | Faults | None = None,
        lock: threading.RLock | None = None,
    ) -> None:
        self.clock: Clock = clock if clock is not None else VirtualClock()
        self.latency = latency
        self.faults = faults if isinstance(faults, Faults) else Faults(faults)
        self._lock = lock if lock is not None else threading.RLock()
        self.requests: list[tuple[str, str]] = []

    def transport(self) -> httpx.BaseTransport:
        """A transport for ``httpx.Client(transport=...)`` over this simulator's state."""
        return _SyncTransport(self)

    def async_transport(self) -> httpx.AsyncBaseTransport:
        """A transport for ``httpx.AsyncClient(transport=...)`` over the same state."""
        return _AsyncTransport(self)

    # -- to implement ------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request (called with the state lock held)."""
        raise NotImplementedError

    def fault_response(self, kind: FaultKind, request: httpx.Request) -> httpx.Response:
        """The API-specific answer for a ``RATE_LIMIT`` or ``SERVER_ERROR`` fault."""
        status = 429 if kind is FaultKind.RATE_LIMIT else self.faults.plan.server_error_status
        return text_response(status, "simulated fault")

    def expire_tokens(self) -> None:
        """Make every issued token expire now (simulators with tokens override this)."""

    def online_timeout(self, request: httpx.Request) -> httpx.Response:
        """The answer for an ``ONLINE_TIMEOUT`` fault (the Oracle simulator overrides this)."""
        return self.handle(request)

    # -- machinery ---------------------------------------------------------------------------

    def _latency(self, request: httpx.Request) -> float:
        latency = self.latency
        return float(latency(request) if callable(latency) else latency)

    def dispatch(self, request: httpx.Request) -> Outcome:
        """Apply latency and faults around :meth:`handle`; the transports call this."""
        with self._lock:
            self.requests.append((request.method, str(request.url)))
            delay = self._latency(request)
            kind = self.faults.draw(request.method, request.url.path, self.supported_faults)
            if kind is None:
                return Outcome(delay, self.handle(request))
            return self._faulty(kind, request, delay)

    def _faulty(self, kind: FaultKind, request: httpx.Request, delay: float) -> Outcome:
        plan = self.faults.plan
        if kind in (FaultKind.RATE_LIMIT, FaultKind.SERVER_ERROR):
            return Outcome(delay, self.fault_response(kind, request))
        if kind is FaultKind.HTML_PAGE:
            page = text_response(plan.html_status, _HTML_PAGE, content_type="text/html")
            return Outcome(delay, page)
        if kind is FaultKind.TIMEOUT:
            timeout = _read_timeout(request)
            wait = delay + (timeout if timeout is not None else plan.slow_seconds)
            return Outcome(wait, error=httpx.ReadTimeout("simulated read timeout", request=request))
        if kind is FaultKind.CONNECTION_RESET:
            error: Exception
            if self.faults.reset_choice():
                error = httpx.ConnectError("simulated connection refused", request=request)
            else:
                error = httpx.RemoteProtocolError(
                    "simulated: server disconnected without sending a response", request=request
                )
            return Outcome(0.0, error=error)
        if kind is FaultKind.ONLINE_TIMEOUT:
            return Outcome(delay, self.online_timeout(request))
        if kind is FaultKind.TOKEN_EXPIRY:
            self.expire_tokens()
            return Outcome(delay, self.handle(request))
        if kind is FaultKind.SLOW:
            response = self.handle(request)
            timeout = _read_timeout(request)
            slow = delay + plan.slow_seconds
            if timeout is not None and slow > timeout:
                error = httpx.ReadTimeout("simulated slow response", request=request)
                return Outcome(timeout, error=error)
            return Outcome(slow, response)
        # LOST_AFTER_COMMIT: the write happens, the answer never arrives intact.
        self.handle(request)
        if plan.lost_as == "server_error":
            return Outcome(delay, self.fault_response(FaultKind.SERVER_ERROR, request))
        timeout = _read_timeout(request)
        wait = delay + (timeout if timeout is not None else plan.slow_seconds)
        return Outcome(wait, error=httpx.ReadTimeout("simulated lost response", request=request))
