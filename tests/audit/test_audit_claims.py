"""The claim contract, kept by the memory, SQLite and Postgres stores alike, and many processes.

Postgres runs on its own clock, so there a lease is let run out by waiting; the others use the
virtual clock.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from ml_connector import ConfigurationError
from ml_connector.audit import (
    ClaimStore,
    MemoryClaimStore,
    PostgresAuditSink,
    SqliteAuditSink,
    check_lease,
    new_owner_id,
)
from ml_connector.testing import VirtualClock

SHORT = timedelta(seconds=0.4)
LONG = timedelta(minutes=5)

Expire = Callable[[], None]


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def claims(
    request: pytest.FixtureRequest, tmp_path: Path, clock: VirtualClock
) -> Iterator[tuple[ClaimStore, Expire]]:
    """A claim store and a function that lets every SHORT lease run out."""
    if request.param == "memory":
        yield MemoryClaimStore(clock), lambda: clock.advance(1)
    elif request.param == "sqlite":
        sink = SqliteAuditSink(tmp_path / "trail.db", synchronous="NORMAL")
        sink.claims = type(sink.claims)(sink._db, clock)  # the same file, the virtual clock
        yield sink.claims, lambda: clock.advance(1)
        sink.close()
    else:
        url = request.getfixturevalue("postgres_url")
        schema = request.getfixturevalue("postgres_schema")
        pg = PostgresAuditSink(url, schema=schema)
        yield pg.claims, lambda: time.sleep(SHORT.total_seconds() + 0.1)
        pg.close()


def test_satisfies_the_protocol(claims: tuple[ClaimStore, Expire]) -> None:
    assert isinstance(claims[0], ClaimStore)


def test_a_free_key_is_taken_with_token_1(claims: tuple[ClaimStore, Expire]) -> None:
    store, _ = claims
    got = store.claim(["b", "a"], owner="w1", lease=LONG)
    assert [(c.key, c.token, c.taken_over) for c in got.held] == [("a", 1, False), ("b", 1, False)]
    assert got.busy == ()
    assert got.claim_of("a") is not None and got.claim_of("zz") is None


def test_a_key_held_by_a_live_worker_is_busy_for_others(claims: tuple[ClaimStore, Expire]) -> None:
    store, _ = claims
    store.claim(["a"], owner="w1", lease=LONG)
    other = store.claim(["a", "b"], owner="w2", lease=LONG)
    assert other.busy == ("a",)
    assert [c.key for c in other.held] == ["b"]
    again = store.claim(["a"], owner="w1", lease=LONG)  # the holder renews: same token
    assert [(c.key, c.token) for c in again.held] == [("a", 1)]


def test_a_released_key_changes_hands_without_a_takeover(
    claims: tuple[ClaimStore, Expire],
) -> None:
    store, _ = claims
    first = store.claim(["a"], owner="w1", lease=LONG).held
    store.release(first)
    second = store.claim(["a"], owner="w2", lease=LONG).held
    assert [(c.token, c.taken_over) for c in second] == [(2, False)]


def test_an_expired_claim_is_taken_over_and_flagged_for_a_lookup(
    claims: tuple[ClaimStore, Expire],
) -> None:
    store, expire = claims
    first = store.claim(["a"], owner="w1", lease=SHORT).held
    expire()
    second = store.claim(["a"], owner="w2", lease=LONG).held
    assert [(c.owner, c.token, c.taken_over) for c in second] == [("w2", 2, True)]
    # Fencing: the paused first holder learns it lost the key before it posts.
    assert store.renew(first, lease=LONG) == []
    assert [c.token for c in store.renew(second, lease=LONG)] == [2]
    # Its late release changes nothing.
    store.release(first)
    assert store.claim(["a"], owner="w3", lease=LONG).busy == ("a",)


def test_renewal_keeps_a_lease_alive(claims: tuple[ClaimStore, Expire]) -> None:
    store, _ = claims
    first = store.claim(["a"], owner="w1", lease=SHORT).held
    renewed = store.renew(first, lease=LONG)
    assert [c.token for c in renewed] == [1]
    assert renewed[0].expires_at > first[0].expires_at
    assert store.claim(["a"], owner="w2", lease=LONG).busy == ("a",)


def test_an_expired_but_untaken_claim_can_still_be_renewed(
    claims: tuple[ClaimStore, Expire],
) -> None:
    store, expire = claims
    first = store.claim(["a"], owner="w1", lease=SHORT).held
    expire()
    assert [c.token for c in store.renew(first, lease=LONG)] == [1]


def test_a_renewal_of_many_keeps_only_the_claims_still_held(
    claims: tuple[ClaimStore, Expire],
) -> None:
    """One renewal of several claims: the live ones renewed (in the order given, nothing else
    about them changed), a released one and one taken over lost and left as they are."""
    store, expire = claims
    gone = store.claim(["taken"], owner="w1", lease=SHORT).held
    expire()
    store.claim(["taken"], owner="w2", lease=LONG)
    held = store.claim(["b", "a", "freed"], owner="w1", lease=SHORT).held
    freed = [c for c in held if c.key == "freed"]
    store.release(freed)
    renewed = store.renew([*gone, *held], lease=LONG)
    assert [(c.key, c.owner, c.token, c.taken_over) for c in renewed] == [
        (c.key, c.owner, c.token, c.taken_over) for c in held if c.key != "freed"
    ]
    assert all(c.expires_at > held[0].expires_at for c in renewed)
    expire()  # the short leases would have run out; the renewed ones hold
    outcome = store.claim(["a", "b", "freed", "taken"], owner="w3", lease=LONG)
    assert sorted(outcome.busy) == ["a", "b", "taken"]
    assert [c.key for c in outcome.held] == ["freed"]


def test_empty_calls_do_nothing(claims: tuple[ClaimStore, Expire]) -> None:
    store, _ = claims
    outcome = store.claim([], owner="w1", lease=LONG)
    assert outcome.held == () and outcome.busy == ()
    assert store.renew([], lease=LONG) == []
    store.release([])


def test_a_lease_must_be_positive(claims: tuple[ClaimStore, Expire]) -> None:
    with pytest.raises(ConfigurationError):
        claims[0].claim(["a"], owner="w1", lease=timedelta(0))


def test_a_lease_shorter_than_a_request_is_refused() -> None:
    check_lease(timedelta(seconds=91), request_timeout=30, attempts=3)
    with pytest.raises(ConfigurationError, match="longer than the request timeout"):
        check_lease(timedelta(seconds=60), request_timeout=30, attempts=3)


def test_owner_ids_are_unique() -> None:
    assert new_owner_id() != new_owner_id()


# -- many processes -----------------------------------------------------------------------------

WORKER = """
import random, sys
from datetime import timedelta
from ml_connector._clock import SystemClock
from ml_connector.audit import (PostgresAuditSink, RecordRef, SqliteAuditSink, Stage, new_event,
    new_owner_id)

