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

The collector is left alone when it is already disabled (the host's choice, or an outer pause),
and everywhere once a host calls :func:`set_collector_pauses` with ``False``: hosts that manage
the collector themselves (for example disabling it from another thread while a step runs,
which the end of the step would undo) turn the pauses off.
"""

from __future__ import annotations

import functools
import gc
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
            _enable()

    return paused
