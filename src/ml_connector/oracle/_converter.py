"""Oracle Fusion wire format: the one cattrs converter, exact JSON bytes and a content hash.

Wire rules, all here and nowhere else:

- Attribute names are Oracle's own (``InvoiceCurrencyCode``, ``SubinventoryCode``,
  ``TransactionQuantity``, ``receivablesInvoiceLines``; see the reference notes, never the
  third-party specs, which have them wrong).
- Writes omit ``None`` and empty child collections; each payload's ``extra`` keys are merged
  verbatim into its wire object (and win over a modelled field of the same name).
- Money and quantities stay :class:`~decimal.Decimal` in :func:`to_wire`'s dict and are written
  by :func:`dumps_wire` as JSON numbers with the Decimal's exact digits: never through float.
- Dates are ``YYYY-MM-DD``; timestamps are ISO-8601 with an offset, e.g.
  ``2020-07-17T12:57:05.744+00:00`` (the form in Oracle's examples,
  https://docs.oracle.com/en/cloud/saas/financials/23d/farfa/Find_Receivables_Customer_Account_Sites_Using_Account_Number_and_Bill_to_Site_Number.html).
- Reads tolerate unknown keys; a missing required field raises
  :class:`~ml_connector.ResponseDecodeError` naming the field and the record id.
"""

from __future__ import annotations

import hashlib
import typing
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar

import attrs
import cattrs
import cattrs.fns
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from ml_connector._errors import ResponseDecodeError
from ml_connector._json import dumps

from .models import (
    AccountCombination,
    CustomerAccountSite,
    InventoryStagedTransaction,
    InventoryStagedTransactionRecord,
    NewParty,
    Party,
    PartyType,
    ReceivablesCreditMemo,
    ReceivablesCreditMemoDistribution,
    ReceivablesCreditMemoLine,
    ReceivablesCreditMemoRecord,
    ReceivablesInvoice,
    ReceivablesInvoiceDistribution,
    ReceivablesInvoiceLine,
    ReceivablesInvoiceRecord,
    ReceivablesTaxLine,
)

__all__ = [
    "DEFAULT_CREDIT_MEMO_REFERENCE_ATTRIBUTE",
    "WIRE_NAMES",
    "content_hash",
    "dumps_wire",
    "from_wire",
    "make_converter",
    "party_from_wire",
    "to_wire",
]

T = TypeVar("T")

DEFAULT_CREDIT_MEMO_REFERENCE_ATTRIBUTE = "CrossReference"
"""Where a credit memo names the invoice it reverses (UNCERTAIN; configurable)."""

_RECEIVABLES_DISTRIBUTION = {
    "account_class": "AccountClass",
    "account_combination": "AccountCombination",
    "amount": "Amount",
    "percent": "Percent",
    "line_number": "InvoiceLineNumber",
    "detailed_tax_line_number": "DetailedTaxLineNumber",
    "comments": "Comments",
}
# Credit memo distributions name their line CreditMemoLineNumber; InvoiceLineNumber is not an
# attribute of that resource.
# https://docs.oracle.com/en/cloud/saas/financials/25c/farfa/op-receivablescreditmemos-customertransactionid-child-receivablescreditmemodistributions-post.html
_CREDIT_MEMO_DISTRIBUTION = {
    **_RECEIVABLES_DISTRIBUTION,
    "line_number": "CreditMemoLineNumber",
}

