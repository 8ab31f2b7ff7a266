"""The ``ml-connector`` command line.

Commands are thin wrappers over the library. Errors are one clear line on stderr (add
``--debug`` for the traceback); exit code 0 means success, 1 a failed run, 2 bad usage or config.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ._errors import ConnectorError
from ._version import __version__

__all__ = ["main"]


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ml-connector",
        description="ShipStation shipments, orders and inventory into Oracle Fusion Cloud ERP.",
    )
    parser.add_argument("--version", action="version", version=f"ml-connector {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the whole flow on built-in simulators")
    demo.add_argument("--requests", type=int, default=200, help="requests to send (default 200)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "demo":
            from ._demo import run_demo

            return run_demo(requests=args.requests, out=sys.stdout)
    except ConnectorError as exc:
        if args.debug:
            raise
        print(f"ml-connector: error: {exc}", file=sys.stderr)
        return 1
    parser.error(f"unknown command {args.command!r}")
    return 2  # pragma: no cover - parser.error exits
