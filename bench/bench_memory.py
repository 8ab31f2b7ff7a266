"""Memory: peak RSS of the sync's process for a window of 10x more orders.

Each size runs in a fresh Python process (``python -m bench._scenario N``) that holds the sync
only: the simulators (the generated day, every posted document, their request logs) live in a
child process of their own and answer over a pipe, as the real APIs would over the network
(see ``bench/_scenario.py``). The sync's process records its peak RSS with its clients built,
then runs the async sync with a SQLite audit trail and the bounded results policy
(``results="problems"``: failures and skips kept, the rest counted), and records the peak
again. The sync's cost is the difference; the baseline is the smaller size.
"""

from __future__ import annotations

from ._report import Result, Table
from ._scenario import cached_run


def _sizes(quick: bool) -> tuple[int, int]:
    return (1_000, 10_000) if quick else (10_000, 100_000)


def _mb(kb: int) -> str:
    return f"{kb / 1024:.0f} MB"


def run(quick: bool) -> Result:
    small, big = (cached_run(n) for n in _sizes(quick))
    rows = []
    for r in (small, big):
        grown = r.rss_peak_kb - r.rss_setup_kb
        rows.append(
            (
                f"{r.orders:,}",
                _mb(r.rss_setup_kb),
                _mb(r.rss_peak_kb),
                _mb(grown),
                f"{grown * 1024 / max(1, r.orders):,.0f} B",
                _mb(r.rss_simulators_kb),
                f"{r.real_seconds:,.0f} s",
            )
        )
    small_growth = max(1, small.rss_peak_kb - small.rss_setup_kb)
    big_growth = big.rss_peak_kb - big.rss_setup_kb
    scale = big.orders / small.orders
    growth = big_growth / small_growth
    peak_ratio = big.rss_peak_kb / max(1, small.rss_peak_kb)
    verdict = (
        f"{scale:.0f}x the orders took {growth:.1f}x the sync's memory increment "
        f"({'flat' if growth < 2 else 'not flat: it grows with the window'}); the sync's "
        f"process peaked at {big.rss_peak_kb / 1024:.0f} MB against "
        f"{small.rss_peak_kb / 1024:.0f} MB ({peak_ratio:.2f}x)."
    )
    return Result(
        title="Memory: peak RSS of the sync against window size",
        goal="flat: a 10x larger sync should not need 10x the memory (streaming).",
        tables=(
            Table(
                (
                    "orders",
                    "sync process before the run",
                    "after the run",
                    "sync's increment",
                    "per order",
                    "simulators' process (not the sync's)",
                    "real time",
                ),
                tuple(rows),
            ),
        ),
        notes=(
            "Peak RSS from `getrusage(RUSAGE_SELF)` (kilobytes on Linux) in the sync's own "
            "process; the simulators run in a child process, as the real APIs are elsewhere, "
            "so their data is not in these figures (their own peak is shown apart).",
            f'The job runs with `results="{big.results_policy}"`: failed and skipped records '
            "are kept in full in the summary, posted and already-posted ones only counted (the "
            'audit trail has them). With the default `"slim"`, each kept record adds about '
            "1.3 KB; `on_result` streams every record out instead.",
            "The job streams the window in chunks of 500 labels with bounded order and customer "
            "caches (filled by about 5,000 orders: at 1,000 orders they are about half full, "
            "which is most of the difference between the quick sizes); what still grows is the "
            "set of label ids seen in the run (8 bytes each) and the failures and skips kept "
            "(under 1 KB each). Traced with tracemalloc, the sync's Python objects peaked at "
            "23 MB (1k) and 48 MB (10k); at 10k about 17 MB of that is ShipStation orders and "
            "labels held (about 2,300 orders and 2,700 labels: the order cache's 2,000 and the "
            "split-order ledger), 4 MB Oracle customer look-ups and 3-5 MB response bodies that "
            "the benchmark's transport holds through their simulated latency; the rest of the "
            "RSS increment is memory the allocator keeps after it is freed.",
        ),
        verdict=verdict,
    )
