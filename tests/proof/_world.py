"""A faulty world for the fault-injection suite: simulators with faults on both sides, clients
that can be killed mid-request, and a sync process that can be restarted over the same SQLite
audit file.

A *kill* stands for the process dying: a :class:`Killed` exception (not a library error, so
nothing in the library catches it) raised either from the progress callback (between records)
or from a transport right after the server committed a write (the response never arrives and
nothing after it runs). The run is abandoned; a fresh job with fresh clients and a fresh sink
over the same files takes over, as a restarted process would.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import httpx

from ml_connector import RetryPolicy, Secret
from ml_connector.audit import SqliteAuditSink, SqliteCheckpointStore
from ml_connector.cli._demo import demo_mapping_toml
from ml_connector.mapping import MappingConfig
from ml_connector.oracle import OAuthClientCredentials, OracleFusionClient, OracleFusionSettings
from ml_connector.shipstation import ShipStationV1Client, ShipStationV1Settings
from ml_connector.sync import Progress, ShipmentSync
from ml_connector.sync._post import CLAIMED_ELSEWHERE, DEFAULT_CLAIM_LEASE
from ml_connector.testing import (
    REALISTIC,
    FaultKind,
    FaultPlan,
    Faults,
    GeneratedDay,
    OracleFusionSimulator,
    ShipStationSimulator,
    VirtualClock,
    generate_day,
)

START = datetime(2026, 1, 15, 8, tzinfo=UTC)  # midnight Pacific on the generated day
NOW = datetime(2026, 1, 17, 12, tzinfo=UTC)

ORACLE_FAULTS = {
    FaultKind.RATE_LIMIT: 0.015,
    FaultKind.SERVER_ERROR: 0.02,
    FaultKind.TIMEOUT: 0.015,
    FaultKind.CONNECTION_RESET: 0.015,
    FaultKind.TOKEN_EXPIRY: 0.01,
    FaultKind.LOST_AFTER_COMMIT: 0.025,
}
"""10% of Oracle requests fail, the hard case (server committed, client got a timeout) included."""

SHIPSTATION_FAULTS = {
    FaultKind.RATE_LIMIT: 0.03,
    FaultKind.SERVER_ERROR: 0.03,
    FaultKind.TIMEOUT: 0.02,
    FaultKind.CONNECTION_RESET: 0.02,
}
"""10% of ShipStation requests fail."""


ONLINE_TIMEOUTS = {**ORACLE_FAULTS, FaultKind.ONLINE_TIMEOUT: 0.03}
"""The same, plus 3% of writes answered 408 with the inventory row kept in Oracle's interface."""


class Killed(BaseException):
    """The simulated process died here.

    A ``BaseException``, like the ``KeyboardInterrupt`` or ``SystemExit`` a real kill raises:
    the library rightly catches ``Exception`` from a progress callback (a broken progress bar
    must not stop posting), and no retry loop may swallow a dying process.
    """


class _KillAfterCommit(httpx.BaseTransport):
    """Delivers the request to the server, then dies before the response is read."""

    def __init__(self, inner: httpx.BaseTransport, world: World) -> None:
        self._inner = inner
        self._world = world

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self._world.process_during_run()
        response = self._inner.handle_request(request)
        writes = request.method == "POST" and request.url.path.startswith("/fscmRestApi")
        if writes and self._world.kill_due_in_transport():
            raise Killed(f"killed after the server answered {request.method} {request.url.path}")
        return response


