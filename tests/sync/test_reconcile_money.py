"""Reconciliation and run summaries show the money, and their counts add up."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ml_connector.sync import Outcome, ReasonCode, ShipmentSync

from ._env import DAY_END, DAY_START, Env, make_env
from ._fixes import add_unmatched_customers

WINDOW = (DAY_START, DAY_END)


def _sync(env: Env) -> ShipmentSync:
    return ShipmentSync(
        shipstation=env.shipstation(),
        oracle=env.oracle(),
        mapping=env.mapping,
        audit=env.audit,
        checkpoints=env.checkpoints,
        clock=env.clock,
    )


@pytest.fixture(scope="module")
def unmatched() -> tuple[Env, ShipmentSync]:
    env = make_env(orders=30, unmatched_email_rate=0.4, bad_sku_orders=0)
    sync = _sync(env)
    sync.run(WINDOW)
    return env, sync


def test_unmatched_customers_carry_the_amount_oracle_lacks(
    unmatched: tuple[Env, ShipmentSync],
) -> None:
    _env, sync = unmatched
    report = sync.reconcile(WINDOW)
    blocked = [r for r in report.rows if r.reason is ReasonCode.CUSTOMER_UNMATCHED]
    assert blocked, "the generated day has customers Oracle does not know"
    assert all(r.expected_amount is not None and r.expected_amount > 0 for r in blocked)
    assert all(r.oracle_amount is None and r.gap == r.expected_amount for r in blocked)
    # The money not yet in Oracle is exactly what those customers hold back.
    held_back = sum((r.expected_amount or Decimal(0) for r in blocked), Decimal(0))
    assert report.not_in_oracle == held_back
    assert report.not_in_oracle_by_reason() == {"customer_unmatched": held_back}
    assert report.expected_amount - report.oracle_amount == held_back
    # Per warehouse and posting date, the same money, by reason.
    totals = report.totals()
    assert sum((t.not_in_oracle for t in totals), Decimal(0)) == held_back
    assert all(t.currency == "USD" and t.warehouse_name for t in totals)
    assert not report.clean


def test_the_run_summary_prices_what_failed_and_adds_up(
    unmatched: tuple[Env, ShipmentSync],
) -> None:
    env = make_env(orders=30, unmatched_email_rate=0.4, bad_sku_orders=0)
    summary = _sync(env).run(WINDOW)
    assert summary.records == (
        summary.posted + summary.already_posted + summary.skipped + summary.failed
    )
    assert summary.records == summary.labels + summary.reversals
    assert summary.fetched >= summary.labels
    posted = summary.amount(Outcome.POSTED, "USD")
    failed = summary.amount(Outcome.FAILED, "USD")
    assert posted > 0 and failed > 0
    assert posted == sum(
        (r.total or Decimal(0) for r in summary.results if r.outcome is Outcome.POSTED),
        Decimal(0),
    )
    text = summary.describe()
    assert f"= {summary.records} records: posted {summary.posted} + already posted" in text
    assert f"USD posted {posted:,.2f}" in text and f"failed {failed:,.2f}" in text


def test_after_the_fix_the_gap_closes(unmatched: tuple[Env, ShipmentSync]) -> None:
    env = make_env(orders=30, unmatched_email_rate=0.4, bad_sku_orders=0)
    sync = _sync(env)
    sync.run(WINDOW)
    add_unmatched_customers(env)
    sync.replay()
    report = sync.reconcile(WINDOW)
    assert report.clean
    assert report.not_in_oracle == 0
    assert report.expected_amount == report.oracle_amount > 0


def test_describe_repr_and_html(unmatched: tuple[Env, ShipmentSync]) -> None:
    _env, sync = unmatched
    report = sync.reconcile(WINDOW)
    lines = report.describe().splitlines()
    assert lines[0].endswith("(posting dates in UTC)")
    assert lines[1].startswith(f"{len(report.rows)} records: ")
    assert f"not yet in Oracle USD {report.not_in_oracle:,.2f}" in lines[2]
    assert lines[-1] == f"NOT clean: {len(report.problems())} differences"
    text = repr(report)
    assert text.startswith("<ReconciliationReport ") and len(text) < 160
    assert f"{len(report.problems())} differences" in text
    page = report._repr_html_()
    assert page.count("<tr>") == len(report.totals()) + 1
    assert "not in Oracle" in page


def test_dataframe_groups_sums_and_plots_exactly(unmatched: tuple[Env, ShipmentSync]) -> None:
    pandas = pytest.importorskip("pandas")
    _env, sync = unmatched
    report = sync.reconcile(WINDOW)
    frame = report.to_dataframe()
    assert str(frame["expected_minor"].dtype) == "int64"
    assert str(frame["gap_minor"].dtype) == "int64"
    assert pandas.api.types.is_datetime64_any_dtype(frame["day"])
    assert isinstance(frame["reason"].dtype, pandas.CategoricalDtype)
    assert set(frame["currency"]) == {"USD"}
    assert all(frame["warehouse_name"] != "")
    # Integer cents add up to the Decimal totals exactly.
    assert int(frame["gap_minor"].sum()) == int(report.not_in_oracle * 100)
    by_reason = frame.groupby("reason", observed=True)["gap_minor"].sum()
    assert int(by_reason["customer_unmatched"]) == int(report.not_in_oracle * 100)
    assert sum(frame["gap"], Decimal(0)) == report.not_in_oracle
