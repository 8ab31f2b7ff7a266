"""One odd record never stops a window: it becomes a failed record of its own.

A realistic day (``Realism.undecodable_shipments``) lists shipments whose ``shipmentCost`` no
quirk rule can read. The run records each as failed (field named, raw payload kept) and posts
every other label of the page.
"""

from __future__ import annotations

from collections import Counter

from ml_connector.audit import Stage, payload_of
from ml_connector.sync import Outcome, ShipmentSync
from ml_connector.testing import Realism

from ._env import DAY_END, DAY_START, make_env


def test_undecodable_labels_fail_alone_and_the_rest_posts() -> None:
    env = make_env(
        orders=60,
        realism=Realism(undecodable_shipments=2, punctuated_customer_rate=0.0),
        unmatched_email_rate=0.0,
        bad_sku_orders=0,
    )
    sync = ShipmentSync(
        shipstation=env.shipstation(),
        oracle=env.oracle(),
        mapping=env.mapping,
        audit=env.audit,
        checkpoints=env.checkpoints,
        clock=env.clock,
        results="all",
    )
    summary = sync.run((DAY_START, DAY_END))
    failed = [r for r in summary.results if r.outcome is Outcome.FAILED]
    assert len(failed) == 2, [r.detail for r in failed]
    for result in failed:
        assert result.error is not None and result.error.get("field") == "shipment_cost"
        assert "could not be read" in result.detail
        assert result.payload is not None and result.payload["raw"]["shipmentCost"] == "n/a"
        events = env.audit.events(record=result.record)
        assert [e.stage for e in events] == [Stage.FAILED]
        assert (payload_of(events[0]) or {})["raw"]["shipmentCost"] == "n/a"
    outcomes = Counter(r.outcome for r in summary.results)
    assert outcomes[Outcome.POSTED] >= 40
    # Every other label of the window was processed: nothing after the odd ones was lost.
    labels = env.day.stats()["shipments"] + env.day.stats()["fulfillments"]
    assert summary.records >= labels
