"""Shared set-up for the benchmarks: a generated day in the simulators, clients, a sync job.

The mapping configuration is the one ``ml-connector demo`` writes for a generated day
(:func:`ml_connector.cli._demo.demo_mapping_toml`), so every shipment the generator makes can be
mapped and the Oracle simulator accepts every account combination the mapping composes.

A sync run (:func:`run_sync`) keeps the simulators out of the sync's process, as the real
APIs are: a child process generates the day and hosts ``ShipStationSimulator`` and
``OracleFusionSimulator`` (with no latency of their own); the sync's clients send through
:class:`PipeTransport`, which forwards each request (method, URL, headers, body, and the sync's
virtual time, which the child's clock is set to first) over a ``multiprocessing`` pipe and
applies the simulated latency on the sync's own clock. So rate windows, token expiry and
overlapping latency behave as with in-process simulators, and the sync process's peak RSS is
the sync's alone.

The latency is a :class:`LatencyProfile` (the one the issue "Fast at real latencies" sets, by
default): ShipStation answers in 250 ms, Oracle reads in 400 ms, Oracle creates take 1.2 s per
document (a batch the sum of its parts), and at most 4 Oracle requests are in flight per pod
(more wait their turn in the transport). The day is generated in realistic mode
(:data:`~ml_connector.testing.REALISTIC`): ids grow with creation time and the ShipStation
simulator lists in the real API's default order (creation date).

The sync's process also counts the CPU it spends (``time.process_time``) and, apart, the CPU
that plain ``json.loads`` of every response body it received takes (measured on each body as
it arrives, and taken out of the sync's figure, as is the pipe's own cost).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import multiprocessing
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import attrs
import httpx

from ml_connector import Secret
from ml_connector.audit import SqliteAuditSink
from ml_connector.cli._demo import demo_mapping_toml
from ml_connector.mapping import CustomerDirectory, MappingConfig
from ml_connector.oracle import (
    AsyncOracleFusionClient,
    OAuthClientCredentials,
    OracleFusionClient,
    OracleFusionSettings,
)
from ml_connector.shipstation import (
    AsyncShipStationV1Client,
    ShipStationV1Client,
    ShipStationV1Settings,
)
from ml_connector.sync import AsyncShipmentSync, ResultsPolicy, RunSummary, ShipmentSync
from ml_connector.testing import (
    REALISTIC,
    GeneratedDay,
    LoopClock,
    OracleFusionSimulator,
    ShipStationSimulator,
    VirtualClock,
    generate_day,
)

START = datetime(2026, 1, 15, 8, tzinfo=UTC)  # midnight Pacific on the generated day
NOW = datetime(2026, 1, 17, 12, tzinfo=UTC)
V1 = ShipStationV1Settings(api_key="sim-key", api_secret="sim-secret")
RESULTS: ResultsPolicy = "problems"
"""The sync's results policy in the benchmarks: failures and skips kept, the rest counted."""


def mapping_for(day: GeneratedDay) -> MappingConfig:
    """A mapping configuration under which every record of ``day`` maps."""
    return MappingConfig.from_toml(demo_mapping_toml(day))


def directory_for(day: GeneratedDay) -> CustomerDirectory:
    """What Oracle knows about the day's customers (email -> account), as the sync reads it."""
    return CustomerDirectory.build((), emails=day.account_numbers_by_email())


def oracle_settings(pod_url: str, identity_url: str) -> OracleFusionSettings:
    """Settings for the Oracle simulator at ``pod_url`` with its identity domain."""
    return OracleFusionSettings(
        pod_url=pod_url,
        auth=OAuthClientCredentials(
            token_url=identity_url + "/oauth2/v1/token",
            client_id="sim-client",
            client_secret=Secret("sim-client-secret"),
            scope="urn:opc:resource:consumer::all",
        ),
        party_email_resources=("hubPersons",),
    )