WIRE_NAMES: dict[type[Any], dict[str, str]] = {
    # https://docs.oracle.com/en/cloud/saas/financials/24d/farfa/op-receivablesinvoices-customertransactionid-child-receivablesinvoicelines-customertransactionlineid-child-receivablesinvoicelinetaxlines-post.html
    ReceivablesTaxLine: {
        "tax_amount": "TaxAmount",
        "tax_regime_code": "TaxRegimeCode",
        "tax_rate_code": "TaxRateCode",
        "tax": "Tax",
    },
    ReceivablesInvoiceLine: {
        "line_number": "LineNumber",
        "description": "Description",
        "quantity": "Quantity",
        "unit_selling_price": "UnitSellingPrice",
        "amount": "LineAmount",
        "memo_line": "MemoLine",
        "item_number": "ItemNumber",
        "unit_of_measure": "UnitOfMeasure",
        "tax_classification_code": "TaxClassificationCode",
        "sales_order": "SalesOrder",
        "warehouse": "Warehouse",
        "allocated_freight_amount": "AllocatedFreightAmount",
        "tax_lines": "receivablesInvoiceLineTaxLines",
    },
    ReceivablesInvoiceDistribution: _RECEIVABLES_DISTRIBUTION,
    ReceivablesCreditMemoDistribution: _CREDIT_MEMO_DISTRIBUTION,
    ReceivablesInvoice: {
        "business_unit": "BusinessUnit",
        "transaction_source": "TransactionSource",
        "transaction_type": "TransactionType",
        "transaction_date": "TransactionDate",
        "bill_to_customer_number": "BillToCustomerNumber",
        "invoice_currency_code": "InvoiceCurrencyCode",
        "payment_terms": "PaymentTerms",
        "lines": "receivablesInvoiceLines",
        "distributions": "receivablesInvoiceDistributions",
        "transaction_number": "TransactionNumber",
        "accounting_date": "AccountingDate",
        "bill_to_site": "BillToSite",
        "cross_reference": "CrossReference",
        "purchase_order": "PurchaseOrder",
        "comments": "Comments",
        "internal_notes": "InternalNotes",
        "due_date": "DueDate",
        "ship_to_customer_number": "ShipToCustomerNumber",
        "ship_to_site": "ShipToSite",
        "conversion_rate_type": "ConversionRateType",
        "conversion_date": "ConversionDate",
        "conversion_rate": "ConversionRate",
        "invoice_status": "InvoiceStatus",
    },
    # https://docs.oracle.com/en/cloud/saas/financials/24d/farfa/Create_an_On_Account_Credit_Memo_with_Lines.html
    ReceivablesCreditMemoLine: {
        "line_number": "LineNumber",
        "description": "LineDescription",
        "quantity": "LineQuantityCredit",
        "unit_selling_price": "UnitSellingPrice",
        "amount": "LineAmountCredit",
        "memo_line": "MemoLine",
        "item_number": "ItemNumber",
        "tax_classification_code": "TaxClassificationCode",
        "credit_reason": "LineCreditReason",
        "tax_lines": "receivablesCreditMemoLineTaxLines",
    },
    ReceivablesCreditMemo: {
        "business_unit": "BusinessUnit",
        "transaction_source": "TransactionSource",
        "transaction_type": "TransactionType",
        "transaction_date": "TransactionDate",
        "bill_to_customer_number": "BillToCustomerNumber",
        "credit_memo_currency": "CreditMemoCurrency",
        "original_transaction_number": DEFAULT_CREDIT_MEMO_REFERENCE_ATTRIBUTE,
        "lines": "receivablesCreditMemoLines",
        "distributions": "receivablesCreditMemoDistributions",
        "transaction_number": "TransactionNumber",
        "accounting_date": "AccountingDate",
        "bill_to_site": "BillToSite",
        "credit_reason": "CreditReason",
        "comments": "CreditMemoComments",
    },
    InventoryStagedTransaction: {
        "item_number": "ItemNumber",
        "subinventory_code": "SubinventoryCode",
        "transaction_quantity": "TransactionQuantity",
        "transaction_unit_of_measure": "TransactionUnitOfMeasure",
        "transaction_date": "TransactionDate",
        "transaction_type_name": "TransactionTypeName",
        "source_code": "SourceCode",
        "source_header_id": "SourceHeaderId",
        "source_line_id": "SourceLineId",
        "transaction_reference": "TransactionReference",
        "organization_code": "OrganizationCode",
        "organization_name": "OrganizationName",
        "locator_name": "LocatorName",
        "distribution_account": "AccountCombination",
        "transaction_mode": "TransactionMode",
        "use_current_cost": "UseCurrentCostFlag",
        "transaction_cost": "TransactionCost",
    },
    ReceivablesInvoiceRecord: {
        "customer_transaction_id": "CustomerTransactionId",
        "transaction_number": "TransactionNumber",
        "cross_reference": "CrossReference",
        "business_unit": "BusinessUnit",
        "transaction_source": "TransactionSource",
        "transaction_type": "TransactionType",
        "transaction_date": "TransactionDate",
        "bill_to_customer_number": "BillToCustomerNumber",
        "bill_to_site": "BillToSite",
        "invoice_currency_code": "InvoiceCurrencyCode",
        "invoice_status": "InvoiceStatus",
        "entered_amount": "EnteredAmount",
        "invoice_balance_amount": "InvoiceBalanceAmount",
        "creation_date": "CreationDate",
    },
    ReceivablesCreditMemoRecord: {
        "customer_transaction_id": "CustomerTransactionId",
        "transaction_number": "TransactionNumber",
        "business_unit": "BusinessUnit",
        "transaction_date": "TransactionDate",
        "bill_to_customer_number": "BillToCustomerNumber",
        "credit_memo_currency": "CreditMemoCurrency",
        "credit_memo_status": "CreditMemoStatus",
        "cross_reference": "CrossReference",
    },
    InventoryStagedTransactionRecord: {
        "transaction_interface_id": "TransactionInterfaceId",
        "item_number": "ItemNumber",
        "organization_code": "OrganizationCode",
        "organization_name": "OrganizationName",
        "transaction_quantity": "TransactionQuantity",
        "transaction_type_name": "TransactionTypeName",
        "source_code": "SourceCode",
        "source_header_id": "SourceHeaderId",
        "source_line_id": "SourceLineId",
        "transaction_reference": "TransactionReference",
        "process_status": "ProcessStatus",
        "error_code": "ErrorCode",
        "error_explanation": "ErrorExplanation",
    },
    CustomerAccountSite: {
        "bill_to_site_use_id": "BillToSiteUseId",
        "bill_to_site_number": "BillToSiteNumber",
        "account_number": "AccountNumber",
        "bill_to_site_address": "BillToSiteAddress",
        "account_id": "AccountId",
        "customer_name": "CustomerName",
        "customer_id": "CustomerId",
    },
}
"""Model field -> Oracle attribute name, per class. The single source of wire names."""

