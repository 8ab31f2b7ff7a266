"""Window runs stream in chunks: same outcomes as one big chunk, bounded reads, slim results."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest

from ml_connector import ConfigurationError, ConnectorError
from ml_connector.audit import AuditEvent, MemoryAuditSink
from ml_connector.sync import Outcome, Progress, RunSummary, ShipmentSync
from ml_connector.sync._flow import Call, Cursor, Fanout, Take, arun_flow, run_flow

from ._env import DAY_END, DAY_START, Env, make_env
from .test_shipments import assert_no_duplicates, keys_in_oracle, make_sync


def outcomes(summary: RunSummary) -> list[tuple[str, str, tuple[str, ...]]]:
    return sorted((str(r.record), r.outcome.value, r.keys) for r in summary.results)


def test_small_chunks_post_exactly_what_one_chunk_posts() -> None:
    # Splits, partials, voids and fulfillments fall into different chunks of 7 labels.
    whole_env, chunked_env = make_env(), make_env()
    whole = make_sync(whole_env, chunk_size=10_000).run((DAY_START, DAY_END))
    chunked = make_sync(chunked_env, chunk_size=7).run((DAY_START, DAY_END))
    assert outcomes(chunked) == outcomes(whole)
    assert keys_in_oracle(chunked_env) == keys_in_oracle(whole_env)
    assert_no_duplicates(chunked_env)
    assert chunked.fetched == whole.fetched
    assert {r.record.kind for r in chunked.results} >= {"shipment", "shipment-void", "fulfillment"}
    # Every record once, even a label listed both as created and as voided in the window.
    assert len({r.record for r in chunked.results}) == len(chunked.results)


def test_a_rerun_in_chunks_posts_nothing_new() -> None:
    env = make_env()
    first = make_sync(env, chunk_size=5).run((DAY_START, DAY_END))
    posted = keys_in_oracle(env)
    again = make_sync(env, chunk_size=9).run((DAY_START, DAY_END))
    assert keys_in_oracle(env) == posted
    assert again.posted == 0
    assert again.already_posted + again.skipped + again.failed == len(first.results)


def test_posting_starts_before_the_window_is_read() -> None:
    env = make_env(orders=40)
    seen: list[Progress] = []
    summary = make_sync(env, chunk_size=10, progress=seen.append).run((DAY_START, DAY_END))
    first_post = next(p for p in seen if p.posted > 0)
    assert first_post.fetched < summary.fetched
    assert first_post.total is None  # not known until the last page is read
    last = seen[-1]
    assert last.done == last.total == len(summary.results)
    assert (last.posted, last.skipped, last.failed) == (
        summary.posted,
        summary.skipped,
        summary.failed,
    )


def test_orders_come_from_the_window_list_not_one_by_one() -> None:
    env = make_env()
    make_sync(env, chunk_size=7).run((DAY_START, DAY_END))
    gets = [url for _m, url in env.ss.v1.requests if "/orders/" in url.split("?")[0]]
    assert gets == []


def test_posted_results_drop_payloads_unless_kept() -> None:
    slim = make_sync(make_env()).run((DAY_START, DAY_END))
    kept = make_sync(make_env(), results="all").run((DAY_START, DAY_END))
    posted = [r for r in slim.results if r.outcome is Outcome.POSTED]
    assert posted and all(r.payload is None and r.explanation == () for r in posted)
    assert all(r.keys and r.total is not None for r in posted if r.record.kind == "shipment")
    failed = [r for r in slim.results if r.outcome is Outcome.FAILED]
    assert failed and all(r.error is not None and r.payload is not None for r in failed)
    skipped = [r for r in slim.results if r.outcome is Outcome.SKIPPED]
    assert skipped and all(r.reason for r in skipped)
    assert [r.payload is not None for r in kept.results if r.outcome is Outcome.POSTED] == [
        True
    ] * len(posted)
    assert outcomes(slim) == outcomes(kept)


def test_the_trail_is_read_per_chunk_not_whole() -> None:
    class Counting(MemoryAuditSink):
        def __init__(self) -> None:
            super().__init__()
            self.calls: Counter[str] = Counter()

        def latest(self, *, records: Any = None) -> list[AuditEvent]:
            self.calls["whole" if records is None else "records"] += 1
            return super().latest(records=records)

    env = make_env()
    env.audit = Counting()
    make_sync(env, chunk_size=20).run((DAY_START, DAY_END))
    assert env.audit.calls["whole"] == 0
    assert env.audit.calls["records"] > 1


def test_chunk_size_is_checked() -> None:
    env = make_env(orders=5)
    with pytest.raises(ConfigurationError) as caught:
        make_sync(env, chunk_size=0)
    assert caught.value.setting == "chunk_size"


@pytest.mark.anyio
async def test_the_async_twin_streams_the_same(env_pair: tuple[Env, Env]) -> None:
    from ml_connector.sync import AsyncShipmentSync

    blocking_env, async_env = env_pair
    expected = make_sync(blocking_env, chunk_size=8).run((DAY_START, DAY_END))
    async with async_env.async_shipstation() as ss, async_env.async_oracle() as oracle:
        job = AsyncShipmentSync(
            shipstation=ss,
            oracle=oracle,
            mapping=async_env.mapping,
            audit=async_env.audit,
            clock=async_env.clock,
            chunk_size=8,
            concurrency=4,
        )
        got = await job.run((DAY_START, DAY_END))
    assert outcomes(got) == outcomes(expected)
    assert keys_in_oracle(async_env) == keys_in_oracle(blocking_env)


@pytest.fixture
def env_pair() -> tuple[Env, Env]:
    return make_env(orders=30), make_env(orders=30)


# -- the Take step, with no HTTP ------------------------------------------------------------------


class Source:
    def __init__(self) -> None:
        self.read = 0

    def _gen(self) -> Any:
        for n in range(10):
            self.read += 1
            yield n

    def items(self) -> Any:
        return self._gen()


class AsyncSource(Source):
    async def _agen(self) -> Any:
        for n in range(10):
            self.read += 1
            await asyncio.sleep(0)
            yield n

    def items(self) -> Any:
        return self._agen()


def chunks(source: Source) -> Any:
    cursor = Cursor(Call("c", Source.items))
    got: list[tuple[list[int], int]] = []
    while True:
        items = yield Take(cursor, 4)
        got.append((items, source.read))
        if not items:
            return got


def test_take_reads_lazily_in_chunks() -> None:
    source = Source()
    got = run_flow(chunks(source), {"c": source})
    # Items 0-3 were read when the first chunk came back, not the whole listing.
    assert got == [([0, 1, 2, 3], 4), ([4, 5, 6, 7], 8), ([8, 9], 10), ([], 10)]


@pytest.mark.anyio
async def test_async_take_reads_lazily_in_chunks() -> None:
    source = AsyncSource()
    got = await arun_flow(chunks(source), {"c": source}, asyncio.Semaphore(1))
    assert got == [([0, 1, 2, 3], 4), ([4, 5, 6, 7], 8), ([8, 9], 10), ([], 10)]


def test_take_of_an_empty_listing() -> None:
    def flow() -> Any:
        cursor = Cursor(Call("c", Source.items))
        first = yield Take(cursor, 3)
        second = yield Take(cursor, 3)
        return first, second

    class Empty:
        def items(self) -> Any:
            return iter(())

    assert run_flow(flow(), {"c": Empty()}) == ([], [])


def test_sync_signature_takes_the_new_options() -> None:
    env = make_env(orders=5)
    job = ShipmentSync(
        shipstation=env.shipstation(),
        oracle=env.oracle(),
        mapping=env.mapping,
        audit=env.audit,
        clock=env.clock,
        results="all",
        chunk_size=100,
    )
    assert job.run((DAY_START, DAY_END)).results


def test_customers_are_looked_up_once_per_run_not_once_per_chunk() -> None:
    def lookups(env: Env) -> Counter[str]:
        return Counter(
            url.split("?")[0].rsplit("/", 1)[-1]
            for method, url in env.oracle_sim.requests
            if method == "GET" and ("hubPersons" in url or "receivablesCustomer" in url)
        )

    whole_env, chunked_env = make_env(), make_env()
    make_sync(whole_env, chunk_size=10_000).run((DAY_START, DAY_END))
    make_sync(chunked_env, chunk_size=7).run((DAY_START, DAY_END))
    assert lookups(chunked_env) == lookups(whole_env)
    assert lookups(whole_env)["hubPersons"] > 0


@pytest.mark.anyio
async def test_a_listing_read_in_part_is_closed_when_the_flow_ends() -> None:
    closed: list[str] = []

    class Listing:
        async def _agen(self) -> Any:
            try:
                for n in range(100):
                    yield n
            finally:
                closed.append("async")

        def _gen(self) -> Any:
            try:
                yield from range(100)
            finally:
                closed.append("blocking")

        def items(self) -> Any:
            return self._agen()

        def blocking_items(self) -> Any:
            return self._gen()

    def flow(method: str) -> Any:
        first = yield Take(Cursor(Call("c", getattr(Listing, method))), 3)
        return first

    assert await arun_flow(flow("items"), {"c": Listing()}) == [0, 1, 2]
    assert run_flow(flow("blocking_items"), {"c": Listing()}) == [0, 1, 2]
    assert closed == ["async", "blocking"]


def test_one_label_at_a_time_still_posts_the_same() -> None:
    # Every listing (created, fulfillments, voided, orders) spans many chunks and sub-flows.
    whole_env, single_env = make_env(orders=30), make_env(orders=30)
    whole = make_sync(whole_env, chunk_size=10_000).run((DAY_START, DAY_END))
    single = make_sync(single_env, chunk_size=1).run((DAY_START, DAY_END))
    assert outcomes(single) == outcomes(whole)
    assert single.fetched == whole.fetched
    assert keys_in_oracle(single_env) == keys_in_oracle(whole_env)
    assert [url for _m, url in single_env.ss.v1.requests if "/orders/" in url] == []


def test_a_cursor_opened_in_a_sub_flow_stays_open_for_the_run() -> None:
    source = Source()
    cursor = Cursor(Call("c", Source.items))

    def first_chunk() -> Any:
        items = yield Take(cursor, 3)
        return items

    def flow() -> Any:
        (first,) = yield Fanout((first_chunk(),))
        rest = yield Take(cursor, 100)
        return first, rest

    assert run_flow(flow(), {"c": source}) == ([0, 1, 2], [3, 4, 5, 6, 7, 8, 9])


@pytest.mark.anyio
async def test_an_async_cursor_opened_in_a_sub_flow_stays_open_for_the_run() -> None:
    source = AsyncSource()
    cursor = Cursor(Call("c", Source.items))

    def first_chunk() -> Any:
        items = yield Take(cursor, 3)
        return items

    def flow() -> Any:
        (first,) = yield Fanout((first_chunk(),))
        rest = yield Take(cursor, 100)
        return first, rest

    assert await arun_flow(flow(), {"c": source}) == ([0, 1, 2], [3, 4, 5, 6, 7, 8, 9])


def test_the_order_list_is_read_no_further_ahead_than_the_cache_holds() -> None:
    from ml_connector.shipstation import Order
    from ml_connector.sync import SyncWindow
    from ml_connector.sync._window import _OrderCache

    env = make_env(orders=60)
    clients = {"shipstation": env.shipstation()}
    listed = [
        o.order_id
        for o in env.shipstation().iter_orders(
            modify_date_start=DAY_START,
            modify_date_end=DAY_END,
            sort_by="ModifyDate",  # the order the cache reads the list in
            sort_dir="ASC",
        )
    ]

    def singles() -> int:
        return sum(1 for _m, url in env.ss.v1.requests if "/orders/" in url.split("?")[0])

    cache = _OrderCache(SyncWindow(DAY_START, DAY_END), capacity=12, page=4)
    seen: dict[str, Any] = {}

    def chunks() -> Any:
        # One flow, as in a run: the list stays open from chunk to chunk.
        first = yield from cache.get_flow({listed[0]})
        seen["first"] = (first, cache.fetched, singles())
        # An order the window's list does not hold: the list is read on only while the cache
        # can keep what it reads, then the order is fetched alone.
        unknown = yield from cache.get_flow({1})
        seen["unknown"] = (unknown, cache.fetched, singles())
        # Another one reads no further: the list is already as far ahead as the cache holds.
        yield from cache.get_flow({2})
        seen["again"] = cache.fetched
        # What was read ahead is still there for the next chunks: no single gets.
        ahead = set(listed[1 : cache.fetched])
        got = yield from cache.get_flow(ahead)
        seen["ahead"] = (got, ahead, singles())
        # And the list goes on from where it stopped.
        rest = set(listed[cache.fetched : cache.fetched + 3])
        more = yield from cache.get_flow(rest)
        seen["rest"] = (more, rest, singles())

    run_flow(chunks(), clients)
    first, fetched, calls = seen["first"]
    assert isinstance(first[listed[0]], Order) and fetched == 4 and calls == 0
    unknown, fetched, calls = seen["unknown"]
    assert isinstance(unknown[1], ConnectorError) and calls == 1
    assert 4 < fetched <= 12
    assert seen["again"] == fetched
    for name in ("ahead", "rest"):
        got, wanted, calls = seen[name]
        assert set(got) == wanted and all(isinstance(o, Order) for o in got.values())
        assert calls == 2, name
