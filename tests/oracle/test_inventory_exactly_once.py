"""Inventory exactly once against the strict simulator: rows processed between and during calls.

Oracle's staged transactions are an interface: a processed row leaves it for
``inventoryCompletedTransactions``. Every test here counts rows across both resources; a second
row for the same key is a duplicate stock movement.
"""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from ml_connector import ClientError
from ml_connector.oracle import (
    InventoryStagedTransaction,
    InventoryState,
    InventoryTransactionError,
    OracleFusionClient,
)
from ml_connector.testing import FaultKind, FaultPlan, OracleFusionSimulator, VirtualClock
from ml_connector.testing._oracle_meta import Attr

from .test_against_simulator import ACCOUNT, connect, make_sim
from .test_converter import staged

ONLINE, CONCURRENT, BACKGROUND = "1", "2", "3"


def issue(mode: str | None, **changes: Any) -> InventoryStagedTransaction:
    return staged(distribution_account=ACCOUNT, transaction_mode=mode, **changes)


def rows(sim: OracleFusionSimulator, reference: str = "SS-1001-2002") -> tuple[int, int]:
    """(rows in the interface, completed movements) carrying ``reference``."""
    staged_rows = [r for r in sim.staged_transactions() if r["TransactionReference"] == reference]
    done = [r for r in sim.completed_transactions() if r["TransactionReference"] == reference]
    return len(staged_rows), len(done)


def fresh(sim: OracleFusionSimulator, clock: VirtualClock) -> OracleFusionClient:
    """A new client, as after a crash and restart (no state carried over)."""
    return connect(sim, clock)


def test_online_is_posted_during_the_post_and_found_completed_after(clock: VirtualClock) -> None:
    sim = make_sim(clock)
    first = connect(sim, clock).post_staged_transaction_once(issue(ONLINE))
    assert first.created and first.state is InventoryState.POSTED
    assert rows(sim) == (0, 1)
    again = fresh(sim, clock).post_staged_transaction_once(issue(ONLINE))
    assert not again.created and again.state is InventoryState.POSTED
    assert again.oracle_id == str(sim.completed_transactions()[0]["TransactionId"])
    assert rows(sim) == (0, 1)


def test_concurrent_is_pending_then_posted_after_processing_between_runs(
    clock: VirtualClock,
) -> None:
    sim = make_sim(clock, concurrent_delay=30)
    first = connect(sim, clock).post_staged_transaction_once(issue(CONCURRENT))
    assert first.created and first.state is InventoryState.PENDING
    assert rows(sim) == (1, 0)
    waiting = fresh(sim, clock).post_staged_transaction_once(issue(CONCURRENT))
    assert not waiting.created and waiting.state is InventoryState.PENDING
    clock.advance(31)  # the Create Inventory Transaction job runs
    assert rows(sim) == (0, 1)
    done = fresh(sim, clock).post_staged_transaction_once(issue(CONCURRENT))
    assert not done.created and done.state is InventoryState.POSTED
    assert rows(sim) == (0, 1)


def test_background_waits_for_the_transaction_manager(clock: VirtualClock) -> None:
    sim = make_sim(clock)
    oracle = connect(sim, clock)
    assert oracle.post_staged_transaction_once(issue(BACKGROUND)).state == "pending_in_oracle"
    clock.advance(3600)
    assert rows(sim) == (1, 0)  # nothing happens without the process
    assert sim.run_transaction_manager() == 1
    status = fresh(sim, clock).find_inventory_transaction(issue(BACKGROUND))
    assert status.state is InventoryState.POSTED and status.copies == 1
    assert not fresh(sim, clock).post_staged_transaction_once(issue(BACKGROUND)).created
    assert rows(sim) == (0, 1)


