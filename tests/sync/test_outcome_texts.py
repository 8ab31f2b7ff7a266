"""A record's outcome event stores the canonical text of its result's payload, made from the
documents' canonical texts that were made with their wire forms (before posting): the text
is the one ``canonical_json`` writes for the whole payload, record by record."""

from __future__ import annotations

from ml_connector.audit import canonical_json
from ml_connector.sync import ShipmentSync

from ._env import make_env
from .test_bulk_lookups import WINDOW
from .test_shipments import assert_no_duplicates


def test_each_outcome_event_holds_the_canonical_text_of_its_result_payload() -> None:
    env = make_env(orders=40)
    job = ShipmentSync(
        shipstation=env.shipstation(),
        oracle=env.oracle(),
        mapping=env.mapping,
        audit=env.audit,
        clock=env.clock,
        results="all",
    )
    summary = job.run(WINDOW)
    assert summary.posted > 20
    assert_no_duplicates(env)
    latest = {event.record: event for event in env.audit.latest()}
    compared = 0
    for result in summary.results:
        if result.payload is None:
            continue
        event = latest[result.record]
        assert event.payload == canonical_json(result.payload), result.record
        compared += 1
    assert compared >= summary.posted
