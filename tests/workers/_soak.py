"""The soak test's moving parts: one simulator process, worker processes, and the figures.

- ``serve``: ONE process holds every tenant's ShipStation and Oracle simulators behind a plain
  HTTP server on 127.0.0.1, on a scaled clock, with faults; it also enforces each ShipStation
  *account's* limit in fixed windows (several tenants share an account), answers 429 past it,
  and logs every request's arrival per account.
- ``work``: a worker process: a Procrastinate worker running :class:`ShipmentRunner` with
  transports that forward every request to the simulator process (the clients keep their https
  URLs; tenants are told apart by their Basic-auth key and their pod host).
- :func:`figures`: what the goals are measured on.

Run as ``python -m tests.workers._soak serve|work ...`` by the test; loopback only.
"""

from __future__ import annotations

import asyncio
import base64
import sys
import threading
import time
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

START = datetime(2026, 1, 17, 17, 0, tzinfo=UTC)  # the morning after the generated day
V1_SECRET = "fedcba9876543210fedcba9876543210"
ORACLE_SECRET = "oracle-client-secret-123"
ACCOUNT_LIMIT = 40  # V1: 40 requests a minute per account (the workers' budgets enforce it)
ACCOUNT_WINDOW = 60.0  # scaled seconds


class ScaledClock:
    """``scale`` simulated seconds per real second, from a shared real ``epoch``."""

    def __init__(self, epoch: float, scale: float) -> None:
        self.epoch = epoch
        self.scale = scale

    def monotonic(self) -> float:
        return (time.time() - self.epoch) * self.scale

    def now(self) -> datetime:
        return START + timedelta(seconds=self.monotonic())

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds / self.scale)

    async def async_sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.scale)


def tenant_names(count: int) -> list[str]:
    return [f"t{n:02d}" for n in range(count)]


def account_of(index: int, accounts: int) -> str:
    return f"acct{index % accounts}"


def api_key(name: str) -> str:
    return f"key-{name}-0123456789abcdef"


def pod_host(name: str) -> str:
    return f"soak-{name}.fa.us2.oraclecloud.com"


def identity_host(name: str) -> str:
    return f"idcs-soak-{name}.identity.oraclecloud.com"


def write_tenants(folder: Path, count: int, accounts: int, orders: int, schedule: str) -> None:
    """The tenant registry and each tenant's connector configuration and mapping."""
    from ml_connector.cli._demo import demo_mapping_toml
    from ml_connector.testing import generate_day

    configs = folder / "configs"
    configs.mkdir(parents=True, exist_ok=True)
    for index, name in enumerate(tenant_names(count)):
        day = generate_day(index, orders=orders, warehouses=2)
        (configs / f"{name}.mapping.toml").write_text(demo_mapping_toml(day), encoding="utf-8")
        (configs / f"{name}.toml").write_text(
            f"""[mapping]
path = "{name}.mapping.toml"
[oracle]
pod_url = "https://{pod_host(name)}"
token_url = "https://{identity_host(name)}/oauth2/v1/token"
scope = "urn:opc:resource:consumer::all"
client_id = "sim-client"
""",
            encoding="utf-8",
        )
        upper = name.upper()
        (folder / f"{name}.toml").write_text(
            f"""[tenant]
name = "{name}"
config = "configs/{name}.toml"
schedule = "{schedule}"
account = "{account_of(index, accounts)}"
initial_start = "2026-01-15T08:00:00Z"
[tenant.secrets]
SHIPSTATION_API_KEY = {{ env = "{upper}_KEY" }}
SHIPSTATION_API_SECRET = {{ env = "SOAK_SS_SECRET" }}
ORACLE_CLIENT_SECRET = {{ env = "SOAK_ORACLE_SECRET" }}
""",
            encoding="utf-8",
        )


def environ(count: int) -> dict[str, str]:
    env = {f"{name.upper()}_KEY": api_key(name) for name in tenant_names(count)}
    env["SOAK_SS_SECRET"] = V1_SECRET
    env["SOAK_ORACLE_SECRET"] = ORACLE_SECRET
    return env


# -- the simulator process ----------------------------------------------------------------------


