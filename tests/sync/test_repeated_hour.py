"""The fall-back hour (2026-11-01 01:00-02:00 Pacific happens twice): no record is lost.

ShipStation V1 windows are Pacific wall time (https://www.shipstation.com/docs/api/requirements/
#datetime-format), and a wall time in the repeated hour could mean either occurrence. The
simulator takes the stricter reading (the narrowest window), so a client that sent such a bound
would lose records here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from ml_connector.sync import ShipmentSync

from ._env import Env, make_env

FALL_BACK = date(2026, 11, 1)
FIRST = datetime(2026, 11, 1, 8, tzinfo=UTC)  # 01:00 PDT, the first 01:00
SECOND = datetime(2026, 11, 1, 9, tzinfo=UTC)  # 01:00 PST, the second 01:00
AFTER = datetime(2026, 11, 1, 10, tzinfo=UTC)  # 02:00 PST


def _env_with_labels_in_the_repeated_hour() -> tuple[Env, list[int]]:
    env = make_env(
        seed=3,
        orders=40,
        day=FALL_BACK,
        void_rate=0.0,
        split_rate=0.0,
        unmatched_email_rate=0.0,
        bad_sku_orders=0,
    )
    env.clock.advance((datetime(2026, 11, 3, 12, tzinfo=UTC) - env.clock.now()).total_seconds())
    moved: list[int] = []
    walls = ("01:05:00", "01:20:00", "01:40:00", "01:55:00")
    candidates = [
        bundle.shipments[0]
        for bundle in env.day.iter_bundles()
        if bundle.kind == "single" and not bundle.bad_sku
    ]
    for wall, shipment in zip(walls, candidates, strict=False):
        # The wire has no offset: these could be labels of either occurrence of 01:xx.
        record = dict(shipment, createDate=f"2026-11-01T{wall}.0000000", shipDate="2026-11-01")
        env.ss.data.add_shipment(record)
        moved.append(record["shipmentId"])
    return env, moved


def _posted_shipments(env: Env) -> list[str]:
    return [invoice["TransactionNumber"] for invoice in env.oracle_sim.invoices()]


def test_hourly_windows_across_the_repeated_hour_post_every_label_once() -> None:
    env, moved = _env_with_labels_in_the_repeated_hour()
    sync = ShipmentSync(
        shipstation=env.shipstation(),
        oracle=env.oracle(),
        mapping=env.mapping,
        audit=env.audit,
        checkpoints=env.checkpoints,
        clock=env.clock,
    )
    start = datetime(2026, 11, 1, 6, tzinfo=UTC)
    while start < datetime(2026, 11, 1, 12, tzinfo=UTC):
        # Windows that begin and end inside the repeated hour, in both occurrences.
        sync.run((start, start + timedelta(minutes=30)))
        start += timedelta(minutes=30)
    posted = _posted_shipments(env)
    for shipment_id in moved:
        mine = [key for key in posted if str(shipment_id) in key]
        assert len(mine) == 1, (shipment_id, mine)
    assert len(posted) == len(set(posted))


def test_no_window_bound_is_sent_as_an_ambiguous_wall_time() -> None:
    env, _ = _env_with_labels_in_the_repeated_hour()
    with env.shipstation() as client:
        list(client.iter_shipments(create_date_start=FIRST, create_date_end=SECOND))
        list(client.iter_shipments(create_date_start=SECOND, create_date_end=AFTER))
    sent = [url for _method, url in env.ss.v1.requests if "/shipments" in url]
    assert sent
    for url in sent:
        assert "2026-11-01+01%3A" not in url and "2026-11-01 01:" not in url, url