# The attribute that identifies a record in error messages, per read model.
_RECORD_KEYS: dict[type[Any], tuple[str, ...]] = {
    ReceivablesInvoiceRecord: ("CustomerTransactionId", "TransactionNumber"),
    ReceivablesCreditMemoRecord: ("CustomerTransactionId", "TransactionNumber"),
    InventoryStagedTransactionRecord: ("TransactionInterfaceId", "TransactionReference"),
    CustomerAccountSite: ("BillToSiteUseId", "BillToSiteNumber", "AccountNumber"),
    AccountCombination: ("_CODE_COMBINATION_ID",),
}

_PAYLOADS: tuple[type[Any], ...] = (
    ReceivablesTaxLine,
    ReceivablesInvoiceLine,
    ReceivablesInvoiceDistribution,
    ReceivablesCreditMemoDistribution,
    ReceivablesInvoice,
    ReceivablesCreditMemoLine,
    ReceivablesCreditMemo,
    InventoryStagedTransaction,
)
_RECORDS: tuple[type[Any], ...] = (
    ReceivablesInvoiceRecord,
    ReceivablesCreditMemoRecord,
    InventoryStagedTransactionRecord,
    CustomerAccountSite,
)

# -- scalar hooks ---------------------------------------------------------------------------------


def _format_datetime(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("refusing to send a naive datetime to Oracle")
    value = value.astimezone(UTC)
    spec = "milliseconds" if value.microsecond else "seconds"
    return value.isoformat(timespec=spec)


def _structure_str(value: Any, _: type[Any]) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"expected a string, got {type(value).__name__}")


