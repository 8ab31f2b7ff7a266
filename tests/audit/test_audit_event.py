"""AuditEvent: JSON-ready, exact, stamped by the clock, and never holding a secret."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from ml_connector import AuditError, MappingError, ServerError
from ml_connector.audit import (
    AuditEvent,
    RecordRef,
    Stage,
    canonical_json,
    content_hash,
    make_converter,
    new_correlation_id,
    new_event,
    new_event_id,
    payload_of,
    redact_error,
)
from ml_connector.testing import VirtualClock

EventFactory = Callable[..., AuditEvent]

SHIPMENT = RecordRef("shipstation", "shipment", "123")


def test_new_event_is_stamped_by_the_injected_clock(clock: VirtualClock) -> None:
    clock.advance(90)
    event = new_event(clock, correlation_id="c", record=SHIPMENT, stage=Stage.FETCHED)
    assert event.occurred_at == datetime(2026, 1, 15, 17, 1, 30, tzinfo=UTC)
    assert event.occurred_at.tzinfo is UTC


def test_ids_are_uuid7() -> None:
    for value in (new_event_id(), new_correlation_id()):
        assert uuid.UUID(value).version == 7
    assert new_event_id() != new_event_id()


def test_ids_are_well_formed_uuid7_and_never_repeat_across_reads() -> None:
    # More than one read of the random source (random bits are read 256 ids at a time).
    ids = [new_event_id() for _ in range(1_000)]
    assert len(set(ids)) == len(ids)
    for value in ids:
        parsed = uuid.UUID(value)
        assert parsed.version == 7 and parsed.variant == uuid.RFC_4122
        assert str(parsed) == value


def test_an_ids_time_is_the_wall_clocks_millisecond_and_later_ids_never_sort_before() -> None:
    before = time.time_ns() // 1_000_000
    ids = [new_event_id() for _ in range(3_000)]
    after = time.time_ns() // 1_000_000
    stamps = [uuid.UUID(value).int >> 80 for value in ids]  # the top 48 bits
    assert before <= stamps[0] and stamps[-1] <= after
    assert stamps == sorted(stamps)
    # Across milliseconds the text order is the order made (what keeps index inserts at the
    # end); within one millisecond the order is random.
    for earlier, later, t0, t1 in zip(ids, ids[1:], stamps, stamps[1:], strict=False):
        if t0 < t1:
            assert earlier < later


def test_ids_keep_their_order_when_the_wall_clock_steps_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ml_connector.audit import _event

    now = [1_900_000_000_000]
    monkeypatch.setattr(_event, "unix_millis", lambda: now[0])
    monkeypatch.setattr(_event, "_last", [0])  # this process's latest time, put back after
    first = new_event_id()
    now[0] -= 5_000
    second = new_event_id()
    assert uuid.UUID(first).int >> 80 == uuid.UUID(second).int >> 80 == 1_900_000_000_000
    now[0] += 10_000
    assert uuid.UUID(new_event_id()).int >> 80 == 1_900_000_005_000


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_forked_child_never_hands_out_the_parents_ids() -> None:
    new_event_id()  # ids read ahead, not handed out yet
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next id, to the parent
        try:
            os.write(write, new_event_id().encode())
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    theirs = os.read(read, 100).decode()
    os.close(read)
    ours = {new_event_id() for _ in range(300)}
    assert uuid.UUID(theirs).version == 7
    assert theirs not in ours


def test_occurred_at_is_converted_to_utc_and_naive_is_refused() -> None:
    pacific = timezone(timedelta(hours=-8))
    event = AuditEvent(
        "e", "c", datetime(2026, 1, 15, 9, 0, tzinfo=pacific), SHIPMENT, Stage.POSTED
    )
    assert event.occurred_at == datetime(2026, 1, 15, 17, 0, tzinfo=UTC)
    assert event.occurred_at.utcoffset() == timedelta(0)
    with pytest.raises(AuditError, match="timezone-aware"):
        AuditEvent("e", "c", datetime(2026, 1, 15, 9, 0), SHIPMENT, Stage.POSTED)


def test_stage_accepts_its_text_and_refuses_unknown_stages() -> None:
    event = AuditEvent("e", "c", datetime.now(UTC), SHIPMENT, "already-posted")
    assert event.stage is Stage.ALREADY_POSTED
    with pytest.raises(ValueError, match="nonsense"):
        AuditEvent("e", "c", datetime.now(UTC), SHIPMENT, "nonsense")


def test_attempt_starts_at_one() -> None:
    with pytest.raises(AuditError, match="attempt"):
        AuditEvent("e", "c", datetime.now(UTC), SHIPMENT, Stage.FAILED, attempt=0)


def test_payload_is_canonical_json_with_exact_decimals(make_event: EventFactory) -> None:
    event = make_event(
        stage=Stage.MAPPED,
        payload={
            "z": Decimal("10.50"),
            "a": {"tiny": Decimal("0.1"), "big": Decimal("1E+2")},
            "when": datetime(2026, 3, 8, 10, 0, tzinfo=timezone(timedelta(hours=-7))),
            "lines": (1, "x", None, True),
            "name": "Zoë",
        },
    )
    assert event.payload == (
        '{"a":{"big":"1E+2","tiny":"0.1"},"lines":[1,"x",null,true],"name":"Zoë",'
        '"when":"2026-03-08T17:00:00.000000Z","z":"10.50"}'
    )
    assert event.payload_sha256 == content_hash(event.payload)
    assert payload_of(event)["z"] == "10.50"


def test_canonical_json_is_stable_when_parsed_and_written_again() -> None:
    text = canonical_json({"b": [Decimal("1.10"), {"d": 1, "c": "é"}], "a": None})
    assert canonical_json(json.loads(text)) == text


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"amount": 10.5}, r"\$\.amount: float"),
        ({"lines": [{"amount": Decimal("NaN")}]}, r"\$\.lines\[0\]\.amount: NaN"),
        ({"at": datetime(2026, 1, 1)}, "timezone-aware"),
        ({"obj": object()}, r"\$\.obj: object is not JSON-ready"),
    ],
)
def test_payloads_that_are_not_exact_json_are_refused(
    make_event: EventFactory, payload: dict[str, object], message: str
) -> None:
    with pytest.raises(AuditError, match=message):
        make_event(payload=payload)


def test_a_wrong_payload_hash_is_refused() -> None:
    with pytest.raises(AuditError, match="does not match"):
        AuditEvent(
            "e",
            "c",
            datetime.now(UTC),
            SHIPMENT,
            Stage.MAPPED,
            payload='{"a":1}',
            payload_sha256=content_hash('{"a":2}'),
        )


def test_credentials_never_reach_the_event(make_event: EventFactory) -> None:
    error = ServerError(
        "upstream said Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl",
        method="POST",
        url="https://user:pass@pod.example.com/x?access_token=abc123&limit=5",
        status=503,
        body='{"client_secret": "s3cr3t-value", "detail": "password=hunter2"}',
    )
    event = make_event(
        stage=Stage.FAILED,
        detail="retry with api_key=KEY123456 failed",
        payload={"Password": "p@ss", "nested": [{"apiSecret": "x1"}], "Memo": "token: t0ken"},
        error=error,
    )
    text = json.dumps(make_converter().unstructure(event))
    for secret in (
        "eyJhbGciOiJIUzI1NiJ9",
        "user:pass",
        "abc123",
        "s3cr3t-value",
        "hunter2",
        "KEY123456",
        "p@ss",
        "x1",
        "t0ken",
    ):
        assert secret not in text
    assert event.error is not None
    assert event.error["status"] == 503
    assert event.error["url"] == "https://pod.example.com/x?access_token=***&limit=5"


def test_redact_error_forms() -> None:
    mapping = MappingError("no customer", field="customer_id", record="shipment 9")
    assert redact_error(mapping) == {
        "type": "MappingError",
        "message": "shipment 9: no customer (field customer_id)",
        "field": "customer_id",
        "record": "shipment 9",
    }
    assert redact_error(KeyError("x")) == {"type": "KeyError", "message": "'x'"}
    header = redact_error("Authorization: Basic dXNlcjpwYXNz")
    assert header == {"message": "Authorization: Basic ***"}
    assert redact_error({"details": [{"amount": Decimal("1.5"), "ratio": 0.5}]}) == {
        "details": [{"amount": "1.5", "ratio": "0.5"}]
    }
    assert redact_error(None) is None
    long = redact_error("x" * 5000)
    assert long is not None
    assert len(long["message"]) < 2100


def test_wire_form_round_trips_omits_none_and_nests_the_payload(
    make_event: EventFactory,
) -> None:
    event = make_event(stage=Stage.POSTED, payload={"n": Decimal("2.00")}, oracle_id="300")
    converter = make_converter()
    data = converter.unstructure(event)
    assert data["v"] == 1
    assert data["payload"] == {"n": "2.00"}
    assert data["occurred_at"] == "2026-01-15T17:00:00.000000Z"
    assert "error" not in data
    assert "target" not in data
    assert converter.structure(data, AuditEvent) == event


def test_wire_form_tolerates_unknown_keys_and_names_missing_ones(
    make_event: EventFactory,
) -> None:
    converter = make_converter()
    data = converter.unstructure(make_event())
    assert converter.structure({**data, "from_the_future": 1}, AuditEvent).event_id
    del data["stage"]
    with pytest.raises(AuditError, match="lacks stage"):
        converter.structure(data, AuditEvent)


def test_wire_form_detects_a_payload_that_was_edited(make_event: EventFactory) -> None:
    converter = make_converter()
    data = converter.unstructure(make_event(payload={"amount": Decimal("1.00")}))
    data["payload"]["amount"] = "100.00"
    with pytest.raises(AuditError, match="does not match"):
        converter.structure(data, AuditEvent)


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 1, 15, 9, 0, tzinfo=timezone(timedelta(hours=-8))),
        datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(1999, 3, 1, 0, 0, 0, 5, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(999, 7, 4, 12, 0, tzinfo=UTC),
        datetime(1, 1, 1, 0, 0, tzinfo=UTC),
    ],
)
def test_format_utc_is_fixed_width_utc_text(value: datetime) -> None:
    from ml_connector.audit._event import format_utc

    assert format_utc(value) == value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_ids_carry_the_uuid7_version_and_variant_and_random_bits() -> None:
    seen = {new_event_id() for _ in range(2000)}
    assert len(seen) == 2000
    for value in seen:
        parsed = uuid.UUID(value)
        assert (parsed.version, parsed.variant, str(parsed)) == (7, uuid.RFC_4122, value)
    assert {value[19] for value in seen} == set("89ab")  # the variant nibble's random bits
    assert len({value[15:18] for value in seen}) > 1_000  # rand_a: 12 random bits


def test_format_utc_gives_each_instant_its_text_however_often_it_repeats() -> None:
    from ml_connector.audit._event import format_utc

    moment = datetime(2026, 1, 15, 17, 0, 0, 250, tzinfo=UTC)
    pacific = moment.astimezone(timezone(timedelta(hours=-8)))
    assert format_utc(moment) == format_utc(pacific) == "2026-01-15T17:00:00.000250Z"
    later = moment + timedelta(microseconds=1)
    assert format_utc(later) == "2026-01-15T17:00:00.000251Z"
    assert format_utc(moment) == "2026-01-15T17:00:00.000250Z"
    with pytest.raises(AuditError, match="naive"):
        format_utc(moment.replace(tzinfo=None))


class _Clock:
    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now


_SECRET = "s3cr3t-Event-Value-77"


@pytest.mark.parametrize(
    "fields",
    [
        {"stage": Stage.POSTING, "detail": "posting SS1, SS1-1", "target": "receivablesInvoices"},
        {"stage": "posted", "payload": {"a": Decimal("1.50"), "b": ["x", None, 3]}},
        {"stage": Stage.FAILED, "attempt": 3, "error": ServerError("boom", status=503)},
        {"stage": Stage.FAILED, "error": {"message": f"https://u:{_SECRET}@h/x?token=abc"}},
        {"stage": Stage.SKIPPED, "detail": f"password={_SECRET} Bearer abcdefghijkl"},
        {"stage": Stage.POSTED, "oracle_id": "300", "posting_key": "SS1", "payload": {}},
    ],
)
@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 1, 15, 17, 0, tzinfo=UTC),
        datetime(2026, 1, 15, 9, 0, tzinfo=timezone(timedelta(hours=-8))),
    ],
)
def test_new_event_builds_what_the_event_constructor_builds(
    fields: dict[str, object], now: datetime
) -> None:
    """new_event sets the fields itself, without the constructor's re-checks: the same event
    (every field, the hash and the scrubbed detail and error included) as the constructor
    gives for the same values."""
    from ml_connector._redact import isolated_secrets, remember_secret

    with isolated_secrets():
        remember_secret(_SECRET)
        given = dict(fields)
        payload = given.pop("payload", None)
        error = given.pop("error", None)
        made = new_event(
            _Clock(now),
            correlation_id="c",
            record=SHIPMENT,
            event_id="e",
            payload=payload,
            error=error,  # type: ignore[arg-type]
            **given,  # type: ignore[arg-type]
        )
        built = AuditEvent(
            event_id="e",
            correlation_id="c",
            occurred_at=now,
            record=SHIPMENT,
            payload=None if payload is None else canonical_json(payload),
            error=redact_error(error),  # type: ignore[arg-type]
            **given,  # type: ignore[arg-type]
        )
    assert made == built
    assert (made.payload_sha256, made.error, made.detail) == (
        built.payload_sha256,
        built.error,
        built.detail,
    )
    assert type(made.stage) is Stage
    assert made.occurred_at.tzinfo is UTC
    assert _SECRET not in repr(made)


def test_new_event_refuses_an_attempt_below_one_as_the_constructor_does() -> None:
    clock = _Clock(datetime(2026, 1, 15, 17, 0, tzinfo=UTC))
    with pytest.raises(AuditError, match="event e: attempt must be 1 or more, got 0"):
        new_event(
            clock, correlation_id="c", record=SHIPMENT, stage=Stage.POSTED, attempt=0, event_id="e"
        )
    with pytest.raises(AuditError, match="naive"):
        new_event(
            _Clock(datetime(2026, 1, 15, 17, 0)),
            correlation_id="c",
            record=SHIPMENT,
            stage=Stage.POSTED,
        )
