"""Posted records carry the mapping's explanation wherever something reads it (plans build it
only when read): kept results under ``results="all"`` and every result ``on_result`` sees."""

from __future__ import annotations

from ml_connector.sync import Outcome, RecordResult

from ._env import DAY_END, DAY_START, make_env
from .test_shipments import make_sync

WINDOW = (DAY_START, DAY_END)


def _explained(result: RecordResult) -> bool:
    return bool(result.explanation) and all(isinstance(s, str) for s in result.explanation)


def test_all_keeps_every_posted_records_explanation() -> None:
    summary = make_sync(make_env(), results="all").run(WINDOW)
    posted = [r for r in summary.results if r.outcome is Outcome.POSTED]
    assert posted and all(_explained(r) for r in posted)
    assert any("posting key" in step for step in posted[0].explanation)


def test_on_result_sees_every_posted_records_explanation_whatever_is_kept() -> None:
    seen: list[RecordResult] = []
    summary = make_sync(make_env(), results="problems", on_result=seen.append).run(WINDOW)
    posted = [r for r in seen if r.outcome is Outcome.POSTED]
    assert posted and len(posted) == summary.posted
    assert all(_explained(r) for r in posted)
    assert not [r for r in summary.results if r.outcome is Outcome.POSTED]