@attrs.define
class World:
    """Both simulators, the generated day and the files a restarted process finds again."""

    day: GeneratedDay
    clock: VirtualClock
    shipstation: ShipStationSimulator
    oracle: OracleFusionSimulator
    mapping: MappingConfig
    audit_path: Path
    rng: random.Random
    seed: int = 0
    kill_points: list[tuple[str, int]] = attrs.field(factory=list)
    kills: Counter[str] = attrs.field(factory=Counter)
    run_posts: int = 0
    posts_per_run: list[int] = attrs.field(factory=list)
    kill_log: list[str] = attrs.field(factory=list)
    oracle_faults: Faults | None = None
    runs: int = 0
    trust_audit_trail: bool = False
    """Every run trusts the audit trail: records it has never seen are posted unlooked-up."""
    manager_every: int = 0
    """Run Oracle's inventory transaction manager every this many Oracle requests during a run,
    and after every run (0: never; rows are then processed only by their mode)."""
    oracle_requests: int = 0
    processed: Counter[str] = attrs.field(factory=Counter)

    def process_during_run(self) -> None:
        self.oracle_requests += 1
        if self.manager_every and self.oracle_requests % self.manager_every == 0:
            self.processed["during runs"] += self.oracle.run_transaction_manager()

    def process_between_runs(self) -> None:
        if self.manager_every:
            self.processed["between runs"] += self.oracle.run_transaction_manager()

    # -- kills -------------------------------------------------------------------------------
    # ``kill_points`` holds one point per run, in order: ("records", n) kills the process once
    # n records of that run have an outcome; ("post", n) kills it right after the server
    # committed that run's n-th write. A run that ends before its point is reached survives.

    def _point(self) -> tuple[str, int] | None:
        index = self.runs - 1
        return self.kill_points[index] if index < len(self.kill_points) else None

    def kill_due_in_transport(self) -> bool:
        self.run_posts += 1
        point = self._point()
        if point is not None and point[0] == "post" and self.run_posts == point[1]:
            self.kills["right after a committed Oracle write"] += 1
            self.kill_log.append(f"run {self.runs}: after committed write {self.run_posts}")
            return True
        return False

    def _progress(self, progress: Progress) -> None:
        point = self._point()
        if point is not None and point[0] == "records" and progress.done == point[1]:
            self.kills["between records"] += 1
            self.kill_log.append(f"run {self.runs}: after {progress.done} records")
            raise Killed(f"killed after {progress.done} records")

    def plan_kills(self, points: list[tuple[str, int]]) -> None:
        """Kill the next runs at ``points`` (one per run, as in :func:`make_world`)."""
        done = [*self.kill_points, *[("none", 0)] * self.runs][: self.runs]
        self.kill_points = [*done, *points]

    def quiet(self) -> None:
        """Stop injecting faults on both sides (the figures so far are kept)."""
        self.oracle_faults = self.oracle.faults
        self.shipstation.v1.faults = Faults()
        self.shipstation.v2.faults = Faults()
        self.oracle.faults = Faults()

    # -- a process ---------------------------------------------------------------------------

    def retry_policy(self, side: int) -> RetryPolicy:
        """The default policy with backoff jitter drawn from the suite's seed, so that a run's
        figures (retries, simulated time) repeat exactly from one test run to the next."""
        draws = random.Random(self.seed * 7919 + self.runs * 2 + side)
        return RetryPolicy(jitter=lambda delay: draws.uniform(0.0, delay))

    def job(self) -> tuple[ShipmentSync, Callable[[], None]]:
        """A fresh process: new clients, a new sink and checkpoint store over the same file."""
        clock = self.clock
        settings = OracleFusionSettings(
            pod_url=self.oracle.pod_url,
            auth=OAuthClientCredentials(
                token_url=self.oracle.identity_url + "/oauth2/v1/token",
                client_id="sim-client",
                client_secret=Secret("sim-client-secret"),
                scope="urn:opc:resource:consumer::all",
            ),
            party_email_resources=("hubPersons",),
            retry=self.retry_policy(1),
        )
        v1 = ShipStationV1Settings(api_key="sim-key", api_secret="sim-secret")
        v1 = attrs.evolve(v1, http=attrs.evolve(v1.http, retry=self.retry_policy(0)))
        shipstation = ShipStationV1Client(v1, transport=self.shipstation.transport(), clock=clock)
        oracle = OracleFusionClient(
            settings, transport=_KillAfterCommit(self.oracle.transport(), self), clock=clock
        )
        # Leases run on the world's clock, like everything else the job sees.
        audit = SqliteAuditSink(self.audit_path, clock=clock)
        checkpoints = SqliteCheckpointStore(self.audit_path)
        job = ShipmentSync(
            shipstation=shipstation,
            oracle=oracle,
            mapping=self.mapping,
            audit=audit,
            checkpoints=checkpoints,
            clock=clock,
            progress=self._progress,
            trust_audit_trail=self.trust_audit_trail,
        )

        def close() -> None:
            shipstation.close()
            oracle.close()
            audit.close()
            checkpoints.close()

        return job, close

    def run_until_done(self, max_runs: int = 30) -> list[Any]:
        """Run incrementally, restarting after every kill, until one run completes."""
        summaries: list[Any] = []
        for _ in range(max_runs):
            job, close = self.job()
            self.runs += 1
            self.run_posts = 0
            try:
                summary = job.run_incremental(initial_start=START)
                summaries.append(summary)
                if summary.skip_reasons.get(CLAIMED_ELSEWHERE):
                    # A killed run's claims outlive it until their lease expires; the run
                    # that met them kept its checkpoint, so the next scheduled run (after the
                    # lease) reads those records again.
                    self.clock.advance(DEFAULT_CLAIM_LEASE.total_seconds() + 1)
                    continue
                self.kill_points = self.kill_points[: self.runs - 1]  # no kills after this
                return summaries
            except Killed:
                self.posts_per_run.append(self.run_posts)
                continue
            finally:
                close()
                self.process_between_runs()
        raise AssertionError(f"no run completed in {max_runs} attempts")


