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
from rich.console import Console

from ml_connector._clock import Clock, SystemClock

__all__ = ["Runtime", "to_jsonable"]


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
        width: Columns of the stderr console (``None``: the terminal's own width).
        verbosity: ``-1`` errors only (``-q``), ``0`` warnings, ``1`` one line per request
            (``-v``), ``2`` debug (``-vv`` or ``--debug``).
        log_json: Log records as JSON Lines on stderr (``--log-format json``).
    """

    stdout: TextIO = attrs.field(factory=lambda: sys.stdout)
    stderr: TextIO = attrs.field(factory=lambda: sys.stderr)
    environ: Mapping[str, str] = attrs.field(factory=lambda: os.environ)
    clock: Clock = attrs.field(factory=SystemClock)
    transports: Mapping[str, httpx.BaseTransport] = attrs.field(factory=dict)
    cwd: Path = attrs.field(factory=Path.cwd)
    progress: bool | None = None
    width: int | None = None
    verbosity: int = 0
    log_json: bool = False
    _console: Console | None = attrs.field(default=None, init=False, repr=False)
    emitted: bool = attrs.field(default=False, init=False)
    _errors: list[str] = attrs.field(factory=list, init=False, repr=False)

    def console(self) -> Console:
        """The ``rich`` console on ``stderr`` (bars and log lines share it)."""
        if self._console is None:
            from ._console import make_console

            self._console = make_console(self)
        return self._console

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
        self.emitted = True

    def say(self, text: str = "") -> None:
        """Write a line of human output to ``stdout``."""
        self.stdout.write(text + "\n")

    def warn(self, text: str) -> None:
        """Write a line to ``stderr`` (through the console when a bar may be on screen)."""
        if self._console is not None:
            self._console.print(text, markup=False, highlight=False, soft_wrap=True)
        else:
            self.stderr.write(text + "\n")
        self._errors.append(text)

    def last_error(self) -> str:
        """The last line written with :meth:`warn`, without the ``ml-connector:`` prefix."""
        if not self._errors:
            return "failed (see stderr)"
        text = self._errors[-1].removeprefix("ml-connector: ")
        return text.removeprefix("error: ")


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
