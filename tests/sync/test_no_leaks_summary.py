"""Run summaries and the audit trail of a faulty run never hold a credential an API echoed."""

from __future__ import annotations

import base64
import json
from typing import Any

import attrs
import httpx
import pytest

from ml_connector import AsyncShipmentSync, ShipmentSync
from ml_connector.oracle import AsyncOracleFusionClient, OracleFusionClient

from ._env import DAY_END, DAY_START, Env, make_env, oracle_settings


def _is_invoice_post(request: httpx.Request) -> bool:
    # Documents are posted one by one or in batches (POST to the version root): echo every post.
    return request.method == "POST" and "/oauth2/" not in request.url.path


class Echo:
    """Answers document POSTs with a 500 that repeats the request's credentials; the rest goes to
    the simulator. ``seen`` collects what was echoed, to look for afterwards."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def answer(self, request: httpx.Request) -> httpx.Response:
        value = request.headers["authorization"]
        bare = value.split(" ", 1)[1]
        self.seen.add(bare)
        # Glued to a word, the token is caught only because the scrubber knows it (no pattern).
        text = f"upstream rejected Authorization: {value} (trace_{bare})"
        return httpx.Response(500, json={"title": text, "detail": text, "o:errorDetails": []})


class EchoTransport(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport, echo: Echo) -> None:
        self.inner, self.echo = inner, echo

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if _is_invoice_post(request):
            request.read()
            return self.echo.answer(request)
        return self.inner.handle_request(request)


class AsyncEchoTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, echo: Echo) -> None:
        self.inner, self.echo = inner, echo

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if _is_invoice_post(request):
            await request.aread()
            return self.echo.answer(request)
        return await self.inner.handle_async_request(request)


def _texts(summary: Any, env: Env) -> list[str]:
    results = [json.dumps(attrs.asdict(r), default=str) for r in summary.results]
    events = [json.dumps([repr(e), e.error, e.detail], default=str) for e in env.audit.events()]
    return [*results, *events, repr(summary)]


def _assert_clean(texts: list[str], echo: Echo) -> None:
    assert echo.seen, "no invoice was posted: the test proves nothing"
    for secret in echo.seen:
        for text in texts:
            assert secret not in text
            decoded = base64.b64decode(secret + "==").decode("latin-1") if len(secret) > 60 else ""
            assert not decoded or decoded not in text


def _sync(env: Env, echo: Echo) -> ShipmentSync:
    oracle = OracleFusionClient(
        oracle_settings(),
        transport=EchoTransport(env.oracle_sim.transport(), echo),
        clock=env.clock,
    )
    return ShipmentSync(
        shipstation=env.shipstation(),
        oracle=oracle,
        mapping=env.mapping,
        audit=env.audit,
        checkpoints=env.checkpoints,
        clock=env.clock,
    )


def test_failed_results_and_events_hold_no_echoed_token() -> None:
    env, echo = make_env(orders=12), Echo()
    summary = _sync(env, echo).run((DAY_START, DAY_END))
    failed = summary.failures()
    assert failed, "the echoing server should fail the invoice posts"
    assert any("***" in json.dumps(r.error) for r in failed)
    _assert_clean(_texts(summary, env), echo)


@pytest.mark.anyio
async def test_async_failed_results_and_events_hold_no_echoed_token() -> None:
    env, echo = make_env(orders=12), Echo()
    oracle = AsyncOracleFusionClient(
        oracle_settings(),
        transport=AsyncEchoTransport(env.oracle_sim.async_transport(), echo),
        clock=env.clock,
    )
    job = AsyncShipmentSync(
        shipstation=env.async_shipstation(),
        oracle=oracle,
        mapping=env.mapping,
        audit=env.audit,
        checkpoints=env.checkpoints,
        clock=env.clock,
    )
    summary = await job.run((DAY_START, DAY_END))
    assert summary.failures()
    _assert_clean(_texts(summary, env), echo)
