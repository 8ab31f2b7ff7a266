"""The one flow engine: a generator driven by a trampoline.

A *flow* is a generator that yields what it needs done (a *step*) and receives the answer, in
the style of ``httpx.Auth.auth_flow``. It decides everything and does no I/O, so one flow
serves a blocking and an asyncio twin: a *driver* performs each step and sends the result back
in, or throws the :class:`~ml_connector.ConnectorError` the step raised into the flow (where it
can be handled like any exception), until the flow returns. :func:`drive` performs the steps
blocking, :func:`adrive` awaits them. Each user brings its own steps and how to perform them:

- the Oracle and ShipStation clients yield a :class:`~ml_connector._http.Request` and receive
  its :class:`httpx.Response` (find-before-create, batches, pages are flows over requests);
- the sync jobs yield client calls, sub-flows run side by side and reads of a listing
  (:mod:`ml_connector.sync._flow`);
- audit replay yields calls to its replay target.

The engine sits in the core, beside ``_http`` and ``_retry``, not in ``sync``: the dependency
rule (``cli -> sync -> (shipstation, oracle, mapping, audit) -> core``) lets every subpackage
import the core, and forbids the clients and ``audit`` to import ``sync``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import Any, TypeVar

from ml_connector._errors import ConnectorError

__all__ = ["adrive", "drive"]

S = TypeVar("S")
T = TypeVar("T")


def drive(flow: Generator[S, Any, T], perform: Callable[[S], Any]) -> T:
    """Run ``flow`` to its end, performing each step it yields with ``perform``.

    A :class:`~ml_connector.ConnectorError` raised by ``perform`` is thrown into the flow; any
    other exception (a bug, an interrupt) ends it.
    """
    try:
        step = next(flow)
        while True:
            try:
                result = perform(step)
            except ConnectorError as exc:
                step = flow.throw(exc)
            else:
                step = flow.send(result)
    except StopIteration as stop:
        value: T = stop.value
        return value


async def adrive(
    flow: Generator[S, Any, T],
    perform: Callable[[S], Awaitable[Any]],
    first: S | None = None,
) -> T:
    """The awaited twin of :func:`drive`: each step's result is awaited.

    ``first``: the step ``flow`` has already yielded (a driver that started it to see whether
    it needs a step at all), performed first; by default the flow is started here.
    """
    try:
        step = next(flow) if first is None else first
        while True:
            try:
                result = await perform(step)
            except ConnectorError as exc:
                step = flow.throw(exc)
            else:
                step = flow.send(result)
    except StopIteration as stop:
        value: T = stop.value
        return value
