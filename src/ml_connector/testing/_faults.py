"""Seeded, reproducible fault injection for the simulators.

A :class:`FaultPlan` says which faults to inject: a probability per kind, a scripted list for
the first requests, or both. A :class:`Faults` object runs a plan: it draws from its own seeded
random generator (the same seed gives the same faults on the same request sequence), lets a test
queue a fault for the next request, and counts every fault it injected so a test or a benchmark
can print the figures.
"""

from __future__ import annotations

import enum
import random
import threading
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import attrs

__all__ = ["FaultKind", "FaultPlan", "Faults"]


class FaultKind(enum.StrEnum):
    """What can go wrong between a client and a simulated server."""

    RATE_LIMIT = "rate_limit"
    """A 429 in the API's own shape, before the server does anything."""
    SERVER_ERROR = "server_error"
    """A 5xx (``FaultPlan.server_error_status``), before the server does anything."""
    TIMEOUT = "timeout"
    """``httpx.ReadTimeout`` raised; the server never saw the request."""
    CONNECTION_RESET = "connection_reset"
    """``httpx.ConnectError`` (never sent) or ``httpx.RemoteProtocolError`` (dropped unread)."""
    TOKEN_EXPIRY = "token_expiry"  # noqa: S105 (a fault name, not a secret)
    """Every OAuth token expires now, so this request's bearer token gets a 401 (Oracle only)."""
    SLOW = "slow"
    """The response takes ``FaultPlan.slow_seconds`` on the clock; past the client's read timeout
    the server has still acted but the client gets ``httpx.ReadTimeout``."""
    LOST_AFTER_COMMIT = "lost_after_commit"
    """The server applies the write, then the client gets a timeout (or a 5xx): the hard case for
    exactly-once. Applies to writes only (not GET/HEAD)."""
    HTML_PAGE = "html_page"
    """An HTML error page (status ``FaultPlan.html_status``) instead of JSON."""
    ONLINE_TIMEOUT = "online_timeout"
    """Oracle only: an inventory staged transaction is kept in the interface, unprocessed, and
    the POST answers 408 Request Timeout, as Online mode does since 24A when processing runs
    too long (https://docs.oracle.com/en/cloud/saas/readiness/scm/24a/inv24a/24A-inventory-wn-f30338.htm).
    Applies to writes only; any other write is served normally."""


_WRITE_ONLY = frozenset({FaultKind.LOST_AFTER_COMMIT, FaultKind.ONLINE_TIMEOUT})
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _rates(value: Mapping[FaultKind | str, float]) -> dict[FaultKind, float]:
    rates = {FaultKind(kind): float(rate) for kind, rate in value.items()}
    for kind, rate in rates.items():
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"fault rate for {kind} must be between 0 and 1, not {rate}")
    if sum(rates.values()) > 1.0:
        raise ValueError("fault rates add up to more than 1")
    return rates


def _script(value: Iterable[FaultKind | str | None]) -> tuple[FaultKind | None, ...]:
    return tuple(None if kind is None else FaultKind(kind) for kind in value)