def _structure_int(value: Any, _: type[Any]) -> int:
    if isinstance(value, bool):
        raise ValueError("expected an integer, got a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    raise ValueError(f"expected an integer, got {value!r}")


def _structure_decimal(value: Any, _: type[Any]) -> Decimal:
    if isinstance(value, bool):
        raise ValueError("expected a number, got a boolean")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | str):
        return Decimal(value)
    if isinstance(value, float):
        # Only reached when a caller decoded with float; repr() is the shortest exact text.
        return Decimal(repr(value))
    raise ValueError(f"expected a number, got {type(value).__name__}")


def _structure_date(value: Any, _: type[Any]) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected a YYYY-MM-DD date, got {type(value).__name__}")
    # Some resources answer a date attribute with a midnight timestamp; the date part is the date.
    return date.fromisoformat(value[:10])


def _structure_datetime(value: Any, _: type[Any]) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO-8601 timestamp, got {type(value).__name__}")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp {value!r} has no UTC offset")
    return parsed.astimezone(UTC)


def _structure_bool(value: Any, _: type[Any]) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().upper() in ("Y", "YES", "TRUE"):
        return True
    if isinstance(value, str) and value.strip().upper() in ("N", "NO", "FALSE"):
        return False
    raise ValueError(f"expected a boolean or Y/N flag, got {value!r}")


# -- converter ------------------------------------------------------------------------------------


def _cattrs_payload_fn(
    converter: cattrs.Converter, cls: type[Any], names: Mapping[str, str]
) -> Callable[[Any], dict[str, Any]]:
    """cattrs' own writer of payload class ``cls`` (``extra`` left out): the reference that
    :func:`_payload_fn` is tested against."""
    overrides: dict[str, Any] = {
        field.name: override(rename=names[field.name])
        for field in attrs.fields(cls)
        if field.name in names
    }
    overrides["extra"] = override(omit=True)
    return make_dict_unstructure_fn(cls, converter, _cattrs_omit_if_default=True, **overrides)


class _Unsupported(Exception):
    """A field :func:`_payload_fn` does not write itself (cattrs' writer is used then)."""


def _field_expression(
    converter: cattrs.Converter, kind: Any, value: str, scope: dict[str, Any], n: int
) -> str:
    """Python text writing ``value`` (of type ``kind``, never None) as cattrs' hook would."""
    if isinstance(kind, type) and attrs.has(kind):
        raise _Unsupported(kind)
    args: tuple[Any, ...] = getattr(kind, "__args__", ())
    origin = getattr(kind, "__origin__", None)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis and attrs.has(args[0]):
        # cattrs writes a homogeneous tuple of payloads as a list of their dicts.
        scope[f"_item{n}"] = converter.get_unstructure_hook(args[0])
        return f"[_item{n}(item) for item in {value}]"
    hook = converter.get_unstructure_hook(kind)
    if hook is cattrs.fns.identity:
        return value
    scope[f"_hook{n}"] = hook
    return f"_hook{n}({value})"


