"""Preflight: every problem reported at once, and nothing posted when there is one."""

from __future__ import annotations

import pytest

from ml_connector.sync import PreflightError

from ._env import DAY_END, DAY_START, make_env
from .test_shipments import make_sync


def test_preflight_passes_for_a_valid_configuration() -> None:
    env = make_env(orders=5)
    report = make_sync(env).preflight()
    assert report.ok, report.describe()
    assert report.accounts_checked > 0 and report.customers_checked == 2


def test_preflight_reports_every_problem_and_the_run_posts_nothing() -> None:
    env = make_env(orders=10)
    stores = {
        str(store["storeId"]): {"name": store["storeName"], "customer_account": "NOPE-1"}
        for store in env.day.stores[1:]
    }
    wrong = env.mapping
    from ._env import mapping_for

    wrong = mapping_for(
        env.day,
        stores=stores,
        customers={"by_customer_id": {"1": {"account": "404040", "site": "X"}}},
    )
    # Disable one account combination in Oracle.
    combos = env.oracle_sim.resources["accountCombinationsLOV"].items
    first = next(iter(combos.values()))
    first["EnabledFlag"] = "N"
    env.mapping = wrong
    sync = make_sync(env)
    with pytest.raises(PreflightError) as caught:
        sync.run((DAY_START, DAY_END))
    problems = caught.value.report.problems
    kinds = {(p.kind, p.subject) for p in problems}
    assert ("customer_account", "NOPE-1") in kinds
    assert ("customer_account", "404040") in kinds
    assert ("account_combination", first["ConcatenatedSegments"]) in kinds
    assert "404040" in str(caught.value) and "NOPE-1" in str(caught.value)
    assert env.oracle_posts() == []
    assert len(env.audit) == 0