def _prefixes(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _methods(value: Iterable[str] | None) -> frozenset[str] | None:
    return None if value is None else frozenset(m.upper() for m in value)


@attrs.frozen
class FaultPlan:
    """Which faults to inject, reproducibly.

    Attributes:
        seed: Seed of the random draws; the same seed and request sequence give the same faults.
        rates: Probability per kind that an eligible request gets that fault (sum at most 1).
        script: Faults for the first eligible requests, in order (``None`` = no fault); the
            rates apply once the script is used up.
        methods: Only requests with these methods are eligible (``None``: all).
        path_prefixes: Only requests whose path starts with one of these are eligible
            (empty: all). Use it to spare, say, the OAuth token endpoint.
        server_error_status: Status of a ``SERVER_ERROR`` fault.
        slow_seconds: Extra time a ``SLOW`` response takes on the simulator's clock.
        html_status: Status of an ``HTML_PAGE`` fault (ShipStation has sent HTML with a 200).
        lost_as: How a ``LOST_AFTER_COMMIT`` reaches the client: ``"timeout"`` or
            ``"server_error"``.
    """

    seed: int = 0
    rates: Mapping[FaultKind, float] = attrs.field(factory=dict, converter=_rates)
    script: tuple[FaultKind | None, ...] = attrs.field(default=(), converter=_script)
    methods: frozenset[str] | None = attrs.field(default=None, converter=_methods)
    path_prefixes: tuple[str, ...] = attrs.field(default=(), converter=_prefixes)
    server_error_status: int = 503
    slow_seconds: float = 60.0
    html_status: int = 200
    lost_as: str = attrs.field(default="timeout")

    @lost_as.validator
    def _check_lost_as(self, attribute: attrs.Attribute[str], value: str) -> None:
        if value not in ("timeout", "server_error"):
            raise ValueError("lost_as must be 'timeout' or 'server_error'")


class Faults:
    """Runs a :class:`FaultPlan` and counts what it injected.

    Args:
        plan: The plan (default: no faults until one is queued with :meth:`inject`).

    Attributes:
        counts: Faults injected so far, per kind.
        requests: Requests seen (eligible or not).
    """

    def __init__(self, plan: FaultPlan | None = None) -> None:
        self.plan = plan or FaultPlan()
        self._random = random.Random(self.plan.seed)
        self._script = list(self.plan.script)
        self._queue: list[FaultKind] = []
        self._lock = threading.Lock()
        self.counts: Counter[FaultKind] = Counter()
        self.requests = 0

    def __repr__(self) -> str:
        return f"Faults(requests={self.requests}, injected={dict(self.counts)})"

    @property
    def total(self) -> int:
        """All faults injected so far."""
        return sum(self.counts.values())

    def inject(self, kind: FaultKind | str, times: int = 1) -> None:
        """Queue ``kind`` for the next ``times`` eligible requests it applies to (ahead of the
        script and the rates): a queued ``LOST_AFTER_COMMIT`` waits for the next write."""
        with self._lock:
            self._queue.extend([FaultKind(kind)] * times)

    def summary(self) -> str:
        """One line of figures, e.g. ``"120 requests, 7 faults: server_error=4 timeout=3"``."""
        parts = " ".join(f"{kind.value}={n}" for kind, n in sorted(self.counts.items()))
        return f"{self.requests} requests, {self.total} faults" + (f": {parts}" if parts else "")

    def _eligible(self, method: str, path: str) -> bool:
        plan = self.plan
        if plan.methods is not None and method.upper() not in plan.methods:
            return False
        return not plan.path_prefixes or path.startswith(plan.path_prefixes)

    def draw(
        self, method: str, path: str, supported: Sequence[FaultKind] | frozenset[FaultKind]
    ) -> FaultKind | None:
        """The fault (if any) for this request; counts it. Called once per request.

        A scripted or random kind the simulator does not support, or a write-only kind on a
        read, is skipped (not counted) so that the same seed still gives the same sequence of
        draws. A queued kind waits for a request it applies to.
        """
        with self._lock:
            self.requests += 1
            if not self._eligible(method, path):
                return None
            kind: FaultKind | None
            queued = next(
                (n for n, k in enumerate(self._queue) if self._applies(k, method, supported)),
                None,
            )
            if queued is not None:
                kind = self._queue.pop(queued)
            elif self._script:
                kind = self._script.pop(0)
            else:
                kind = self._roll()
            if kind is None or not self._applies(kind, method, supported):
                return None
            self.counts[kind] += 1
            return kind

    @staticmethod
    def _applies(
        kind: FaultKind, method: str, supported: Sequence[FaultKind] | frozenset[FaultKind]
    ) -> bool:
        if kind not in supported:
            return False
        return not (kind in _WRITE_ONLY and method.upper() in _READ_METHODS)

    def _roll(self) -> FaultKind | None:
        # One draw per eligible request whatever the outcome keeps runs reproducible.
        point = self._random.random()
        edge = 0.0
        for kind, rate in self.plan.rates.items():
            edge += rate
            if point < edge:
                return kind
        return None

    def reset_choice(self) -> bool:
        """For a ``CONNECTION_RESET``: ``True`` means "never sent" (ConnectError)."""
        with self._lock:
            return self._random.random() < 0.5
