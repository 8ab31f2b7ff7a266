"""What the CLI draws on stderr: a ``rich`` progress bar, log lines above it, retries grouped.

- :class:`Progress` is a bar with counts, rate and ETA, as wide as the terminal. It draws only
  when stderr is a terminal (or the runtime says so) and never with ``--no-progress``.
- :class:`LogHandler` prints the library's log records on the same ``rich`` console, so a line
  goes above the bar instead of through it; with ``--log-format json`` each record is one JSON
  object per line (JSON Lines) for a log shipper.
- Retries are one line each (``retry 429 GET https://... (try 2 of 5), waiting 1.00 s``) and,
  at the end of the command, one grouped line: ``retried 87 requests: 429 x 40, 503 x 47``.

Results never go here: they are on stdout.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as _RichProgress
from rich.table import Column
from rich.text import Text

if TYPE_CHECKING:
    from ._runtime import Runtime

__all__ = ["LogHandler", "Progress", "make_console"]

# The core's retry line (_http.py): "retrying GET https://... after 429 (try 2 of 5) in 1.00 s".
_RETRY_TEXT = re.compile(
    r"retrying (?P<method>\S+) (?P<url>\S+) after (?P<status>\S+) "
    r"\(try (?P<attempt>\d+) of (?P<of>\d+)\) in (?P<delay>[\d.]+) s"
)
_RETRY_LINE = (
    "ml-connector: retry {status} {method} {url} (try {attempt} of {of}), waiting {delay:.2f} s"
)


def make_console(runtime: Runtime) -> Console:
    """The ``rich`` console on the runtime's stderr.

    It counts as a terminal when progress is shown (so the bar redraws in place); its width is
    the terminal's, or ``runtime.width`` when a test fixes it.
    """
    terminal = runtime.show_progress()
    real_tty = bool(getattr(runtime.stderr, "isatty", lambda: False)())
    return Console(
        file=runtime.stderr,
        force_terminal=terminal,
        color_system="auto" if real_tty else None,
        width=runtime.width,
        highlight=False,
        emoji=False,
        soft_wrap=True,
        log_time=False,
        log_path=False,
    )


class _RateColumn(ProgressColumn):
    """Records per second, from rich's own speed estimate."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.1f}/s")


class Progress:
    """A progress bar with counts, rate and ETA; silent when progress is off.

    Args:
        runtime: The command's runtime (its console, clock and progress switch).
        label: What is counted, e.g. ``"shipments"``.
    """

    def __init__(self, runtime: Runtime, label: str) -> None:
        self.enabled = runtime.show_progress()
        self.label = label
        self.updates = 0
        self.last: tuple[int, int | None, str] | None = None
        self._bar: _RichProgress | None = None
        self._task: Any = None
        if self.enabled:
            self._bar = _RichProgress(
                # The bar and the counts share what the terminal leaves (1 : 3); the counts
                # are cut with an ellipsis on a narrow terminal rather than wrapped.
                TextColumn("{task.description}", table_column=Column(no_wrap=True)),
                BarColumn(bar_width=None, table_column=Column(ratio=1, min_width=10)),
                MofNCompleteColumn(table_column=Column(no_wrap=True)),
                _RateColumn(table_column=Column(no_wrap=True)),
                TimeRemainingColumn(compact=True, elapsed_when_finished=True),
                TextColumn(
                    "{task.fields[detail]}",
                    table_column=Column(ratio=3, no_wrap=True, overflow="ellipsis"),
                ),
                console=runtime.console(),
                # The virtual clock in tests, the system's monotonic clock otherwise.
                get_time=runtime.clock.monotonic,
                auto_refresh=False,
                expand=True,
            )
            self._task = self._bar.add_task(label, total=None, detail="")
            self._bar.start()

    def update(self, done: int, total: int | None = None, detail: str = "") -> None:
        """Redraw with ``done`` of ``total`` (unknown total: a pulsing bar and a counter)."""
        if self._bar is None:
            return
        state = (done, total, detail)
        if state == self.last:
            return
        self.last = state
        self.updates += 1
        self._bar.update(self._task, completed=done, total=total, detail=detail)
        self._bar.refresh()

    def close(self) -> None:
        """Leave the final bar on screen and end its line (nothing when none was drawn)."""
        if self._bar is not None:
            self._bar.refresh()
            self._bar.stop()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class LogHandler(logging.Handler):
    """Library log records on the console, above any bar; retries one line each and counted.

    Args:
        console: The stderr console.
        json_lines: One JSON object per record instead of text.
    """

    def __init__(self, console: Console, *, json_lines: bool = False) -> None:
        super().__init__()
        self.console = console
        self.json_lines = json_lines
        self.retries: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            retry = self._retry(record)
            if self.json_lines:
                line = self._json(record, retry)
            elif retry is not None:
                line = _RETRY_LINE.format(**retry)
            else:
                line = f"ml-connector: {record.levelname}: {record.getMessage()}"
            self.console.print(line, markup=False, highlight=False, soft_wrap=True)
        except Exception:  # a log line must never end a run
            self.handleError(record)

    def _retry(self, record: logging.LogRecord) -> dict[str, Any] | None:
        # Read from the formatted text: the scrubbing filter has already formatted the record
        # (its arguments are gone) by the time a handler sees it.
        found = _RETRY_TEXT.fullmatch(record.getMessage())
        if found is None:
            return None
        self.retries[found["status"]] += 1
        return {
            "method": found["method"],
            "url": found["url"],
            "status": found["status"],
            "attempt": int(found["attempt"]),
            "of": int(found["of"]),
            "delay": float(found["delay"]),
        }

    def _json(self, record: logging.LogRecord, retry: dict[str, Any] | None) -> str:
        document: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if retry is not None:
            document["event"] = "retry"
            document.update(retry)
        return json.dumps(document, default=str)

    def grouped(self) -> str | None:
        """``retried 87 requests: 429 x 40, 503 x 47``, or ``None`` when nothing was retried."""
        if not self.retries:
            return None
        total = sum(self.retries.values())
        parts = ", ".join(f"{status} x {n}" for status, n in sorted(self.retries.items()))
        noun = "request" if total == 1 else "requests"
        return f"ml-connector: retried {total} {noun}: {parts}"
