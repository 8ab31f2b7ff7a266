"""Receivables rules of the Oracle simulator: transaction sources, tax and freight.

The attribute lists of the receivables resources (header, lines, tax lines, distributions)
live in the receivables sections of :mod:`._oracle_meta`, which the simulator's strict checks
read; this module holds the rules that are not about attribute names.

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

Strict bodies (see ``_oracle_meta``): an attribute a resource does not have is refused at every
level, so a credit memo distribution with ``InvoiceLineNumber`` (that resource names its line
``CreditMemoLineNumber``:
https://docs.oracle.com/en/cloud/saas/financials/25c/farfa/op-receivablescreditmemos-customertransactionid-child-receivablescreditmemodistributions-post.html)
is a 400.

Tax and freight. A manual tax line is a ``receivablesInvoiceLineTaxLines`` child of its line and
a Tax distribution names it by ``InvoiceLineNumber`` and ``DetailedTaxLineNumber``, "the number
of the tax line of an invoice line associated with the distribution" (1-based on that line);
freight at the line level is the line's ``AllocatedFreightAmount``, with Freight distributions
naming the line
(https://docs.oracle.com/en/cloud/saas/financials/24c/farfa/Create_an_Invoice_with_Distributions_of_Type_Tax_Freight_Revenue_and_Receivables.html).
The invoice's amount is its lines plus their tax lines and allocated freight.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

__all__ = [
    "TransactionSourceSetup",
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
