"""Fault injection: every kind, reproducible by seed, counted."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ml_connector import ResponseDecodeError
from ml_connector._http import read_json
from ml_connector.testing import (
    FaultKind,
    FaultPlan,
    Faults,
    GeneratedDay,
    OracleFusionSimulator,
    ShipStationV1Simulator,
    ShipStationV2Simulator,
    VirtualClock,
)

from .conftest import example, same_shape

V1 = "https://ssapi.shipstation.com"
FSCM = "https://sim-test.fa.us2.oraclecloud.com/fscmRestApi/resources/11.13.18.05"
TOKEN_URL = "https://idcs-0c0ffee0c0ffee0c0ffee0c0ffee0c0f.identity.oraclecloud.com/oauth2/v1/token"


def v1_client(sim: ShipStationV1Simulator, timeout: float = 30.0) -> httpx.Client:
    return httpx.Client(
        transport=sim.transport(), base_url=V1, auth=("sim-key", "sim-secret"), timeout=timeout
    )


@pytest.fixture
def oracle(small_day: GeneratedDay, clock: VirtualClock) -> OracleFusionSimulator:
    sim = OracleFusionSimulator(clock=clock, faults=FaultPlan(path_prefixes=["/fscmRestApi"]))
    sim.load(small_day)
    return sim


@pytest.fixture
def oracle_client(oracle: OracleFusionSimulator) -> Iterator[httpx.Client]:
    with httpx.Client(transport=oracle.transport(), timeout=10.0) as client:
        reply = client.post(
            TOKEN_URL,
            data={"grant_type": "client_credentials"},
            auth=("sim-client", "sim-client-secret"),
        )
        client.headers["Authorization"] = f"Bearer {reply.json()['access_token']}"
        yield client


def invoice(day: GeneratedDay, number: str) -> dict[str, Any]:
    site = next(day.iter_oracle_customer_sites())
    return {
        "BusinessUnit": "Vision Operations",
        "TransactionSource": "Manual-NES",
        "TransactionType": "Invoice",
        "TransactionDate": "2026-01-15",
        "TransactionNumber": number,
        "BillToCustomerNumber": site["AccountNumber"],
        "InvoiceCurrencyCode": "USD",
        "PaymentTerms": "30 Net",
        "receivablesInvoiceLines": [
            {"LineNumber": 1, "Description": "Mug", "Quantity": 1, "UnitSellingPrice": 9.5}
        ],
    }


def test_scripted_rate_limit_and_server_error_in_v1_shape(clock: VirtualClock) -> None:
    faults = FaultPlan(script=[FaultKind.RATE_LIMIT, FaultKind.SERVER_ERROR, None])
    sim = ShipStationV1Simulator(clock=clock, faults=faults)
    with v1_client(sim) as client:
        limited, failed, fine = (client.get("/warehouses") for _ in range(3))
    assert limited.status_code == 429 and limited.json() == {"message": "Too Many Requests"}
    assert limited.headers["X-Rate-Limit-Remaining"] == "0"
    assert failed.status_code == 503 and "message" in failed.json()
    assert "X-Rate-Limit-Limit" in failed.headers
    assert fine.status_code == 200
    assert sim.faults.counts == {FaultKind.RATE_LIMIT: 1, FaultKind.SERVER_ERROR: 1}


def test_v2_fault_bodies_are_v2_error_bodies(clock: VirtualClock) -> None:
    sim = ShipStationV2Simulator(
        clock=clock, faults=FaultPlan(script=["rate_limit", "server_error"])
    )
    with httpx.Client(transport=sim.transport(), headers={"api-key": "sim-v2-key"}) as client:
        limited = client.get("https://api.shipstation.com/v2/inventory")
        failed = client.get("https://api.shipstation.com/v2/inventory")
    documented = example("v2-error-response.SCHEMA-DERIVED.example.json")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "60"
    assert limited.json()["errors"][0]["error_code"] == "rate_limit_exceeded"
    assert same_shape(limited.json(), documented) == []
    assert failed.status_code == 503 and same_shape(failed.json(), documented) == []


def test_timeout_raises_after_the_clients_read_timeout_and_changes_nothing(
    oracle: OracleFusionSimulator,
    oracle_client: httpx.Client,
    small_day: GeneratedDay,
    clock: VirtualClock,
) -> None:
    oracle.faults.inject(FaultKind.TIMEOUT)
    before = clock.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        oracle_client.post(f"{FSCM}/receivablesInvoices", json=invoice(small_day, "T-1"))
    assert clock.monotonic() - before == pytest.approx(10.0)
    assert oracle.invoices() == []


def test_connection_resets_are_connect_errors_or_dropped_connections(
    oracle: OracleFusionSimulator, oracle_client: httpx.Client, small_day: GeneratedDay
) -> None:
    oracle.faults.inject(FaultKind.CONNECTION_RESET, times=8)
    raised = set()
    for n in range(8):
        with pytest.raises((httpx.ConnectError, httpx.RemoteProtocolError)) as info:
            oracle_client.post(f"{FSCM}/receivablesInvoices", json=invoice(small_day, f"R-{n}"))
        raised.add(type(info.value))
    assert raised == {httpx.ConnectError, httpx.RemoteProtocolError}
    assert oracle.invoices() == []
    assert oracle.faults.counts[FaultKind.CONNECTION_RESET] == 8


def test_token_expiry_fault_turns_a_good_token_into_a_401(
    oracle: OracleFusionSimulator, oracle_client: httpx.Client
) -> None:
    url = f"{FSCM}/accountCombinationsLOV"
    oracle.faults.inject(FaultKind.TOKEN_EXPIRY)
    assert oracle_client.get(url).status_code == 401
    assert oracle_client.get(url).status_code == 401  # the token stays expired
    assert oracle.faults.counts[FaultKind.TOKEN_EXPIRY] == 1


def test_slow_response_within_and_beyond_the_read_timeout(
    oracle: OracleFusionSimulator, small_day: GeneratedDay, clock: VirtualClock
) -> None:
    oracle.faults = Faults(FaultPlan(slow_seconds=8.0))
    with httpx.Client(transport=oracle.transport(), timeout=10.0) as client:
        access = client.post(
            TOKEN_URL, data={"grant_type": "client_credentials"},
            auth=("sim-client", "sim-client-secret"),
        ).json()["access_token"]  # fmt: skip
        client.headers["Authorization"] = f"Bearer {access}"
        oracle.faults.inject(FaultKind.SLOW)
        start = clock.monotonic()
        assert client.get(f"{FSCM}/accountCombinationsLOV").status_code == 200
        assert clock.monotonic() - start == pytest.approx(8.0)
        oracle.faults = Faults(FaultPlan(slow_seconds=30.0))
        oracle.faults.inject(FaultKind.SLOW)
        with pytest.raises(httpx.ReadTimeout):
            client.post(f"{FSCM}/receivablesInvoices", json=invoice(small_day, "S-1"))
    # The server acted although the client gave up: a slow write is a lost answer.
    assert [i["TransactionNumber"] for i in oracle.invoices()] == ["S-1"]


@pytest.mark.parametrize("lost_as", ["timeout", "server_error"])
def test_lost_after_commit_applies_the_write_then_fails(
    small_day: GeneratedDay, clock: VirtualClock, lost_as: str
) -> None:
    oracle = OracleFusionSimulator(
        clock=clock, faults=FaultPlan(lost_as=lost_as, path_prefixes=["/fscmRestApi"])
    )
    oracle.load(small_day)
    with httpx.Client(transport=oracle.transport(), timeout=10.0) as client:
        access = client.post(
            TOKEN_URL, data={"grant_type": "client_credentials"},
            auth=("sim-client", "sim-client-secret"),
        ).json()["access_token"]  # fmt: skip
        client.headers["Authorization"] = f"Bearer {access}"
        oracle.faults.inject(FaultKind.LOST_AFTER_COMMIT)
        if lost_as == "timeout":
            with pytest.raises(httpx.ReadTimeout):
                client.post(f"{FSCM}/receivablesInvoices", json=invoice(small_day, "L-1"))
        else:
            response = client.post(f"{FSCM}/receivablesInvoices", json=invoice(small_day, "L-1"))
            assert response.status_code == 503
        assert [i["TransactionNumber"] for i in oracle.invoices()] == ["L-1"]
        # A blind re-post is refused as a duplicate; a lookup finds the committed invoice.
        again = client.post(f"{FSCM}/receivablesInvoices", json=invoice(small_day, "L-1"))
        assert again.status_code == 400
        found = client.get(
            f"{FSCM}/receivablesInvoices", params={"q": "TransactionNumber='L-1'"}
        ).json()
        assert found["count"] == 1


def test_lost_after_commit_never_hits_reads(clock: VirtualClock) -> None:
    sim = ShipStationV1Simulator(clock=clock, faults=FaultPlan(script=["lost_after_commit"]))
    with v1_client(sim) as client:
        assert client.get("/warehouses").status_code == 200
    assert sim.faults.total == 0


def test_a_queued_lost_after_commit_waits_for_the_next_write(
    oracle: OracleFusionSimulator, oracle_client: httpx.Client, small_day: GeneratedDay
) -> None:
    oracle.faults.inject(FaultKind.LOST_AFTER_COMMIT)
    lookup = oracle_client.get(f"{FSCM}/receivablesInvoices", params={"q": "TransactionNumber=Q"})
    assert lookup.status_code == 200
    with pytest.raises(httpx.ReadTimeout):
        oracle_client.post(f"{FSCM}/receivablesInvoices", json=invoice(small_day, "Q"))
    assert oracle.faults.counts == {FaultKind.LOST_AFTER_COMMIT: 1}
    assert len(oracle.invoices()) == 1


def test_html_page_fault_is_a_decode_error_for_the_core(clock: VirtualClock) -> None:
    sim = ShipStationV1Simulator(clock=clock, faults=FaultPlan(script=["html_page"]))
    with v1_client(sim) as client:
        response = client.get("/orders")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    with pytest.raises(ResponseDecodeError, match="HTML"):
        read_json(response)


def _outcomes(seed: int, requests: int = 60) -> list[str]:
    sim = ShipStationV1Simulator(
        clock=VirtualClock(),
        rate_limit=None,
        faults=FaultPlan(
            seed=seed, rates={"server_error": 0.2, "timeout": 0.1, "connection_reset": 0.1}
        ),
    )
    outcomes = []
    with v1_client(sim) as client:
        for _ in range(requests):
            try:
                outcomes.append(str(client.get("/warehouses").status_code))
            except httpx.TransportError as exc:
                outcomes.append(type(exc).__name__)
    return outcomes


def test_rates_are_reproducible_by_seed() -> None:
    first, again, other = _outcomes(11), _outcomes(11), _outcomes(12)
    assert first == again
    assert first != other
    assert {"200", "503", "ReadTimeout"} <= set(first)


def test_counts_and_summary(clock: VirtualClock) -> None:
    faults = Faults(FaultPlan(seed=3, rates={"server_error": 0.5}))
    sim = ShipStationV1Simulator(clock=clock, rate_limit=None, faults=faults)
    with v1_client(sim) as client:
        statuses = [client.get("/warehouses").status_code for _ in range(40)]
    assert faults.counts[FaultKind.SERVER_ERROR] == statuses.count(503) > 0
    assert faults.requests == 40
    assert faults.summary() == f"40 requests, {statuses.count(503)} faults: server_error=" + str(
        statuses.count(503)
    )


def test_eligibility_by_method_and_path(clock: VirtualClock) -> None:
    plan = FaultPlan(rates={"server_error": 1.0}, methods=["post"], path_prefixes=["/webhooks"])
    sim = ShipStationV1Simulator(clock=clock, faults=plan)
    with v1_client(sim) as client:
        assert client.get("/webhooks").status_code == 200
        hook = {"target_url": "https://example.com/h", "event": "SHIP_NOTIFY"}
        assert client.post("/webhooks/subscribe", json=hook).status_code == 503
        assert client.get("/warehouses").status_code == 200
    assert sim.faults.total == 1


def test_one_faults_object_counts_across_simulators(
    clock: VirtualClock, small_day: GeneratedDay
) -> None:
    shared = Faults(FaultPlan(script=["server_error", "server_error"]))
    v1 = ShipStationV1Simulator(clock=clock, faults=shared)
    oracle = OracleFusionSimulator(clock=clock, faults=shared)
    with v1_client(v1) as client:
        client.get("/warehouses")
    with httpx.Client(transport=oracle.transport()) as client:
        client.post(TOKEN_URL, data={"grant_type": "client_credentials"})
    assert shared.counts[FaultKind.SERVER_ERROR] == 2


@pytest.mark.parametrize(
    "kwargs",
    [
        {"rates": {"timeout": 1.5}},
        {"rates": {"timeout": 0.6, "server_error": 0.6}},
        {"rates": {"no_such_fault": 0.1}},
        {"lost_as": "explode"},
    ],
)
def test_bad_plans_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 (each case has its own message)
        FaultPlan(**kwargs)


@pytest.mark.anyio
async def test_async_transport_sleeps_latency_and_raises_faults(clock: VirtualClock) -> None:
    sim = ShipStationV1Simulator(
        clock=clock, latency=0.5, faults=FaultPlan(script=[None, "timeout"])
    )
    async with httpx.AsyncClient(
        transport=sim.async_transport(), base_url=V1, auth=("sim-key", "sim-secret"), timeout=4.0
    ) as client:
        assert (await client.get("/warehouses")).status_code == 200
        with pytest.raises(httpx.ReadTimeout):
            await client.get("/warehouses")
    assert clock.monotonic() == pytest.approx(0.5 + 0.5 + 4.0)