def _payload_fn(
    converter: cattrs.Converter, cls: type[Any], names: Mapping[str, str]
) -> Callable[[Any], dict[str, Any]]:
    """The writer of payload class ``cls`` (``extra`` left out): the same dict, key order and
    values as cattrs' (:func:`_cattrs_payload_fn`), written without a hook call per optional
    field or tuple item (a wire form is made for every document a sync posts).

    As cattrs does, fields without a default go first, in a dict display, then each field
    that differs from its default. An optional field's value is written with its type's hook.
    """
    hints = typing.get_type_hints(cls)
    scope: dict[str, Any] = {}
    required: list[str] = []
    optional: list[str] = []
    for n, field in enumerate(attrs.fields(cls)):
        if field.name == "extra":
            continue
        wire = names.get(field.name, field.name)
        kind = hints[field.name]
        value = f"instance.{field.name}"
        if field.default is attrs.NOTHING:
            required.append(f"{wire!r}: {_field_expression(converter, kind, value, scope, n)}")
            continue
        if isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
            raise _Unsupported(field.name)
        args = typing.get_args(kind)
        if field.default is None and type(None) in args and len(args) == 2:
            inner = next(arg for arg in args if arg is not type(None))
            test = f"{value} is not None"
        else:
            inner = kind
            scope[f"_default{n}"] = field.default
            test = f"{value} != _default{n}"
        expression = _field_expression(converter, inner, value, scope, n)
        optional.append(f"    if {test}:\n        res[{wire!r}] = {expression}")
    source = "\n".join(
        [
            f"def write_{cls.__name__}(instance):",
            "    res = {" + ", ".join(required) + "}",
            *optional,
            "    return res",
        ]
    )
    code = compile(source, f"<ml_connector Oracle {cls.__name__} writer>", "exec")
    exec(code, scope)  # noqa: S102 - text made above from the class's own fields
    function: Callable[[Any], dict[str, Any]] = scope[f"write_{cls.__name__}"]
    return function


def _register_payload(
    converter: cattrs.Converter, cls: type[Any], names: Mapping[str, str]
) -> None:
    try:
        generated = _payload_fn(converter, cls, names)
    except _Unsupported:
        generated = _cattrs_payload_fn(converter, cls, names)

    def unstructure(obj: Any) -> dict[str, Any]:
        data: dict[str, Any] = generated(obj)
        # Customer-configured fields go in verbatim and win: that is their purpose.
        data.update(obj.extra)
        return data

    converter.register_unstructure_hook(cls, unstructure)


def _register_record(converter: cattrs.Converter, cls: type[Any], names: Mapping[str, str]) -> None:
    overrides: dict[str, Any] = {
        field.name: override(rename=names[field.name])
        for field in attrs.fields(cls)
        if field.name in names
    }
    overrides["raw"] = override(omit=True)
    generated = make_dict_structure_fn(cls, converter, **overrides)

    def structure(data: Any, _: type[Any]) -> Any:
        if not isinstance(data, Mapping):
            raise ValueError(f"expected a JSON object, got {type(data).__name__}")
        # Oracle sends null for unset attributes; a null for a required one is a missing field.
        present = {key: value for key, value in data.items() if value is not None}
        return attrs.evolve(generated(present, cls), raw=dict(data))

    converter.register_structure_hook(cls, structure)


class _InvalidAttribute(ValueError):
    """A hand-written structure hook's failure, naming the wire attribute."""

    def __init__(self, attribute: str, reason: BaseException) -> None:
        super().__init__(str(reason))
        self.attribute = attribute


def _structure_account_combination(data: Any, _: type[Any]) -> AccountCombination:
    if not isinstance(data, Mapping):
        raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    ccid = data.get("_CODE_COMBINATION_ID")
    if ccid is None:
        raise KeyError("_CODE_COMBINATION_ID")
    segments: list[str] = []
    for number in range(1, 31):
        value = data.get(f"Segment{number}")
        if value is None:
            break
        segments.append(str(value))

    def parse(attribute: str, structure: Callable[[Any, Any], Any], target: Any) -> Any:
        value = data.get(attribute)
        if value is None:
            return None
        try:
            return structure(value, target)
        except (ValueError, TypeError) as exc:
            raise _InvalidAttribute(attribute, exc) from None

    account_type = data.get("AccountType")
    return AccountCombination(
        code_combination_id=parse("_CODE_COMBINATION_ID", _structure_int, int),
        segments=segments,
        enabled=parse("EnabledFlag", _structure_bool, bool),
        start_date_active=parse("StartDateActive", _structure_date, date),
        end_date_active=parse("EndDateActive", _structure_date, date),
        chart_of_accounts_id=parse("_CHART_OF_ACCOUNTS_ID", _structure_int, int),
        account_type=None if account_type is None else str(account_type),
        raw=dict(data),
    )


