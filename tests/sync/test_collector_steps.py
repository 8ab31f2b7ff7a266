"""A sync pauses the garbage collector around each chunk's bulk steps (mapping every record,
making the wire forms and batch parts, the ``posting`` events, the results and outcome
events), and collects between them: nothing those steps build forms a cycle, so a collection
inside one would only promote what the chunk keeps (see ``ml_connector._collector``). The
async job also runs each record's sub-flow up to its first step (flows do no I/O) paused."""

from __future__ import annotations

import pytest

import ml_connector
from ml_connector.sync import AsyncShipmentSync

from ._env import Env, make_env
from .test_bulk_lookups import WINDOW, job
from .test_shipments import assert_no_duplicates

_STEPS = (
    "ml_connector.sync._plan._Planner._all_wanted",
    "ml_connector.sync._post._batchable",
    "ml_connector.sync._documents._parts",
    "ml_connector.sync._post._Poster._announce",
    "ml_connector.sync._post._Poster.finish_all",
)
_FIRST_STEPS = "ml_connector.sync._flow._first_steps"


def _during(collections: list[set[str]], step: str) -> bool:
    seen = list(collections)  # a copy: checking allocates, and each allocation collects
    return any(step in names for names in seen)


def test_each_chunk_step_runs_with_the_collector_paused(collections: list[set[str]]) -> None:
    env = make_env(orders=25)
    summary = job(env, env.oracle()).run(WINDOW)
    assert summary.posted > 0
    assert_no_duplicates(env)
    assert collections  # the run collected, between the steps
    assert [step for step in _STEPS if _during(collections, step)] == []


def test_without_the_pauses_the_same_steps_collect(collections: list[set[str]]) -> None:
    ml_connector.set_collector_pauses(False)
    env = make_env(orders=25)
    assert job(env, env.oracle()).run(WINDOW).posted > 0
    assert [step for step in _STEPS if not _during(collections, step)] == []


async def _async_run(env: Env) -> int:
    job = AsyncShipmentSync(
        shipstation=env.async_shipstation(),
        oracle=env.async_oracle(),
        mapping=env.mapping,
        audit=env.audit,
        clock=env.clock,
    )
    return (await job.run(WINDOW)).posted


@pytest.mark.anyio
async def test_the_async_job_pauses_the_same_steps_and_each_first_step(
    collections: list[set[str]],
) -> None:
    env = make_env(orders=25)
    assert await _async_run(env) > 0
    assert_no_duplicates(env)
    assert collections
    assert [step for step in (*_STEPS, _FIRST_STEPS) if _during(collections, step)] == []

    ml_connector.set_collector_pauses(False)
    collections.clear()
    assert await _async_run(make_env(orders=25)) > 0
    assert [step for step in (*_STEPS, _FIRST_STEPS) if not _during(collections, step)] == []