def make_world(
    tmp: Path,
    *,
    orders: int,
    seed: int,
    kills: int,
    trust_audit_trail: bool = False,
    inventory_modes: str = "online",
    manager_every: int = 0,
    oracle_faults: dict[FaultKind, float] | None = None,
) -> World:
    clock = VirtualClock(NOW)
    # Every customer matches and every SKU exists: each failure left is an injected fault, so a
    # clean reconciliation after replay is the claim (unmatched customers have their own tests).
    day = generate_day(
        seed,
        orders=orders,
        warehouses=2,
        unmatched_email_rate=0.0,
        bad_sku_orders=0,
        # ShipStation as it really is: creation-date listing order, ids growing with time,
        # orders created days before their labels, split labels hours apart, captured quirks,
        # customers named with punctuation.
        realism=REALISTIC,
    )
    shipstation = ShipStationSimulator(
        clock=clock,
        faults=FaultPlan(seed=seed, rates=SHIPSTATION_FAULTS),
    )
    shipstation.load(day)
    oracle = OracleFusionSimulator(
        clock=clock,
        faults=FaultPlan(
            seed=seed + 1, rates=oracle_faults or ORACLE_FAULTS, path_prefixes=["/fscmRestApi"]
        ),
        # How inventory rows without a TransactionMode are processed ("mixed": Online,
        # Concurrent and Background in turn); Concurrent ones a minute after their POST.
        default_transaction_mode=inventory_modes,
        concurrent_delay=60.0,
        # Oracle's own duplicate-number check is switched off (keys on attributes we never
        # send), so a second post would be stored and counted, not refused: exactly-once has to
        # come from the connector alone.
        invoice_key="NoSuchAttribute",
        credit_memo_key="NoSuchAttribute",
        inventory_key="NoSuchAttribute",
    )
    oracle.load(day)
    rng = random.Random(seed)
    records = day.stats()["shipments"]
    # The first two runs die right after one of their first Oracle writes was committed (its
    # response never arrives, nothing after it runs); later runs die between two records at a
    # random point (every run walks the whole window, so these always hit).
    points = [
        ("post", rng.randrange(1, 4)) if n < 2 else ("records", rng.randrange(1, records))
        for n in range(kills)
    ]
    return World(
        day=day,
        clock=clock,
        shipstation=shipstation,
        oracle=oracle,
        mapping=_mapping(day, inventory_modes),
        audit_path=tmp / "audit.db",
        rng=rng,
        seed=seed,
        kill_points=points,
        trust_audit_trail=trust_audit_trail,
        manager_every=manager_every,
    )


def _mapping(day: GeneratedDay, inventory_modes: str) -> MappingConfig:
    mapping = MappingConfig.from_toml(demo_mapping_toml(day))
    if inventory_modes == "online":
        return mapping  # the mapping's default, TransactionMode "1"
    # No TransactionMode: the simulator's default decides (the client then cannot know from
    # the answer whether a line was processed, and reports it pending until found).
    return attrs.evolve(mapping, inventory=attrs.evolve(mapping.inventory, transaction_mode=None))


def window_end() -> datetime:
    return NOW + timedelta(hours=1)