@pytest.mark.parametrize(
    ("mode", "state"),
    [
        (ONLINE, InventoryState.POSTED),
        (CONCURRENT, InventoryState.PENDING),
        (BACKGROUND, InventoryState.PENDING),
    ],
)
@pytest.mark.parametrize("lost_as", ["timeout", "server_error"])
def test_a_response_lost_after_commit_is_found_in_either_resource(
    clock: VirtualClock, mode: str, state: InventoryState, lost_as: str
) -> None:
    plan = FaultPlan(methods=["POST"], path_prefixes=["/fscmRestApi"], lost_as=lost_as)
    # The job behind Concurrent mode runs later than the client waits for its lost answer.
    sim = make_sim(clock, faults=plan, concurrent_delay=3600)
    sim.faults.inject(FaultKind.LOST_AFTER_COMMIT)
    result = connect(sim, clock).post_staged_transaction_once(issue(mode))
    assert result.created and result.recovered and result.state is state
    assert sum(rows(sim)) == 1
    # A crash right after: the restarted process finds it, whatever happened in between.
    sim.run_transaction_manager()
    again = fresh(sim, clock).post_staged_transaction_once(issue(mode))
    assert not again.created and again.state is InventoryState.POSTED
    assert rows(sim) == (0, 1)


def test_an_online_408_leaves_a_pending_row_never_recorded_as_posted(clock: VirtualClock) -> None:
    sim = make_sim(clock, faults=FaultPlan(methods=["POST"], path_prefixes=["/fscmRestApi"]))
    sim.faults.inject(FaultKind.ONLINE_TIMEOUT)
    result = connect(sim, clock).post_staged_transaction_once(issue(ONLINE))
    assert result.created and result.recovered
    assert result.state is InventoryState.PENDING
    assert result.record is not None and result.record.process_status == "1"
    assert rows(sim) == (1, 0)
    # A replay before Oracle's process runs must not stage it again.
    replay = fresh(sim, clock).post_staged_transaction_once(issue(ONLINE))
    assert not replay.created and replay.state is InventoryState.PENDING
    assert sim.run_transaction_manager() == 1
    assert fresh(sim, clock).find_inventory_transaction(issue(ONLINE)).state == "posted"
    assert rows(sim) == (0, 1)


def test_a_408_on_a_create_without_a_lookup_first_is_still_looked_up(clock: VirtualClock) -> None:
    sim = make_sim(clock, faults=FaultPlan(methods=["POST"], path_prefixes=["/fscmRestApi"]))
    sim.faults.inject(FaultKind.ONLINE_TIMEOUT)
    result = connect(sim, clock).create_staged_transaction(issue(ONLINE))
    assert result.state is InventoryState.PENDING and result.recovered
    assert rows(sim) == (1, 0)


def test_a_failed_row_fails_with_oracles_text_and_is_never_posted_again(
    clock: VirtualClock,
) -> None:
    sim = make_sim(clock)
    sim.items.add("KNOWN")
    bad = issue(ONLINE, item_number="NOT-AN-ITEM")
    with pytest.raises(InventoryTransactionError) as info:
        connect(sim, clock).post_staged_transaction_once(bad)
    assert info.value.code == "INV_INVALID_ITEM"
    assert "NOT-AN-ITEM" in str(info.value)
    status = fresh(sim, clock).find_inventory_transaction(bad)
    assert status.state is InventoryState.FAILED
    assert status.error_code == "INV_INVALID_ITEM" and status.error_explanation
    with pytest.raises(InventoryTransactionError):
        fresh(sim, clock).post_staged_transaction_once(bad)
    assert rows(sim) == (1, 0)
    # Fixed in Oracle (the item added, the row resubmitted): posted, still one movement.
    sim.items.add("NOT-AN-ITEM")
    assert sim.run_transaction_manager(retry_errors=True) == 1
    assert fresh(sim, clock).find_inventory_transaction(bad).state == "posted"
    assert rows(sim) == (0, 1)


def test_a_concurrent_row_failing_later_is_failed_on_the_next_look(clock: VirtualClock) -> None:
    sim = make_sim(clock, concurrent_delay=5)
    sim.items.add("KNOWN")
    bad = issue(CONCURRENT, item_number="NOT-AN-ITEM")
    assert connect(sim, clock).post_staged_transaction_once(bad).state == "pending_in_oracle"
    clock.advance(6)
    with pytest.raises(InventoryTransactionError, match="NOT-AN-ITEM"):
        fresh(sim, clock).post_staged_transaction_once(bad)
    assert rows(sim) == (1, 0)