def make_converter(
    *, credit_memo_reference_attribute: str = DEFAULT_CREDIT_MEMO_REFERENCE_ATTRIBUTE
) -> cattrs.Converter:
    """Build the Oracle Fusion converter (never the global one).

    Args:
        credit_memo_reference_attribute: The credit memo attribute that carries the reversed
            invoice's number (UNCERTAIN on Oracle's side, so configurable).
    """
    converter = cattrs.Converter()
    converter.register_unstructure_hook(Decimal, cattrs.fns.identity)  # written as it is
    # StrEnum members (AccountClass.REVENUE) go out as plain strings.
    converter.register_unstructure_hook(str, str)
    converter.register_unstructure_hook(datetime, _format_datetime)
    converter.register_unstructure_hook(date, lambda value: value.isoformat())
    converter.register_structure_hook(str, _structure_str)
    converter.register_structure_hook(int, _structure_int)
    converter.register_structure_hook(Decimal, _structure_decimal)
    converter.register_structure_hook(date, _structure_date)
    converter.register_structure_hook(datetime, _structure_datetime)
    converter.register_structure_hook(bool, _structure_bool)
    for cls in _PAYLOADS:
        names = dict(WIRE_NAMES[cls])
        if cls is ReceivablesCreditMemo:
            names["original_transaction_number"] = credit_memo_reference_attribute
        _register_payload(converter, cls, names)
    for cls in _RECORDS:
        _register_record(converter, cls, WIRE_NAMES[cls])
    converter.register_structure_hook(AccountCombination, _structure_account_combination)
    return converter


_DEFAULT = make_converter()


# -- writing --------------------------------------------------------------------------------------


def to_wire(model: Any, converter: cattrs.Converter | None = None) -> dict[str, Any]:
    """A payload model as its Oracle wire dict (Decimal values kept; see :func:`dumps_wire`).

    :class:`NewParty` is written for ``hubOrganizations`` or ``hubPersons`` per its type.
    """
    if isinstance(model, NewParty):
        return _party_to_wire(model)
    data: dict[str, Any] = (converter or _DEFAULT).unstructure(model)
    return data


def _party_to_wire(party: NewParty) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if party.party_type is PartyType.ORGANIZATION:
        if party.organization_name is not None:
            data["OrganizationName"] = party.organization_name
    else:
        if party.first_name is not None:
            data["FirstName"] = party.first_name
        if party.last_name is not None:
            data["LastName"] = party.last_name
    # ContactPoint child with ContactPointType EMAIL:
    # https://docs.oracle.com/cd/E56931_01/trans/cx/F75243-03/op-accounts-partynumber-child-contactpoint-post.html
    data["ContactPoint"] = [{"ContactPointType": "EMAIL", "EmailAddress": party.email_address}]
    data.update(party.extra)
    return data


def _oracle_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return _format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def dumps_wire(payload: Any, *, sort_keys: bool = False) -> bytes:
    """Compact UTF-8 JSON for ``payload``; Decimals written with their exact digits.

    Dates and datetimes found in ``payload`` (for example in ``extra``) are written the Oracle
    way. Floats are refused, so money can never pass through binary floating point.
    """
    return dumps(payload, sort_keys=sort_keys, default=_oracle_default).encode("utf-8")


def content_hash(payload: Any) -> str:
    """sha256 hex digest of the canonical JSON (sorted keys, compact, exact Decimals).

    Accepts a wire dict or a payload model. Two payloads hash alike exactly when they would put
    the same attributes and values on the wire (key order aside).
    """
    if attrs.has(type(payload)):
        payload = to_wire(payload)
    return hashlib.sha256(dumps_wire(payload, sort_keys=True)).hexdigest()


