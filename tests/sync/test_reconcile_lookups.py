"""Reconcile says ``lookup_failed`` when Oracle cannot be asked, for every kind of record,
a void's reversal included: never ``missing_in_oracle`` or ``voided_not_reversed``."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from ml_connector.oracle import OracleFusionClient
from ml_connector.sync import Outcome, ReasonCode, ShipmentSync

from ._env import DAY_END, DAY_START, Env, make_env, oracle_settings

DOCUMENTS = ("receivablesInvoices", "receivablesCreditMemos", "inventoryStagedTransactions")


class Failing(httpx.BaseTransport):
    """The simulator, except that document look-ups fail with ``mode`` once it is set."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.mode: str | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        lookup = request.method == "GET" and any(d in request.url.path for d in DOCUMENTS)
        if self.mode is None or not lookup:
            return self.inner.handle_request(request)
        if self.mode == "timeout":
            raise httpx.ReadTimeout("timed out", request=request)
        status = int(self.mode)
        return httpx.Response(status, json={"title": f"HTTP {status}"})


def _sync(env: Env, transport: Failing) -> ShipmentSync:
    return ShipmentSync(
        shipstation=env.shipstation(),
        oracle=OracleFusionClient(oracle_settings(), transport=transport, clock=env.clock),
        mapping=env.mapping,
        audit=env.audit,
        checkpoints=env.checkpoints,
        clock=env.clock,
    )


@pytest.mark.parametrize("mode", ["503", "401", "403", "timeout"])
def test_a_voids_reversal_whose_lookup_fails_is_lookup_failed(mode: str) -> None:
    env = make_env(orders=12)
    transport = Failing(env.oracle_sim.transport())
    sync = _sync(env, transport)
    first = sync.run((DAY_START, DAY_END))
    posted = next(
        r for r in first.results if r.outcome is Outcome.POSTED and r.record.kind == "shipment"
    )
    env.ss.data.void_shipment(int(posted.record.id), DAY_END + timedelta(hours=1))
    window = (DAY_END, DAY_END + timedelta(hours=2))
    transport.mode = mode
    report = sync.reconcile(window)
    voids = [row for row in report.rows if row.kind == "shipment-void"]
    assert voids, report.rows
    assert [row.reason for row in voids] == [ReasonCode.LOOKUP_FAILED], voids
    assert report.count(ReasonCode.MISSING_IN_ORACLE) == 0
    assert report.count(ReasonCode.VOIDED_NOT_REVERSED) == 0


@pytest.mark.parametrize("mode", ["503", "401", "403", "timeout"])
def test_every_record_whose_lookup_fails_is_lookup_failed(mode: str) -> None:
    env = make_env(orders=12)
    transport = Failing(env.oracle_sim.transport())
    sync = _sync(env, transport)
    sync.run((DAY_START, DAY_END))
    transport.mode = mode
    report = sync.reconcile((DAY_START, DAY_END))
    kinds = {row.kind for row in report.rows if row.reason is ReasonCode.LOOKUP_FAILED}
    assert "shipment" in kinds
    assert report.count(ReasonCode.MISSING_IN_ORACLE) == 0
