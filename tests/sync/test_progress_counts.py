"""The progress a run counts: the same counts whether a callback reads them after each record
or nothing does until the end (then the records are only counted)."""

from __future__ import annotations

import random

from ml_connector.sync import Outcome, Progress
from ml_connector.sync._results import _Counter

OUTCOMES = [
    Outcome.POSTED,
    Outcome.ALREADY_POSTED,
    Outcome.SKIPPED,
    Outcome.FAILED,
    Outcome.WOULD_POST,
]


def test_counting_without_a_callback_gives_the_progress_a_callback_sees() -> None:
    rng = random.Random(3)
    for _ in range(50):
        seen: list[Progress] = []
        watched, quiet = _Counter(seen.append), _Counter(None)
        for step in range(rng.randint(0, 40)):
            roll = rng.random()
            for counter in (watched, quiet):
                if roll < 0.1:
                    counter.update(fetched=step)
                elif roll < 0.15:
                    counter.update(total=step * 2)
                else:
                    counter.record(OUTCOMES[int(roll * 100) % len(OUTCOMES)])
            if rng.random() < 0.2:
                assert quiet.progress == watched.progress
        assert quiet.progress == watched.progress
        assert not seen or seen[-1] == watched.progress


def test_each_record_reaches_the_callback_with_its_count() -> None:
    seen: list[Progress] = []
    counter = _Counter(seen.append)
    counter.record(Outcome.POSTED)
    counter.record(Outcome.FAILED)
    counter.update(total=5)
    assert [(p.posted, p.failed, p.total) for p in seen] == [(1, 0, None), (1, 1, None), (1, 1, 5)]
