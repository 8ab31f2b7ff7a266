"""Run every benchmark and write ``docs/benchmarks.md``.

Usage::

    python -m bench            # full run (100k-order sizes included; over an hour on 2 cores)
    python -m bench --quick    # 1k and 10k orders: about 20 minutes on 2 shared cores
    python -m bench --only cpu ratelimit --output -   # some benchmarks, Markdown to stdout

Each benchmark measures its own baseline in the same run and reports a ratio against it, so
the figures compare like with like on whatever machine runs them.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from ._report import Result

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "docs" / "benchmarks.md"

# name -> module in this package exposing ``run(quick: bool) -> Result``
BENCHMARKS: dict[str, str] = {
    "calls": "bench_calls",
    "ratelimit": "bench_ratelimit",
    "cpu": "bench_cpu",
    "memory": "bench_memory",
    "e2e": "bench_e2e",
    "listing": "bench_listing",
    "scaling": "bench_scaling",
}

INTRO = """\
# Benchmarks

Every figure below sits next to a baseline measured **in the same run, on the same machine**,
and the ratio between them, so the numbers compare like with like. Network behaviour
(latency, rate-limit windows, faults) is simulated by `ml_connector.testing` on a virtual clock,
with the latency profile of a real Fusion pod (see "End to end"); CPU and memory figures are
real. The sync benchmarks run on a day generated in realistic mode (ShipStation lists in its
real order, creation date).

Regenerate this page with:

```console
python -m bench            # full run: 1k, 10k and 100k orders (over an hour on 2 cores)
python -m bench --quick    # 1k and 10k orders (about 20 minutes on 2 shared cores)
```
"""


def _audit_section(quick: bool) -> str:
    script = Path(__file__).resolve().parent / "bench_audit.py"
    args = [sys.executable, str(script)] + (["--quick"] if quick else [])
    done = subprocess.run(args, capture_output=True, text=True, check=False, cwd=ROOT)
    text = done.stdout.strip() or done.stderr.strip()
    return (
        "## Audit trail sinks\n\n"
        "Written by `bench/bench_audit.py` (the audit trail's own benchmark): every sink "
        "against plain `sqlite3` inserts and plain file appends of the same events.\n\n"
        f"```text\n{text}\n```\n"
    )


def _run_one(name: str, quick: bool) -> tuple[str, float]:
    started = time.perf_counter()
    module = importlib.import_module(f"bench.{BENCHMARKS[name]}")
    runner: Callable[[bool], Result] = module.run
    result = runner(quick)
    return result.markdown(), time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="CI sizes (about a minute)")
    parser.add_argument(
        "--only", nargs="+", choices=[*BENCHMARKS, "audit"], help="run only these benchmarks"
    )
    parser.add_argument(
        "--output", default=str(DEFAULT_OUTPUT), help="Markdown file to write ('-' for stdout)"
    )
    args = parser.parse_args(argv)
    names = args.only or [*BENCHMARKS, "audit"]
    started = time.perf_counter()
    sections: list[str] = []
    timings: list[str] = []
    for name in names:
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        if name == "audit":
            t0 = time.perf_counter()
            sections.append(_audit_section(args.quick))
            elapsed = time.perf_counter() - t0
        else:
            try:
                section, elapsed = _run_one(name, args.quick)
            except ImportError as exc:
                # A benchmark whose subject is not in this tree yet is reported, not hidden.
                section, elapsed = f"## {name}\n\nNot run: {exc}.\n", 0.0
            sections.append(section)
        timings.append(f"{name} {elapsed:.1f} s")
        print(f"bench: {name} done in {elapsed:.1f} s", file=sys.stderr, flush=True)
    total = time.perf_counter() - started
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    header = (
        f"{INTRO}\n"
        f"Last run: {stamp}, {'quick' if args.quick else 'full'} mode, Python "
        f"{platform.python_version()} on {platform.system()} {platform.machine()} with "
        f"{os.cpu_count()} CPUs; {total:.0f} s in all ({', '.join(timings)}).\n"
    )
    page = header + "\n" + "\n".join(sections)
    if args.output == "-":
        sys.stdout.write(page)
    else:
        Path(args.output).write_text(page, encoding="utf-8")
        print(f"bench: wrote {args.output} in {total:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
