"""Reconciliation reads its window as a run does, chunk by chunk: the rows do not depend on the
chunk size, and come out in label order (kind, then id), each original before its reversal."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ml_connector.sync import Outcome, ReasonCode, ShipmentSync
from ml_connector.sync._labels import BASE_KIND
from ml_connector.testing import REALISTIC

from ._env import DAY_END, DAY_START, Env, make_env


def make_sync(env: Env, **options: Any) -> ShipmentSync:
    return ShipmentSync(
        shipstation=env.shipstation(),
        oracle=env.oracle(),
        mapping=env.mapping,
        audit=env.audit,
        checkpoints=env.checkpoints,
        clock=env.clock,
        **options,
    )


def test_rows_are_the_same_whatever_the_chunk_size_and_in_label_order() -> None:
    env = make_env(orders=40, unmatched_email_rate=0.2, fulfillment_rate=0.2, realism=REALISTIC)
    window = (DAY_START, DAY_END + timedelta(hours=2))
    whole, chunked = make_sync(env), make_sync(env, chunk_size=7)

    unposted = whole.reconcile(window)
    assert unposted.rows == chunked.reconcile(window).rows
    assert unposted.count(ReasonCode.MISSING_IN_ORACLE) > 0

    posted = next(
        r
        for r in whole.run(window).results
        if r.outcome is Outcome.POSTED and r.record.kind == "shipment"
    )
    env.ss.data.void_shipment(int(posted.record.id), DAY_END + timedelta(hours=1))
    report = whole.reconcile(window)
    assert report.rows == chunked.reconcile(window).rows
    assert report.count(ReasonCode.VOIDED_NOT_REVERSED) == 1
    order = [
        (BASE_KIND[row.kind], int(row.source_id), row.kind != BASE_KIND[row.kind])
        for row in report.rows
    ]
    assert order == sorted(order)
    assert len(set(order)) == len(order)
