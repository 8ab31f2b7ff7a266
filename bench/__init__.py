"""ml-connector benchmarks: every figure next to a baseline measured in the same run.

Run ``python -m bench`` (full) or ``python -m bench --quick`` (CI, about a minute); the runner
writes ``docs/benchmarks.md``.
"""
