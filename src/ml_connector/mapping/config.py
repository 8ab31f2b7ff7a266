"""The mapping configuration: how ShipStation warehouses, stores and SKUs meet Oracle.

:class:`MappingConfig` is frozen and validated once. Build it with
:meth:`MappingConfig.from_toml` (text), :func:`load_mapping_config` (a file) or
:meth:`MappingConfig.from_dict`. Loading checks everything at once and raises one
:class:`MappingConfigError` that lists every problem with its key path, e.g.
``warehouses.12345.cost_center: missing`` and ``receivables.currency: 'US$' is not an ISO 4217
code``, so a finance user fixes a file in one pass.

The TOML layout is documented with a full example in docs/mapping.md.
"""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Hashable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import attrs

from ml_connector._errors import ConfigurationError, MappingError
from ml_connector._toml import TomlChecker, join

from .accounts import REQUIRED_PURPOSES, AccountPurpose, SegmentTemplate, compose_segments

__all__ = [
    "CURRENCY_MINOR_UNITS",
    "ConfigProblem",
    "CustomerRules",
    "DateSettings",
    "InventorySettings",
    "ItemSettings",
    "MappingConfig",
    "MappingConfigError",
    "PostingKeyFormats",
    "ReceivablesSettings",
    "SkipRules",
    "StoreMapping",
    "WarehouseMapping",
    "load_mapping_config",
]

CURRENCY_MINOR_UNITS: Mapping[str, int] = MappingProxyType(
    {
        # ISO 4217 minor units (exponents) of the currencies a ShipStation seller is likely to
        # invoice in; any other code needs ``receivables.minor_unit``.
        "AED": 2, "AUD": 2, "BHD": 3, "BRL": 2, "CAD": 2, "CHF": 2, "CLP": 0, "CNY": 2,
        "CZK": 2, "DKK": 2, "EUR": 2, "GBP": 2, "HKD": 2, "HUF": 2, "IDR": 2, "ILS": 2,
        "INR": 2, "ISK": 0, "JOD": 3, "JPY": 0, "KRW": 0, "KWD": 3, "MXN": 2, "MYR": 2,
        "NOK": 2, "NZD": 2, "OMR": 3, "PHP": 2, "PLN": 2, "SAR": 2, "SEK": 2, "SGD": 2,
        "THB": 2, "TND": 3, "TRY": 2, "TWD": 2, "USD": 2, "VND": 0, "ZAR": 2,
    }
)  # fmt: skip

KEY_FIELDS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "invoice": frozenset({"shipment_id", "order_id", "order_number", "warehouse_id"}),
        "credit_memo": frozenset({"shipment_id", "order_id", "order_number", "warehouse_id"}),
        "inventory": frozenset({"shipment_id", "order_id", "order_number", "line"}),
        "inventory_reversal": frozenset({"shipment_id", "order_id", "order_number", "line"}),
        "adjustment": frozenset({"digest", "warehouse_id", "sku"}),
    }
)
"""Placeholders each posting-key format may use."""

# Worst-case sample values used to check at load time that every key fits ``max_length``:
# ShipStation ids are 32-bit integers (10 digits), a line number is at most 3 digits.
_KEY_SAMPLES: Mapping[str, str] = MappingProxyType(
    {
        "shipment_id": "9" * 10,
        "order_id": "9" * 10,
        "warehouse_id": "9" * 10,
        "line": "999",
        "digest": "f" * 12,
        "order_number": "",
        "sku": "",
    }
)

ACCOUNT_NUMBER_FIELDS = (
    "customer_username",
    "custom_field1",
    "custom_field2",
    "custom_field3",
)


