"""Receivables rules of the Oracle simulator: transaction sources, strict bodies, tax and freight.

Kept apart from :mod:`._oracle` so that the generic resource metadata (``_oracle_meta``) can
absorb the attribute lists below as its receivables sections.

Transaction sources. Receivables numbers a transaction by its transaction source: a source with
automatic numbering assigns the next number itself and ignores a ``TransactionNumber`` in the
request; a manual source keeps the number given and refuses a number already used in the source
unless the source allows duplicates (columns ``AUTO_TRX_NUMBERING`` and "Allow duplicate
transaction numbers" of the transaction source,
https://docs.oracle.com/en/cloud/saas/financials/25c/oadsr/TransactionBatchSourceExtractPVO.html;
a source-assigned number, "864", in
https://docs.oracle.com/en/cloud/saas/financials/23d/farfa/Complete_an_Invoice.html). The error
codes for a missing and a duplicate manual number are not documented in the stored pages; the
ones below are the simulator's choice (the duplicate code is the simulator's setting).

Strict bodies. A create body with an attribute the resource does not have is refused with a
400, at every level (header, lines, tax lines, distributions). The attribute lists are the
documented request attributes of each resource: receivablesInvoices
(https://docs.oracle.com/en/cloud/saas/financials/25d/farfa/op-receivablesinvoices-post.html),
receivablesCreditMemos
(https://docs.oracle.com/en/cloud/saas/financials/25d/farfa/api-receivables-credit-memos.html),
their distributions (``InvoiceLineNumber`` on invoices, ``CreditMemoLineNumber`` on credit memos:
https://docs.oracle.com/en/cloud/saas/financials/25c/farfa/op-receivablescreditmemos-customertransactionid-child-receivablescreditmemodistributions-post.html)
and tax lines
(https://docs.oracle.com/en/cloud/saas/financials/24d/farfa/op-receivablesinvoices-customertransactionid-child-receivablesinvoicelines-customertransactionlineid-child-receivablesinvoicelinetaxlines-post.html).
Where a page was not at hand in full, the list holds the attributes of Oracle's own examples and
of the read schemas; a pod that knows more attributes is modelled with ``extra_attributes``. The
message text is the simulator's choice (Oracle's wording is not documented there).

Tax and freight. A manual tax line is a ``receivablesInvoiceLineTaxLines`` child of its line and
a Tax distribution names it by ``InvoiceLineNumber`` and ``DetailedTaxLineNumber``, "the number
of the tax line of an invoice line associated with the distribution" (1-based on that line);
freight at the line level is the line's ``AllocatedFreightAmount``, with Freight distributions
naming the line
(https://docs.oracle.com/en/cloud/saas/financials/24c/farfa/Create_an_Invoice_with_Distributions_of_Type_Tax_Freight_Revenue_and_Receivables.html).
The invoice's amount is its lines plus their tax lines and allocated freight.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import attrs

__all__ = [
    "RECEIVABLES_ATTRIBUTES",
    "TransactionSourceSetup",
    "check_attributes",
    "check_distributions",
    "document_amount",
]


@attrs.define
class TransactionSourceSetup:
    """One receivables transaction source of the simulated pod.

    Attributes:
        name: ``TransactionSource``.
        automatic_numbering: The source assigns ``TransactionNumber`` itself and ignores one
            in the request.
        allow_duplicate_numbers: A manual source accepts a number already used in it.
        next_number: The next number an automatic source assigns.
    """

    name: str
    automatic_numbering: bool = False
    allow_duplicate_numbers: bool = False
    next_number: int = 1001

    def assign(self) -> str:
        """The next automatic number."""
        number = self.next_number
        self.next_number += 1
        return str(number)


_FLEX = ("__FLEX_Context", "__FLEX_Context_DisplayValue")

_INVOICE_HEADER = frozenset(
    {
        "AccountingDate",
        "AllowCompletion",
        "BillToContact",
        "BillToCustomerName",
        "BillToCustomerNumber",
        "BillToSite",
        "BillingDate",
        "BusinessUnit",
        "Comments",
        "ControlCompletionReason",
        "ConversionDate",
        "ConversionRate",
        "ConversionRateType",
        "CrossReference",
        "CustomerTransactionId",
        "DefaultTaxationCountry",
        "DeliveryMethod",
        "DocumentFiscalClassification",
        "DocumentNumber",
        "DueDate",
        "Email",
        "FirstPartyTaxRegistration",
        "InternalNotes",
        "InvoiceCurrencyCode",
        "InvoiceStatus",
        "InvoicingRule",
        "LegalEntityIdentifier",
        "PayingCustomerAccount",
        "PayingCustomerSite",
        "PaymentTerms",
        "PrintOption",
        "PurchaseOrder",
        "PurchaseOrderDate",
        "PurchaseOrderRevision",
        "ReceiptMethod",
        "RemitToAddress",
        "SalesPersonNumber",
        "ShipToContact",
        "ShipToCustomerName",
        "ShipToCustomerNumber",
        "ShipToSite",
        "SoldToPartyNumber",
        "SpecialInstructions",
        "StructuredPaymentReference",
        "ThirdPartyRegistration",
        "TransactionDate",
        "TransactionNumber",
        "TransactionSource",
        "TransactionType",
    }
)

_CREDIT_MEMO_HEADER = frozenset(
    {
        "AccountingDate",
        "BillToContact",
        "BillToCustomerName",
        "BillToCustomerNumber",
        "BillToSite",
        "BusinessUnit",
        "ConversionDate",
        "ConversionRate",
        "ConversionRateType",
        "CreditMemoComments",
        "CreditMemoCurrency",
        "CreditMemoStatus",
        "CreditReason",
        "CrossReference",
        "CustomerTransactionId",
        "DocumentNumber",
        "GenerateBill",
        "InternalNotes",
        "LegalEntityIdentifier",
        "PurchaseOrder",
        "PurchaseOrderDate",
        "PurchaseOrderRevision",
        "ShipToCustomerName",
        "ShipToCustomerNumber",
        "ShipToCustomerSite",
        "SpecialInstructions",
        "TransactionDate",
        "TransactionNumber",
        "TransactionSource",
        "TransactionType",
    }
)

_TAX_LINE = frozenset(
    {
        "CustomerTransactionLineId",
        "Tax",
        "TaxAmount",
        "TaxInclusiveIndicator",
        "TaxJurisdictionCode",
        "TaxRate",
        "TaxRateCode",
        "TaxRegimeCode",
        "TaxStatusCode",
    }
)

_INVOICE_LINE = frozenset(
    {
        "AccountingRule",
        "AccountingRuleDuration",
        "AllocatedFreightAmount",
        "AssessableValue",
        "CustomerTransactionLineId",
        "Description",
        "ItemNumber",
        "LineAmount",
        "LineAmountIncludesTax",
        "LineIntendedUse",
        "LineNumber",
        "MemoLine",
        "ProductCategory",
        "ProductFiscalClassification",
        "ProductType",
        "Quantity",
        "RuleEndDate",
        "RuleStartDate",
        "SalesOrder",
        "SalesOrderDate",
        "TaxClassificationCode",
        "TaxExemptionCertificateNumber",
        "TaxExemptionHandling",
        "TaxExemptionReason",
        "TaxInvoiceDate",
        "TaxInvoiceNumber",
        "TransactionBusinessCategory",
        "UnitOfMeasure",
        "UnitSellingPrice",
        "UserDefinedFiscalClassification",
        "Warehouse",
    }
)

_CREDIT_MEMO_LINE = frozenset(
    {
        "CustomerTransactionLineId",
        "ItemNumber",
        "LineAmountCredit",
        "LineAmountIncludesTax",
        "LineCreditReason",
        "LineDescription",
        "LineIntendedUse",
        "LineNumber",
        "LineProductCategory",
        "LineProductType",
        "LineQuantityCredit",
        "MemoLine",
        "TaxClassificationCode",
        "TransactionBusinessCategory",
        "UnitOfMeasure",
        "UnitSellingPrice",
        "UserDefinedFiscalClassification",
    }
)

_DISTRIBUTION = frozenset(
    {
        "AccountClass",
        "AccountCombination",
        "AccountedAmount",
        "Amount",
        "Comments",
        "DetailedTaxLineNumber",
        "DistributionId",
        "Percent",
    }
)

RECEIVABLES_ATTRIBUTES: dict[str, dict[str, Any]] = {
    "receivablesInvoices": {
        "attributes": _INVOICE_HEADER,
        "children": {
            "receivablesInvoiceLines": {
                "attributes": _INVOICE_LINE,
                "children": {
                    "receivablesInvoiceLineTaxLines": {"attributes": _TAX_LINE},
                    "receivablesInvoiceLineDFF": {"flex": True},
                    "receivablesInvoiceLineGdf": {"flex": True},
                    "receivablesInvoiceLineTransactionDFF": {"flex": True},
                    "attachments": {"flex": True},
                },
            },
            "receivablesInvoiceDistributions": {
                "attributes": _DISTRIBUTION | {"InvoiceLineNumber"},
                "children": {"receivablesInvoiceDistributionDFF": {"flex": True}},
            },
            "receivablesInvoiceInstallments": {"flex": True},
            "receivablesInvoiceDFF": {"flex": True},
            "receivablesInvoiceGdf": {"flex": True},
            "receivablesInvoiceTransactionDFF": {"flex": True},
            "notes": {"flex": True},
            "attachments": {"flex": True},
        },
    },
    "receivablesCreditMemos": {
        "attributes": _CREDIT_MEMO_HEADER,
        "children": {
            "receivablesCreditMemoLines": {
                "attributes": _CREDIT_MEMO_LINE,
                "children": {
                    "receivablesCreditMemoLineTaxLines": {"attributes": _TAX_LINE},
                    "receivablesCreditMemoLineDFF": {"flex": True},
                    "receivablesCreditMemoLineGdf": {"flex": True},
                    "receivablesCreditMemoLineTransactionDFF": {"flex": True},
                    "attachments": {"flex": True},
                },
            },
            "receivablesCreditMemoDistributions": {
                "attributes": _DISTRIBUTION | {"CreditMemoLineNumber"},
                "children": {"receivablesCreditMemoDistributionDFF": {"flex": True}},
            },
            "receivablesCreditMemoDFF": {"flex": True},
            "receivablesCreditMemoGdf": {"flex": True},
            "receivablesCreditMemoTransactionDFF": {"flex": True},
            "notes": {"flex": True},
            "attachments": {"flex": True},
        },
    },
}
"""Create attributes per receivables resource and child (``flex``: not checked: flexfields and
attachments have tenant-defined segments)."""


def check_attributes(
    resource: str, body: Mapping[str, Any], extra: Iterable[str] = ()
) -> str | None:
    """The first attribute of ``body`` (or of a child item) that ``resource`` does not have.

    Returns ``"<path>.<attribute>"`` or ``None``. ``extra`` names attributes a tenant adds.
    """
    spec = RECEIVABLES_ATTRIBUTES.get(resource)
    if spec is None:
        return None
    return _check(resource, spec, body, frozenset(extra))


def _check(path: str, spec: Mapping[str, Any], body: Any, extra: frozenset[str]) -> str | None:
    if spec.get("flex") or not isinstance(body, Mapping):
        return None
    children: Mapping[str, Any] = spec.get("children", {})
    allowed: frozenset[str] = spec["attributes"]
    for name, value in body.items():
        if name in children:
            items = value if isinstance(value, list) else [value]
            for item in items:
                found = _check(f"{path}.{name}", children[name], item, extra)
                if found is not None:
                    return found
        elif name not in allowed and name not in extra and name not in _FLEX:
            return f"{path}.{name}"
    return None


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


def check_distributions(
    lines: list[Mapping[str, Any]],
    distributions: list[Mapping[str, Any]],
    *,
    line_attribute: str,
    tax_lines_name: str,
) -> str | None:
    """Why a distribution names a line or tax line that is not there, or ``None``.

    Revenue, Tax and Freight distributions name their line (``line_attribute``); a Tax
    distribution also names the line's tax line (``DetailedTaxLineNumber``), a Freight
    distribution of an invoice a line with ``AllocatedFreightAmount`` (a credit memo has no
    documented line freight, so its Freight distribution names an ordinary line); the
    Receivable distribution names none.
    """
    by_number = {int(line["LineNumber"]): line for line in lines if "LineNumber" in line}
    for dist in distributions:
        klass = str(dist.get("AccountClass") or "")
        number = dist.get(line_attribute)
        if klass == "Receivable":
            if number is not None:
                return f"a Receivable distribution names line {number}; it belongs to no line"
            continue
        if number is None:
            return f"a {klass} distribution names no line ({line_attribute})"
        line = by_number.get(int(number))
        if line is None:
            return f"a {klass} distribution names line {number}, which is not on the document"
        if klass == "Tax":
            tax_number = dist.get("DetailedTaxLineNumber")
            taxes = line.get(tax_lines_name) or []
            if tax_number is None or not 1 <= int(tax_number) <= len(taxes):
                return (
                    f"a Tax distribution names tax line {tax_number} of line {number}, "
                    f"which has {len(taxes)} tax line(s)"
                )
        elif dist.get("DetailedTaxLineNumber") is not None:
            return f"a {klass} distribution names a tax line (DetailedTaxLineNumber)"
        if (
            klass == "Freight"
            and line_attribute == "InvoiceLineNumber"
            and not _decimal(line.get("AllocatedFreightAmount"))
        ):
            return f"a Freight distribution names line {number}, which carries no freight"
    return None


def document_amount(lines: list[Mapping[str, Any]], *, amount: str, tax_lines: str) -> Decimal:
    """The document's amount: line amounts, their tax lines and their allocated freight."""
    total = Decimal(0)
    for line in lines:
        total += _decimal(line.get(amount)) + _decimal(line.get("AllocatedFreightAmount"))
        for tax in line.get(tax_lines) or []:
            total += _decimal(tax.get("TaxAmount"))
    return total
