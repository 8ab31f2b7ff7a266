"""The one place the library touches the garbage collector: a pause around a bulk step.

CPython's cyclic collector runs after every 700 new container objects, and a full collection
(which walks every live container in the process) runs once the containers that survived two
collections reach a quarter of the heap that survived the last full one. Parsing a page of 500
orders, turning it into models and mapping its shipments allocate tens of thousands of
containers that are either kept (the models, the plans) or freed by reference counting when
the step ends (the parsed JSON), and none of which form a reference cycle. Collections during
such a step find nothing to free; they only promote the step's short-lived objects, which then
count towards the next full collection. On a 10,000-order day that was a fifth of the CPU of
decode and mapping (``bench/bench_cpu.py``).

:func:`pausing` wraps such a step: the collector is disabled for its duration and enabled again
after it, whatever happens, so the next allocation after the step collects as usual (nothing is
skipped, only put off to the end of the step). This is Mercurial's ``util.nogc``, and what
``timeit`` does while it times. A step is a synchronous call (never held across an ``await``
or a network wait) that allocates in proportion to one page or one record.

What such a step keeps lives on (a chunk's models and plans live until the chunk is posted),
and the collections after it would walk it twice, once young and once middle-aged, before it
reached the oldest generation, where it then counts towards the next full collection. On the
10,000-order benchmark day those walks were about a tenth of the whole sync's CPU, and they
find almost nothing: the young and middle collections of a whole run freed about 11,000
objects. So a step that leaves at least :data:`_SETTLE_AT` new containers behind settles them
after it (:func:`_settle`): ``gc.freeze()`` then ``gc.unfreeze()`` moves every object of the
young generations to the oldest one without walking it (CPython's documented pair: freeze
moves all objects to a permanent generation, unfreeze moves them back into the oldest). Freeze
also resets the collector's counters, so the interpreter's own full collection, which those
counters trigger, would not come while steps keep settling; the library runs it instead, by
CPython's own measure of "enough new": once the heap (``sys.getallocatedblocks()``) has grown
by a quarter (and at least :data:`_FULL_FLOOR` blocks) since the last full collection. A
reference cycle made anywhere in the process is found by that full collection, never missed,
only found later than the next young collection would have. Measured on the benchmark day:
collector CPU about 1.0 s -> 0.35 s, the sync's peak memory unchanged (95 MB). That needs
the sender's part: it frees each read response by reference counting (``_http.py``), where
httpx's cycle per response would have kept every body until the full collection (228 MB).

The collector is left alone when it is already disabled (the host's choice, or an outer pause),
and everywhere once a host calls :func:`set_collector_pauses` with ``False``: hosts that manage
the collector themselves (for example disabling it from another thread while a step runs,
which the end of the step would undo) turn the pauses off. Nothing is settled while the host
has frozen objects of its own (``gc.get_freeze_count()``, as a pre-forking server does): the
unfreeze would undo its freeze.
"""

from __future__ import annotations

import functools
import gc
import sys
from collections.abc import Callable
from typing import ParamSpec, TypeVar

__all__ = ["collector_pauses", "pausing", "set_collector_pauses"]

P = ParamSpec("P")
R = TypeVar("R")

_PAUSES = [True]
"""Whether :func:`pausing` pauses (one flag, read on every call)."""


def set_collector_pauses(enabled: bool) -> None:
    """Let the library pause the garbage collector around its bulk steps (the default), or not.

    With ``False`` the library never disables the collector; decoding and mapping then cost
    about a fifth more CPU on large days. Applies to every client and job in the process.
    """
    _PAUSES[0] = bool(enabled)


def collector_pauses() -> bool:
    """Whether the library pauses the garbage collector around its bulk steps."""
    return _PAUSES[0]


_isenabled = gc.isenabled
_disable = gc.disable
_enable = gc.enable


def pausing(step: Callable[P, R]) -> Callable[P, R]:
    """``step`` with the garbage collector paused while it runs (see the module's text)."""

    @functools.wraps(step)
    def paused(*args: P.args, **kwargs: P.kwargs) -> R:
        if not (_PAUSES[0] and _isenabled()):
            return step(*args, **kwargs)
        _disable()
        try:
            return step(*args, **kwargs)
        finally:
            try:
                _settle()
            finally:
                _enable()

    return paused


_SETTLE_AT = 2_000
"""New containers (``gc.get_count()[0]``) a step must leave behind to be settled: a page's,
a chunk's; one record's mapping (a few hundred) is collected as usual."""

_FULL_FLOOR = 20_000
"""Allocated blocks the heap must grow by, at least, before the library collects in full."""

_HEAP = [0]
"""``sys.getallocatedblocks()`` after the last full collection the library ran (0: none yet,
the first settle takes its measure)."""

_count = gc.get_count
_frozen = gc.get_freeze_count
_freeze = gc.freeze
_unfreeze = gc.unfreeze
_collect = gc.collect
_blocks = sys.getallocatedblocks


def _settle() -> None:
    """Move what the young generations hold into the oldest one, unwalked; collect in full
    when the heap has grown by a quarter since the last full collection (see the module)."""
    if _count()[0] < _SETTLE_AT or _frozen():
        return
    _freeze()
    _unfreeze()
    blocks = _blocks()
    last = _HEAP[0]
    if not last:
        _HEAP[0] = blocks
    elif blocks > last + max(_FULL_FLOOR, last // 4):
        _collect()
        _HEAP[0] = _blocks()
