"""Test helpers for users of ml-connector: simulators, a virtual clock, data generators.

Everything here runs in-process with no network, so a host application can test its own sync
loop offline, in milliseconds.
"""

from ._clock import VirtualClock

__all__ = ["VirtualClock"]
