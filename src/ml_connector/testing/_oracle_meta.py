"""Attribute metadata of the Oracle resources the Fusion simulator serves.

The simulator is as strict as Oracle's REST documentation lets us be, and it reads that
strictness from here: which attributes a resource has, which are queryable and updatable, and
their documented maximum lengths. ``GET .../describe`` answers from the same tables, the way
Oracle's describe endpoint reports "attribute properties such as name, type, mandatory,
updatable, queryable" (https://docs.oracle.com/en/cloud/saas/financials/23d/farfa/Use_Metadata_Catalog.html).

Where an operation page's schema was read, an attribute cites it. Where it could not be read in
full (the pages are long and our excerpts end early) the attribute is marked UNVERIFIED: a real
tenant's ``/describe`` settles it, and the connector's preflight asks it before posting. Lengths
marked "column" come from the interface table's column size (the stricter reading).

One section per resource, so two people can edit different resources without meeting:

- Inventory: ``inventoryStagedTransactions``, ``inventoryCompletedTransactions``
- Receivables: ``receivablesInvoices``, ``receivablesCreditMemos``,
  ``receivablesCustomerAccountSiteActivities``
- General ledger: ``accountCombinationsLOV``
- Parties: ``hubPersons``, ``hubOrganizations``

A child collection is either described (its items are checked like the parent's) or ``None``:
accepted as sent, not checked (yet).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

__all__ = ["Attr", "ResourceMeta", "RESOURCES", "resource_meta"]


@attrs.frozen
class Attr:
    """One attribute of a resource.

    Attributes:
        name: The attribute name, as on the wire.
        type: ``string``, ``number``, ``integer``, ``boolean``, ``date`` or ``datetime``.
        queryable: Whether ``q`` may name it.
        updatable: Whether PATCH may change it.
        creatable: Whether a POST may send it (read-only attributes are answered, not taken).
        max_length: The documented maximum length of a string, if any.
        mandatory: Whether a create must send it.
    """

    name: str
    type: str = "string"
    queryable: bool = True
    updatable: bool = True
    creatable: bool = True
    max_length: int | None = None
    mandatory: bool = False

    def describe(self) -> dict[str, object]:
        """The attribute as ``/describe`` lists it."""
        out: dict[str, object] = {
            "name": self.name,
            "type": self.type,
            "updatable": self.updatable,
            "mandatory": self.mandatory,
            "queryable": self.queryable,
        }
        if self.max_length is not None:
            out["precision"] = self.max_length
        return out


@attrs.frozen
class ResourceMeta:
    """What a resource (or a child collection) accepts and answers.

    Attributes:
        name: The resource (or child) name.
        attributes: Its attributes by name.
        children: Child collections: described, or ``None`` (accepted, not checked).
        doc: The Oracle page the attribute list comes from.
    """

    name: str
    attributes: Mapping[str, Attr]
    children: Mapping[str, ResourceMeta | None] = attrs.field(factory=dict)
    doc: str = ""

    def describe(self) -> list[dict[str, object]]:
        """Every attribute as ``/describe`` lists it."""
        return [attribute.describe() for attribute in self.attributes.values()]


def _meta(
    name: str,
    attributes: Iterable[Attr],
    *,
    children: Mapping[str, ResourceMeta | None] | None = None,
    doc: str = "",
) -> ResourceMeta:
    return ResourceMeta(name, {a.name: a for a in attributes}, dict(children or {}), doc)


def _read(name: str, type: str = "string", **kw: object) -> Attr:
    """An attribute Oracle answers but does not take in a create."""
    return Attr(name, type, creatable=False, updatable=False, **kw)  # type: ignore[arg-type]


# == Inventory: inventoryStagedTransactions ======================================================
# Create: https://docs.oracle.com/en/cloud/saas/supply-chain-and-manufacturing/24c/fasrp/op-inventorystagedtransactions-post.html
# (Carrier 255, CategoryName 250, ConsignmentAgreementNumber 30 are read from that page; the
# names our payloads use are in real integration payloads, see the reference notes, and are
# UNVERIFIED against the page's full list; lengths marked "column" are the interface table's.)
# "This REST resource supports Online, Background, and Concurrent transaction modes."
# https://docs.oracle.com/en/cloud/saas/supply-chain-and-manufacturing/23d/fasrp/api-inventory-management-inventory-staged-transactions.html

INVENTORY_STAGED = _meta(
    "inventoryStagedTransactions",
    [
        _read("TransactionInterfaceId", "integer"),
        Attr("TransactionHeaderId", "integer"),
        Attr("AccountAliasCombination"),
        Attr("AccountCombination"),
        Attr("AssessableValue", "number"),
        Attr("Carrier", max_length=255),
        Attr("CategoryName", max_length=250),
        Attr("ChartOfAccountsId", "integer"),
        Attr("ConsignmentAgreementNumber", max_length=30),
        Attr("DistributionAccountId", "integer"),
        Attr("InventoryItemId", "integer"),
        Attr("ItemNumber", max_length=300, mandatory=True),  # column
        Attr("OrganizationId", "integer"),
        Attr("OrganizationCode", max_length=18),  # column
        Attr("OrganizationName", max_length=240),  # column
        Attr("SubinventoryCode", max_length=10),  # column
        Attr("LocatorName", max_length=255),  # column
        Attr("TransactionQuantity", "number", mandatory=True),
        Attr("TransactionUnitOfMeasure", max_length=25),  # column
        Attr("TransactionUOMCode", max_length=3),  # column
        Attr("TransactionDate", "datetime"),
        Attr("TransactionTypeName", max_length=80, mandatory=True),  # column
        Attr("TransactionTypeId", "integer"),
        Attr("SourceCode", max_length=30),  # column
        Attr("SourceHeaderId", "integer"),
        Attr("SourceLineId", "integer"),
        Attr("TransactionReference", max_length=240),  # column
        Attr("TransactionSourceName", max_length=80),  # column
        Attr("TransactionMode", max_length=30),
        Attr("ProcessStatus"),
        Attr("UseCurrentCostFlag", "boolean"),
        Attr("TransactionCost", "number"),
        Attr("TransactionCostIdentifier"),
        _read("ErrorCode", max_length=240),
        _read("ErrorExplanation", max_length=240),
        _read("CreationDate", "datetime"),
        _read("LastUpdateDate", "datetime"),
    ],
    children={
        "costs": None,
        "lots": None,
        "serials": None,
        "trackingAttributesDFF": None,
        "dFFs": None,
        "projectCostDetails": None,
    },
    doc="https://docs.oracle.com/en/cloud/saas/supply-chain-and-manufacturing/24c/fasrp/op-inventorystagedtransactions-post.html",
)


# == Inventory: inventoryCompletedTransactions ===================================================
# GET only ("Get all transactions", "Get one transaction" by TransactionId):
# https://docs.oracle.com/en/cloud/saas/supply-chain-and-manufacturing/23d/fasrp/op-inventorycompletedtransactions-get.html
# https://docs.oracle.com/en/cloud/saas/supply-chain-and-manufacturing/24c/fasrp/op-inventorycompletedtransactions-transactionid-get.html
# The attribute list below is UNVERIFIED beyond the key (the excerpts end before it): it holds
# the movement's identity and the reference carried over from the interface row. It has no
# SourceHeaderId and no TransactionInterfaceId (the stricter reading: a completed material
# transaction is not the interface row), so a look-up that must work in both resources uses
# TransactionReference.

INVENTORY_COMPLETED = _meta(
    "inventoryCompletedTransactions",
    [
        _read("TransactionId", "integer"),
        _read("TransactionHeaderId", "integer"),
        _read("ItemNumber"),
        _read("InventoryItemId", "integer"),
        _read("OrganizationId", "integer"),
        _read("OrganizationCode"),
        _read("OrganizationName"),
        _read("SubinventoryCode"),
        _read("LocatorName"),
        _read("TransactionQuantity", "number"),
        _read("TransactionUnitOfMeasure"),
        _read("TransactionDate", "datetime"),
        _read("TransactionTypeName"),
        _read("TransactionSourceTypeName"),
        _read("SourceCode"),
        _read("SourceLineId", "integer"),
        _read("TransactionReference"),
        _read("CreationDate", "datetime"),
    ],
    children={"lots": None, "serials": None, "dFFs": None},
    doc="https://docs.oracle.com/en/cloud/saas/supply-chain-and-manufacturing/23d/fasrp/op-inventorycompletedtransactions-get.html",
)


# == Receivables: receivablesInvoices ============================================================
# https://docs.oracle.com/en/cloud/saas/financials/25c/farfa/op-receivablesinvoices-post.html
# Lines, tax lines and distributions are described below (flexfields and installments are
# accepted as sent). Lengths are the RA_CUSTOMER_TRX column sizes (UNVERIFIED, stricter reading).

_AR_COMMON = (
    _read("CustomerTransactionId", "integer"),
    Attr("TransactionNumber", max_length=20),
    Attr("BusinessUnit", max_length=240),
    Attr("TransactionSource", max_length=50),
    Attr("TransactionType", max_length=20),
    Attr("TransactionDate", "date"),
    Attr("AccountingDate", "date"),
    Attr("BillToCustomerNumber", max_length=30),
    Attr("BillToCustomerName", max_length=360),
    Attr("BillToSite", max_length=30),
    Attr("BillToContact"),
    Attr("CrossReference", max_length=150),
    Attr("DocumentNumber", "integer"),
    Attr("Comments", max_length=1760),
    Attr("InternalNotes", max_length=240),
    Attr("LegalEntityIdentifier"),
    Attr("ConversionDate", "date"),
    Attr("ConversionRate", "number"),
    Attr("ConversionRateType", max_length=30),
    Attr("SpecialInstructions", max_length=240),
    Attr("PurchaseOrder", max_length=50),
    Attr("PurchaseOrderDate", "date"),
    Attr("PurchaseOrderRevision", max_length=50),
    _read("BillToPartyId", "integer"),
    _read("EnteredAmount", "number"),
    _read("CreationDate", "datetime"),
    _read("LastUpdateDate", "datetime"),
)

# -- Receivables children (lines, tax lines, distributions) --------------------------------------
# Invoice lines: Oracle's create examples and the line schema
# (https://docs.oracle.com/en/cloud/saas/financials/24c/farfa/Create_an_Invoice_with_Distributions_of_Type_Tax_Freight_Revenue_and_Receivables.html,
# https://docs.oracle.com/en/cloud/saas/financials/24c/farfa/api-receivables-invoices-receivables-invoice-lines.html);
# names beyond the examples are UNVERIFIED (from integration code reading the same resource).
# Freight at the line level is AllocatedFreightAmount; manual tax lines are the
# receivablesInvoiceLineTaxLines child.

_TAX_LINE_ATTRIBUTES = (
    # https://docs.oracle.com/en/cloud/saas/financials/24d/farfa/op-receivablesinvoices-customertransactionid-child-receivablesinvoicelines-customertransactionlineid-child-receivablesinvoicelinetaxlines-post.html
    _read("CustomerTransactionLineId", "integer"),
    Attr("Tax", max_length=80),
    Attr("TaxAmount", "number"),
    Attr("TaxInclusiveIndicator", max_length=255),
    Attr("TaxJurisdictionCode"),  # UNVERIFIED
    Attr("TaxRate", "number"),  # UNVERIFIED
    Attr("TaxRateCode"),  # in the example
    Attr("TaxRegimeCode"),  # in the example
    Attr("TaxStatusCode"),  # UNVERIFIED
)

RECEIVABLES_INVOICE_LINE_TAX_LINES = _meta(
    "receivablesInvoiceLineTaxLines",
    _TAX_LINE_ATTRIBUTES,
    doc="https://docs.oracle.com/en/cloud/saas/financials/24d/farfa/op-receivablesinvoices-customertransactionid-child-receivablesinvoicelines-customertransactionlineid-child-receivablesinvoicelinetaxlines-post.html",
)

RECEIVABLES_INVOICE_LINES = _meta(
    "receivablesInvoiceLines",
    [
        _read("CustomerTransactionLineId", "integer"),
        Attr("LineNumber", "integer"),
        Attr("Description", max_length=240),
        Attr("ItemNumber", max_length=300),
        Attr("MemoLine", max_length=50),
        Attr("Quantity", "number"),
        Attr("UnitSellingPrice", "number"),
        Attr("UnitOfMeasure", max_length=25),
        Attr("LineAmount", "number"),
        Attr("LineAmountIncludesTax"),
        Attr("AllocatedFreightAmount", "number"),
        Attr("AssessableValue", "number"),
        Attr("TaxClassificationCode", max_length=50),
        Attr("TaxExemptionHandling"),
        Attr("TaxExemptionReason"),
        Attr("TaxExemptionCertificateNumber"),
        Attr("TaxInvoiceDate", "date"),
        Attr("TaxInvoiceNumber"),
        Attr("TransactionBusinessCategory"),
        Attr("ProductFiscalClassification"),
        Attr("ProductCategory"),
        Attr("ProductType"),
        Attr("LineIntendedUse"),
        Attr("UserDefinedFiscalClassification"),
        Attr("SalesOrder", max_length=50),
        Attr("SalesOrderDate", "date"),
        Attr("AccountingRule"),
        Attr("AccountingRuleDuration", "integer"),
        Attr("RuleStartDate", "date"),
        Attr("RuleEndDate", "date"),
        Attr("Warehouse"),
    ],
    children={
        "receivablesInvoiceLineTaxLines": RECEIVABLES_INVOICE_LINE_TAX_LINES,
        "receivablesInvoiceLineDFF": None,
        "receivablesInvoiceLineGdf": None,
        "receivablesInvoiceLineTransactionDFF": None,
        "attachments": None,
    },
    doc="https://docs.oracle.com/en/cloud/saas/financials/24c/farfa/api-receivables-invoices-receivables-invoice-lines.html",
)

_DISTRIBUTION_ATTRIBUTES = (
    _read("DistributionId", "integer"),
    Attr("AccountClass", max_length=255),
    Attr("AccountCombination", max_length=255),
    Attr("Amount", "number"),
    Attr("AccountedAmount", "number"),
    Attr("Percent", "number"),
    Attr("DetailedTaxLineNumber", "integer"),
    Attr("Comments", max_length=240),
)

# Invoice distributions name their line by InvoiceLineNumber
# (https://docs.oracle.com/en/cloud/saas/financials/23d/farfa/op-receivablesinvoices-customertransactionid-child-receivablesinvoicedistributions-distributionid-get.html).
RECEIVABLES_INVOICE_DISTRIBUTIONS = _meta(
    "receivablesInvoiceDistributions",
    [*_DISTRIBUTION_ATTRIBUTES, Attr("InvoiceLineNumber", "integer")],
    children={"receivablesInvoiceDistributionDFF": None},
    doc="https://docs.oracle.com/en/cloud/saas/financials/23d/farfa/op-receivablesinvoices-customertransactionid-child-receivablesinvoicedistributions-distributionid-get.html",
)

# Credit memo lines and tax lines: Oracle's credit memo examples and the line schema
# (https://docs.oracle.com/en/cloud/saas/financials/23d/farfa/op-receivablescreditmemos-customertransactionid-child-receivablescreditmemolines-post.html,
# https://docs.oracle.com/en/cloud/saas/financials/24c/farfa/Create_an_On_Account_Credit_Memo_with_Manual_Distributions_of_Type_Revenue_and_Receivables.html).
RECEIVABLES_CREDIT_MEMO_LINES = _meta(
    "receivablesCreditMemoLines",
    [
        _read("CustomerTransactionLineId", "integer"),
        Attr("LineNumber", "integer"),
        Attr("LineDescription", max_length=240),
        Attr("ItemNumber", max_length=300),
        Attr("MemoLine", max_length=50),
        Attr("LineQuantityCredit", "number"),
        Attr("UnitSellingPrice", "number"),
        Attr("UnitOfMeasure", max_length=25),
        Attr("LineAmountCredit", "number"),
        Attr("LineAmountIncludesTax", max_length=255),
        Attr("LineCreditReason", max_length=255),
        Attr("TaxClassificationCode", max_length=50),
        Attr("TransactionBusinessCategory"),
        Attr("LineIntendedUse"),
        Attr("LineProductType"),
        Attr("LineProductCategory"),
        Attr("UserDefinedFiscalClassification"),
    ],
    children={
        "receivablesCreditMemoLineTaxLines": _meta(
            "receivablesCreditMemoLineTaxLines", _TAX_LINE_ATTRIBUTES
        ),
        "receivablesCreditMemoLineDFF": None,
        "receivablesCreditMemoLineGdf": None,
        "receivablesCreditMemoLineTransactionDFF": None,
        "attachments": None,
    },
    doc="https://docs.oracle.com/en/cloud/saas/financials/23d/farfa/op-receivablescreditmemos-customertransactionid-child-receivablescreditmemolines-post.html",
)

# Credit memo distributions name their line by CreditMemoLineNumber; InvoiceLineNumber is not
# an attribute of this resource.
# https://docs.oracle.com/en/cloud/saas/financials/25c/farfa/op-receivablescreditmemos-customertransactionid-child-receivablescreditmemodistributions-post.html
RECEIVABLES_CREDIT_MEMO_DISTRIBUTIONS = _meta(
    "receivablesCreditMemoDistributions",
    [*_DISTRIBUTION_ATTRIBUTES, Attr("CreditMemoLineNumber", "integer")],
    children={"receivablesCreditMemoDistributionDFF": None},
    doc="https://docs.oracle.com/en/cloud/saas/financials/25c/farfa/op-receivablescreditmemos-customertransactionid-child-receivablescreditmemodistributions-post.html",
)


RECEIVABLES_INVOICES = _meta(
    "receivablesInvoices",
    [
        *_AR_COMMON,
        Attr("InvoiceCurrencyCode", max_length=15),
        Attr("PaymentTerms", max_length=15),
        Attr("DueDate", "date"),
        Attr("ShipToCustomerNumber", max_length=30),
        Attr("ShipToSite", max_length=30),
        Attr("ShipToCustomerName", max_length=360),
        # In Oracle's own create example ("Create an invoice"), with ShipToCustomerName:
        # https://docs.oracle.com/en/cloud/saas/financials/25c/farfa/op-receivablesinvoices-post.html
        Attr("BillingDate", "date"),
        Attr("InvoiceStatus", max_length=30),
        _read("InvoiceBalanceAmount", "number"),
    ],
    children={
        "receivablesInvoiceLines": RECEIVABLES_INVOICE_LINES,
        "receivablesInvoiceDistributions": RECEIVABLES_INVOICE_DISTRIBUTIONS,
        "receivablesInvoiceInstallments": None,
        "receivablesInvoiceDFF": None,
        "receivablesInvoiceGdf": None,
        "receivablesInvoiceTransactionDFF": None,
        "notes": None,
        "attachments": None,
    },
    doc="https://docs.oracle.com/en/cloud/saas/financials/25c/farfa/op-receivablesinvoices-post.html",
)


# == Receivables: receivablesCreditMemos =========================================================
# https://docs.oracle.com/en/cloud/saas/financials/24d/farfa/Create_an_On_Account_Credit_Memo_with_Lines.html

RECEIVABLES_CREDIT_MEMOS = _meta(
    "receivablesCreditMemos",
    [
        *_AR_COMMON,
        Attr("CreditMemoCurrency", max_length=15),
        Attr("CreditReason", max_length=30),
        Attr("CreditMemoComments", max_length=1760),
        Attr("CreditMemoStatus", max_length=30),
        # In Oracle's credit memo examples:
        # https://docs.oracle.com/en/cloud/saas/financials/23d/farfa/Create_an_On_Account_Credit_Memo_with_Manual_Distributions.html
        Attr("ShipToCustomerName", max_length=360),
        Attr("ShipToCustomerNumber", max_length=30),
        Attr("ShipToCustomerSite", max_length=30),
        Attr("GenerateBill", max_length=30),
    ],
    children={
        "receivablesCreditMemoLines": RECEIVABLES_CREDIT_MEMO_LINES,
        "receivablesCreditMemoDistributions": RECEIVABLES_CREDIT_MEMO_DISTRIBUTIONS,
        "receivablesCreditMemoDFF": None,
        "receivablesCreditMemoGdf": None,
        "receivablesCreditMemoTransactionDFF": None,
        "attachments": None,
        "notes": None,
    },
    doc="https://docs.oracle.com/en/cloud/saas/financials/24d/farfa/Create_an_On_Account_Credit_Memo_with_Lines.html",
)


# == Receivables: receivablesCustomerAccountSiteActivities (GET only) ============================
# https://docs.oracle.com/en/cloud/saas/financials/25c/farfa/api-receivables-customer-account-site-activities.html

CUSTOMER_SITE_ACTIVITIES = _meta(
    "receivablesCustomerAccountSiteActivities",
    [
        _read("BillToSiteUseId", "integer"),
        _read("BillToSiteNumber"),
        _read("BillToSiteAddress"),
        _read("AccountNumber"),
        _read("AccountId", "integer"),
        _read("CustomerName"),
        _read("CustomerId", "integer"),
        _read("TaxRegistrationNumber"),
        _read("TaxpayerIdentificationNumber"),
    ],
    doc="https://docs.oracle.com/en/cloud/saas/financials/25c/farfa/api-receivables-customer-account-site-activities.html",
)


# == General ledger: accountCombinationsLOV (GET only) ===========================================
# https://docs.oracle.com/en/cloud/saas/financials/25c/farfa/api-general-ledger-account-combinations-list-of-values.html

ACCOUNT_COMBINATIONS = _meta(
    "accountCombinationsLOV",
    [
        _read("_CODE_COMBINATION_ID", "integer"),
        _read("_CHART_OF_ACCOUNTS_ID", "integer"),
        _read("ConcatenatedSegments"),
        _read("EnabledFlag"),
        _read("AccountType"),
        _read("StartDateActive", "date"),
        _read("EndDateActive", "date"),
        *(_read(f"Segment{n}") for n in range(1, 31)),
    ],
    doc="https://docs.oracle.com/en/cloud/saas/financials/25c/farfa/api-general-ledger-account-combinations-list-of-values.html",
)


# == Parties: hubPersons, hubOrganizations =======================================================
# https://docs.oracle.com/en/cloud/saas/sales/faaps/api-hub-persons.html
# https://docs.oracle.com/en/cloud/saas/sales/faaps/api-hub-organizations.html


def _party(name: str, doc: str) -> ResourceMeta:
    return _meta(
        name,
        [
            _read("PartyId", "integer"),
            Attr("PartyNumber", max_length=30),
            Attr("PartyName", max_length=360),
            Attr("OrganizationName", max_length=360),
            # Which name pair hubPersons documents is UNVERIFIED here: the client sends
            # FirstName/LastName, examples use PersonFirstName/PersonLastName; both accepted.
            Attr("FirstName", max_length=150),
            Attr("LastName", max_length=150),
            Attr("PersonFirstName", max_length=150),
            Attr("PersonLastName", max_length=150),
            Attr("EmailAddress", max_length=320),
            _read("CreationDate", "datetime"),
            _read("LastUpdateDate", "datetime"),
        ],
        children={"ContactPoint": None, "Address": None, "SourceSystemReference": None},
        doc=doc,
    )


HUB_PERSONS = _party(
    "hubPersons", "https://docs.oracle.com/en/cloud/saas/sales/faaps/api-hub-persons.html"
)
HUB_ORGANIZATIONS = _party(
    "hubOrganizations",
    "https://docs.oracle.com/en/cloud/saas/sales/faaps/api-hub-organizations.html",
)


RESOURCES: dict[str, ResourceMeta] = {
    meta.name: meta
    for meta in (
        INVENTORY_STAGED,
        INVENTORY_COMPLETED,
        RECEIVABLES_INVOICES,
        RECEIVABLES_CREDIT_MEMOS,
        CUSTOMER_SITE_ACTIVITIES,
        ACCOUNT_COMBINATIONS,
        HUB_PERSONS,
        HUB_ORGANIZATIONS,
    )
}
"""Every described resource by name."""


def resource_meta(name: str) -> ResourceMeta | None:
    """The metadata of ``name``, or ``None`` when the simulator does not describe it."""
    return RESOURCES.get(name)
