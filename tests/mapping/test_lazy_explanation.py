"""A plan's explanation is built when it is first read, and is the one mapping would have built
as it went: over a generated day (split orders, voids, fulfillments, unmatched customers) and
for skips that carry their steps."""

from __future__ import annotations

import copy
import pickle
from collections import Counter
from collections.abc import Iterator

import attrs
import pytest

from ml_connector import MappingError
from ml_connector.cli._demo import demo_mapping_toml
from ml_connector.mapping import (
    CustomerDirectory,
    MappingConfig,
    ShipmentPlan,
    Skip,
    SkipReason,
    map_shipment,
    match_customer,
)
from ml_connector.mapping.invoices import _map_shipment
from ml_connector.mapping.plans import _explained
from ml_connector.shipstation import Fulfillment, Order, Shipment
from ml_connector.shipstation._converter import Decoder
from ml_connector.sync._labels import Label
from ml_connector.testing import generate_day

from ._builders import MATCH, item, order, retailer_config, shipment, utc


def _eager(
    label: Shipment, the_order: Order, match: object, config: MappingConfig, labels: list[Shipment]
) -> ShipmentPlan | Skip:
    """The mapping that explains as it goes (what every plan did before explanations were
    deferred)."""
    record = f"shipment {label.shipment_id}"
    steps: list[str] = []
    return _map_shipment(label, the_order, match, config, labels, None, record, [], steps)  # type: ignore[arg-type]


_FULFILLED: set[int] = set()


def _generated_day() -> Iterator[tuple[Shipment, Order, object, MappingConfig, list[Shipment]]]:
    day = generate_day(23, orders=400, warehouses=3, split_rate=0.2, void_rate=0.1)
    config = MappingConfig.from_toml(demo_mapping_toml(day))
    directory = CustomerDirectory.build((), emails=day.account_numbers_by_email())
    decoder = Decoder("V1")
    orders = {o.order_id: o for o in (decoder.one(Order, data) for data in day.iter_orders())}
    labels: dict[int | None, list[Shipment]] = {}
    for data in day.iter_shipments():
        label = decoder.one(Shipment, data)
        labels.setdefault(label.order_id, []).append(label)
    for data in day.iter_fulfillments():
        fulfillment = decoder.one(Fulfillment, data)
        the_order = orders[fulfillment.order_id]
        as_shipment = Label("fulfillment", fulfillment.fulfillment_id, fulfillment=fulfillment)
        _FULFILLED.add(fulfillment.fulfillment_id)
        labels.setdefault(the_order.order_id, []).append(as_shipment.as_shipment(the_order))
    for order_id, of_order in labels.items():
        the_order = orders[order_id]
        match = match_customer(the_order, config, directory)
        for label in of_order:
            yield label, the_order, match, config, of_order


def test_over_a_generated_day_the_explanation_read_later_is_the_eager_one() -> None:
    seen: Counter[str] = Counter()
    deferred: list[tuple[ShipmentPlan, ShipmentPlan]] = []
    for label, the_order, match, config, labels in _generated_day():
        try:
            plan = map_shipment(label, the_order, match, config, order_shipments=labels)
        except MappingError:
            seen["failed"] += 1  # nothing to explain: the error names the record
            continue
        eager = _eager(label, the_order, match, config, labels)
        if isinstance(plan, Skip):
            assert plan == eager
            seen["skip"] += 1
            continue
        assert isinstance(eager, ShipmentPlan)
        assert not _explained(plan)  # not built yet
        seen["void" if label.voided else "split" if len(labels) > 1 else "single"] += 1
        if label.shipment_id in _FULFILLED:
            seen["fulfillment"] += 1
        # Read once every plan of the day is mapped: what the configuration keeps per order
        # has moved on since, and the explanation must not depend on it.
        deferred.append((plan, eager))
    for plan, eager in deferred:
        assert plan.explanation == eager.explanation
        assert type(plan.explanation) is tuple and plan.explanation
        assert plan == eager and repr(plan) == repr(eager)
    assert all(seen[kind] for kind in ("single", "split", "void", "fulfillment", "failed")), seen