# -- reading --------------------------------------------------------------------------------------


def _record_id(cls: type[Any], data: Any) -> str | None:
    if not isinstance(data, Mapping):
        return None
    for key in _RECORD_KEYS.get(cls, ()):
        value = data.get(key)
        if value is not None:
            return f"{key}={value}"
    return None


def _failing_field(exc: BaseException, cls: type[Any]) -> tuple[str | None, str]:
    """The wire name of the first field that failed, and the underlying reason."""
    names = WIRE_NAMES.get(cls, {})
    if isinstance(exc, cattrs.ClassValidationError):
        for inner in exc.exceptions:
            for note in getattr(inner, "__notes__", ()):
                name = getattr(note, "name", None)
                if isinstance(name, str):
                    field_type = getattr(note, "type", None)
                    wire = names.get(name, name)
                    if isinstance(inner, KeyError):
                        return wire, "is missing"
                    if (
                        isinstance(field_type, type)
                        and attrs.has(field_type)
                        and isinstance(inner, cattrs.BaseValidationError)
                    ):
                        return _failing_field(inner, field_type)
                    return wire, f"is invalid ({inner})"
    if isinstance(exc, KeyError):
        return str(exc.args[0]) if exc.args else None, "is missing"
    if isinstance(exc, _InvalidAttribute):
        return exc.attribute, f"is invalid ({exc})"
    return None, f"is invalid ({exc})"


def from_wire(
    cls: type[T], data: Any, converter: cattrs.Converter | None = None, *, context: str = ""
) -> T:
    """Parse one Oracle item into a read model, or raise :class:`ResponseDecodeError`.

    Args:
        cls: The read model class.
        data: The decoded JSON item.
        converter: The converter to use (default: the standard one).
        context: What was being read, for the error message (e.g. ``"receivablesInvoices"``).
    """
    try:
        result: T = (converter or _DEFAULT).structure(data, cls)
    except (cattrs.BaseValidationError, KeyError, ValueError, TypeError) as exc:
        field, reason = _failing_field(exc, cls)
        record = _record_id(cls, data)
        where = f"{context} " if context else ""
        subject = f"{where}{cls.__name__}"
        text = f"{subject}: {field} {reason}" if field else f"{subject}: {reason}"
        if record:
            text += f" in record {record}"
        raise ResponseDecodeError(text, field=field, record=record) from None
    return result


def party_from_wire(
    data: Any, party_type: PartyType, *, email_attribute: str = "EmailAddress"
) -> Party:
    """Parse a ``hubOrganizations`` / ``hubPersons`` item into a :class:`Party`.

    The email is read from the configured attribute (the email finder is UNCERTAIN).
    """
    if not isinstance(data, Mapping):
        raise ResponseDecodeError(f"party item is a {type(data).__name__}, not a JSON object")
    number = data.get("PartyNumber")
    record = None if data.get("PartyId") is None else f"PartyId={data.get('PartyId')}"
    if number is None:
        raise ResponseDecodeError(
            "party item: PartyNumber is missing", field="PartyNumber", record=record
        )
    name = data.get("PartyName") or data.get("OrganizationName")
    if name is None:
        parts = [str(data[k]) for k in ("FirstName", "LastName") if data.get(k)]
        name = " ".join(parts) or None
    party_id = data.get("PartyId")
    email = data.get(email_attribute)
    try:
        return Party(
            party_number=str(number),
            party_type=party_type,
            party_id=None if party_id is None else _structure_int(party_id, int),
            party_name=None if name is None else str(name),
            email_address=None if email is None else str(email),
            raw=dict(data),
        )
    except ValueError as exc:
        raise ResponseDecodeError(
            f"party item: PartyId is invalid ({exc})", field="PartyId", record=record
        ) from None
