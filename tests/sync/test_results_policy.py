"""The ``results=`` policy and ``on_result``: complete counts whatever a run keeps."""

from __future__ import annotations

import gc
import weakref
from collections import Counter
from typing import Any

import attrs
import pytest

from ml_connector import ConfigurationError
from ml_connector.sync import AsyncShipmentSync, Outcome, RecordResult, RunSummary
from ml_connector.sync._window import _IdSet

from ._env import DAY_END, DAY_START, make_env
from .test_shipments import assert_no_duplicates, keys_in_oracle, make_sync

WINDOW = (DAY_START, DAY_END)
DONE = (Outcome.POSTED, Outcome.ALREADY_POSTED)


def outcome_counts(results: tuple[RecordResult, ...] | list[RecordResult]) -> dict[Outcome, int]:
    return dict(Counter(r.outcome for r in results))


def skip_reasons(results: tuple[RecordResult, ...]) -> dict[str, int]:
    return dict(Counter(r.reason for r in results if r.outcome is Outcome.SKIPPED and r.reason))


@pytest.fixture(scope="module")
def runs() -> dict[str, RunSummary]:
    """The same day synced under each policy (each in its own simulators)."""
    return {
        policy: make_sync(make_env(unmatched_email_rate=0.3), results=policy).run(WINDOW)
        for policy in ("all", "slim", "problems")
    }


def test_counts_are_complete_under_every_policy(runs: dict[str, RunSummary]) -> None:
    full = runs["all"]
    expected = outcome_counts(full.results)
    assert expected[Outcome.POSTED] and expected[Outcome.SKIPPED] and expected[Outcome.FAILED]
    for policy, summary in runs.items():
        assert summary.results_policy == policy
        assert dict(summary.counts) == expected, policy
        assert summary.skip_reasons == skip_reasons(full.results), policy
        assert summary.records == len(full.results)
        assert (summary.posted, summary.skipped, summary.failed) == (
            expected[Outcome.POSTED],
            expected[Outcome.SKIPPED],
            expected[Outcome.FAILED],
        )
        assert summary.describe() == full.describe()
    assert list(full.skip_reasons.values()) == sorted(full.skip_reasons.values(), reverse=True)


def test_problems_keeps_failures_and_skips_in_full_and_no_posted_record(
    runs: dict[str, RunSummary],
) -> None:
    full, problems = runs["all"], runs["problems"]
    assert not [r for r in problems.results if r.outcome in DONE]
    wanted = [r for r in full.results if r.outcome not in DONE]
    assert problems.results == tuple(wanted)  # same records, same order
    for kept, original in zip(problems.results, wanted, strict=True):
        # Compared field by field: eq leaves out error, ids and payload.
        assert kept.error == original.error
        assert kept.payload == original.payload and kept.explanation == original.explanation
    assert all(r.error and r.payload for r in problems.failures())
    assert problems.failures() == full.failures()
    assert all(r.reason for r in problems.results if r.outcome is Outcome.SKIPPED)


def test_slim_keeps_every_record_posted_ones_without_payloads(
    runs: dict[str, RunSummary],
) -> None:
    full, slim = runs["all"], runs["slim"]
    assert [attrs.evolve(r, explanation=()) for r in slim.results] == [
        attrs.evolve(r, explanation=()) for r in full.results
    ]
    posted = [r for r in slim.results if r.outcome is Outcome.POSTED]
    assert posted and all(r.payload is None and r.explanation == () for r in posted)
    assert all(r.payload for r in full.results if r.outcome is Outcome.POSTED)


def posted_results_alive() -> int:
    gc.collect()
    return sum(
        1 for o in gc.get_objects() if isinstance(o, RecordResult) and o.outcome is Outcome.POSTED
    )


