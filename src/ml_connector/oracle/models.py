"""Oracle Fusion payload and read models: frozen attrs classes, snake_case, no wire code.

Two kinds of model live here:

- **Payloads** we send (``ReceivablesInvoice``, ``ReceivablesCreditMemo``,
  ``InventoryStagedTransaction``, ``NewParty``). Every payload, and every child line of one, has
  an ``extra`` mapping whose keys are merged verbatim into the wire object, so a customer can
  send a field this SDK does not model (or one the reference marks UNCERTAIN) through
  configuration alone. ``extra`` wins over a modelled field of the same wire name.
- **Read models** parsed from Oracle's responses (``ReceivablesInvoiceRecord``,
  ``CustomerAccountSite``, ``Party``, ``AccountCombination``, ...). Each keeps the whole item it
  was read from in ``raw`` (excluded from equality and repr) so configurable attributes such as
  the posting-key field can be read without a model change.

Wire names, date formats and Decimal encoding are the business of
:mod:`ml_connector.oracle._converter`, never of these classes.

Money and quantities are :class:`~decimal.Decimal`; dates that Oracle treats as calendar dates
(``TransactionDate``, ``AccountingDate``) are :class:`~datetime.date`; timestamps are aware UTC
:class:`~datetime.datetime` values.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import attrs

__all__ = [
    "AccountClass",
    "AccountCombination",
    "CustomerAccount",
    "CustomerAccountSite",
    "InventoryStagedTransaction",
    "InventoryStagedTransactionRecord",
    "NewParty",
    "Party",
    "PartyType",
    "ReceivablesCreditMemo",
    "ReceivablesCreditMemoDistribution",
    "ReceivablesCreditMemoLine",
    "ReceivablesCreditMemoRecord",
    "ReceivablesInvoice",
    "ReceivablesInvoiceDistribution",
    "ReceivablesInvoiceLine",
    "ReceivablesInvoiceRecord",
    "ReceivablesTaxLine",
    "TransactionMode",
]


_NO_OFFSET = timedelta(0)


def _aware_utc(instance: Any, attribute: attrs.Attribute[Any], value: datetime | None) -> None:
    """Models hold timezone-aware UTC datetimes only; a naive one is a programming error."""
    if value is None or (type(value) is datetime and value.tzinfo is UTC):
        return  # the common case (mapping converts to UTC), decided without a call
    offset = value.utcoffset()
    if offset is None:
        raise ValueError(f"{attribute.name} must be timezone-aware (UTC), got a naive datetime")
    if offset != _NO_OFFSET:
        raise ValueError(f"{attribute.name} must be in UTC, got offset {offset}")


class _NoExtra(dict[str, Any]):
    """The empty ``extra`` every payload without extra fields shares: a dict that refuses
    changes (one shared instance instead of a fresh dict per payload and per line; a mapping
    builds thousands of payloads a second). Give a payload its own ``extra`` to send more."""

    __slots__ = ()

    def _refuse(self, *args: object, **kwargs: object) -> Any:
        raise TypeError("this payload has no extra fields; pass extra= when building it")

    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __reduce__(self) -> tuple[Any, ...]:
        return (_no_extra, ())


_NO_EXTRA = _NoExtra()


def _no_extra() -> _NoExtra:
    return _NO_EXTRA


def _extra() -> Any:
    """The ``extra`` field every payload has: wire keys merged verbatim, empty by default."""
    return attrs.field(default=_NO_EXTRA, kw_only=True)


# Payloads below are frozen slotted attrs classes. They were dict-backed (faster to build with
# the keyword constructor), but a sync keeps each chunk's payloads alive while its documents are
# posted: every instance dictionary was one more object for the garbage collector to walk, a
# quarter of the objects a sync kept per record. Code that builds many payloads (mapping) uses
# :func:`_positional`, which stores into the slots directly.


_T = TypeVar("_T", bound=attrs.AttrsInstance)


def _positional(cls: type[_T], *names: str) -> Callable[..., _T]:
    """A private constructor of payload class ``cls`` taking the fields ``names`` by position
    (every other field takes its default), for code that builds many payloads (mapping).

    It builds what ``cls(**{name: value, ...})`` builds, equal and alike, with the same
    converters and validators, but without parsing keyword arguments: each field is stored
    into its slot directly (the slot's own store, not ``object.__setattr__`` by name).
    """
    if getattr(cls, "__attrs_post_init__", None) is not None or "__slots__" not in cls.__dict__:
        raise TypeError(f"{cls.__name__}: only slotted classes without post-init hooks")
    fields = attrs.fields(cls)
    known = {field.name for field in fields}
    unknown = [name for name in names if name not in known]
    if unknown or len(set(names)) != len(names):
        raise TypeError(f"{cls.__name__} has no field(s) {unknown} (or names repeat)")
    scope: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    stores: list[str] = []
    checks: list[str] = []
    for field in fields:
        slot: Any = cls.__dict__.get(field.name)
        if type(slot).__name__ != "member_descriptor":
            raise TypeError(f"{cls.__name__}.{field.name} is not a slot")
        scope[f"_store_{field.name}"] = slot.__set__
        if field.name in names:
            value = field.name
        else:
            if field.default is attrs.NOTHING or isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
                raise TypeError(f"{cls.__name__}.{field.name} has no plain default")
            scope[f"_default_{field.name}"] = field.default
            value = f"_default_{field.name}"
        if field.converter is not None:  # applied to defaults too, as attrs does
            scope[f"_convert_{field.name}"] = field.converter
            value = f"_convert_{field.name}({value})"
        stores.append(f"    _store_{field.name}(self, {value})")
        if field.validator is not None:
            scope[f"_validate_{field.name}"] = field.validator
            scope[f"_field_{field.name}"] = field
            checks.append(
                f"    _validate_{field.name}(self, _field_{field.name}, self.{field.name})"
            )
    source = "\n".join(
        [
            f"def make({', '.join(names)}):",
            "    self = _new(_cls)",
            *stores,
            *checks,
            "    return self",
        ]
    )
    exec(compile(source, f"<positional {cls.__name__}>", "exec"), scope)  # noqa: S102 - generated from attrs fields
    made: Callable[..., _T] = scope["make"]
    return made


# Typed tuple converters: mypy cannot bind ``tuple``'s type variable through attrs converters.
def _invoice_lines(items: Iterable[ReceivablesInvoiceLine]) -> tuple[ReceivablesInvoiceLine, ...]:
    return tuple(items)


def _credit_memo_lines(
    items: Iterable[ReceivablesCreditMemoLine],
) -> tuple[ReceivablesCreditMemoLine, ...]:
    return tuple(items)


def _distributions(
    items: Iterable[ReceivablesInvoiceDistribution],
) -> tuple[ReceivablesInvoiceDistribution, ...]:
    return tuple(items)


def _tax_lines(items: Iterable[ReceivablesTaxLine]) -> tuple[ReceivablesTaxLine, ...]:
    return tuple(items)


def _memo_distributions(
    items: Iterable[ReceivablesCreditMemoDistribution | ReceivablesInvoiceDistribution],
) -> tuple[ReceivablesCreditMemoDistribution, ...]:
    """Credit memo distributions; invoice distributions given here are converted field by field.

    A credit memo distribution names its line with ``CreditMemoLineNumber``, never
    ``InvoiceLineNumber`` (https://docs.oracle.com/en/cloud/saas/financials/25c/farfa/op-receivablescreditmemos-customertransactionid-child-receivablescreditmemodistributions-post.html),
    so a reversed invoice's distributions cannot be sent as they are.
    """
    converted = []
    for item in items:
        if isinstance(item, ReceivablesInvoiceDistribution):
            item = ReceivablesCreditMemoDistribution(
                account_class=item.account_class,
                account_combination=item.account_combination,
                amount=item.amount,
                percent=item.percent,
                line_number=item.line_number,
                detailed_tax_line_number=item.detailed_tax_line_number,
                comments=item.comments,
                extra=item.extra,
            )
        converted.append(item)
    return tuple(converted)


def _sites(items: Iterable[CustomerAccountSite]) -> tuple[CustomerAccountSite, ...]:
    return tuple(items)


def _strings(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(items)


class AccountClass(enum.StrEnum):
    """``AccountClass`` values for manual AR distributions.

    ``Revenue`` and ``Receivable`` are the values seen in real payloads; ``Tax`` and ``Freight``
    are the other classes Oracle documents for manual distributions
    (https://docs.oracle.com/en/cloud/saas/financials/25c/farfa/Create_Receivables_Invoices.html).
    The distribution field is typed ``str`` so a pod that spells a class differently can be
    configured without a code change.
    """

    REVENUE = "Revenue"
    RECEIVABLE = "Receivable"
    FREIGHT = "Freight"
    TAX = "Tax"

    # The short codes the AR interface tables use, for callers that think in those.
    REV = "Revenue"
    REC = "Receivable"


class TransactionMode(enum.StrEnum):
    """``TransactionMode`` codes for inventory staged transactions.

    ``1`` (Online) is the value seen in real integration code; ``2`` (Concurrent) and
    ``3`` (Background) are UNCERTAIN, so the model field is a plain ``str``.
    """

    ONLINE = "1"
    CONCURRENT = "2"
    BACKGROUND = "3"


class PartyType(enum.StrEnum):
    """Which TCA party resource a party lives in."""

    ORGANIZATION = "ORGANIZATION"
    PERSON = "PERSON"


# -- receivables invoice --------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ReceivablesTaxLine:
    """One manual tax line of an invoice or credit memo line.

    Sent as a ``receivablesInvoiceLineTaxLines`` (invoices) or
    ``receivablesCreditMemoLineTaxLines`` (credit memos) child of the line, as in Oracle's
    examples, which carry ``TaxAmount``, ``TaxRegimeCode`` and ``TaxRateCode``
    (https://docs.oracle.com/en/cloud/saas/financials/24c/farfa/Create_an_Invoice_with_Distributions_of_Type_Tax_Freight_Revenue_and_Receivables.html,
    https://docs.oracle.com/en/cloud/saas/financials/24d/farfa/op-receivablesinvoices-customertransactionid-child-receivablesinvoicelines-customertransactionlineid-child-receivablesinvoicelinetaxlines-post.html).
    A Tax distribution names it by its invoice line and its position on that line
    (``DetailedTaxLineNumber``, 1-based).

    Attributes:
        tax_amount: ``TaxAmount`` in the document currency (negative on credit memos).
        tax_regime_code: ``TaxRegimeCode``.
        tax_rate_code: ``TaxRateCode``.
        tax: ``Tax``, the tax code.
        extra: Additional wire fields, merged verbatim.
    """

    tax_amount: Decimal
    tax_regime_code: str | None = None
    tax_rate_code: str | None = None
    tax: str | None = None
    extra: Mapping[str, Any] = _extra()


@attrs.frozen(kw_only=True)
class ReceivablesInvoiceLine:
    """One ``receivablesInvoiceLines`` entry.

    Attributes:
        line_number: ``LineNumber``, 1-based and unique within the invoice.
        description: ``Description``. Oracle needs an item, a memo line or a description.
        quantity: ``Quantity``.
        unit_selling_price: ``UnitSellingPrice``.
        amount: ``LineAmount``; quantity times unit price, rounded to the currency.
        memo_line: ``MemoLine`` name, when the line is a standard memo line.
        item_number: ``ItemNumber`` of an inventory item.
        unit_of_measure: ``UnitOfMeasure``.
        tax_classification_code: ``TaxClassificationCode``.
        sales_order: ``SalesOrder`` reference shown on the line.
        warehouse: ``Warehouse``, needed with ``item_number`` on some setups.
        allocated_freight_amount: ``AllocatedFreightAmount``, the freight charged on this
            line, as Oracle documents freight at the invoice line level
            (https://docs.oracle.com/en/cloud/saas/financials/24c/farfa/Create_an_Invoice_with_Distributions_of_Type_Tax_Freight_Revenue_and_Receivables.html).
        tax_lines: ``receivablesInvoiceLineTaxLines``, manual tax lines of this line.
        extra: Additional wire fields, merged verbatim.
    """

    line_number: int
    description: str
    quantity: Decimal
    unit_selling_price: Decimal
    amount: Decimal
    memo_line: str | None = None
    item_number: str | None = None
    unit_of_measure: str | None = None
    tax_classification_code: str | None = None
    sales_order: str | None = None
    warehouse: str | None = None
    allocated_freight_amount: Decimal | None = None
    tax_lines: tuple[ReceivablesTaxLine, ...] = attrs.field(default=(), converter=_tax_lines)
    extra: Mapping[str, Any] = _extra()

    @property
    def total(self) -> Decimal:
        """The line amount plus its allocated freight and its tax lines."""
        total = self.amount + (self.allocated_freight_amount or 0)
        for tax_line in self.tax_lines:
            total += tax_line.tax_amount
        return total


@attrs.frozen(kw_only=True)
class ReceivablesInvoiceDistribution:
    """One ``receivablesInvoiceDistributions`` entry (manual accounting).

    Attributes:
        account_class: ``AccountClass``; see :class:`AccountClass`.
        account_combination: ``AccountCombination``, the delimited segment string
            (e.g. ``"01-4011001-00-0177-01-01-00"``).
        amount: ``Amount``.
        percent: ``Percent`` of the line (or invoice, for Receivable).
        line_number: ``InvoiceLineNumber`` this distribution belongs to; ``None`` for the
            invoice-level Receivable distribution.
        detailed_tax_line_number: ``DetailedTaxLineNumber``, "the number of the tax line of an
            invoice line associated with the distribution" (Tax distributions; 1-based on the
            line named by ``line_number``).
        comments: ``Comments``.
        extra: Additional wire fields, merged verbatim.
    """

    account_class: str
    account_combination: str
    amount: Decimal
    percent: Decimal | None = None
    line_number: int | None = None
    detailed_tax_line_number: int | None = None
    comments: str | None = None
    extra: Mapping[str, Any] = _extra()


@attrs.frozen(kw_only=True)
class ReceivablesInvoice:
    """A ``receivablesInvoices`` create payload: header, lines and optional distributions.

    Which attribute carries the posting key (``transaction_number`` by default, or
    ``cross_reference``) is a client setting; the mapping fills the one configured.

    Attributes:
        business_unit: ``BusinessUnit`` name.
        transaction_source: ``TransactionSource``; manual numbering is needed for our own
            ``transaction_number`` to be kept.
        transaction_type: ``TransactionType``.
        transaction_date: ``TransactionDate``, a calendar date in the ledger's calendar.
        bill_to_customer_number: ``BillToCustomerNumber``, the customer ACCOUNT number.
        invoice_currency_code: ``InvoiceCurrencyCode``.
        payment_terms: ``PaymentTerms``, the term name (e.g. ``"30 Net"``).
        lines: ``receivablesInvoiceLines``.
        distributions: ``receivablesInvoiceDistributions``; empty lets AutoAccounting decide.
        transaction_number: ``TransactionNumber``.
        accounting_date: ``AccountingDate``; must fall in an open period.
        bill_to_site: ``BillToSite`` number.
        cross_reference: ``CrossReference``.
        purchase_order: ``PurchaseOrder``.
        comments: ``Comments``.
        internal_notes: ``InternalNotes``.
        due_date: ``DueDate``.
        ship_to_customer_number: ``ShipToCustomerNumber``.
        ship_to_site: ``ShipToSite``.
        conversion_rate_type: ``ConversionRateType`` (foreign currency only).
        conversion_date: ``ConversionDate``.
        conversion_rate: ``ConversionRate``.
        invoice_status: ``InvoiceStatus`` (``Complete`` or ``Incomplete``).
        extra: Additional wire fields, merged verbatim.
    """

    business_unit: str
    transaction_source: str
    transaction_type: str
    transaction_date: date
    bill_to_customer_number: str
    invoice_currency_code: str
    payment_terms: str
    lines: tuple[ReceivablesInvoiceLine, ...] = attrs.field(converter=_invoice_lines)
    distributions: tuple[ReceivablesInvoiceDistribution, ...] = attrs.field(
        default=(), converter=_distributions
    )
    transaction_number: str | None = None
    accounting_date: date | None = None
    bill_to_site: str | None = None
    cross_reference: str | None = None
    purchase_order: str | None = None
    comments: str | None = None
    internal_notes: str | None = None
    due_date: date | None = None
    ship_to_customer_number: str | None = None
    ship_to_site: str | None = None
    conversion_rate_type: str | None = None
    conversion_date: date | None = None
    conversion_rate: Decimal | None = None
    invoice_status: str | None = None
    extra: Mapping[str, Any] = _extra()

    @property
    def total(self) -> Decimal:
        """What the customer owes: line amounts, their allocated freight and their tax lines."""
        return sum((line.total for line in self.lines), Decimal(0))


# -- receivables credit memo ----------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ReceivablesCreditMemoLine:
    """One ``receivablesCreditMemoLines`` entry. Amounts are negative.

    Wire names follow Oracle's credit memo examples
    (https://docs.oracle.com/en/cloud/saas/financials/24d/farfa/Create_an_On_Account_Credit_Memo_with_Lines.html):
    ``LineDescription``, ``LineQuantityCredit``, ``UnitSellingPrice``, ``LineAmountCredit``.

    Attributes:
        line_number: ``LineNumber``.
        description: ``LineDescription``.
        quantity: ``LineQuantityCredit`` (positive; the price carries the sign).
        unit_selling_price: ``UnitSellingPrice`` (negative).
        amount: ``LineAmountCredit`` (negative).
        memo_line: ``MemoLine`` (UNCERTAIN for credit memos).
        item_number: ``ItemNumber``.
        tax_classification_code: ``TaxClassificationCode`` (UNCERTAIN for credit memos).
        credit_reason: ``LineCreditReason``.
        tax_lines: ``receivablesCreditMemoLineTaxLines``, manual tax lines (negative)
            (https://docs.oracle.com/en/cloud/saas/financials/24c/farfa/Create_an_On_Account_Credit_Memo_with_Manual_Distributions_of_Type_Revenue_and_Receivables.html
            shows them on a credit memo line).
        extra: Additional wire fields, merged verbatim.
    """

    line_number: int
    description: str
    quantity: Decimal
    unit_selling_price: Decimal
    amount: Decimal
    memo_line: str | None = None
    item_number: str | None = None
    tax_classification_code: str | None = None
    credit_reason: str | None = None
    tax_lines: tuple[ReceivablesTaxLine, ...] = attrs.field(default=(), converter=_tax_lines)
    extra: Mapping[str, Any] = _extra()

    @property
    def total(self) -> Decimal:
        """The line amount plus its tax lines (negative)."""
        total = self.amount
        for tax_line in self.tax_lines:
            total += tax_line.tax_amount
        return total


@attrs.frozen(kw_only=True)
class ReceivablesCreditMemoDistribution:
    """One ``receivablesCreditMemoDistributions`` entry (manual accounting).

    The credit memo distribution resource has its own attributes: the line is named by
    ``CreditMemoLineNumber`` and a tax line by ``DetailedTaxLineNumber``; there is no
    ``InvoiceLineNumber``
    (https://docs.oracle.com/en/cloud/saas/financials/25c/farfa/op-receivablescreditmemos-customertransactionid-child-receivablescreditmemodistributions-post.html;
    example: https://docs.oracle.com/en/cloud/saas/financials/23d/farfa/Create_an_On_Account_Credit_Memo_with_Manual_Distributions.html).

    Attributes:
        account_class: ``AccountClass`` (Revenue, Receivable, Freight or Tax).
        account_combination: ``AccountCombination``.
        amount: ``Amount`` (negative, like the credit memo's lines).
        percent: ``Percent``.
        line_number: ``CreditMemoLineNumber``; ``None`` for the Receivable distribution.
        detailed_tax_line_number: ``DetailedTaxLineNumber`` (Tax distributions).
        comments: ``Comments``.
        extra: Additional wire fields, merged verbatim.
    """

    account_class: str
    account_combination: str
    amount: Decimal
    percent: Decimal | None = None
    line_number: int | None = None
    detailed_tax_line_number: int | None = None
    comments: str | None = None
    extra: Mapping[str, Any] = _extra()


@attrs.frozen(kw_only=True)
class ReceivablesCreditMemo:
    """A ``receivablesCreditMemos`` create payload (an on-account credit memo).

    The REST resource creates on-account credit memos; the invoice being reversed is named by
    ``original_transaction_number``, sent in the attribute the client is configured with
    (``CrossReference`` by default; UNCERTAIN, no documented "reference invoice" attribute).

    Attributes:
        business_unit: ``BusinessUnit``.
        transaction_source: ``TransactionSource``.
        transaction_type: ``TransactionType`` (a credit memo type).
        transaction_date: ``TransactionDate``.
        bill_to_customer_number: ``BillToCustomerNumber`` (account number).
        credit_memo_currency: ``CreditMemoCurrency``.
        original_transaction_number: The reversed invoice's transaction number.
        lines: ``receivablesCreditMemoLines``.
        distributions: ``receivablesCreditMemoDistributions`` (invoice distributions given
            here are converted, so that they go out with ``CreditMemoLineNumber``).
        transaction_number: ``TransactionNumber`` (the credit memo's own posting key).
        accounting_date: ``AccountingDate``.
        bill_to_site: ``BillToSite``.
        credit_reason: ``CreditReason``.
        comments: ``CreditMemoComments``.
        extra: Additional wire fields, merged verbatim.
    """

    business_unit: str
    transaction_source: str
    transaction_type: str
    transaction_date: date
    bill_to_customer_number: str
    credit_memo_currency: str
    original_transaction_number: str
    lines: tuple[ReceivablesCreditMemoLine, ...] = attrs.field(converter=_credit_memo_lines)
    distributions: tuple[ReceivablesCreditMemoDistribution, ...] = attrs.field(
        default=(), converter=_memo_distributions
    )
    transaction_number: str | None = None
    accounting_date: date | None = None
    bill_to_site: str | None = None
    credit_reason: str | None = None
    comments: str | None = None
    extra: Mapping[str, Any] = _extra()

    @property
    def total(self) -> Decimal:
        """Sum of the line amounts and their tax lines (negative)."""
        return sum((line.total for line in self.lines), Decimal(0))


# -- inventory ------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class InventoryStagedTransaction:
    """An ``inventoryStagedTransactions`` create payload (one material transaction).

    Field names follow real integration payloads (see the reference notes); fields marked
    UNCERTAIN there (``OrganizationCode``) are sent only when set.

    Attributes:
        item_number: ``ItemNumber``.
        subinventory_code: ``SubinventoryCode``.
        transaction_quantity: ``TransactionQuantity`` (negative for an issue).
        transaction_unit_of_measure: ``TransactionUnitOfMeasure``.
        transaction_date: ``TransactionDate``, aware UTC, sent ISO-8601 with offset.
        transaction_type_name: ``TransactionTypeName`` (e.g. ``"Miscellaneous Issue"``).
        source_code: ``SourceCode``.
        source_header_id: ``SourceHeaderId``.
        source_line_id: ``SourceLineId``.
        transaction_reference: ``TransactionReference``; the lookup key after a timeout.
        organization_code: ``OrganizationCode`` (UNCERTAIN attribute name).
        organization_name: ``OrganizationName``.
        locator_name: ``LocatorName``.
        distribution_account: ``AccountCombination``, the offset account segment string.
        transaction_mode: ``TransactionMode`` (see :class:`TransactionMode`).
        use_current_cost: ``UseCurrentCostFlag``.
        transaction_cost: ``TransactionCost``.
        extra: Additional wire fields, merged verbatim.
    """

    item_number: str
    subinventory_code: str
    transaction_quantity: Decimal
    transaction_unit_of_measure: str
    transaction_date: datetime = attrs.field(validator=_aware_utc)
    transaction_type_name: str
    source_code: str
    source_header_id: str
    source_line_id: str
    transaction_reference: str
    organization_code: str | None = None
    organization_name: str | None = None
    locator_name: str | None = None
    distribution_account: str | None = None
    transaction_mode: str | None = None
    use_current_cost: bool | None = None
    transaction_cost: Decimal | None = None
    extra: Mapping[str, Any] = _extra()


# -- customers ------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class NewParty:
    """A party to create in ``hubOrganizations`` or ``hubPersons``, with one email contact point.

    Creating a party creates no customer account or site (those need the SOAP service or an
    import), so this serves the customer-alignment flow only.

    Attributes:
        party_type: Organization or person.
        email_address: Sent as a ``ContactPoint`` child of type ``EMAIL``.
        organization_name: ``OrganizationName`` (organizations).
        first_name: ``FirstName`` (persons; UNCERTAIN attribute name).
        last_name: ``LastName`` (persons; UNCERTAIN attribute name).
        extra: Additional wire fields, merged verbatim.
    """

    party_type: PartyType
    email_address: str
    organization_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    extra: Mapping[str, Any] = _extra()


# -- read models ----------------------------------------------------------------------------------


def _raw_field() -> Any:
    """The ``raw`` field of read models: the item as received, outside equality and repr."""
    return attrs.field(factory=dict, eq=False, repr=False, kw_only=True)


@attrs.frozen(kw_only=True)
class ReceivablesInvoiceRecord:
    """A receivables invoice as Oracle returns it (header only).

    Attributes:
        customer_transaction_id: ``CustomerTransactionId``, the item key.
        transaction_number: ``TransactionNumber``.
        cross_reference: ``CrossReference``.
        business_unit: ``BusinessUnit``.
        transaction_source: ``TransactionSource``.
        transaction_type: ``TransactionType``.
        transaction_date: ``TransactionDate``.
        bill_to_customer_number: ``BillToCustomerNumber``.
        bill_to_site: ``BillToSite``.
        invoice_currency_code: ``InvoiceCurrencyCode``.
        invoice_status: ``InvoiceStatus``.
        entered_amount: ``EnteredAmount``.
        invoice_balance_amount: ``InvoiceBalanceAmount``.
        creation_date: ``CreationDate`` (UTC).
        raw: The item as received.
    """

    customer_transaction_id: int
    transaction_number: str | None = None
    cross_reference: str | None = None
    business_unit: str | None = None
    transaction_source: str | None = None
    transaction_type: str | None = None
    transaction_date: date | None = None
    bill_to_customer_number: str | None = None
    bill_to_site: str | None = None
    invoice_currency_code: str | None = None
    invoice_status: str | None = None
    entered_amount: Decimal | None = None
    invoice_balance_amount: Decimal | None = None
    creation_date: datetime | None = None
    raw: Mapping[str, Any] = _raw_field()


@attrs.frozen(kw_only=True)
class ReceivablesCreditMemoRecord:
    """A receivables credit memo as Oracle returns it (header only).

    Attributes:
        customer_transaction_id: ``CustomerTransactionId``.
        transaction_number: ``TransactionNumber``.
        business_unit: ``BusinessUnit``.
        transaction_date: ``TransactionDate``.
        bill_to_customer_number: ``BillToCustomerNumber``.
        credit_memo_currency: ``CreditMemoCurrency``.
        credit_memo_status: ``CreditMemoStatus``.
        cross_reference: ``CrossReference``.
        raw: The item as received.
    """

    customer_transaction_id: int
    transaction_number: str | None = None
    business_unit: str | None = None
    transaction_date: date | None = None
    bill_to_customer_number: str | None = None
    credit_memo_currency: str | None = None
    credit_memo_status: str | None = None
    cross_reference: str | None = None
    raw: Mapping[str, Any] = _raw_field()


@attrs.frozen(kw_only=True)
class InventoryStagedTransactionRecord:
    """An inventory staged transaction as Oracle returns it.

    Attributes:
        transaction_interface_id: ``TransactionInterfaceId``, the item key.
        item_number: ``ItemNumber``.
        organization_code: ``OrganizationCode``.
        organization_name: ``OrganizationName``.
        transaction_quantity: ``TransactionQuantity``.
        transaction_type_name: ``TransactionTypeName``.
        source_code: ``SourceCode``.
        source_header_id: ``SourceHeaderId``.
        source_line_id: ``SourceLineId``.
        transaction_reference: ``TransactionReference``.
        process_status: ``ProcessStatus``.
        error_code: ``ErrorCode``; set means the transaction failed.
        error_explanation: ``ErrorExplanation``.
        raw: The item as received.
    """

    transaction_interface_id: int | None = None
    item_number: str | None = None
    organization_code: str | None = None
    organization_name: str | None = None
    transaction_quantity: Decimal | None = None
    transaction_type_name: str | None = None
    source_code: str | None = None
    source_header_id: str | None = None
    source_line_id: str | None = None
    transaction_reference: str | None = None
    process_status: str | None = None
    error_code: str | None = None
    error_explanation: str | None = None
    raw: Mapping[str, Any] = _raw_field()

    @property
    def failed(self) -> bool:
        """Whether Oracle reported an error for this transaction (even inside a 2xx)."""
        return bool((self.error_code or "").strip() or (self.error_explanation or "").strip())


@attrs.frozen(kw_only=True)
class CustomerAccountSite:
    """One bill-to site of a customer account (``receivablesCustomerAccountSiteActivities``).

    Attributes:
        bill_to_site_use_id: ``BillToSiteUseId``, the item key.
        bill_to_site_number: ``BillToSiteNumber``; what an invoice's ``BillToSite`` names.
        account_number: ``AccountNumber``; what an invoice's ``BillToCustomerNumber`` names.
        bill_to_site_address: ``BillToSiteAddress``.
        account_id: ``AccountId``.
        customer_name: ``CustomerName``.
        customer_id: ``CustomerId`` (the party id).
        raw: The item as received.
    """

    bill_to_site_use_id: int
    bill_to_site_number: str
    account_number: str
    bill_to_site_address: str | None = None
    account_id: int | None = None
    customer_name: str | None = None
    customer_id: int | None = None
    raw: Mapping[str, Any] = _raw_field()


@attrs.frozen(kw_only=True)
class CustomerAccount:
    """A customer account with its bill-to sites, assembled from site rows.

    Attributes:
        account_number: The account number (``BillToCustomerNumber`` on invoices).
        account_id: ``AccountId``.
        customer_name: ``CustomerName``.
        customer_id: ``CustomerId`` (the party id).
        sites: Its bill-to sites.
    """

    account_number: str
    account_id: int | None = None
    customer_name: str | None = None
    customer_id: int | None = None
    sites: tuple[CustomerAccountSite, ...] = attrs.field(default=(), converter=_sites)


@attrs.frozen(kw_only=True)
class Party:
    """A TCA party (organization or person) found by email or created by us.

    Attributes:
        party_number: ``PartyNumber``, the item key.
        party_type: Which resource it came from.
        party_id: ``PartyId``.
        party_name: ``PartyName`` (or the organization name / person's names).
        email_address: The email read from the configured attribute.
        raw: The item as received.
    """

    party_number: str
    party_type: PartyType
    party_id: int | None = None
    party_name: str | None = None
    email_address: str | None = None
    raw: Mapping[str, Any] = _raw_field()


@attrs.frozen(kw_only=True)
class AccountCombination:
    """An account combination from ``accountCombinationsLOV``.

    Attributes:
        code_combination_id: ``_CODE_COMBINATION_ID``.
        segments: ``Segment1`` .. ``SegmentN`` values in order (trailing empties dropped).
        enabled: ``EnabledFlag`` read as a boolean (``None`` when absent).
        start_date_active: ``StartDateActive``.
        end_date_active: ``EndDateActive``.
        chart_of_accounts_id: ``_CHART_OF_ACCOUNTS_ID``.
        account_type: ``AccountType``.
        raw: The item as received.
    """

    code_combination_id: int
    segments: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    enabled: bool | None = None
    start_date_active: date | None = None
    end_date_active: date | None = None
    chart_of_accounts_id: int | None = None
    account_type: str | None = None
    raw: Mapping[str, Any] = _raw_field()

    def active_on(self, day: date) -> bool:
        """Whether the combination is enabled and inside its active dates on ``day``."""
        if self.enabled is False:
            return False
        if self.start_date_active is not None and day < self.start_date_active:
            return False
        return not (self.end_date_active is not None and day > self.end_date_active)
