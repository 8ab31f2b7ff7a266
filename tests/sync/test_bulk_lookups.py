"""Bulk look-ups (issue "Fast at real latencies"): one Oracle read answers many posting keys,
with find-before-create's safety kept: a key the bulk answer does not cover is looked up alone,
never created blind, and nothing is posted twice."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from ml_connector.audit import MemoryAuditSink
from ml_connector.oracle import InventoryStagedTransaction, OracleFusionClient, to_wire
from ml_connector.oracle._bulk import or_q
from ml_connector.sync import ShipmentSync

from ._env import DAY_END, DAY_START, Env, make_env, oracle_settings
from .test_shipments import assert_no_duplicates, keys_in_oracle

WINDOW = (DAY_START, DAY_END)
KEYED = ("receivablesInvoices", "receivablesCreditMemos", "inventoryStagedTransactions")


def reads(env: Env) -> tuple[int, int]:
    """(reads of the keyed resources, posting keys they asked for)."""
    count = keys = 0
    for method, url in env.oracle_sim.requests:
        resource = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        if method == "GET" and resource in KEYED:
            q = parse_qs(urlsplit(url).query).get("q", [""])[0]
            count += 1
            keys += q.count(") or (") + 1
    return count, keys


def job(env: Env, oracle: OracleFusionClient, audit: Any = None) -> ShipmentSync:
    return ShipmentSync(
        shipstation=env.shipstation(),
        oracle=oracle,
        mapping=env.mapping,
        audit=audit if audit is not None else env.audit,
        clock=env.clock,
    )


def documents(env: Env) -> int:
    return sum(keys_in_oracle(env).values())


def test_or_q_joins_each_key_filter_and_needs_framework_2() -> None:
    q = or_q(
        [{"TransactionNumber": "SS-1", "BusinessUnit": "US1"}, {"TransactionNumber": "O'Hare"}],
        framework_version="4",
    )
    assert (
        q == "(TransactionNumber='SS-1' and BusinessUnit='US1') or (TransactionNumber=\"O'Hare\")"
    )
    assert or_q([{"A": "x"}], framework_version="2") == "A='x'"
    with pytest.raises(ValueError, match="framework version 2"):
        or_q([{"A": "x"}, {"A": "y"}], framework_version="1")


def test_one_read_answers_many_keys_and_every_document_posts_once() -> None:
    env = make_env(orders=80)
    summary = job(env, env.oracle()).run(WINDOW)
    assert summary.posted > 0
    assert_no_duplicates(env)
    count, keys = reads(env)
    docs = documents(env)
    # Every document was looked up (the keys asked cover them) in far fewer reads.
    assert keys >= docs
    assert count * 10 <= docs, (count, docs)

    # A fresh trail (nothing trusted): every key is looked up again, found, none posted.
    posts = len(env.oracle_posts())
    again = job(env, env.oracle(), MemoryAuditSink()).run(WINDOW)
    assert again.posted == 0
    assert again.already_posted == summary.posted
    assert len(env.oracle_posts()) == posts
    assert_no_duplicates(env)


def test_framework_1_looks_each_key_up_alone_and_preflight_says_why() -> None:
    env = make_env(orders=30)
    oracle = OracleFusionClient(
        oracle_settings(framework_version="1", bulk_lookup_size=50),
        transport=env.oracle_sim.transport(),
        clock=env.clock,
    )
    report = job(env, oracle).preflight()
    assert [(p.kind, p.subject) for p in report.problems if p.subject == "bulk_lookup_size"] == [
        ("configuration", "bulk_lookup_size")
    ]
    # By default framework 1 means one key a read, and no 'or' is ever sent.
    env2 = make_env(orders=30)
    summary = job(env2, env2.oracle(framework_version="1")).run(WINDOW)
    assert summary.posted > 0
    count, keys = reads(env2)
    assert count == keys >= documents(env2)
    assert_no_duplicates(env2)


def test_a_bulk_read_that_fails_falls_back_to_single_finds_never_to_a_blind_create() -> None:
    env = make_env(orders=40)
    first = job(env, env.oracle()).run(WINDOW)
    assert first.posted > 0
    held = keys_in_oracle(env)
    inner = env.oracle_sim.transport()
    refused: Counter[str] = Counter()

    def handler(request: httpx.Request) -> httpx.Response:
        q = request.url.params.get("q", "")
        resource = request.url.path.rsplit("/", 1)[-1]
        if request.method == "GET" and resource in KEYED and " or " in q:
            # As a pod would answer a query it cannot run (a URL too long, say).
            refused[resource] += 1
            return httpx.Response(400, json={"title": "Bad Request", "detail": "q"})
        request.read()
        return inner.handle_request(request)

    oracle = OracleFusionClient(
        oracle_settings(), transport=httpx.MockTransport(handler), clock=env.clock
    )
    # A fresh trail: nothing is trusted, everything must be looked up; the bulk reads fail.
    again = job(env, oracle, MemoryAuditSink()).run(WINDOW)
    assert sum(refused.values()) > 0
    assert again.posted == 0
    assert again.already_posted == first.posted
    # Only records that failed the first time were tried again; nothing Oracle held was.
    assert keys_in_oracle(env) == held
    assert_no_duplicates(env)


def test_inventory_look_ups_read_the_wire_forms_given_and_refuse_a_mismatch() -> None:
    env = make_env(orders=20)
    oracle = env.oracle()
    transactions = [
        InventoryStagedTransaction(
            organization_code="M1",
            item_number="AS54888",
            subinventory_code="Stores",
            transaction_quantity=Decimal("-2"),
            transaction_unit_of_measure="Each",
            transaction_date=datetime(2026, 1, 15, 17, 0, 5, tzinfo=UTC),
            transaction_type_name="Miscellaneous Issue",
            source_code="SHIPSTATION",
            source_header_id="1001",
            source_line_id=str(n),
            transaction_reference=f"SS-1001-{n}",
        )
        for n in range(3)
    ]
    wires = [to_wire(t, oracle.converter) for t in transactions]
    with_wires = oracle.find_inventory_transactions(transactions, wires=wires)
    assert with_wires == oracle.find_inventory_transactions(transactions)
    reads_before = len(env.oracle_sim.requests)
    with pytest.raises(ValueError, match="wire forms"):
        oracle.find_inventory_transactions(transactions, wires=wires[1:])
    assert len(env.oracle_sim.requests) == reads_before  # refused before any read