def test_a_void_after_processing_finds_the_completed_issue_and_posts_its_receipt_once(
    clock: VirtualClock,
) -> None:
    sim = make_sim(clock)
    oracle = connect(sim, clock)
    shipped = issue(ONLINE)
    oracle.post_staged_transaction_once(shipped)
    # The issue was processed at once; a void comes later and must find it to reverse it.
    assert fresh(sim, clock).find_inventory_transaction(shipped).state == "posted"
    receipt = attrs.evolve(
        shipped,
        transaction_type_name="Miscellaneous Receipt",
        transaction_quantity=-shipped.transaction_quantity,
        transaction_reference="SS-1001-2002V",
    )
    first = fresh(sim, clock).post_staged_transaction_once(receipt)
    again = fresh(sim, clock).post_staged_transaction_once(receipt)
    assert first.created and not again.created
    assert rows(sim) == (0, 1) and rows(sim, "SS-1001-2002V") == (0, 1)


def test_the_receipt_is_not_mistaken_for_the_issue_when_they_share_a_reference(
    clock: VirtualClock,
) -> None:
    # With the order number as TransactionReference both carry the same reference; the type
    # keeps them apart in the completed resource too.
    sim = make_sim(clock)
    shipped = issue(ONLINE)
    connect(sim, clock).post_staged_transaction_once(shipped)
    receipt = attrs.evolve(shipped, transaction_type_name="Miscellaneous Receipt")
    assert fresh(sim, clock).post_staged_transaction_once(receipt).created
    assert rows(sim) == (0, 2)


def test_a_strict_pod_refuses_an_attribute_the_resource_does_not_have(
    clock: VirtualClock,
) -> None:
    sim = make_sim(clock)
    with pytest.raises(ClientError) as info:
        connect(sim, clock).post_staged_transaction_once(issue(ONLINE, extra={"Bogus": "x"}))
    assert info.value.status == 400
    assert "Bogus" in str(info.value)
    assert rows(sim) == (0, 0)


def test_a_lookup_on_an_attribute_the_tenant_does_not_let_us_query_is_refused(
    clock: VirtualClock,
) -> None:
    sim = make_sim(clock)
    meta = sim.meta["inventoryCompletedTransactions"]
    attributes = dict(meta.attributes)
    attributes["TransactionReference"] = Attr("TransactionReference", queryable=False)
    sim.meta["inventoryCompletedTransactions"] = attrs.evolve(meta, attributes=attributes)
    with pytest.raises(ClientError) as info:
        connect(sim, clock).find_inventory_transaction(issue(ONLINE))
    assert info.value.status == 400 and "queryable" in str(info.value)


def test_a_value_over_its_documented_length_is_refused(clock: VirtualClock) -> None:
    sim = make_sim(clock)
    with pytest.raises(ClientError, match="maximum length"):
        connect(sim, clock).post_staged_transaction_once(
            issue(ONLINE, transaction_reference="R" * 241)
        )


@pytest.mark.anyio
async def test_async_twin_sees_the_same_states(clock: VirtualClock) -> None:
    from ml_connector.oracle import AsyncOracleFusionClient

    from .test_against_simulator import oracle_settings

    sim = make_sim(clock, concurrent_delay=10)
    async with AsyncOracleFusionClient(
        oracle_settings(), transport=sim.async_transport(), clock=clock
    ) as oracle:
        first = await oracle.post_staged_transaction_once(issue(CONCURRENT))
        assert first.state is InventoryState.PENDING
        clock.advance(11)
        status = await oracle.find_inventory_transaction(issue(CONCURRENT))
        assert status.state is InventoryState.POSTED
        found = [c async for c in oracle.iter_completed_transactions()]
        assert [c.transaction_reference for c in found] == ["SS-1001-2002"]
    assert rows(sim) == (0, 1)
