"""``ml-connector catalog``: ShipStation's catalog checked against Oracle's item master.

A thin command over :class:`~ml_connector.sync.CatalogCheck`: the V1 products and the SKUs of a
window's orders (``--day`` or ``--since``/``--until``; products only without one), mapped
through the mapping's item rules and looked up in bulk per inventory organization. Prints
every unresolved SKU and the price drift (human text, or one JSON document with ``--json``).
Read-only on both sides. Exit code 1 when anything is unresolved, 0 otherwise.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any

from ml_connector.sync import CatalogCheck, CatalogOptions, CatalogReport

from ._config import CliConfig, System
from ._runtime import Runtime
from ._session import Session, parse_window

__all__ = ["add_catalog_parser", "render_catalog", "run_catalog"]

EXIT_OK = 0
EXIT_FAILURES = 1


def add_catalog_parser(
    sub: Any,
    parents: Sequence[argparse.ArgumentParser],
    with_config: Callable[[argparse.ArgumentParser], None],
    with_window: Callable[[argparse.ArgumentParser], None],
) -> None:
    """Register ``catalog`` on the command line's subparsers."""
    parser = sub.add_parser(
        "catalog",
        parents=list(parents),
        help="check ShipStation's SKUs against Oracle's item master (read-only)",
        description="Map the ShipStation products and the SKUs of a window's orders through "
        "the mapping's item rules, look them up in Oracle's item master per inventory "
        "organization, and report every SKU that is unmapped, unknown, not enabled or in "
        "another unit of measure, with the product price next to what the orders charged. "
        "Exit code 1 when anything is unresolved.",
    )
    with_config(parser)
    with_window(parser)
    parser.add_argument(
        "--no-products", action="store_true", help="only the window's orders, not the product list"
    )
    parser.add_argument(
        "--inactive-products", action="store_true", help="check inactive products too"
    )
    parser.add_argument(
        "--organization-attribute",
        default="OrganizationCode",
        metavar="NAME",
        help="itemsV2 attribute the mapping's inventory_organization values match "
        "(default OrganizationCode)",
    )


def render_catalog(runtime: Runtime, report: CatalogReport) -> None:
    """The summary, one line per finding, then the price drift."""
    for line in report.describe(limit=200).splitlines():
        runtime.say(line)


def run_catalog(config: CliConfig, runtime: Runtime, args: argparse.Namespace) -> int:
    """Run the check and print it; 1 when anything is unresolved."""
    mapping = config.require_mapping()
    window = parse_window(day=args.day, since=args.since, until=args.until, now=runtime.clock.now())
    options = CatalogOptions(
        organization_attribute=args.organization_attribute,
        products=not args.no_products,
        include_inactive_products=args.inactive_products,
    )
    with Session(config, runtime, [System.SHIPSTATION_V1, System.ORACLE]) as session:
        report = CatalogCheck(
            shipstation=session.shipstation_v1(),
            oracle=session.oracle(),
            mapping=mapping,
            options=options,
        ).run(window)
    if args.json:
        runtime.emit_json({"command": "catalog"} | report.as_dict())
    else:
        render_catalog(runtime, report)
    return EXIT_OK if report.ok else EXIT_FAILURES
