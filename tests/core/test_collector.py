"""The garbage collector is paused around the library's bulk steps, and only there; what a
step keeps is settled in the oldest generation, and the library collects in full as the heap
grows."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable

import pytest

import ml_connector
from ml_connector import MappingConfig, ShipmentPlan, _collector, map_shipment, match_customer
from ml_connector._collector import pausing
from ml_connector._json import dumps, loads
from ml_connector.cli._demo import demo_mapping_toml
from ml_connector.mapping import CustomerDirectory
from ml_connector.shipstation import Order, Shipment
from ml_connector.shipstation._converter import Decoder
from ml_connector.testing import generate_day


def _step(seen: list[bool]) -> Callable[[], list[dict[str, list[int]]]]:
    @pausing
    def step() -> list[dict[str, list[int]]]:
        seen.append(gc.isenabled())
        return [{"n": [n]} for n in range(2_000)]

    return step


def test_a_step_runs_with_the_collector_off_and_gives_it_back(collections: list[set[str]]) -> None:
    seen: list[bool] = []
    built = _step(seen)()
    assert seen == [False] and gc.isenabled()
    assert len(built) == 2_000
    # 4,000 containers and no collection during the step; the next allocations collect.
    assert collections and not _during(collections, _STEP)


def test_a_failing_step_gives_the_collector_back(collections: list[set[str]]) -> None:
    @pausing
    def failing() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        failing()
    assert gc.isenabled()


def test_a_collector_the_host_turned_off_stays_off(collections: list[set[str]]) -> None:
    gc.disable()
    seen: list[bool] = []
    _step(seen)()
    assert seen == [False] and not gc.isenabled()


def test_a_host_can_turn_the_pauses_off(collections: list[set[str]]) -> None:
    ml_connector.set_collector_pauses(False)
    assert not ml_connector.collector_pauses()
    seen: list[bool] = []
    _step(seen)()
    assert seen == [True] and _during(collections, _STEP)  # as without the library
    ml_connector.set_collector_pauses(True)
    assert ml_connector.collector_pauses()


def _in(generation: int, value: object) -> bool:
    return any(item is value for item in gc.get_objects(generation))


def test_what_a_step_keeps_goes_to_the_oldest_generation_unwalked(
    collections: list[set[str]],
) -> None:
    # The fixture's thresholds allow young collections only: without the settle, what the
    # step keeps would be walked by the next one and sit in the middle generation.
    kept = _step([])()
    assert _in(2, kept[0]) and _in(2, kept[-1]["n"])
    assert not _in(0, kept[0]) and not _in(1, kept[0])
    assert not _during(collections, _STEP)

    ml_connector.set_collector_pauses(False)
    kept = _step([])()
    assert not _in(2, kept[0])  # walked young, as without the library


def test_a_small_step_is_left_to_the_collector(collections: list[set[str]]) -> None:
    @pausing
    def small() -> list[list[int]]:
        return [[n] for n in range(100)]

    kept = small()
    assert not _in(2, kept[0])


def test_a_host_freeze_is_never_undone(collections: list[set[str]]) -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 0
        kept = _step([])()
        assert gc.get_freeze_count() == frozen  # an unfreeze would have emptied it
        assert not _in(2, kept[0])
    finally:
        gc.unfreeze()


def test_cycles_left_by_settled_steps_are_collected_as_the_heap_grows(
    collections: list[set[str]],
) -> None:
    class Node:
        me: object

    freed: list[int] = []

    @pausing
    def step(number: int) -> list[list[int]]:
        node = Node()
        node.me = node  # garbage in a cycle once the step returns: only a collection frees it
        weakref.finalize(node, freed.append, number)
        return [[n] for n in range(3_000)]  # kept: the heap grows with each step

    _collector._HEAP[0] = 0  # the next settle takes a fresh measure
    held = []
    for number in range(400):
        held.append(step(number))
        if _during(collections, "ml_connector._collector._settle"):
            break
    else:
        pytest.fail("the heap grew by far more than a quarter and nothing collected in full")
    # The full collection ran after the last step settled: every cycle made until then freed.
    assert sorted(freed) == list(range(number + 1))
    assert _collector._HEAP[0] > 0  # measured again after it


def test_parse_decode_and_map_collect_nothing_while_they_run(collections: list[set[str]]) -> None:
    day = generate_day(5, orders=300, warehouses=2)
    config = MappingConfig.from_toml(demo_mapping_toml(day))
    directory = CustomerDirectory.build((), emails=day.account_numbers_by_email())
    orders_text = dumps({"orders": list(day.iter_orders()), "total": 300, "page": 1})
    shipments_text = dumps({"shipments": list(day.iter_shipments())})
    decoder = Decoder("V1")

    orders = decoder.page(loads(orders_text), "orders", Order).items
    shipments = decoder.page(loads(shipments_text), "shipments", Shipment).items
    assert len(orders) == 300 and shipments
    by_id = {order.order_id: order for order in orders}
    label = shipments[0]
    the_order = by_id[label.order_id]
    match = match_customer(the_order, config, directory)
    plans = [
        map_shipment(label, by_id[label.order_id], match, config, order_shipments=[label])
        for label in shipments[:1]
    ]
    assert isinstance(plans[0], ShipmentPlan)
    assert collections  # collected between the steps, never during one
    assert not _during(collections, _LOADS, _RECORDS, _MAP)

    # The same steps with the pauses off: the collector runs during them.
    ml_connector.set_collector_pauses(False)
    decoder.page(loads(orders_text), "orders", Order)
    map_shipment(shipments[0], by_id[shipments[0].order_id], match, config)
    assert _during(collections, _LOADS) and _during(collections, _RECORDS)
    assert _during(collections, _MAP)


_STEP = f"{__name__}._step.<locals>.step"
_LOADS = "ml_connector._json.loads"
_RECORDS = "ml_connector.shipstation._converter.Decoder.records"
_MAP = "ml_connector.mapping.invoices._map_shipment"


def _during(collections: list[set[str]], *steps: str) -> bool:
    """Whether a collection ran while one of ``steps`` was on the stack."""
    seen = list(collections)  # a copy: checking allocates, and each allocation collects
    return any(names.intersection(steps) for names in seen)
