"""What a benchmark returns, and how the runner renders it as Markdown."""

from __future__ import annotations

import attrs


@attrs.frozen
class Table:
    """One Markdown table: a header row and rows of already formatted cells."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def markdown(self) -> str:
        lines = [
            "| " + " | ".join(self.header) + " |",
            "|" + "|".join("---" for _ in self.header) + "|",
        ]
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        return "\n".join(lines)


@attrs.frozen
class Result:
    """A benchmark's outcome: a section of the benchmarks page.

    Attributes:
        title: Section heading.
        goal: The goal stated in the issue, in one sentence.
        tables: The figures, each row naming its baseline and the ratio.
        notes: How it was measured (what the baseline is, what is simulated).
        verdict: One line: met or not, with the deciding number.
    """

    title: str
    goal: str
    tables: tuple[Table, ...]
    notes: tuple[str, ...] = ()
    verdict: str = ""

    def markdown(self) -> str:
        parts = [f"## {self.title}", "", f"**Goal:** {self.goal}", ""]
        if self.verdict:
            parts += [f"**Result:** {self.verdict}", ""]
        for table in self.tables:
            parts += [table.markdown(), ""]
        parts += [f"- {note}" for note in self.notes]
        return "\n".join(parts).rstrip() + "\n"


def ratio(value: float, baseline: float) -> str:
    """``value / baseline`` as ``"2.31x"`` (``"-"`` when the baseline is zero)."""
    return f"{value / baseline:.2f}x" if baseline else "-"