@attrs.frozen
class LatencyProfile:
    """How long each request takes in a sync benchmark (simulated time).

    Attributes:
        shipstation: Seconds per ShipStation response (rate limit on top: 40 a minute).
        oracle_read: Seconds per Oracle read (GET, and the token request).
        oracle_create: Seconds per Oracle document created; a batch takes the sum of its parts.
        oracle_in_flight: Oracle requests a pod serves at once; more wait their turn.
    """

    shipstation: float = 0.25
    oracle_read: float = 0.4
    oracle_create: float = 1.2
    oracle_in_flight: int = 4

    def describe(self) -> str:
        """One line for the benchmarks page."""
        return (
            f"ShipStation {self.shipstation * 1000:.0f} ms a response; Oracle reads "
            f"{self.oracle_read * 1000:.0f} ms, creates {self.oracle_create:g} s per document "
            f"(a batch the sum of its parts); at most {self.oracle_in_flight} Oracle requests "
            "in flight per pod"
        )

    def oracle_seconds(self, method: str, url: str, content: bytes) -> float:
        """Simulated time of one Oracle request."""
        if method != "POST" or "/oauth2/" in url:
            return self.oracle_read
        if _kind(method, url) == "POST batch":
            try:
                parts = len(json.loads(content).get("parts") or ())
            except (ValueError, AttributeError):
                parts = 1
            return self.oracle_create * max(1, parts)
        return self.oracle_create


PROFILE = LatencyProfile()
"""The latency profile of the sync benchmarks (the issue's figures)."""


@attrs.define
class SyncRun:
    """One sync over a generated day: outcome counts, request counts, times, memory."""

    orders: int
    shipments: int
    voided: int
    """Labels voided in the window (the voided-labels list reads them)."""
    summary: str
    posted: int
    failed: int
    shipstation_requests: Counter[str]
    oracle_requests: Counter[str]
    documents: int
    simulated_seconds: float
    real_seconds: float
    profile: dict[str, float]
    concurrency: int
    use_async: bool
    rss_setup_kb: int = 0
    """Peak RSS of the sync's process before the run (clients built, nothing synced)."""
    rss_peak_kb: int = 0
    """Peak RSS of the sync's process after the run."""
    rss_simulators_kb: int = 0
    """Peak RSS of the simulators' process (the generated day, every posted document)."""
    results_policy: str = RESULTS
    trust_audit_trail: bool = False
    """The sync trusted its (fresh) audit trail: new records were created without a look-up."""
    sync_cpu: float = 0.0
    """Process CPU seconds of the sync (the pipe's cost and the measuring ``json.loads`` out)."""
    loads_cpu: float = 0.0
    """Process CPU seconds plain ``json.loads`` took over every response body received."""
    bodies: int = 0
    body_bytes: int = 0
    oracle_seconds: float = 0.0
    """Sum of the simulated time of every Oracle request (before overlap)."""
    shipstation_seconds: float = 0.0
    """Sum of the simulated time of every ShipStation request."""

    @property
    def latency_profile(self) -> LatencyProfile:
        return LatencyProfile(**self.profile)  # type: ignore[arg-type]

    def to_json(self) -> str:
        data = attrs.asdict(self)
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> SyncRun:
        data = json.loads(text)
        data["shipstation_requests"] = Counter(data["shipstation_requests"])
        data["oracle_requests"] = Counter(data["oracle_requests"])
        return cls(**data)


def _peak_rss_kb() -> int:
    # ru_maxrss is in kilobytes on Linux (bytes on macOS; the benchmarks page says which OS).
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _kind(method: str, url: str) -> str:
    path = url.split("?", 1)[0]
    tail = path.rstrip("/").rsplit("/", 1)[-1]
    if method == "POST" and tail[:1].isdigit():
        return "POST batch"
    if "orderId=" in url and tail == "shipments":
        return "GET shipments by order"
    if method == "GET" and tail.isdigit():
        parent = path.rstrip("/").rsplit("/", 2)[-2]
        return f"GET {parent} by id"
    return f"{method} {tail}"


# -- the simulators' process ----------------------------------------------------------------


@attrs.frozen
class _Ready:
    """What the simulators' process sends once the day is loaded."""

    mapping_toml: str
    shipments: int
    voided: int
    pod_url: str
    identity_url: str