def test_a_deferred_explanation_is_built_once_and_kept() -> None:
    config = retailer_config()
    the_order = order([item(11, "MUG", 3, "3.33"), item(12, "TENT", 1, "99.99")], tax="7.77")
    label = shipment(501, the_order, [(11, 3), (12, 1)])
    plan = map_shipment(label, the_order, MATCH, config, order_shipments=[label])
    assert isinstance(plan, ShipmentPlan)
    first = plan.explanation
    assert plan.explanation is first
    assert _explained(plan)  # kept in its slot, what built it let go


def test_labels_added_to_the_order_later_do_not_change_the_explanation() -> None:
    config = retailer_config()
    the_order = order([item(11, "MUG", 4, "3.33")], tax="1.00")
    first = shipment(501, the_order, [(11, 1)], created=utc(2026, 3, 10, 18))
    labels = [first]
    plan = map_shipment(first, the_order, MATCH, config, order_shipments=labels)
    voided = attrs.evolve(first, voided=True, void_date=utc(2026, 3, 10, 19))
    labels += [shipment(502, the_order, [(11, 3)], created=utc(2026, 3, 10, 18, 30))]
    labels[0] = voided  # the caller's list changes after mapping
    assert isinstance(plan, ShipmentPlan)
    assert plan.explanation == _eager(first, the_order, MATCH, config, [first]).explanation


def test_a_deferred_plan_copies_pickles_compares_and_evolves_with_its_explanation() -> None:
    config = retailer_config()
    the_order = order([item(11, "MUG", 2, "3.33")])
    label = shipment(501, the_order, [(11, 2)])
    explained = _eager(label, the_order, MATCH, config, [label])
    plans = [map_shipment(label, the_order, MATCH, config, order_shipments=[label]) for _ in "ab"]
    for plan in plans:
        assert isinstance(plan, ShipmentPlan)
        assert not _explained(plan)
    copied = pickle.loads(pickle.dumps(plans[0]))  # noqa: S301 - our own bytes
    assert copied == explained and copied.explanation == explained.explanation
    assert copy.copy(plans[1]) == explained
    changed = attrs.evolve(plans[1], explanation=("replaced",))
    assert changed.explanation == ("replaced",)
    assert plans[1].explanation == explained.explanation
    assert attrs.asdict(plans[1], recurse=False)["explanation"] == explained.explanation


def test_skips_that_carry_steps_still_carry_them() -> None:
    config = retailer_config()
    zero_config = attrs.evolve(config, skip=attrs.evolve(config.skip, zero_value="skip"))
    free = order([item(11, "MUG", 1, "0.00")])
    label = shipment(501, free, [(11, 1)])
    skip = map_shipment(label, free, MATCH, zero_config, order_shipments=[label])
    assert isinstance(skip, Skip) and skip.reason is SkipReason.ZERO_VALUE
    assert skip.explanation and skip == _eager(label, free, MATCH, zero_config, [label])
    the_order = order([item(11, "MUG", 1, "1.00")])
    empty = attrs.evolve(shipment(502, the_order, [(11, 1)]), shipment_items=())
    skip = map_shipment(empty, the_order, MATCH, config, order_shipments=[empty])
    assert isinstance(skip, Skip) and skip.reason is SkipReason.NO_ITEMS
    assert skip.explanation and skip == _eager(empty, the_order, MATCH, config, [empty])


def test_a_deferred_plan_is_one_object_with_what_builds_its_explanation_in_its_slot() -> None:
    # No instance dictionary: the explanation's slot holds what builds it until it is read.
    config = retailer_config()
    the_order = order([item(11, "MUG", 1, "2.00")])
    label = shipment(501, the_order, [(11, 1)])
    plan = map_shipment(label, the_order, MATCH, config, order_shipments=[label])
    assert isinstance(plan, ShipmentPlan)
    assert not hasattr(plan, "__dict__")
    assert not _explained(plan)
    assert plan.explanation == _eager(label, the_order, MATCH, config, [label]).explanation
    assert _explained(plan)
    assert [field.name for field in attrs.fields(ShipmentPlan)][-1] == "explanation"
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        plan.explanation = ("changed",)  # type: ignore[misc]