@pytest.mark.parametrize("policy", ["problems", "slim"])
def test_on_result_gets_every_full_result_and_problems_keeps_no_posted_one(policy: str) -> None:
    env = make_env(unmatched_email_rate=0.3)
    seen: list[tuple[str, Outcome, bool]] = []
    posted: list[weakref.ref[RecordResult]] = []

    def on_result(result: RecordResult) -> None:
        seen.append((str(result.record), result.outcome, result.payload is not None))
        if result.outcome is Outcome.POSTED:
            posted.append(weakref.ref(result))

    before = posted_results_alive()
    summary = make_sync(env, results=policy, on_result=on_result).run(WINDOW)
    assert len(seen) == summary.records
    assert Counter(outcome for _, outcome, _ in seen) == Counter(summary.counts)
    assert all(has_payload for _, outcome, has_payload in seen if outcome is Outcome.POSTED)
    # Nothing in the process holds a posted record's result any more, but the summary's.
    assert posted and [ref() for ref in posted] == [None] * len(posted)
    held = posted_results_alive() - before
    assert held == (0 if policy == "problems" else summary.posted)


def test_a_rerun_under_problems_counts_what_is_already_posted() -> None:
    env = make_env()
    first = make_sync(env, results="problems").run(WINDOW)
    again = make_sync(env, results="problems").run(WINDOW)
    assert again.posted == 0
    assert again.already_posted == first.posted + first.already_posted
    assert again.records == first.records
    assert not [r for r in again.results if r.outcome in DONE]


def test_a_dry_run_keeps_every_payload_whatever_the_policy() -> None:
    plan = make_sync(make_env(), results="problems").run(WINDOW, dry_run=True)
    assert plan.results_policy == "all"
    would = [r for r in plan.results if r.outcome is Outcome.WOULD_POST]
    assert would and len(would) == plan.would_post
    assert all(r.payload and r.explanation for r in would)


def test_an_unknown_policy_is_refused() -> None:
    with pytest.raises(ConfigurationError) as caught:
        make_sync(make_env(orders=3), results="none")
    assert caught.value.setting == "results"


def test_an_on_result_error_stops_the_run_and_a_rerun_finishes_it() -> None:
    env = make_env()

    def broken(result: RecordResult) -> None:
        raise RuntimeError("the results file is full")

    with pytest.raises(RuntimeError, match="results file"):
        make_sync(env, chunk_size=10, on_result=broken).run(WINDOW)
    partly = sum(keys_in_oracle(env).values())
    assert partly > 0
    rest = make_sync(env, chunk_size=10).run(WINDOW)
    whole = make_sync(make_env(), chunk_size=10).run(WINDOW)
    assert rest.already_posted > 0
    assert sum(keys_in_oracle(env).values()) > partly
    assert_no_duplicates(env)
    assert rest.posted + rest.already_posted == whole.posted


@pytest.mark.anyio
async def test_the_async_twin_takes_the_same_policy(runs: dict[str, RunSummary]) -> None:
    env = make_env(unmatched_email_rate=0.3)
    seen: list[RecordResult] = []
    sync = AsyncShipmentSync(
        shipstation=env.async_shipstation(),
        oracle=env.async_oracle(),
        mapping=env.mapping,
        audit=env.audit,
        clock=env.clock,
        results="problems",
        on_result=seen.append,
        concurrency=4,
    )
    summary = await sync.run(WINDOW)
    assert summary.counts == runs["problems"].counts
    assert summary.results == runs["problems"].results
    assert len(seen) == summary.records
    with pytest.raises(ConfigurationError):
        AsyncShipmentSync(
            shipstation=env.async_shipstation(),
            oracle=env.async_oracle(),
            mapping=env.mapping,
            audit=env.audit,
            results="everything",  # type: ignore[arg-type]
        )


def test_the_seen_ids_set_holds_ids_across_merges() -> None:
    seen = _IdSet()
    values: Any = [(n * 7919) % 100_003 for n in range(10_000)]
    for value in values:
        seen.add(value)
    seen.add(values[0])
    assert len(seen) == len(set(values))
    assert all(value in seen for value in values)
    assert not any(value in seen for value in (-1, 100_003, 10**12))