kind, where, schema, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
sink = SqliteAuditSink(where) if kind == "sqlite" else PostgresAuditSink(where, schema=schema)
owner, lease, rng = new_owner_id(), timedelta(seconds=30), random.Random(seed)
keys = [f"K{n}" for n in range(40)]
for _ in range(12):
    batch = rng.sample(keys, 10)
    outcome = sink.claims.claim(batch, owner=owner, lease=lease)
    refs = {c.key: RecordRef("shipstation", "shipment", c.key) for c in outcome.held}
    done = {e.record.id for e in sink.latest(records=list(refs.values()))
            if e.stage is Stage.POSTED}
    for claim in outcome.held:
        if claim.key in done or not sink.claims.renew([claim], lease=lease):
            continue
        print(claim.key, flush=True)  # "posted"
        sink.write(new_event(SystemClock(), correlation_id=owner, record=refs[claim.key],
                             stage=Stage.POSTED))
    sink.claims.release(outcome.held)
sink.close()
"""


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_four_processes_post_every_key_at_most_once(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if kind == "postgres":
        where = request.getfixturevalue("postgres_url")
        schema = request.getfixturevalue("postgres_schema")
        PostgresAuditSink(where, schema=schema).close()  # schema ready before the race
    else:
        where, schema = str(tmp_path / "trail.db"), "-"
        SqliteAuditSink(where).close()
    workers = [
        # Our own interpreter running our own script: no untrusted input.
        subprocess.Popen(  # noqa: S603
            [sys.executable, "-c", WORKER, kind, where, schema, str(seed)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in range(4)
    ]
    posted: Counter[str] = Counter()
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        posted.update(out.split())
    assert posted, "no worker posted anything"
    assert max(posted.values()) == 1, [k for k, n in posted.items() if n > 1]


def test_on_one_machine_a_dead_processs_claim_is_taken_over_at_once(tmp_path: Path) -> None:
    path = tmp_path / "trail.db"
    SqliteAuditSink(path).close()
    holder = (
        "import sys; from datetime import timedelta; from ml_connector.audit import *;"
        "s = SqliteAuditSink(sys.argv[1]);"
        "s.claims.claim(['k'], owner=new_owner_id(), lease=timedelta(hours=1)); s.close()"
    )
    # Our own interpreter running our own one-liner: no untrusted input.
    subprocess.run([sys.executable, "-c", holder, str(path)], check=True)  # noqa: S603
    with SqliteAuditSink(path) as sink:
        got = sink.claims.claim(["k"], owner=new_owner_id(), lease=LONG)
        assert [(c.token, c.taken_over) for c in got.held] == [(2, True)]
        # A live holder's claim is still respected, whatever its process.
        assert sink.claims.claim(["k"], owner="someone-else", lease=LONG).busy == ("k",)
