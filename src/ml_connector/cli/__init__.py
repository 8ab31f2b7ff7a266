"""The ``ml-connector`` command line: :func:`main` is the console script's entry point.

Everything else in this package is private: ``_main`` parses arguments and dispatches,
``_config`` reads ``ml-connector.toml``, ``_session`` builds clients and the audit trail,
``_jobs``, ``_ping`` and ``_demo`` run the commands, ``_runtime`` holds the process's
streams, environment and clock so that tests can replace them.
"""

from ._main import main

__all__ = ["main"]