class World:
    def __init__(
        self,
        count: int,
        accounts: int,
        orders: int,
        fault_rate: float,
        clock: Any,
        latency: float = 0.0,
    ) -> None:
        from ml_connector.testing import (
            FaultKind,
            FaultPlan,
            OracleFusionSimulator,
            ShipStationSimulator,
            generate_day,
        )

        self.clock = clock
        self.lock = threading.Lock()
        # Faults on both sides, every kind but 429 (429s are what the budgets must prevent,
        # so every 429 counted comes from an account's limit).
        kinds = [
            FaultKind.SERVER_ERROR,
            FaultKind.TIMEOUT,
            FaultKind.CONNECTION_RESET,
            FaultKind.LOST_AFTER_COMMIT,
        ]
        rates = {kind: fault_rate / len(kinds) for kind in kinds}
        self.by_key: dict[str, tuple[str, Any]] = {}
        self.shipstation: list[Any] = []
        self.by_host: dict[str, Any] = {}
        self.account: dict[str, str] = {}
        for index, name in enumerate(tenant_names(count)):
            day = generate_day(index, orders=orders, warehouses=2)
            ss = ShipStationSimulator(
                clock=clock,
                faults=FaultPlan(seed=index, rates=rates),
                v1_options={
                    "api_key": api_key(name),
                    "api_secret": V1_SECRET,
                    "rate_limit": None,  # the account's limit is enforced below, across tenants
                    "latency": latency,
                },
            )
            ss.load(day)
            oracle = OracleFusionSimulator(
                clock=clock,
                latency=latency,
                pod_url=f"https://{pod_host(name)}",
                identity_url=f"https://{identity_host(name)}",
                client_secret=ORACLE_SECRET,
                faults=FaultPlan(seed=1000 + index, rates=rates),
            )
            oracle.load(day)
            self.by_key[api_key(name)] = (name, ss.transport())
            self.shipstation.append(ss)
            self.by_host[pod_host(name)] = oracle
            self.by_host[identity_host(name)] = oracle
            self.account[name] = account_of(index, accounts)
        self.oracles = {name: self.by_host[pod_host(name)] for name in tenant_names(count)}
        self.transports = {host: sim.transport() for host, sim in self.by_host.items()}
        self.arrivals: dict[str, list[float]] = {}
        self.windows: dict[str, tuple[float, int]] = {}
        self.too_many = 0
        self.requests = 0

    def admit(self, account: str) -> bool:
        """The account's fixed-window limit, as ShipStation enforces it (one window a minute)."""
        now = self.clock.monotonic()
        with self.lock:
            self.requests += 1
            self.arrivals.setdefault(account, []).append(now)
            start, used = self.windows.get(account, (now, 0))
            if now >= start + ACCOUNT_WINDOW:
                start, used = now, 0
            if used >= ACCOUNT_LIMIT:
                self.too_many += 1
                self.windows[account] = (start, used)
                return False
            self.windows[account] = (start, used + 1)
            return True

    def faults_off(self) -> None:
        from ml_connector.testing import Faults

        for ss in self.shipstation:
            ss.v1.faults = ss.v2.faults = Faults(None)
        for sim in self.by_host.values():
            sim.faults = Faults(None)

    def report(self) -> dict[str, Any]:
        per_key: Counter[str] = Counter()
        documents = 0
        for name, oracle in self.oracles.items():
            for doc in [*oracle.invoices(), *oracle.credit_memos()]:
                per_key[f"{name}:{doc.get('TransactionNumber')}"] += 1
                documents += 1
            for doc in oracle.inventory_transactions():
                per_key[f"{name}:{doc.get('TransactionReference')}"] += 1
                documents += 1
        worst = {
            account: max_in_window(times, ACCOUNT_WINDOW)
            for account, times in self.arrivals.items()
        }
        return {
            "documents": documents,
            "keys_with_more_than_one_document": sorted(k for k, n in per_key.items() if n > 1),
            "max_requests_in_any_window": worst,
            "too_many_requests": self.too_many,
            "shipstation_requests": self.requests,
        }


