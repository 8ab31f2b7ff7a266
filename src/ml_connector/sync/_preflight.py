"""Preflight: check the mapping against Oracle before anything is posted, every problem at once.

Checked, all read-only:

- every account combination the mapping can produce (each purpose at each warehouse, with and
  without each store's overrides) exists in Oracle's ``accountCombinationsLOV`` and is enabled;
- every customer account the configuration names (explicit customer mappings, store default
  accounts) exists, with the configured bill-to site;
- the tenant's metadata: ``/describe`` of every resource used shows every attribute the
  connector filters on as existing and queryable, every attribute it posts as existing, and the
  finders it uses as defined (:mod:`ml_connector.oracle._describe`);
- the configuration itself where it would break exactly-once: inventory look-ups need the
  posting key in ``TransactionReference`` (the key processed movements keep).
- the catalog, when :meth:`ShipmentSync.preflight() <ml_connector.sync.ShipmentSync.preflight>`
  is asked: every ShipStation product's SKU mapped through ``[items]`` and looked up in Oracle's
  item master in each inventory organization the mapping uses (the catalog check,
  :mod:`._catalog`), each finding listed as a ``catalog`` problem. The run's own preflight
  leaves the catalog to the per-chunk gate, which fails only the records that carry such a
  SKU: a product nobody ships does not stop the run.

An outage while checking (timeout, refused connection, 5xx, 429 after the retries) is raised as
an :class:`~ml_connector.OutageError` whose ``cause`` is the transport or server error: it says
nothing about the configuration, so it is never reported as a problem.

A run starts with the preflight unless told not to, and refuses to post when it finds a problem:
a wrong account would otherwise fail every record one by one, or post to the wrong place.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from ml_connector._errors import (
    ConfigurationError,
    ConnectorError,
    MappingError,
    OutageError,
    RateLimitError,
    ServerError,
    TransportError,
)
from ml_connector.mapping import AccountPurpose, MappingConfig, account_for
from ml_connector.oracle import CustomerAccount, TenantReport

from ._catalog import CatalogOptions, catalog_flow
from ._catalog_report import CatalogFinding, CatalogReport
from ._flow import Fanout, Flow
from ._protocols import OracleWriter, oracle_call

__all__ = [
    "PreflightError",
    "PreflightProblem",
    "PreflightReport",
    "catalog_preflight_flow",
    "preflight_flow",
]


@attrs.frozen
class PreflightProblem:
    """One thing that would make posting fail.

    Attributes:
        kind: ``account_combination``, ``customer_account``, ``tenant_metadata`` (the
            tenant's ``/describe``), ``configuration`` or ``catalog`` (a SKU the item master
            would refuse: unmapped, unknown, not enabled, another unit of measure).
        subject: The combination string, account number or SKU (``SKU in ORG``).
        message: What is wrong.
        used_by: Where the configuration uses it (``warehouses.10000 revenue``...).
    """

    kind: str
    subject: str
    message: str
    used_by: tuple[str, ...] = ()

    def __str__(self) -> str:
        where = f" (used by {', '.join(self.used_by[:4])}" if self.used_by else ""
        if len(self.used_by) > 4:
            where += f" and {len(self.used_by) - 4} more"
        return f"{self.kind} {self.subject}: {self.message}{where + ')' if where else ''}"


@attrs.frozen
class PreflightReport:
    """The preflight's findings.

    Attributes:
        problems: Every problem found.
        accounts_checked: Distinct account combinations checked.
        customers_checked: Distinct customer accounts checked.
        resources_described: Resources whose ``/describe`` was checked.
        skus_checked: ShipStation SKUs checked against the item master (0: the catalog was not
            checked).
        catalog: The catalog check's full report (prices included), when it ran.
    """

    problems: tuple[PreflightProblem, ...]
    accounts_checked: int
    customers_checked: int
    resources_described: int = 0
    skus_checked: int = 0
    catalog: CatalogReport | None = None

    @property
    def ok(self) -> bool:
        """No problem found."""
        return not self.problems

    def describe(self) -> str:
        """A readable summary, one problem a line."""
        head = (
            f"preflight: {self.accounts_checked} account combinations and "
            f"{self.customers_checked} customer accounts, "
            f"{self.resources_described} resources' metadata checked, "
            + (f"{self.skus_checked} SKUs in the item master, " if self.catalog is not None else "")
            + f"{len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}"
        )
        return "\n".join([head, *(f"  - {problem}" for problem in self.problems)])


class PreflightError(ConfigurationError):
    """The preflight found problems; ``report`` lists every one of them."""

    def __init__(self, report: PreflightReport) -> None:
        super().__init__(report.describe(), setting="mapping")
        self.report = report


def _combinations(config: MappingConfig) -> tuple[dict[str, list[str]], list[PreflightProblem]]:
    used: dict[str, list[str]] = {}
    problems: list[PreflightProblem] = []
    stores: list[str | None] = [None, *sorted(config.stores)]
    for warehouse_id in sorted(config.warehouses):
        for store_id in stores:
            for purpose in AccountPurpose:
                where = f"warehouses.{warehouse_id}" + (
                    f" stores.{store_id}" if store_id is not None else ""
                )
                try:
                    combination = account_for(config, purpose, warehouse_id, store_id)
                except MappingError as exc:
                    problems.append(
                        PreflightProblem(
                            "account_combination",
                            f"{where} {purpose.value}",
                            exc.message,
                        )
                    )
                    continue
                used.setdefault(combination, []).append(f"{where} {purpose.value}")
    return used, problems


def _customers(config: MappingConfig) -> dict[str, list[tuple[str, str | None]]]:
    """Account number -> [(where, configured site)]."""
    named: dict[str, list[tuple[str, str | None]]] = {}
    rules = config.customers
    for customer_id, (account, site) in sorted(rules.by_customer_id.items()):
        named.setdefault(account, []).append((f"customers.by_customer_id.{customer_id}", site))
    for username, (account, site) in sorted(rules.by_username.items()):
        named.setdefault(account, []).append((f"customers.by_username.{username}", site))
    for store_id, store in sorted(config.stores.items()):
        if store.customer_account:
            named.setdefault(store.customer_account, []).append(
                (f"stores.{store_id}.customer_account", store.customer_site)
            )
    return named


_OUTAGE = (OutageError, TransportError, ServerError, RateLimitError)
"""Errors that say Oracle could not answer, not that the configuration is wrong (``is_outage``)."""


def _check_combination(combination: str, used_by: Sequence[str]) -> Flow[PreflightProblem | None]:
    try:
        yield oracle_call(OracleWriter.validate_account_combination, combination)
    except _OUTAGE:
        raise
    except ConnectorError as exc:
        return PreflightProblem("account_combination", combination, exc.message, tuple(used_by))
    return None


def _check_customer(
    account: str, uses: Sequence[tuple[str, str | None]]
) -> Flow[list[PreflightProblem]]:
    where = tuple(name for name, _site in uses)
    try:
        found: CustomerAccount | None = yield oracle_call(
            OracleWriter.get_customer_account, account
        )
    except _OUTAGE:
        raise
    except ConnectorError as exc:
        return [PreflightProblem("customer_account", account, exc.message, where)]
    if found is None:
        return [PreflightProblem("customer_account", account, "does not exist in Oracle", where)]
    sites = {site.bill_to_site_number for site in found.sites}
    return [
        PreflightProblem(
            "customer_account",
            account,
            f"has no bill-to site {site} (it has {', '.join(sorted(sites)) or 'none'})",
            (name,),
        )
        for name, site in uses
        if site is not None and site not in sites
    ]


# What a shipment sync posts, per resource (attribute names on the wire). Inventory: every
# staged transaction the mapping builds (mapping/inventory.py); the organization, locator and
# mode only as configured.
_INVENTORY_POSTED = (
    "ItemNumber",
    "SubinventoryCode",
    "TransactionQuantity",
    "TransactionUnitOfMeasure",
    "TransactionDate",
    "TransactionTypeName",
    "SourceCode",
    "SourceHeaderId",
    "SourceLineId",
    "TransactionReference",
    "AccountCombination",
)
# Receivables: the header attributes every invoice and credit memo carries.
_INVOICE_POSTED = (
    "BusinessUnit",
    "TransactionSource",
    "TransactionType",
    "TransactionDate",
    "BillToCustomerNumber",
    "InvoiceCurrencyCode",
)
_CREDIT_MEMO_POSTED = (
    "BusinessUnit",
    "TransactionSource",
    "TransactionType",
    "TransactionDate",
    "BillToCustomerNumber",
    "CreditMemoCurrency",
)


def posted_attributes(config: MappingConfig) -> dict[str, tuple[str, ...]]:
    """The attributes a sync with ``config`` posts, per Oracle resource."""
    inventory = list(_INVENTORY_POSTED)
    kinds = {warehouse.inventory_organization_kind for warehouse in config.warehouses.values()}
    if "code" in kinds:
        inventory.append("OrganizationCode")
    if "name" in kinds:
        inventory.append("OrganizationName")
    if any(warehouse.locator for warehouse in config.warehouses.values()):
        inventory.append("LocatorName")
    if config.inventory.transaction_mode is not None:
        inventory.append("TransactionMode")
    return {
        "inventoryStagedTransactions": tuple(inventory),
        "receivablesInvoices": _INVOICE_POSTED,
        "receivablesCreditMemos": _CREDIT_MEMO_POSTED,
    }


def _configuration(config: MappingConfig) -> list[PreflightProblem]:
    problems = []
    if config.inventory.reference != "posting_key":
        # A processed movement is found in inventoryCompletedTransactions by the key it kept
        # (oracle/_inventory.py); an order number is shared by every line of the order.
        problems.append(
            PreflightProblem(
                "configuration",
                "inventory.reference",
                "must be posting_key: once Oracle processes a row, TransactionReference is the "
                "only key left to find it by, and an order number is shared by all its lines",
            )
        )
    return problems


def _check_tenant(config: MappingConfig, combinations: Sequence[str]) -> Flow[TenantReport]:
    report: TenantReport = yield oracle_call(
        OracleWriter.check_tenant, posted_attributes(config), combinations=tuple(combinations)
    )
    return report


def preflight_flow(config: MappingConfig) -> Flow[PreflightReport]:
    """Check ``config``'s accounts and customers, and the tenant's metadata, against Oracle
    (read-only).

    Raises:
        OutageError: Oracle was unavailable (no answer, a timeout, a 5xx, or a 429 after every
            retry); ``cause`` holds the transport or server error. Never a configuration problem.
    """
    try:
        report: PreflightReport = yield from _preflight_flow(config)
    except _OUTAGE as exc:
        if isinstance(exc, OutageError):
            raise
        raise OutageError.of(exc, system="oracle", step="preflight") from exc
    return report


def _preflight_flow(config: MappingConfig) -> Flow[PreflightReport]:
    """The checks (outages propagate as the transport or server error they are).

    Raises:
        TransportError: Oracle could not be reached (an outage, not a problem found).
        ServerError: Oracle answered 5xx after the retries (an outage).
        RateLimitError: Oracle kept answering 429 (an outage).
    """
    used, problems = _combinations(config)
    problems += _configuration(config)
    tenant = yield from _check_tenant(config, sorted(used))
    problems += [
        PreflightProblem(
            "tenant_metadata",
            problem.resource + (f".{problem.attribute}" if problem.attribute else ""),
            problem.message,
        )
        for problem in tenant.problems
    ]
    found = yield Fanout(
        tuple(_check_combination(combination, sorted(where)) for combination, where in used.items())
    )
    problems += [problem for problem in found if problem is not None]
    customers = _customers(config)
    per_account = yield Fanout(
        tuple(_check_customer(account, uses) for account, uses in sorted(customers.items()))
    )
    problems += [problem for group in per_account for problem in group]
    return PreflightReport(
        problems=tuple(problems),
        accounts_checked=len(used),
        customers_checked=len(customers),
        resources_described=len(tenant.resources),
    )


def _catalog_problem(finding: CatalogFinding) -> PreflightProblem:
    subject = finding.sku + (f" in {finding.organization}" if finding.organization else "")
    return PreflightProblem("catalog", subject, f"{finding.issue.value}: {finding.detail}")


def catalog_preflight_flow(
    report: PreflightReport,
    config: MappingConfig,
    options: CatalogOptions,
    *,
    framework_version: str = "4",
) -> Flow[PreflightReport]:
    """``report`` with the catalog check's findings (the ShipStation products) as problems.

    Raises:
        OutageError: ShipStation or Oracle was unavailable (``system`` says which); never a
            problem found.
    """
    try:
        catalog = yield from catalog_flow(
            config, options, None, framework_version=framework_version, outages=True
        )
    except _OUTAGE as exc:
        if isinstance(exc, OutageError):
            raise
        # The item master's outages are raised as OutageError already: this is the products.
        raise OutageError.of(exc, system="shipstation", step="preflight") from exc
    return attrs.evolve(
        report,
        problems=(*report.problems, *(_catalog_problem(f) for f in catalog.findings)),
        skus_checked=catalog.skus,
        catalog=catalog,
    )