def _serve(conn: Connection, orders: int, seed: int, unmatched_email_rate: float) -> None:
    """The simulators' process: load the day, then answer requests until told to finish."""
    logging.disable(logging.WARNING)
    clock = VirtualClock(NOW)
    day = generate_day(
        seed,
        orders=orders,
        warehouses=2,
        unmatched_email_rate=unmatched_email_rate,
        realism=REALISTIC,
    )
    shipstation = ShipStationSimulator(clock=clock)
    shipstation.load(day)
    oracle = OracleFusionSimulator(clock=clock)
    oracle.load(day)
    routes = {
        urlsplit(oracle.pod_url).hostname: oracle.transport(),
        urlsplit(oracle.identity_url).hostname: oracle.transport(),
    }
    ss_transport = shipstation.transport()
    stats = day.stats()
    conn.send(
        _Ready(
            demo_mapping_toml(day),
            stats["shipments"],
            stats["voided_shipments"],
            oracle.pod_url,
            oracle.identity_url,
        )
    )
    while True:
        message = conn.recv()
        if message[0] == "finish":
            break
        _, at, method, url, headers, content, extensions = message
        # The sync's time first: rate windows and token expiry run on it.
        clock.advance(max(0.0, at - clock.monotonic()))
        request = httpx.Request(
            method, url, headers=headers, content=content, extensions=extensions
        )
        transport = routes.get(request.url.host, ss_transport)
        before = clock.monotonic()
        try:
            response = transport.handle_request(request)
        except httpx.TransportError as exc:  # injected faults: the sync sees the same error
            conn.send(("error", type(exc).__name__, str(exc), clock.monotonic() - before))
            continue
        body = response.read()
        delay = clock.monotonic() - before  # a fault's extra delay (no latency here)
        conn.send(("response", response.status_code, response.headers.multi_items(), body, delay))
    conn.send(
        {
            "shipstation_requests": Counter(_kind(m, u) for m, u in shipstation.v1.requests),
            "oracle_requests": Counter(_kind(m, u) for m, u in oracle.requests),
            "documents": len(oracle.invoices())
            + len(oracle.credit_memos())
            + len(oracle.inventory_transactions()),
            "rss_kb": _peak_rss_kb(),
        }
    )
    conn.close()


# -- the sync's process ------------------------------------------------------------------------


class PipeTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Sends each request to the simulators' process; the simulated latency is spent here,
    on the sync's clock (overlapping on a :class:`~ml_connector.testing.LoopClock`).

    Requests are answered one at a time, so concurrent tasks never interleave on the pipe.
    Oracle requests beyond the profile's ``oracle_in_flight`` wait for a slot (async runs;
    a blocking run has one request in flight anyway).

    Also counts the CPU the pipe costs (``pipe_cpu``) and the CPU plain ``json.loads`` takes
    over every response body (``loads_cpu``), so that the sync's own CPU can be told apart.
    """

    def __init__(
        self, conn: Connection, clock: Any, profile: LatencyProfile, oracle_hosts: set[str]
    ) -> None:
        self._conn = conn
        self._clock = clock
        self._profile = profile
        self._oracle_hosts = oracle_hosts
        self._slots: asyncio.Semaphore | None = None
        self.pipe_cpu = 0.0
        self.loads_cpu = 0.0
        self.bodies = 0
        self.body_bytes = 0
        self.oracle_seconds = 0.0
        self.shipstation_seconds = 0.0

    def _latency(self, request: httpx.Request) -> float:
        if request.url.host in self._oracle_hosts:
            seconds = self._profile.oracle_seconds(
                request.method, str(request.url), request.content
            )
            self.oracle_seconds += seconds
            return seconds
        self.shipstation_seconds += self._profile.shipstation
        return self._profile.shipstation

    def _exchange(self, request: httpx.Request) -> tuple[float, Any]:
        started = time.process_time()
        timeout = request.extensions.get("timeout")
        self._conn.send(
            (
                "request",
                self._clock.monotonic(),
                request.method,
                str(request.url),
                request.headers.multi_items(),
                request.content,
                {"timeout": timeout} if timeout is not None else {},
            )
        )
        reply = self._conn.recv()
        latency = self._latency(request)
        between = time.process_time()
        self.pipe_cpu += between - started
        if reply[0] == "response" and reply[3]:
            body = reply[3]
            # The baseline is the parse alone: a collection of the sync's heap that the
            # parse's allocations would trigger here runs at the sync's next allocation
            # instead, and is counted as the sync's CPU, where it belongs.
            collecting = gc.isenabled()
            gc.disable()
            try:
                with contextlib.suppress(ValueError):
                    json.loads(body)
                    self.bodies += 1
                    self.body_bytes += len(body)
            finally:
                if collecting:
                    gc.enable()
            self.loads_cpu += time.process_time() - between
        return latency + reply[-1], reply

    @staticmethod
    def _deliver(request: httpx.Request, reply: Any) -> httpx.Response:
        if reply[0] == "error":
            error = getattr(httpx, reply[1], httpx.TransportError)
            raise error(reply[2], request=request)
        _, status, headers, body, _delay = reply
        return httpx.Response(status, headers=headers, content=body, request=request)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        delay, reply = self._exchange(request)
        self._clock.sleep(delay)
        return self._deliver(request, reply)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        if request.url.host not in self._oracle_hosts:
            delay, reply = self._exchange(request)
            await self._clock.async_sleep(delay)
            return self._deliver(request, reply)
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._profile.oracle_in_flight)
        async with self._slots:
            delay, reply = self._exchange(request)
            await self._clock.async_sleep(delay)
        return self._deliver(request, reply)

    def close(self) -> None:
        """The pipe belongs to :func:`run_sync`."""

    async def aclose(self) -> None:
        """The pipe belongs to :func:`run_sync`."""


def run_sync(
    orders: int,
    *,
    seed: int = 21,
    profile: LatencyProfile = PROFILE,
    use_async: bool = False,
    concurrency: int = 8,
    unmatched_email_rate: float = 0.1,
    trust_audit_trail: bool = False,
) -> SyncRun:
    """Sync a generated day of ``orders`` orders once, the simulators in a child process.

    ``trust_audit_trail`` is passed to the sync job (its audit trail starts empty).
    """
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: nothing shared
    conn, child_conn = context.Pipe()
    child = context.Process(
        target=_serve, args=(child_conn, orders, seed, unmatched_email_rate), daemon=True
    )
    child.start()
    child_conn.close()
    try:
        ready: _Ready = conn.recv()
        clock: VirtualClock | LoopClock = LoopClock(NOW) if use_async else VirtualClock(NOW)
        oracle_hosts = {
            urlsplit(ready.pod_url).hostname or "",
            urlsplit(ready.identity_url).hostname or "",
        }
        transport = PipeTransport(conn, clock, profile, oracle_hosts)
        settings = oracle_settings(ready.pod_url, ready.identity_url)
        mapping = MappingConfig.from_toml(ready.mapping_toml)
        folder = tempfile.TemporaryDirectory()
        audit = SqliteAuditSink(Path(folder.name) / "audit.db")
        window = (START, NOW)
        if use_async:
            assert isinstance(clock, LoopClock)

            async def main() -> RunSummary:
                async with (
                    AsyncShipStationV1Client(V1, transport=transport, clock=clock) as ss,
                    AsyncOracleFusionClient(settings, transport=transport, clock=clock) as client,
                ):
                    job = AsyncShipmentSync(
                        shipstation=ss,
                        oracle=client,
                        mapping=mapping,
                        audit=audit,
                        clock=clock,
                        concurrency=concurrency,
                        results=RESULTS,
                        trust_audit_trail=trust_audit_trail,
                    )
                    return await job.run(window)

            rss_setup = _peak_rss_kb()
            started = time.perf_counter()
            cpu_started = time.process_time()
            summary = clock.run(main())
        else:
            with (
                ShipStationV1Client(V1, transport=transport, clock=clock) as ss,
                OracleFusionClient(settings, transport=transport, clock=clock) as client,
            ):
                job = ShipmentSync(
                    shipstation=ss,
                    oracle=client,
                    mapping=mapping,
                    audit=audit,
                    clock=clock,
                    results=RESULTS,
                    trust_audit_trail=trust_audit_trail,
                )
                rss_setup = _peak_rss_kb()
                started = time.perf_counter()
                cpu_started = time.process_time()
                summary = job.run(window)
        cpu = time.process_time() - cpu_started - transport.pipe_cpu - transport.loads_cpu
        real = time.perf_counter() - started
        rss_peak = _peak_rss_kb()
        audit.close()
        folder.cleanup()
        conn.send(("finish",))
        served: dict[str, Any] = conn.recv()
    finally:
        conn.close()
        child.join(timeout=30)
    return SyncRun(
        orders=orders,
        shipments=ready.shipments,
        voided=ready.voided,
        summary=summary.describe(),
        posted=summary.posted,
        failed=summary.failed,
        shipstation_requests=Counter(served["shipstation_requests"]),
        oracle_requests=Counter(served["oracle_requests"]),
        documents=served["documents"],
        simulated_seconds=clock.monotonic(),
        real_seconds=real,
        profile=attrs.asdict(profile),
        concurrency=concurrency if use_async else 1,
        use_async=use_async,
        rss_setup_kb=rss_setup,
        rss_peak_kb=rss_peak,
        rss_simulators_kb=served["rss_kb"],
        results_policy=summary.results_policy,
        trust_audit_trail=trust_audit_trail,
        sync_cpu=cpu,
        loads_cpu=transport.loads_cpu,
        bodies=transport.bodies,
        body_bytes=transport.body_bytes,
        oracle_seconds=transport.oracle_seconds,
        shipstation_seconds=transport.shipstation_seconds,
    )


TRUST = "--trust-audit-trail"
"""``python -m bench._scenario N --trust-audit-trail``: the sync trusts its audit trail."""
BLOCKING = "--blocking"
"""``python -m bench._scenario N --blocking``: the blocking job (``ShipmentSync``)."""

_RUNS: dict[tuple[int, bool, bool], SyncRun] = {}


def cached_run(orders: int, *, trust_audit_trail: bool = False, blocking: bool = False) -> SyncRun:
    """The sync of ``orders`` orders under :data:`PROFILE`, in a fresh process, run once.

    The async job unless ``blocking``. A child process per size gives a clean peak RSS (the
    memory benchmark); the API-calls, CPU and end-to-end benchmarks read the same runs, so the
    most expensive step of the run is paid once per size (and per mode).
    """
    key = (orders, trust_audit_trail, blocking)
    if key not in _RUNS:
        _RUNS[key] = _run_in_child(orders, trust_audit_trail=trust_audit_trail, blocking=blocking)
    return _RUNS[key]


def repeated_runs(orders: int, rounds: int) -> list[SyncRun]:
    """``rounds`` async syncs of ``orders`` orders, each in a fresh process: the first is
    :func:`cached_run`'s, the others are run here (a median and a range of one machine's
    spells, where a single run would be one draw)."""
    runs = [cached_run(orders)]
    while len(runs) < rounds:
        runs.append(_run_in_child(orders))
    return runs


def _run_in_child(
    orders: int, *, trust_audit_trail: bool = False, blocking: bool = False
) -> SyncRun:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench._scenario",
            str(orders),
            *([TRUST] if trust_audit_trail else []),
            *([BLOCKING] if blocking else []),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parent.parent,
    )
    if done.returncode != 0:
        raise RuntimeError(f"sync of {orders} orders failed:\n{done.stderr[-3000:]}")
    return SyncRun.from_json(done.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> None:
    """``python -m bench._scenario N [--trust-audit-trail] [--blocking]``: one run of ``N``
    orders, as JSON on the last line."""
    logging.disable(logging.WARNING)  # retries are expected and counted, not printed
    run = run_sync(
        int(argv[0]),
        use_async=BLOCKING not in argv[1:],
        trust_audit_trail=TRUST in argv[1:],
    )
    print(run.to_json())


if __name__ == "__main__":
    # Through the package's name, so the simulators' process (spawned) finds ``_serve``.
    from bench import _scenario

    _scenario.main(sys.argv[1:])