def max_in_window(times: list[float], window: float) -> int:
    ordered = sorted(times)
    best = start = 0
    for end, at in enumerate(ordered):
        while at - ordered[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def serve(port_file: str, count: int, accounts: int, orders: int, fault_rate: float,
          epoch: float, scale: float, latency: float = 0.0) -> None:  # fmt: skip
    world = World(count, accounts, orders, fault_rate, ScaledClock(epoch, scale), latency)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            del format, args

        def _reply(self, response: httpx.Response) -> None:
            body = response.content
            self.send_response(response.status_code)
            for key, value in response.headers.items():
                if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if self.path.startswith("/_soak/"):
                if self.path == "/_soak/faults-off":
                    world.faults_off()
                document = world.report()
                self._reply(httpx.Response(200, json=document))
                return
            host = self.headers.get("X-Soak-Host", "")
            headers = [(k, v) for k, v in self.headers.items() if k.lower() != "x-soak-host"]
            request = httpx.Request(
                self.command, f"https://{host}{self.path}", headers=headers, content=body
            )
            if host.endswith("shipstation.com"):
                user = _basic_user(self.headers.get("Authorization", ""))
                name, transport = world.by_key.get(user, ("", None))
                if transport is None:
                    self._reply(httpx.Response(401, json={"message": "Unauthorized"}))
                    return
                if not world.admit(world.account[name]):
                    # https://www.shipstation.com/docs/api/requirements/#api-rate-limits
                    self._reply(
                        httpx.Response(
                            429,
                            json={"message": "Too Many Requests"},
                            headers={"X-Rate-Limit-Limit": str(ACCOUNT_LIMIT)},
                        )
                    )
                    return
            else:
                transport = world.transports.get(host)
                if transport is None:
                    self._reply(httpx.Response(404, text="unknown host"))
                    return
            try:
                response = transport.handle_request(request)
            except httpx.HTTPError:
                # A timeout, a reset or an answer lost after the commit: the client sees the
                # connection close without a response.
                self.close_connection = True
                return
            self._reply(response)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    Path(port_file).write_text(str(server.server_address[1]), encoding="utf-8")
    server.serve_forever()


def _basic_user(header: str) -> str:
    if not header.lower().startswith("basic "):
        return ""
    try:
        return base64.b64decode(header[6:]).decode().split(":", 1)[0]
    except ValueError:
        return ""


# -- a worker process ---------------------------------------------------------------------------


class Forward(httpx.BaseTransport):
    """Sends every request to the simulator process, keeping its https host in a header."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url.copy_with(scheme="http", host="127.0.0.1", port=self.port)
        headers = dict(request.headers)
        headers["X-Soak-Host"] = request.url.host
        forwarded = httpx.Request(
            request.method,
            url,
            headers=headers,
            content=request.read(),
            extensions=request.extensions,
        )
        response = self.inner.handle_request(forwarded)
        response.read()
        return response

    def close(self) -> None:
        self.inner.close()


def work(url: str, schema: str, folder: str, port: int, count: int, epoch: float,
         scale: float, lease: float, name: str, concurrency: int = 3) -> None:  # fmt: skip
    from psycopg_pool import ConnectionPool

    from ml_connector.workers import ShipmentRunner, TenantRegistry, make_app

    registry = TenantRegistry.from_directory(folder)

    def runner() -> ShipmentRunner:
        pool = ConnectionPool(url, min_size=1, max_size=6, kwargs={"autocommit": True}, open=True)
        return runner_for(pool, schema, port, count, epoch, scale, lease)

    app = make_app(url, registry, runner, stalled_after=2.0, stalled_check="* * * * * */1")
    app.run_worker(
        queues=["ml-connector"],
        concurrency=concurrency,
        name=name,
        update_heartbeat_interval=0.5,
        stalled_worker_timeout=2.0,
    )


def runner_for(pool: Any, schema: str, port: int, count: int, epoch: float, scale: float,
               lease: float) -> Any:  # fmt: skip
    """The runner every soak worker uses (and the final sweep)."""
    import attrs

    from ml_connector.workers import ShipmentRunner
    from ml_connector.workers._runner import _load_tenant

    clock = ScaledClock(epoch, scale)

    def load(tenant: Any, env: Mapping[str, str]) -> tuple[Any, Any]:
        config, settings = _load_tenant(tenant, env)
        # Requests time out in 2 real seconds (httpx's timeouts are real), inside the lease.
        oracle = attrs.evolve(settings.oracle, timeout=2.0)
        v1 = settings.shipstation_v1
        shipstation = attrs.evolve(v1, http=attrs.evolve(v1.http, timeout=2.0))
        return config, attrs.evolve(settings, oracle=oracle, shipstation_v1=shipstation)

    forward = Forward(port)
    return ShipmentRunner(
        pool,
        environ=environ(count),
        shared_schema=schema,
        tenant_schema_prefix=f"{schema}_",
        clock=clock,
        transports={"shipstation": forward, "oracle": forward},
        load=load,
        sync_options={
            "claim_lease": timedelta(seconds=lease),  # claims run on the database's clock
            "budget_window": ACCOUNT_WINDOW / scale,
            "budget_margin": 0.4,
            "budget_time_scale": scale,
            "chunk_size": 20,
        },
    )


if __name__ == "__main__":
    command, *rest = sys.argv[1:]
    if command == "serve":
        port_file, count, accounts, orders, rate, epoch, scale, *latency = rest
        serve(port_file, int(count), int(accounts), int(orders), float(rate), float(epoch),
              float(scale), float(latency[0]) if latency else 0.0)  # fmt: skip
    else:
        url, schema, folder, port, count, epoch, scale, lease, name, *more = rest
        work(url, schema, folder, int(port), int(count), float(epoch), float(scale),
             float(lease), name, int(more[0]) if more else 3)  # fmt: skip
