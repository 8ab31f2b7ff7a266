"""What a CLI command runs against: streams, environment, clock, transports, output mode.

The real command builds a :class:`Runtime` from the process (``sys.stdout``, ``os.environ``,
the system clock, real network). Tests build one with ``io.StringIO`` streams, a dict
environment, a virtual clock and the simulators' transports: that is the private hook through
which a command is tested end to end without a network.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any, TextIO

import attrs
import httpx

from ml_connector._clock import Clock, SystemClock

__all__ = ["Progress", "Runtime", "to_jsonable"]


@attrs.define
class Runtime:
    """The process around a command.

    Attributes:
        stdout: Results (human text, or one JSON document with ``--json``).
        stderr: Errors, warnings and progress bars.
        environ: Where credentials are read from.
        clock: Time source given to every client (a virtual clock in tests).
        transports: Transports by system (``"shipstation"``, ``"oracle"``); missing: network.
        cwd: The working directory (default paths are relative to it).
        progress: Show progress bars: ``None`` decides by whether ``stderr`` is a terminal.
    """

    stdout: TextIO = attrs.field(factory=lambda: sys.stdout)
    stderr: TextIO = attrs.field(factory=lambda: sys.stderr)
    environ: Mapping[str, str] = attrs.field(factory=lambda: os.environ)
    clock: Clock = attrs.field(factory=SystemClock)
    transports: Mapping[str, httpx.BaseTransport] = attrs.field(factory=dict)
    cwd: Path = attrs.field(factory=Path.cwd)
    progress: bool | None = None

    def transport(self, system: str) -> httpx.BaseTransport | None:
        """The injected transport for ``system``, or ``None`` for the real network."""
        return self.transports.get(system)

    def show_progress(self) -> bool:
        """Whether progress bars go to ``stderr``."""
        if self.progress is not None:
            return self.progress
        isatty = getattr(self.stderr, "isatty", None)
        return bool(isatty and isatty())

    def emit_json(self, document: Any) -> None:
        """Write one JSON document to ``stdout`` (Decimal as string, datetimes as ISO 8601)."""
        self.stdout.write(json.dumps(to_jsonable(document), indent=2, sort_keys=False) + "\n")

    def say(self, text: str = "") -> None:
        """Write a line of human output to ``stdout``."""
        self.stdout.write(text + "\n")

    def warn(self, text: str) -> None:
        """Write a line to ``stderr``."""
        self.stderr.write(text + "\n")


def to_jsonable(value: Any) -> Any:
    """``value`` with Decimals as strings (exact), datetimes/dates as ISO 8601, attrs as dicts."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    if attrs.has(type(value)):
        return {k: to_jsonable(v) for k, v in attrs.asdict(value, recurse=False).items()}
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    return value


class Progress:
    """A plain-text progress bar on ``stderr``, redrawn in place; silent when disabled.

    Args:
        stream: Where to draw (``stderr``).
        label: What is counted, e.g. ``"shipments"``.
        enabled: Draw at all (only when the stream is a terminal, normally).
        width: Characters of the bar itself.
    """

    def __init__(self, stream: TextIO, label: str, *, enabled: bool, width: int = 20) -> None:
        self._stream = stream
        self._label = label
        self._enabled = enabled
        self._width = width
        self._last = ""
        self.updates = 0

    def update(self, done: int, total: int | None = None, detail: str = "") -> None:
        """Redraw with ``done`` of ``total`` (unknown total: a counter without a bar)."""
        if not self._enabled:
            return
        if total:
            filled = min(self._width, self._width * done // total)
            bar = "#" * filled + "." * (self._width - filled)
            line = f"{self._label:<12} [{bar}] {done}/{total}"
        else:
            line = f"{self._label:<12} {done}"
        if detail:
            line = f"{line}  {detail}"
        if line == self._last:
            return
        self._last = line
        self.updates += 1
        self._stream.write("\r" + line.ljust(79)[:79])
        self._stream.flush()

    def close(self) -> None:
        """End the bar's line (nothing is written when no bar was drawn)."""
        if self._enabled and self._last:
            self._stream.write("\n")
            self._stream.flush()
            self._last = ""
