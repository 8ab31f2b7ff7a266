"""The sync jobs' steps: one job body for the blocking and the asyncio twins.

A job is written once as a flow (see :mod:`ml_connector._flow`, the one engine) that yields the
calls it needs and receives their results. The flow never touches a socket: :func:`run_flow`
drives it with blocking clients and :func:`arun_flow` with async clients, so both twins make
exactly the same decisions.

Three kinds of step:

- :class:`Call` names one of the job's clients, a method of that client's Protocol (the
  function itself, never its name as a string) and its arguments; build one with the typed
  builders of :mod:`._protocols` (``shipstation_call(ShipStationReader.get_order, order_id)``),
  so mypy checks the method and its arguments. The driver calls the method of that name on the
  client the job was given (the blocking or the async one).
  ``collect=True`` turns an ``iter_*`` result (an iterator or async iterator) into a list.
  A :class:`~ml_connector.ConnectorError` raised by the call is thrown into the flow.
- :class:`Fanout` runs independent sub-flows and returns their results in order: one after the
  other in the blocking driver, concurrently in the async driver (at most ``concurrency`` calls
  in flight at once). Sub-flows must handle their own errors.
- :class:`Take` reads the next items of a :class:`Cursor` (a lazily opened ``iter_*`` call):
  a flow streams a long listing chunk by chunk instead of collecting it whole. An empty list
  means the listing is exhausted.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Generator, Mapping, Sequence
from typing import Any, TypeVar

import attrs

from ml_connector._collector import pausing
from ml_connector._flow import adrive, drive

__all__ = ["Call", "Cursor", "Fanout", "Flow", "Step", "Take", "arun_flow", "run_flow"]

T = TypeVar("T")


@attrs.frozen
class Call:
    """One client call a flow asks for.

    Built by the typed builders of :mod:`._protocols` (``oracle_call(OracleWriter.find_invoice,
    key)``), not by hand.

    Attributes:
        client: Which of the job's clients: ``"shipstation"``, ``"shipstation_v2"``,
            ``"oracle"`` or ``"annotator"``.
        function: The Protocol's method (its name is the same on both twins).
        args: Positional arguments.
        kwargs: Keyword arguments.
        collect: The method returns an iterator; collect it into a list.
    """

    client: str
    function: Callable[..., object] = attrs.field(validator=attrs.validators.is_callable())
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = attrs.field(factory=dict)
    collect: bool = False

    @property
    def method(self) -> str:
        """The name of the method called on the client."""
        return self.function.__name__


@attrs.frozen
class Fanout:
    """Independent sub-flows whose results come back as a list, in order."""

    flows: tuple[Generator[Any, Any, Any], ...]


@attrs.define(eq=False)
class Cursor:
    """A listing read lazily: ``call`` (an ``iter_*`` method) is opened by the first :class:`Take`.

    The driver keeps the open iterator here, so a cursor belongs to one run of one driver;
    sub-flows may share it, and the driver closes it when the whole run finishes.
    """

    call: Call
    iterator: Any = None
    exhausted: bool = False


@attrs.frozen
class Take:
    """Up to ``count`` next items of ``cursor``; an empty list once it is exhausted."""

    cursor: Cursor
    count: int


Step = Call | Fanout | Take
Flow = Generator[Step, Any, T]
"""A job body: yields steps, receives their results, returns its outcome."""


def _target(clients: Mapping[str, Any], call: Call) -> Any:
    client = clients.get(call.client)
    if client is None:
        raise RuntimeError(f"the job has no {call.client} client for {call.method}")
    return getattr(client, call.method)


def run_flow(flow: Flow[T], clients: Mapping[str, Any]) -> T:
    """Drive ``flow`` with blocking clients."""
    opened: list[Cursor] = []
    try:
        return _run(flow, clients, opened)
    finally:
        for cursor in opened:
            close = getattr(cursor.iterator, "close", None)
            if close is not None:
                close()


def _run(flow: Flow[T], clients: Mapping[str, Any], opened: list[Cursor]) -> T:
    def perform(step: Step) -> Any:
        if isinstance(step, Fanout):
            return [_run(sub, clients, opened) for sub in step.flows]
        if isinstance(step, Take):
            return _take(step, clients, opened)
        result = _target(clients, step)(*step.args, **step.kwargs)
        return list(result) if step.collect else result

    return drive(flow, perform)


async def arun_flow(
    flow: Flow[T], clients: Mapping[str, Any], limit: asyncio.Semaphore | None = None
) -> T:
    """Drive ``flow`` with async clients; :class:`Fanout` sub-flows run concurrently.

    ``limit`` bounds how many client calls are in flight at once across all sub-flows (the
    semaphore is held only around a call, never around a sub-flow, so nesting cannot deadlock).
    """
    opened: list[Cursor] = []
    try:
        return await _arun(flow, clients, limit, opened)
    finally:
        # A listing read only in part (the order list, once every order was found) is closed
        # here, inside the event loop, rather than left to the garbage collector.
        for cursor in opened:
            aclose = getattr(cursor.iterator, "aclose", None)
            if aclose is not None:
                await aclose()


async def _arun(
    flow: Flow[T],
    clients: Mapping[str, Any],
    limit: asyncio.Semaphore | None,
    opened: list[Cursor],
    first: Step | None = None,
) -> T:
    async def perform(step: Step) -> Any:
        if isinstance(step, Fanout):
            return await _fanout(step, clients, limit, opened)
        if isinstance(step, Take):
            return await _atake(step, clients, limit, opened)
        return await _acall(step, clients, limit)

    return await adrive(flow, perform, first)


async def _fanout(
    step: Fanout,
    clients: Mapping[str, Any],
    limit: asyncio.Semaphore | None,
    opened: list[Cursor],
) -> list[Any]:
    results, started = _first_steps(step.flows)
    if not started:
        return results
    # A TaskGroup cancels the siblings if one sub-flow raises (an audit write failed): the
    # run stops rather than carrying on without a trail.
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [
                (index, group.create_task(_arun(sub, clients, limit, opened, first)))
                for index, sub, first in started
            ]
    except BaseExceptionGroup as failed:
        # The error itself escapes (an AuditError, as from the blocking driver), not a group.
        raise _first_error(failed) from None
    for index, task in tasks:
        results[index] = task.result()
    return results


@pausing  # a flow does no I/O: up to its first step it only computes (ml_connector._collector)
def _first_steps(
    flows: Sequence[Flow[Any]],
) -> tuple[list[Any], list[tuple[int, Flow[Any], Step]]]:
    """Each sub-flow run here, in order, up to its first step, as its task would run it
    first: the results of those that ended without a step (their look-ups answered in bulk
    before: most of a chunk's records; no task, coroutine or context is made for them), and
    the others with their first step."""
    results: list[Any] = [None] * len(flows)
    started: list[tuple[int, Flow[Any], Step]] = []
    try:
        for index, sub in enumerate(flows):
            try:
                first = next(sub)
            except StopIteration as stop:
                results[index] = stop.value
            else:
                started.append((index, sub, first))
    except BaseException:
        # As a TaskGroup cancels the siblings of a sub-flow that raised: none goes on.
        for _, sub, _ in started:
            sub.close()
        raise
    return results, started


def _first_error(group: BaseExceptionGroup[BaseException]) -> BaseException:
    first = group.exceptions[0]
    return _first_error(first) if isinstance(first, BaseExceptionGroup) else first


async def _acall(call: Call, clients: Mapping[str, Any], limit: asyncio.Semaphore | None) -> Any:
    method = _target(clients, call)
    if limit is None:
        return await _invoke(method, call)
    async with limit:
        return await _invoke(method, call)


async def _invoke(method: Any, call: Call) -> Any:
    result = method(*call.args, **call.kwargs)
    if call.collect:
        return [item async for item in result]
    return await result


def _take(step: Take, clients: Mapping[str, Any], opened: list[Cursor]) -> list[Any]:
    cursor = step.cursor
    if cursor.exhausted:
        return []
    if cursor.iterator is None:
        call = cursor.call
        cursor.iterator = iter(_target(clients, call)(*call.args, **call.kwargs))
        opened.append(cursor)
    items = list(itertools.islice(cursor.iterator, step.count))
    cursor.exhausted = len(items) < step.count
    return items


async def _atake(
    step: Take, clients: Mapping[str, Any], limit: asyncio.Semaphore | None, opened: list[Cursor]
) -> Any:
    cursor = step.cursor
    if cursor.exhausted:
        return []
    if cursor.iterator is None:
        call = cursor.call
        cursor.iterator = aiter(_target(clients, call)(*call.args, **call.kwargs))
        opened.append(cursor)
    items: list[Any] = []
    done = object()
    while len(items) < step.count:
        if limit is None:
            item = await anext(cursor.iterator, done)
        else:
            async with limit:
                item = await anext(cursor.iterator, done)
        if item is done:
            cursor.exhausted = True
            break
        items.append(item)
    return items
