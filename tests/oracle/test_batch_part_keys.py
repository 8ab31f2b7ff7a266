"""A batch part carries its posting key in the key and echo attributes, made from the wire form
the client has already: the same payload as keying the model and writing it out again."""

from __future__ import annotations

from typing import Any

import attrs
import httpx
import pytest

from ml_connector import MappingError
from ml_connector.oracle import to_wire
from ml_connector.testing import VirtualClock

from .test_client import Pod, client
from .test_converter import documented_invoice


def _never(request: httpx.Request) -> httpx.Response:  # no request is sent here
    raise AssertionError(request)


def _expected(oracle: Any, **changes: Any) -> dict[str, Any]:
    """The payload as the model-level keying gives it: the key in CrossReference too."""
    invoice = attrs.evolve(documented_invoice(**changes), cross_reference="SS-9")
    return to_wire(invoice, oracle.converter)


def test_the_echo_attribute_gets_the_key(clock: VirtualClock) -> None:
    oracle = client(Pod(_never), clock)
    part = oracle.batch_part("p1", documented_invoice(transaction_number="SS-9"))
    assert part.payload == _expected(oracle, transaction_number="SS-9")
    assert list(part.payload or {}) == list(_expected(oracle, transaction_number="SS-9"))
    assert (part.payload or {})["CrossReference"] == "SS-9"


def test_a_model_that_carries_the_key_everywhere_is_sent_as_it_is(clock: VirtualClock) -> None:
    oracle = client(Pod(_never), clock)
    invoice = documented_invoice(transaction_number="SS-9", cross_reference="SS-9")
    part = oracle.batch_part("p1", invoice)
    assert part.payload == to_wire(invoice, oracle.converter)


def test_another_value_in_the_echo_attribute_is_refused(clock: VirtualClock) -> None:
    oracle = client(Pod(_never), clock)
    invoice = documented_invoice(transaction_number="SS-9", cross_reference="OTHER")
    with pytest.raises(MappingError, match="CrossReference"):
        oracle.batch_part("p1", invoice)


def test_no_key_no_echo(clock: VirtualClock) -> None:
    oracle = client(Pod(_never), clock)
    invoice = documented_invoice(transaction_number=None)
    part = oracle.batch_part("p1", invoice)
    assert part.payload == to_wire(invoice, oracle.converter)
    assert "CrossReference" not in (part.payload or {})


def test_an_echo_attribute_no_field_writes_goes_after_everything(clock: VirtualClock) -> None:
    # A descriptive flexfield, say: no model field writes it, so keying puts it in ``extra``.
    oracle = client(Pod(_never), clock, invoice_echo_attribute="ShipStationKey")
    invoice = documented_invoice(transaction_number="SS-9", extra={"Flex": "x"})
    keyed = attrs.evolve(invoice, extra={"Flex": "x", "ShipStationKey": "SS-9"})
    part = oracle.batch_part("p1", invoice)
    assert list((part.payload or {}).items()) == list(to_wire(keyed, oracle.converter).items())


def test_the_wire_form_given_is_used_and_left_as_it_was(clock: VirtualClock) -> None:
    oracle = client(Pod(_never), clock)
    invoice = documented_invoice(transaction_number="SS-9")
    wire = to_wire(invoice, oracle.converter)
    before = dict(wire)
    part = oracle.batch_part("p1", invoice, wire=wire)
    assert list((part.payload or {}).items()) == list(
        _expected(oracle, transaction_number="SS-9").items()
    )
    assert wire == before and "CrossReference" not in wire
    # The wire form is taken as it is: the caller vouches it is the model's.
    marked = {**wire, "Comments": "from the wire form"}
    assert (oracle.batch_part("p1", invoice, wire=marked).payload or {})["Comments"] == (
        "from the wire form"
    )


def test_a_wire_form_with_nothing_to_key_is_sent_as_it_is(clock: VirtualClock) -> None:
    oracle = client(Pod(_never), clock)
    invoice = documented_invoice(transaction_number="SS-9")
    wire = {**to_wire(invoice, oracle.converter), "CrossReference": "SS-9"}
    before = dict(wire)
    part = oracle.batch_part("p1", invoice, wire=wire)
    assert part.payload == before and wire == before
