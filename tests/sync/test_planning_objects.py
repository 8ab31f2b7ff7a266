"""What planning keeps of a chunk: its own labels when their order's other labels complete
them, a plan's documents once, and mapping errors without the frames they were raised in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ml_connector import MappingError
from ml_connector.audit import RecordRef
from ml_connector.mapping import (
    CustomerDirectory,
    MappingConfig,
    Matched,
    MatchRule,
    ShipmentPlan,
    load_mapping_config,
    map_shipment,
)
from ml_connector.oracle import CustomerAccount, CustomerAccountSite
from ml_connector.shipstation import Order, Shipment, decode_order, decode_shipment
from ml_connector.shipstation._converter import Decoder
from ml_connector.sync._directory import (
    LookupCache,
    accounts_from_sites,
    directory_flow,
    needed_lookups,
)
from ml_connector.sync._flow import run_flow
from ml_connector.sync._labels import SHIPMENT, Label
from ml_connector.sync._plan import _Memo, _Planner, _same_or, _untraced
from ml_connector.sync._window import _Carry, _LedgerCache

from ._env import make_env

RETAILER = Path(__file__).parent.parent / "mapping" / "retailer.toml"
MATCH = Matched("10050", "10050-HQ", MatchRule.EXPLICIT_CUSTOMER_ID, "test")


def retailer_config() -> MappingConfig:
    return load_mapping_config(RETAILER)


def order() -> Order:
    return decode_order(
        {
            "orderId": 9001,
            "orderNumber": "CO-1001",
            "orderStatus": "shipped",
            "customerId": 5001,
            "customerEmail": "pat@example.com",
            "taxAmount": 0.25,
            "advancedOptions": {"storeId": 2001, "warehouseId": 16079},
            "items": [{"orderItemId": 11, "sku": "MUG", "quantity": 1, "unitPrice": 3.33}],
        }
    )


def shipment(shipment_id: int, *, warehouse_id: int = 16079) -> Shipment:
    return decode_shipment(
        {
            "shipmentId": shipment_id,
            "orderId": 9001,
            "orderNumber": "CO-1001",
            "createDate": "2026-03-10T11:00:00.0000000",
            "warehouseId": warehouse_id,
            "shipmentItems": [{"orderItemId": 11, "sku": "MUG", "quantity": 1, "unitPrice": 3.33}],
        }
    )


def _order() -> Order:
    return decode_order(
        {
            "orderId": 7,
            "orderNumber": "A-7",
            "orderStatus": "shipped",
            "items": [{"orderItemId": 71, "sku": "MUG", "quantity": 2, "unitPrice": 3.0}],
        }
    )


def _shipment(shipment_id: int, *, items: bool = True) -> Shipment:
    data: dict[str, Any] = {"shipmentId": shipment_id, "orderId": 7}
    if items:
        data["shipmentItems"] = [{"orderItemId": 71, "sku": "MUG", "quantity": 1}]
    return decode_shipment(data)


def _planner() -> _Planner:
    config = retailer_config()
    return _Planner(mapping=config, fulfillment_mapping=config, directory=None)


def _complete(work: list[Label], carry: _Carry) -> tuple[list[Label], list[Shipment]]:
    flow = _planner()._complete_ledgers_flow(work, {7: _order()}, carry, final=True)
    completed: tuple[list[Label], list[Shipment]] = run_flow(flow, {})
    return completed


def test_labels_completed_by_their_orders_other_labels_are_the_chunks_own() -> None:
    # Half of the order ships in a label listed by an earlier chunk: the ledger completes it.
    earlier = _shipment(1)
    carry = _Carry(_LedgerCache(10))
    carry.ledgers.add([earlier])
    label = Label(SHIPMENT, 2, shipment=_shipment(2))
    ref = label.ref
    labels, others = _complete([label], carry)
    assert others == [earlier]
    assert labels == [label]
    assert labels[0] is label and labels[0].ref is ref  # not made again, refs and all


def test_a_label_that_took_another_copy_of_its_shipment_is_the_new_one() -> None:
    # Listed without its items (as a webhook lists it), completed by the order's labels.
    bare = Label(SHIPMENT, 2, shipment=_shipment(2, items=False))
    full = Label(SHIPMENT, 2, shipment=_shipment(2))
    assert _same_or(bare, full) is full
    assert _same_or(bare, Label(SHIPMENT, 2, shipment=bare.shipment)) is bare


def test_the_memo_hands_a_plans_looked_up_documents_on_once() -> None:
    config: MappingConfig = retailer_config()
    the_order = order()
    plan = _map(shipment(501), the_order, config)
    memo = _Memo()
    docs = memo.looked_up(plan)
    assert memo.looked_up(plan) is docs
    assert memo.take(plan) is docs
    again = memo.take(plan)  # taken already: made anew, the same documents
    assert again is not docs
    assert [(d.kind, d.key, d.model) for d in again] == [(d.kind, d.key, d.model) for d in docs]


def _map(label: Shipment, the_order: Order, config: MappingConfig) -> ShipmentPlan:
    plan = map_shipment(label, the_order, MATCH, config, order_shipments=[label])
    assert isinstance(plan, ShipmentPlan)
    return plan


def _raise_from() -> MappingError:
    try:
        try:
            _ = 1 / 0
        except ArithmeticError as exc:
            raise MappingError("cannot be mapped", field="amount", record="shipment 1") from exc
    except MappingError as error:
        return error
    raise AssertionError("not raised")


def test_an_untraced_error_keeps_what_is_recorded_of_it_and_no_frames() -> None:
    error = _raise_from()
    cause = error.__cause__
    assert error.__traceback__ is not None and cause is not None
    assert cause.__traceback__ is not None
    evidence = error.evidence()
    assert _untraced(error) is error
    assert error.__traceback__ is None and error.__cause__ is cause
    assert cause.__traceback__ is None
    assert error.evidence() == evidence
    assert (str(error), error.field, error.record) == (
        "shipment 1: cannot be mapped (field amount)",
        "amount",
        "shipment 1",
    )
    with pytest.raises(MappingError) as raised:
        raise error  # raised again, it is traced from there
    assert raised.value.__traceback__ is not None


def _caught_below() -> MappingError:
    try:
        raise MappingError("cannot be mapped", field="amount")
    except MappingError as error:
        return error


def test_an_error_the_caller_was_handling_keeps_its_traceback() -> None:
    try:
        raise ValueError("the caller's own")
    except ValueError as outer:
        error = _caught_below()
        traced = outer.__traceback__
        untraced = _untraced(error)
        # Still handled here, and may be raised again: its traceback stays.
        seen = (error.__context__ is outer, outer.__traceback__ is traced)
    assert untraced is error and error.__traceback__ is None
    assert traced is not None and seen == (True, True)


def test_a_planned_chunks_mapping_error_holds_no_frames() -> None:
    config = retailer_config()
    the_order = order()
    # A warehouse the configuration does not map: the record fails, as mapping says.
    label = Label(SHIPMENT, 501, shipment=shipment(501, warehouse_id=999))
    planner = _Planner(mapping=config, fulfillment_mapping=config, directory=None)
    directory = CustomerDirectory.build(())
    for keep, traced in ((True, True), (False, False)):
        flow = planner.prepare_flow(
            label, {the_order.order_id: the_order}, {}, directory, {}, True, keep_traceback=keep
        )
        (pending,) = run_flow(flow, {})
        assert isinstance(pending.error, MappingError)
        assert (pending.error.__traceback__ is not None) is traced
        assert pending.result is not None and pending.result.error is not None


def test_customer_look_ups_that_found_nothing_share_one_empty_answer() -> None:
    env = make_env(orders=40, unmatched_email_rate=0.5)
    decoder = Decoder("V1")
    orders = [decoder.one(Order, data) for data in env.day.iter_orders()]
    cache = LookupCache()
    clients = {"oracle": env.oracle()}
    directory = run_flow(directory_flow(orders, env.mapping, cache), clients)
    _accounts, emails = needed_lookups(orders, env.mapping)
    answers = [cache.get("email", email) for email in sorted(emails)]
    empty = [answer for answer in answers if not answer]
    assert empty and all(answer == () for answer in empty)
    assert len({id(answer) for answer in empty}) == 1
    assert any(answer for answer in answers)  # and the others found their parties
    # A later chunk's orders are matched from the cache alike, asking Oracle nothing more.
    asked = len(env.oracle_sim.requests)
    again = run_flow(directory_flow(orders, env.mapping, cache), clients)
    assert len(env.oracle_sim.requests) == asked
    assert again == directory


def test_only_a_voided_label_keeps_its_reversals_ref() -> None:
    live = Label(SHIPMENT, 2, shipment=_shipment(2))
    voided = Label(SHIPMENT, 3, shipment=decode_shipment({"shipmentId": 3, "voided": True}))
    assert live.void_ref == live.void_ref == RecordRef("shipstation", "shipment-void", "2")
    assert live.void_ref is not live.void_ref  # made for the question, not kept
    assert voided.void_ref is voided.void_ref
    assert voided.void_ref == RecordRef("shipstation", "shipment-void", "3")
    assert live.ref is live.ref and voided.ref is voided.ref


def test_accounts_assembled_from_the_same_site_rows_are_reused_not_rebuilt() -> None:
    def site(use_id: int, number: str, name: str = "Acme") -> CustomerAccountSite:
        return CustomerAccountSite(
            bill_to_site_use_id=use_id,
            bill_to_site_number=f"S{use_id}",
            account_number=number,
            customer_name=name,
        )

    rows = [site(1, "1001"), site(2, "1001"), site(3, "1002")]
    made: dict[str, CustomerAccount] = {}
    first = accounts_from_sites(rows, made)
    assert [a.account_number for a in first] == ["1001", "1002"]
    assert [len(a.sites) for a in first] == [2, 1]
    again = accounts_from_sites(rows, made)
    assert again == first and all(a is b for a, b in zip(again, first, strict=True))
    # Other rows for an account (a new site, a renamed customer) assemble it anew.
    changed = accounts_from_sites([*rows[:2], site(4, "1001"), site(3, "1002", "Acme Ltd")], made)
    assert changed[0] is not first[0] and len(changed[0].sites) == 3
    assert changed[1] is not first[1] and changed[1].customer_name == "Acme Ltd"
    assert made == {"1001": changed[0], "1002": changed[1]}
    # Without a memo every call assembles its own.
    assert accounts_from_sites(rows)[0] is not accounts_from_sites(rows)[0]