@attrs.frozen
class ConfigProblem:
    """One problem found while loading: ``path`` is the dotted key path."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class MappingConfigError(ConfigurationError):
    """The mapping configuration has problems; ``problems`` lists every one of them."""

    def __init__(self, problems: tuple[ConfigProblem, ...]) -> None:
        lines = "\n".join(f"  - {problem}" for problem in problems)
        count = len(problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"mapping configuration has {count} {noun}:\n{lines}")
        self.problems = problems


def _frozen_map(value: Mapping[Any, Any]) -> Mapping[Any, Any]:
    return MappingProxyType(dict(value))


@attrs.frozen
class WarehouseMapping:
    """Where a ShipStation warehouse (ship-from location) posts in Oracle.

    Attributes:
        warehouse_id: The ShipStation V1 ``warehouseId`` (as text).
        business_unit: Oracle business unit name for AR invoices.
        inventory_organization: The Oracle inventory organization, as a code (``RNO``) or a
            name (``Reno Distribution Center``); ``inventory_organization_kind`` says which.
        inventory_organization_kind: ``code`` (sent as ``OrganizationCode``) or ``name``
            (sent as ``OrganizationName``). In the TOML, ``inventory_organization_code`` or
            ``inventory_organization_name``; a plain ``inventory_organization`` is a code.
        subinventory: Oracle subinventory code stock is issued from.
        cost_center: Value of the cost-center segment in every account of this warehouse.
        name: A label for people (explanations, reports).
        locator: Optional Oracle locator name.
        segments: Segment overrides for every account of this warehouse.
        accounts: Per-purpose segment overrides.
    """

    warehouse_id: str
    business_unit: str
    inventory_organization: str
    subinventory: str
    cost_center: str
    name: str = ""
    inventory_organization_kind: Literal["code", "name"] = "code"
    locator: str | None = None
    segments: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen_map)
    accounts: Mapping[AccountPurpose, Mapping[str, str]] = attrs.field(
        factory=dict, converter=_frozen_map
    )

    @property
    def label(self) -> str:
        """``name (id)`` or just the id."""
        return f"{self.name} ({self.warehouse_id})" if self.name else self.warehouse_id


@attrs.frozen
class StoreMapping:
    """Optional per-store (marketplace) overrides.

    Stock sits in a warehouse, so organization and subinventory stay per warehouse; what a
    store changes is who is billed and where revenue is booked.

    Attributes:
        store_id: The ShipStation ``storeId`` (as text).
        name: A label for people.
        business_unit: Overrides the warehouse's business unit for AR.
        cost_center: Overrides the warehouse's cost center.
        segments: Segment overrides for every account of this store.
        accounts: Per-purpose segment overrides.
        customer_account: Default Oracle customer account number (marketplace orders).
        customer_site: Bill-to site number for ``customer_account``.
        transaction_type: Overrides the AR transaction type.
        payment_terms: Overrides the AR payment terms.
    """

    store_id: str
    name: str = ""
    business_unit: str | None = None
    cost_center: str | None = None
    segments: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen_map)
    accounts: Mapping[AccountPurpose, Mapping[str, str]] = attrs.field(
        factory=dict, converter=_frozen_map
    )
    customer_account: str | None = None
    customer_site: str | None = None
    transaction_type: str | None = None
    payment_terms: str | None = None


@attrs.frozen
class ReceivablesSettings:
    """AR invoice and credit memo settings (header values Oracle looks up by name).

    Attributes:
        transaction_source: ``TransactionSource``; use one with manual numbering when the
            posting key is sent as ``TransactionNumber``.
        transaction_type: ``TransactionType`` of invoices.
        credit_memo_transaction_type: ``TransactionType`` of credit memos.
        payment_terms: ``PaymentTerms`` name, e.g. ``30 Net``.
        currency: ISO 4217 code, sent as ``InvoiceCurrencyCode``.
        minor_unit: Decimal places of ``currency``; every amount is rounded to it.
        credit_reason: ``CreditReason`` on credit memos (None: not sent).
        credit_memo_transaction_source: ``TransactionSource`` of credit memos (default: the
            invoices' source).
        key_field: Invoice attribute that carries the posting key: ``transaction_number``
            (needs a manually numbered source) or ``cross_reference``.
        item_numbers: Send ``ItemNumber`` and ``UnitOfMeasure`` on item lines (the items must
            exist in Oracle's item master); otherwise lines carry a description only.
        invoice_status: ``InvoiceStatus`` to send (e.g. ``Complete``); None leaves the default.
        freight_description / tax_description / discount_description: line descriptions
            (the freight description names a credit memo's freight line; tax_description
            and tax_memo_line are kept for configuration files written before tax lines).
        freight_memo_line / tax_memo_line / discount_memo_line: optional Oracle memo lines.
        account_classes: ``AccountClass`` value per distribution kind.
        tax_mode: ``tax_lines`` (default): the shipment's share of the order's tax goes in a
            manual tax line of each item line (``receivablesInvoiceLineTaxLines``), named by a
            Tax distribution through ``DetailedTaxLineNumber``, as Oracle documents it
            (https://docs.oracle.com/en/cloud/saas/financials/24c/farfa/Create_an_Invoice_with_Distributions_of_Type_Tax_Freight_Revenue_and_Receivables.html).
            ``oracle_tax``: no tax is sent; the tenant's Oracle Tax calculates it (from
            ``tax_classification_code`` and its own rules), so Oracle's invoice amount is
            ours plus the tax it works out.
        tax_regime_code / tax_rate_code: ``TaxRegimeCode`` / ``TaxRateCode`` of the manual tax
            lines (Oracle's examples send both).
        tax_classification_code: ``TaxClassificationCode`` of the item lines (None: not sent).
    """

    transaction_source: str
    transaction_type: str
    credit_memo_transaction_type: str
    payment_terms: str
    currency: str
    minor_unit: int
    credit_reason: str | None = None
    credit_memo_transaction_source: str | None = None
    key_field: Literal["transaction_number", "cross_reference"] = "transaction_number"
    item_numbers: bool = False
    invoice_status: str | None = None
    freight_description: str = "Shipping"
    tax_description: str = "Sales tax"
    discount_description: str = "Discount"
    freight_memo_line: str | None = None
    tax_memo_line: str | None = None
    discount_memo_line: str | None = None
    account_classes: Mapping[str, str] = attrs.field(
        factory=lambda: {
            "revenue": "Revenue",
            "receivable": "Receivable",
            "freight": "Freight",
            "tax": "Tax",
        },
        converter=_frozen_map,
    )
    tax_mode: Literal["tax_lines", "oracle_tax"] = "tax_lines"
    tax_regime_code: str | None = None
    tax_rate_code: str | None = None
    tax_classification_code: str | None = None


@attrs.frozen
class InventorySettings:
    """Inventory staged-transaction settings.

    Attributes:
        issue_transaction_type: ``TransactionTypeName`` of a shipment's issue.
        receipt_transaction_type: ``TransactionTypeName`` reversing a voided shipment.
        adjustment_issue_type: Type for a count decrease not explained by shipments.
        adjustment_receipt_type: Type for a count increase.
        issue_sign: ``negative``: issues carry a negative ``TransactionQuantity`` (Oracle's
            usual convention); ``positive``: the transaction type gives the direction.
        source_code: ``SourceCode`` naming ShipStation as the source.
        transaction_mode: ``TransactionMode``: ``"1"`` (Online, the default: the one code
            real integrations are seen sending, and the mode whose 2xx answer proves the row
            was processed, "processed synchronously"); ``"2"``/``"3"`` (Concurrent/Background,
            UNCERTAIN codes; the rows are then reported ``pending_in_oracle`` until found
            processed). Oracle's modes:
            https://docs.oracle.com/en/cloud/saas/readiness/scm/24a/inv24a/24A-inventory-wn-f30338.htm
        reference: What ``TransactionReference`` carries: the line's posting key (default)
            or the ShipStation order number. The posting key is what makes a processed
            movement findable: ``TransactionReference`` is the one key both the staged
            interface and ``inventoryCompletedTransactions`` expose, so with the order number
            two lines of one order could not be told apart once processed (the preflight
            reports it).
    """

    issue_transaction_type: str = "Miscellaneous Issue"
    receipt_transaction_type: str = "Miscellaneous Receipt"
    adjustment_issue_type: str = "Miscellaneous Issue"
    adjustment_receipt_type: str = "Miscellaneous Receipt"
    issue_sign: Literal["negative", "positive"] = "negative"
    source_code: str = "SHIPSTATION"
    transaction_mode: str | None = "1"
    reference: Literal["order_number", "posting_key"] = "posting_key"


@attrs.frozen
class ItemSettings:
    """SKU to Oracle item, and units of measure.

    Attributes:
        identity: An unmapped SKU is its own Oracle item number (else unmapped SKUs raise).
        map: SKU -> Oracle item number.
        uom: Default ``TransactionUnitOfMeasure`` / AR ``UnitOfMeasure``.
        uom_by_sku: Per-SKU unit of measure.
    """

    identity: bool = True
    map: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen_map)
    uom: str = "Each"
    uom_by_sku: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen_map)


@attrs.frozen
class DateSettings:
    """Which calendar date an instant falls on for Oracle's transaction and accounting dates.

    Attributes:
        basis: ``utc``: the UTC calendar date (default); ``zone``: the date in ``zone``.
        zone: IANA zone name used when ``basis`` is ``zone`` (e.g. the ledger's zone).
        source: ``label_created``: the shipment's ``createDate`` instant (default);
            ``ship_date``: ShipStation's ``shipDate`` calendar date, taken as is.
    """

    basis: Literal["utc", "zone"] = "utc"
    zone: str | None = None
    source: Literal["label_created", "ship_date"] = "label_created"

    @property
    def zone_name(self) -> str:
        """The zone posting dates are calendar dates in: ``UTC`` or the configured zone."""
        return self.zone if self.basis == "zone" and self.zone else "UTC"

    @property
    def label(self) -> str:
        """How outputs name the dates they show, e.g. ``posting date (America/Los_Angeles)``."""
        return f"posting date ({self.zone_name})"


_NAMED_TEMPLATES: dict[str, bool] = {}


def _named_fields_only(template: str) -> bool:
    """Whether every field of ``template`` is named by an identifier (remembered per text; a
    configuration holds a few templates). For such a template ``format_map(values)`` gives
    what ``format(**values)`` gives, errors included."""
    known = _NAMED_TEMPLATES.get(template)
    if known is None:
        try:
            known = all(
                name.isidentifier()
                for _, name, _, _ in string.Formatter().parse(template)
                if name is not None
            )
        except ValueError:  # an unmatched brace: str.format raises it
            known = False
        if len(_NAMED_TEMPLATES) >= 256:
            _NAMED_TEMPLATES.clear()
        _NAMED_TEMPLATES[template] = known
    return known


@attrs.frozen
class PostingKeyFormats:
    """Deterministic posting keys (``str.format`` templates) and their maximum length.

    Oracle's AR ``TransactionNumber`` is short (20 characters in a typed client; UNCERTAIN in
    Oracle's docs), so the defaults stay at or under 20 characters for any 10-digit id.
    """

    invoice: str = "SS{shipment_id}"
    credit_memo: str = "SS{shipment_id}V"
    inventory: str = "SS{shipment_id}-{line}"
    inventory_reversal: str = "SS{shipment_id}-{line}V"
    adjustment: str = "SA{digest}"
    max_length: int = 20

    def render(self, kind: str, *, record: str | None = None, **values: object) -> str:
        """Fill the ``kind`` template.

        Raises:
            MappingError: the key would be longer than ``max_length``.
        """
        return self._render(kind, values, record)

    def _render(self, kind: str, values: Mapping[str, object], record: str | None) -> str:
        """:meth:`render` with the values in a mapping (one a shipment serves all its lines)."""
        template = str(getattr(self, kind))
        if _named_fields_only(template):
            # The same text as format(**values), without copying the values into a new dict.
            key = template.format_map(values)
        else:  # positional fields and the like: str.format's own errors
            key = template.format(**values)
        if len(key) > self.max_length:
            raise MappingError(
                f"posting key {key!r} is {len(key)} characters, over the limit of "
                f"{self.max_length}; shorten posting_keys.{kind}",
                field=f"posting_keys.{kind}",
                record=record,
            )
        return key


@attrs.frozen
class CustomerRules:
    """How an order's customer is matched to an Oracle customer account.

    Attributes:
        by_customer_id: ShipStation ``customerId`` -> (account number, bill-to site or None).
        by_username: ShipStation ``customerUsername`` -> (account number, site or None).
        account_number_field: Order field that may carry the Oracle account number
            (``customer_username`` or ``custom_field1..3``), or None.
        account_number_pattern: A value of that field counts only if it fully matches this.
        ignore_email_domains: Masked marketplace email domains never used for matching.
        annotation_field: Order field to record the matched account number in on the
            ShipStation side (``custom_field1..3``), or None.
    """

    by_customer_id: Mapping[str, tuple[str, str | None]] = attrs.field(
        factory=dict, converter=_frozen_map
    )
    by_username: Mapping[str, tuple[str, str | None]] = attrs.field(
        factory=dict, converter=_frozen_map
    )
    account_number_field: str | None = None
    account_number_pattern: str = r".+"
    ignore_email_domains: tuple[str, ...] = (
        "marketplace.amazon.com",
        "members.ebay.com",
        "relay.walmart.com",
    )
    annotation_field: str | None = None


@attrs.frozen
class SkipRules:
    """Shipments that post nothing, each with an explicit reason.

    Attributes:
        return_labels: Skip ``isReturnLabel`` shipments (returns go through an RMA).
        zero_value: ``skip``: a shipment whose invoice total is zero posts nothing;
            ``inventory_only``: it posts the stock movement but no invoice.
        order_number_prefixes: Orders whose number starts with one of these are tests.
        tag_ids: Orders carrying one of these ShipStation tag ids are skipped.
        store_ids: Stores whose orders are skipped (e.g. a sandbox store).
    """

    return_labels: bool = True
    zero_value: Literal["skip", "inventory_only"] = "skip"
    order_number_prefixes: tuple[str, ...] = ()
    tag_ids: frozenset[int] = frozenset()
    store_ids: frozenset[str] = frozenset()


@attrs.frozen
class MappingConfig:
    """Everything the mapping needs to know about the business. Frozen, validated once.

    Build it with :meth:`from_toml`, :meth:`from_dict` or :func:`load_mapping_config`.
    """

    segment_template: SegmentTemplate
    segments_defaults: Mapping[str, str]
    accounts: Mapping[AccountPurpose, Mapping[str, str]]
    warehouses: Mapping[str, WarehouseMapping]
    receivables: ReceivablesSettings
    stores: Mapping[str, StoreMapping] = attrs.field(factory=dict, converter=_frozen_map)
    inventory: InventorySettings = InventorySettings()
    items: ItemSettings = ItemSettings()
    dates: DateSettings = DateSettings()
    posting_keys: PostingKeyFormats = PostingKeyFormats()
    customers: CustomerRules = CustomerRules()
    skip: SkipRules = SkipRules()
    inventory_locations: Mapping[str, tuple[str, str | None]] = attrs.field(
        factory=dict, converter=_frozen_map
    )
    _memo: dict[Hashable, Any] = attrs.field(factory=dict, init=False, repr=False, eq=False)
    """What mapping derives from the configuration alone (account combinations), worked out
    once per configuration; a copy made with ``attrs.evolve`` starts with its own, empty."""

    def warehouse(self, warehouse_id: object, *, record: str | None = None) -> WarehouseMapping:
        """The mapping of a ShipStation warehouse.

        Raises:
            MappingError: the warehouse is not configured (names it and ``record``).
        """
        key = "" if warehouse_id is None else str(warehouse_id)
        found = self.warehouses.get(key)
        if found is None:
            known = ", ".join(sorted(self.warehouses)) or "none"
            raise MappingError(
                f"warehouse {warehouse_id} is not in the mapping configuration "
                f"(configured: {known})",
                field="warehouse_id",
                record=record,
            )
        return found

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MappingConfig:
        """Validate a parsed configuration (e.g. from TOML or JSON).

        Raises:
            MappingConfigError: listing every problem with its key path.
        """
        return _Loader().load(data)

    @classmethod
    def from_toml(cls, text: str) -> MappingConfig:
        """Parse and validate TOML text.

        Raises:
            MappingConfigError: the text is not TOML, or lists every problem found.
        """
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise MappingConfigError((ConfigProblem("", f"not valid TOML: {exc}"),)) from None
        return cls.from_dict(data)


def load_mapping_config(path: str | Path) -> MappingConfig:
    """Read and validate a TOML mapping configuration file.

    Raises:
        MappingConfigError: the file cannot be read or parsed, or has problems.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise MappingConfigError(
            (ConfigProblem("", f"cannot read {Path(path).name}: {exc.strerror}"),)
        ) from None
    return MappingConfig.from_toml(text)


class _Loader(TomlChecker):
    """Reads a parsed document, collecting every problem instead of stopping at the first.

    The primitives (tables, unknown keys, text, choices) are the shared TOML checker's; what
    is here are the mapping's domain checks.
    """

    def check_keys(self, data: Mapping[str, Any], allowed: set[str], path: str) -> None:
        self.keys(data, allowed, path)

    def config_problems(self) -> tuple[ConfigProblem, ...]:
        return tuple(ConfigProblem(path, message) for path, message in self.problems)

    def segment_values(
        self, data: Mapping[str, Any], key: str, path: str, template: SegmentTemplate | None
    ) -> dict[str, str]:
        values = self.string_map(data, key, path)
        if template is None:
            return values
        for name in sorted(values):
            where = _join(path, key, name)
            if name not in template.names:
                self.problem(where, f"is not a segment of the template ({_names(template)})")
            elif name == template.cost_center:
                self.problem(where, "set the cost center with a cost_center key, not a segment")
        return {k: v for k, v in values.items() if k in template.names}

    def purpose_accounts(
        self, data: Mapping[str, Any], path: str, template: SegmentTemplate | None
    ) -> dict[AccountPurpose, dict[str, str]]:
        table = self.table(data, "accounts", path)
        result: dict[AccountPurpose, dict[str, str]] = {}
        known = {p.value: p for p in AccountPurpose}
        here = _join(path, "accounts")
        for name in sorted(table):
            purpose = known.get(name)
            if purpose is None:
                self.problem(_join(here, name), f"unknown account purpose ({', '.join(known)})")
                continue
            result[purpose] = self.segment_values(table, name, here, template)
        return result

    # -- sections ----------------------------------------------------------------------------

    def load(self, data: Mapping[str, Any]) -> MappingConfig:
        if not isinstance(data, Mapping):
            raise MappingConfigError((ConfigProblem("", "must be a table"),))
        self.check_keys(
            data,
            {
                "segments",
                "accounts",
                "warehouses",
                "stores",
                "receivables",
                "inventory",
                "items",
                "dates",
                "posting_keys",
                "customers",
                "skip",
                "inventory_locations",
            },
            "",
        )
        template, defaults = self.segments(data)
        accounts = self.purpose_accounts(data, "", template)
        for purpose in REQUIRED_PURPOSES:
            if purpose not in accounts:
                self.problem(f"accounts.{purpose.value}", "missing")
        warehouses = self.warehouses(data, template)
        stores = self.stores(data, template)
        receivables = self.receivables(data)
        inventory = self.inventory(data)
        items = self.items(data)
        dates = self.dates(data)
        keys = self.posting_keys(data)
        customers = self.customers(data)
        skip = self.skip(data)
        locations = self.locations(data, warehouses)
        if template is not None:
            self.check_combinations(template, defaults, accounts, warehouses, stores)
        if self.problems or template is None or receivables is None:
            raise MappingConfigError(self.config_problems())
        return MappingConfig(
            segment_template=template,
            segments_defaults=MappingProxyType(defaults),
            accounts=MappingProxyType({k: MappingProxyType(v) for k, v in accounts.items()}),
            warehouses=MappingProxyType(warehouses),
            receivables=receivables,
            stores=stores,
            inventory=inventory,
            items=items,
            dates=dates,
            posting_keys=keys,
            customers=customers,
            skip=skip,
            inventory_locations=locations,
        )

    def segments(self, data: Mapping[str, Any]) -> tuple[SegmentTemplate | None, dict[str, str]]:
        path = "segments"
        if "segments" not in data:
            self.problem(path, "missing")
            return None, {}
        table = self.table(data, "segments", "")
        self.check_keys(table, {"names", "delimiter", "cost_center", "lengths", "defaults"}, path)
        names = self.strings(table, "names", path)
        if names is None:
            if "names" not in table:
                self.problem(_join(path, "names"), "missing")
            return None, {}
        if len(set(names)) != len(names) or not names:
            self.problem(_join(path, "names"), "must be a non-empty list of distinct names")
            return None, {}
        delimiter = table.get("delimiter", "-")
        if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter.isalnum():
            self.problem(_join(path, "delimiter"), "must be one non-alphanumeric character")
            delimiter = "-"
        cost_center = self.text(table, "cost_center", path, default="cost_center") or ""
        if cost_center not in names:
            self.problem(
                _join(path, "cost_center"),
                f"{cost_center!r} is not one of the segment names ({', '.join(names)})",
            )
            return None, {}
        lengths: dict[str, int] = {}
        for name, value in self.table(table, "lengths", path).items():
            where = _join(path, "lengths", name)
            if name not in names:
                self.problem(where, "is not a segment name")
            elif not isinstance(value, int) or isinstance(value, bool) or value < 1:
                self.problem(where, "must be a positive integer")
            else:
                lengths[name] = value
        template = SegmentTemplate(
            names=names,
            delimiter=delimiter,
            cost_center=cost_center,
            lengths=MappingProxyType(lengths),
        )
        defaults = self.segment_values(table, "defaults", path, template)
        return template, defaults

    def warehouses(
        self, data: Mapping[str, Any], template: SegmentTemplate | None
    ) -> dict[str, WarehouseMapping]:
        table = self.table(data, "warehouses", "")
        if not table:
            self.problem("warehouses", "missing: map at least one ShipStation warehouse")
        result: dict[str, WarehouseMapping] = {}
        for key in sorted(table):
            path = f"warehouses.{key}"
            if not str(key).isdigit():
                self.problem(path, "unknown warehouse key: use the numeric ShipStation warehouseId")
                continue
            entry = table[key]
            if not isinstance(entry, Mapping):
                self.problem(path, "must be a table")
                continue
            self.check_keys(
                entry,
                {
                    "name",
                    "business_unit",
                    "inventory_organization",
                    "inventory_organization_code",
                    "inventory_organization_name",
                    "subinventory",
                    "cost_center",
                    "locator",
                    "segments",
                    "accounts",
                },
                path,
            )
            organization, kind = self.organization(entry, path)
            result[str(key)] = WarehouseMapping(
                warehouse_id=str(key),
                name=self.text(entry, "name", path, default="") or "",
                business_unit=self.required_text(entry, "business_unit", path),
                inventory_organization=organization,
                inventory_organization_kind=kind,
                subinventory=self.required_text(entry, "subinventory", path),
                cost_center=self.required_text(entry, "cost_center", path),
                locator=self.text(entry, "locator", path),
                segments=self.segment_values(entry, "segments", path, template),
                accounts=self.purpose_accounts(entry, path, template),
            )
        return result

    def organization(
        self, entry: Mapping[str, Any], path: str
    ) -> tuple[str, Literal["code", "name"]]:
        """The warehouse's inventory organization and whether it is a code or a name.

        A staged inventory transaction names its organization by ``OrganizationCode`` or
        ``OrganizationName`` (both in real integration payloads; see the Oracle reference
        notes); sending a code as a name fails every row on a real tenant.
        """
        given = [
            key
            for key in (
                "inventory_organization_code",
                "inventory_organization_name",
                "inventory_organization",
            )
            if key in entry
        ]
        if len(given) > 1:
            self.problem(path, f"give one of {', '.join(given)}, not several")
        if not given:
            self.problem(
                _join(path, "inventory_organization_code"),
                "missing (or inventory_organization_name)",
            )
            return "", "code"
        key = given[0]
        kind: Literal["code", "name"] = "name" if key.endswith("_name") else "code"
        return self.required_text(entry, key, path), kind

    def stores(
        self, data: Mapping[str, Any], template: SegmentTemplate | None
    ) -> dict[str, StoreMapping]:
        table = self.table(data, "stores", "")
        result: dict[str, StoreMapping] = {}
        for key in sorted(table):
            path = f"stores.{key}"
            if not str(key).isdigit():
                self.problem(path, "unknown store key: use the numeric ShipStation storeId")
                continue
            entry = table[key]
            if not isinstance(entry, Mapping):
                self.problem(path, "must be a table")
                continue
            self.check_keys(
                entry,
                {
                    "name",
                    "business_unit",
                    "cost_center",
                    "segments",
                    "accounts",
                    "customer_account",
                    "customer_site",
                    "transaction_type",
                    "payment_terms",
                },
                path,
            )
            site = self.text(entry, "customer_site", path)
            account = self.text(entry, "customer_account", path)
            if site is not None and account is None:
                self.problem(_join(path, "customer_site"), "needs customer_account")
            result[str(key)] = StoreMapping(
                store_id=str(key),
                name=self.text(entry, "name", path, default="") or "",
                business_unit=self.text(entry, "business_unit", path),
                cost_center=self.text(entry, "cost_center", path),
                segments=self.segment_values(entry, "segments", path, template),
                accounts=self.purpose_accounts(entry, path, template),
                customer_account=account,
                customer_site=site,
                transaction_type=self.text(entry, "transaction_type", path),
                payment_terms=self.text(entry, "payment_terms", path),
            )
        return result

    def receivables(self, data: Mapping[str, Any]) -> ReceivablesSettings | None:
        path = "receivables"
        if "receivables" not in data:
            self.problem(path, "missing")
            return None
        table = self.table(data, "receivables", "")
        optional_text = (
            "credit_reason",
            "credit_memo_transaction_source",
            "invoice_status",
            "freight_description",
            "tax_description",
            "discount_description",
            "freight_memo_line",
            "tax_memo_line",
            "discount_memo_line",
            "tax_regime_code",
            "tax_rate_code",
            "tax_classification_code",
        )
        self.check_keys(
            table,
            {
                "tax_mode",
                "transaction_source",
                "transaction_type",
                "credit_memo_transaction_type",
                "payment_terms",
                "currency",
                "minor_unit",
                "account_classes",
                "key_field",
                "item_numbers",
                *optional_text,
            },
            path,
        )
        currency = self.required_text(table, "currency", path)
        minor: int | None = None
        if "minor_unit" in table:
            raw = table["minor_unit"]
            if not isinstance(raw, int) or isinstance(raw, bool) or not 0 <= raw <= 4:
                self.problem(_join(path, "minor_unit"), "must be an integer from 0 to 4")
            else:
                minor = raw
        if currency:
            if not re.fullmatch(r"[A-Z]{3}", currency):
                self.problem(_join(path, "currency"), f"{currency!r} is not an ISO 4217 code")
            elif minor is None:
                minor = CURRENCY_MINOR_UNITS.get(currency)
                if minor is None:
                    self.problem(
                        _join(path, "currency"),
                        f"{currency} has no built-in minor unit; set receivables.minor_unit",
                    )
        classes = {
            "revenue": "Revenue",
            "receivable": "Receivable",
            "freight": "Freight",
            "tax": "Tax",
        }
        given = self.string_map(table, "account_classes", path)
        for name in sorted(set(given) - set(classes)):
            self.problem(_join(path, "account_classes", name), "unknown key")
        classes.update({k: v for k, v in given.items() if k in classes})
        extras = {name: self.text(table, name, path) for name in optional_text}
        settings = ReceivablesSettings(
            transaction_source=self.required_text(table, "transaction_source", path),
            transaction_type=self.required_text(table, "transaction_type", path),
            credit_memo_transaction_type=self.required_text(
                table, "credit_memo_transaction_type", path
            ),
            payment_terms=self.required_text(table, "payment_terms", path),
            currency=currency,
            minor_unit=2 if minor is None else minor,
            account_classes=classes,
            key_field=(
                "cross_reference"
                if self.choice(
                    table,
                    "key_field",
                    path,
                    ("transaction_number", "cross_reference"),
                    "transaction_number",
                )
                == "cross_reference"
                else "transaction_number"
            ),
            item_numbers=self.boolean(table, "item_numbers", path, False),
            tax_mode=(
                "oracle_tax"
                if self.choice(table, "tax_mode", path, ("tax_lines", "oracle_tax"), "tax_lines")
                == "oracle_tax"
                else "tax_lines"
            ),
            **{k: v for k, v in extras.items() if v is not None},
        )
        return settings

    def inventory(self, data: Mapping[str, Any]) -> InventorySettings:
        path = "inventory"
        table = self.table(data, "inventory", "")
        base = InventorySettings()
        names = (
            "issue_transaction_type",
            "receipt_transaction_type",
            "adjustment_issue_type",
            "adjustment_receipt_type",
            "source_code",
            "transaction_mode",
        )
        self.check_keys(table, {*names, "issue_sign", "reference"}, path)
        values: dict[str, Any] = {
            name: self.text(table, name, path, default=getattr(base, name)) for name in names
        }
        values["issue_sign"] = self.choice(
            table, "issue_sign", path, ("negative", "positive"), base.issue_sign
        )
        values["reference"] = self.choice(
            table, "reference", path, ("order_number", "posting_key"), base.reference
        )
        return InventorySettings(**values)

    def items(self, data: Mapping[str, Any]) -> ItemSettings:
        path = "items"
        table = self.table(data, "items", "")
        self.check_keys(table, {"identity", "map", "uom", "uom_by_sku"}, path)
        return ItemSettings(
            identity=self.boolean(table, "identity", path, True),
            map=self.string_map(table, "map", path),
            uom=self.text(table, "uom", path, default="Each") or "Each",
            uom_by_sku=self.string_map(table, "uom_by_sku", path),
        )

    def dates(self, data: Mapping[str, Any]) -> DateSettings:
        path = "dates"
        table = self.table(data, "dates", "")
        self.check_keys(table, {"basis", "zone", "source"}, path)
        basis = self.choice(table, "basis", path, ("utc", "zone"), "utc")
        source = self.choice(table, "source", path, ("label_created", "ship_date"), "label_created")
        zone = self.text(table, "zone", path)
        if basis == "zone" and zone is None and "zone" not in table:
            self.problem(_join(path, "zone"), "missing: basis 'zone' needs a time zone name")
        if zone is not None:
            from ._time import zone_problem

            problem = zone_problem(zone)
            if problem:
                self.problem(_join(path, "zone"), problem)
        if basis == "utc" and zone is not None:
            self.problem(_join(path, "zone"), "is only used with basis = 'zone'")
        return DateSettings(
            basis="zone" if basis == "zone" else "utc",
            zone=zone,
            source="ship_date" if source == "ship_date" else "label_created",
        )

    def posting_keys(self, data: Mapping[str, Any]) -> PostingKeyFormats:
        path = "posting_keys"
        table = self.table(data, "posting_keys", "")
        base = PostingKeyFormats()
        self.check_keys(table, {*KEY_FIELDS, "max_length"}, path)
        max_length = table.get("max_length", base.max_length)
        if not isinstance(max_length, int) or isinstance(max_length, bool) or max_length < 4:
            self.problem(_join(path, "max_length"), "must be an integer of at least 4")
            max_length = base.max_length
        formats: dict[str, str] = {}
        for kind, allowed in KEY_FIELDS.items():
            template = self.text(table, kind, path, default=getattr(base, kind)) or ""
            where = _join(path, kind)
            try:
                fields = {
                    name for _, name, _, _ in string.Formatter().parse(template) if name is not None
                }
            except ValueError as exc:
                self.problem(where, f"is not a valid format string ({exc})")
                continue
            unknown = fields - allowed
            if unknown:
                self.problem(
                    where,
                    f"unknown placeholder {{{sorted(unknown)[0]}}}; use {_braced(allowed)}",
                )
                continue
            anchor = "digest" if kind == "adjustment" else "shipment_id"
            if anchor not in fields:
                self.problem(where, f"must contain {{{anchor}}} so that every key is unique")
                continue
            if kind.startswith("inventory") and "line" not in fields:
                self.problem(where, "must contain {line}: each item line needs its own key")
                continue
            try:
                sample = template.format(**_KEY_SAMPLES)
            except (ValueError, IndexError, KeyError, AttributeError) as exc:
                self.problem(where, f"is not a valid format string ({exc})")
                continue
            if len(sample) > max_length:
                self.problem(
                    where,
                    f"renders up to {len(sample)} characters for 10-digit ids, over max_length "
                    f"{max_length}",
                )
                continue
            formats[kind] = template
        invoice = formats.get("invoice", base.invoice)
        if formats.get("credit_memo", base.credit_memo) == invoice:
            self.problem(_join(path, "credit_memo"), "must differ from posting_keys.invoice")
        return PostingKeyFormats(max_length=max_length, **formats)

    def customers(self, data: Mapping[str, Any]) -> CustomerRules:
        path = "customers"
        table = self.table(data, "customers", "")
        self.check_keys(
            table,
            {
                "by_customer_id",
                "by_username",
                "account_number_field",
                "account_number_pattern",
                "ignore_email_domains",
                "annotation_field",
            },
            path,
        )
        by_id = self.explicit_accounts(table, "by_customer_id", path, digits=True)
        by_user = self.explicit_accounts(table, "by_username", path, digits=False)
        field = table.get("account_number_field")
        if field is not None and field not in ACCOUNT_NUMBER_FIELDS:
            self.problem(
                _join(path, "account_number_field"),
                f"must be one of {', '.join(ACCOUNT_NUMBER_FIELDS)}",
            )
            field = None
        annotation = table.get("annotation_field")
        if annotation is not None and annotation not in ACCOUNT_NUMBER_FIELDS[1:]:
            self.problem(
                _join(path, "annotation_field"),
                f"must be one of {', '.join(ACCOUNT_NUMBER_FIELDS[1:])}",
            )
            annotation = None
        pattern = self.text(table, "account_number_pattern", path, default=r".+") or r".+"
        try:
            re.compile(pattern)
        except re.error as exc:
            self.problem(_join(path, "account_number_pattern"), f"is not a valid regex ({exc})")
            pattern = r".+"
        domains = self.strings(table, "ignore_email_domains", path)
        base = CustomerRules()
        return CustomerRules(
            by_customer_id=by_id,
            by_username=by_user,
            account_number_field=field,
            account_number_pattern=pattern,
            ignore_email_domains=(
                base.ignore_email_domains
                if domains is None
                else tuple(d.strip().casefold() for d in domains)
            ),
            annotation_field=annotation,
        )

    def explicit_accounts(
        self, data: Mapping[str, Any], key: str, path: str, *, digits: bool
    ) -> dict[str, tuple[str, str | None]]:
        table = self.table(data, key, path)
        result: dict[str, tuple[str, str | None]] = {}
        for name, value in table.items():
            where = _join(path, key, name)
            if digits and not str(name).isdigit():
                self.problem(where, "must be a numeric ShipStation customerId")
                continue
            if isinstance(value, str) and value:
                result[str(name)] = (value, None)
            elif isinstance(value, Mapping):
                self.check_keys(value, {"account", "site"}, where)
                account = self.text(value, "account", where, required=True)
                site = self.text(value, "site", where)
                if account:
                    result[str(name)] = (account, site)
            else:
                self.problem(where, "must be an account number or {account = ..., site = ...}")
        return result

    def skip(self, data: Mapping[str, Any]) -> SkipRules:
        path = "skip"
        table = self.table(data, "skip", "")
        self.check_keys(
            table,
            {"return_labels", "zero_value", "order_number_prefixes", "tag_ids", "store_ids"},
            path,
        )
        zero = self.choice(table, "zero_value", path, ("skip", "inventory_only"), "skip")
        tags = table.get("tag_ids", [])
        if not isinstance(tags, list) or not all(
            isinstance(t, int) and not isinstance(t, bool) for t in tags
        ):
            self.problem(_join(path, "tag_ids"), "must be a list of integers")
            tags = []
        stores = table.get("store_ids", [])
        if not isinstance(stores, list) or not all(
            isinstance(s, int | str) and str(s).isdigit() for s in stores
        ):
            self.problem(_join(path, "store_ids"), "must be a list of numeric store ids")
            stores = []
        return SkipRules(
            return_labels=self.boolean(table, "return_labels", path, True),
            zero_value="inventory_only" if zero == "inventory_only" else "skip",
            order_number_prefixes=self.strings(table, "order_number_prefixes", path) or (),
            tag_ids=frozenset(tags),
            store_ids=frozenset(str(s) for s in stores),
        )

    def locations(
        self, data: Mapping[str, Any], warehouses: Mapping[str, WarehouseMapping]
    ) -> dict[str, tuple[str, str | None]]:
        """V2 inventory warehouse or location id -> (V1 warehouse id, subinventory override)."""
        path = "inventory_locations"
        table = self.table(data, "inventory_locations", "")
        result: dict[str, tuple[str, str | None]] = {}
        for name, value in table.items():
            where = _join(path, name)
            if isinstance(value, str):
                value = {"warehouse": value}
            if not isinstance(value, Mapping):
                self.problem(
                    where, "must be a warehouse id or {warehouse = ..., subinventory = ...}"
                )
                continue
            self.check_keys(value, {"warehouse", "subinventory"}, where)
            warehouse = self.text(value, "warehouse", where, required=True)
            if warehouse is not None and warehouse not in warehouses:
                self.problem(_join(where, "warehouse"), f"{warehouse} is not a mapped warehouse")
                continue
            if warehouse:
                result[str(name)] = (warehouse, self.text(value, "subinventory", where))
        return result

    def check_combinations(
        self,
        template: SegmentTemplate,
        defaults: Mapping[str, str],
        accounts: Mapping[AccountPurpose, Mapping[str, str]],
        warehouses: Mapping[str, WarehouseMapping],
        stores: Mapping[str, StoreMapping],
    ) -> None:
        """Every account of every warehouse (and warehouse x store) must compose completely."""
        purposes = [p for p in AccountPurpose if p in accounts or p is AccountPurpose.DISCOUNT]
        for wid, warehouse in warehouses.items():
            if not warehouse.cost_center:
                continue
            for store in [None, *stores.values()]:
                for purpose in purposes:
                    key = purpose
                    if purpose is AccountPurpose.DISCOUNT and purpose not in accounts:
                        key = AccountPurpose.REVENUE
                    layers = [
                        defaults,
                        accounts.get(key, {}),
                        warehouse.segments,
                        warehouse.accounts.get(key, {}),
                    ]
                    cost_center = warehouse.cost_center
                    if store is not None:
                        layers += [store.segments, store.accounts.get(key, {})]
                        cost_center = store.cost_center or cost_center
                    values = compose_segments(layers, cost_center, template)
                    for segment, message in template.problems(values):
                        if segment == template.cost_center:
                            # Report a bad cost center once, where it is set.
                            owner = (
                                f"stores.{store.store_id}"
                                if store is not None and store.cost_center
                                else f"warehouses.{wid}"
                            )
                            problem = (f"{owner}.cost_center", message)
                            if problem not in self.problems:
                                self.problems.append(problem)
                            continue
                        where = f"warehouses.{wid}"
                        if store is not None:
                            where = f"{where} with stores.{store.store_id}"
                        self.problem(f"{where}: accounts.{purpose.value}.{segment}", message)


_join = join


def _names(template: SegmentTemplate) -> str:
    return ", ".join(template.names)


def _braced(names: frozenset[str]) -> str:
    return ", ".join("{" + n + "}" for n in sorted(names))
