"""Reading Oracle Fusion error bodies: ``text/plain`` messages and JSON ``o:errorDetails``.

Fusion answers many errors with a ``text/plain`` body (a 404 for a wrong path or version, most
validation messages). With ``Accept: application/vnd.oracle.adf.error+json`` and a recent
``REST-Framework-Version`` it may send a JSON body with ``title``, ``detail`` and
``o:errorDetails[]`` (``detail``, ``o:errorCode``, ``o:errorPath``); that shape is known from
public integration code, not from an Oracle page, so both are handled and neither is trusted
blindly (reference notes, section 6). Failed batch parts (``parts[]``) are reported as details
with their ``id``, so the batch logic can tell which part failed.

Documented AR codes such as ``AR_BILL_TO_CUST_NOT_FOUND``
(https://docs.oracle.com/en/cloud/saas/financials/25c/farfa/Error_Messages_for_Receivables_Invoices.html)
become ``ApiError.code`` whether they arrive as ``o:errorCode`` or inside message text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import httpx

from ml_connector._http import ErrorInfo

__all__ = ["find_error_code", "oracle_error_parser"]

# AR_BILL_TO_CUST_NOT_FOUND, INV_..., or a message number like AR-855030 / AP-810776.
_CODE = re.compile(r"\b([A-Z]{2,5}_[A-Z0-9_]{3,}|[A-Z]{2,5}-\d{5,7})\b")
_MESSAGE_LIMIT = 300


def find_error_code(text: str) -> str | None:
    """The first Oracle error code in ``text``, if any."""
    match = _CODE.search(text)
    return match.group(1) if match else None


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _detail_items(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    details = body.get("o:errorDetails")
    items: list[dict[str, Any]] = []
    if isinstance(details, list):
        for entry in details:
            if isinstance(entry, Mapping):
                item = {
                    "message": _text(entry.get("detail")) or _text(entry.get("title")),
                    "code": _text(entry.get("o:errorCode")),
                    "path": _text(entry.get("o:errorPath")),
                }
                items.append({k: v for k, v in item.items() if v is not None})
    return items


def _part_items(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Failed batch parts: each listed part with its id and the error it carries."""
    parts = body.get("parts")
    items: list[dict[str, Any]] = []
    if not isinstance(parts, list):
        return items
    for part in parts:
        if not isinstance(part, Mapping) or _text(part.get("id")) is None:
            continue
        payload = part.get("payload")
        message: str | None = None
        code: str | None = None
        if isinstance(payload, str):
            message = _text(payload)
        elif isinstance(payload, Mapping):
            info = _from_json(payload)
            if info is not None:
                message, code = info.message, info.code
        for key in ("error", "detail", "message"):
            if message is None:
                message = _text(part.get(key))
        item: dict[str, Any] = {"id": str(part["id"]), "path": _text(part.get("path"))}
        if message is not None:
            item["message"] = message
            code = code or find_error_code(message)
        if code is not None:
            item["code"] = code
        items.append({k: v for k, v in item.items() if v is not None})
    return items


def _from_json(body: Mapping[str, Any]) -> ErrorInfo | None:
    details = _detail_items(body)
    message = (
        (details[0].get("message") if details else None)
        or _text(body.get("detail"))
        or _text(body.get("title"))
        or _text(body.get("message"))
    )
    code = next((d["code"] for d in details if "code" in d), None) or _text(body.get("o:errorCode"))
    if message is None:
        return None
    if code is None or code.startswith("urn:"):
        code = find_error_code(message) or code
    return ErrorInfo(message=message, code=code, details=tuple(details))


def oracle_error_parser(response: httpx.Response, body: Any) -> ErrorInfo:
    """The ``ErrorParser`` for Fusion: JSON error details, batch parts, or plain text."""
    if isinstance(body, Mapping):
        parts = _part_items(body)
        if parts:
            first = parts[0]
            message = first.get("message") or "a batch part failed"
            text = f"batch part {first['id']} failed: {message}"
            if len(parts) > 1:
                text += f" (and {len(parts) - 1} more parts)"
            return ErrorInfo(message=text, code=first.get("code"), details=tuple(parts))
        info = _from_json(body)
        if info is not None:
            return info
    reason = response.reason_phrase or "error"
    ctype = response.headers.get("content-type", "").lower()
    text = (
        response.text.strip()
        if ("html" not in ctype and "<html" not in response.text[:200].lower())
        else ""
    )
    if text:
        short = text if len(text) <= _MESSAGE_LIMIT else text[:_MESSAGE_LIMIT] + "..."
        message = f"{reason}: {short}"
        if response.status_code == 404:
            # A text/plain 404 from Fusion usually means a wrong path, REST version or action.
            message += " (check the REST version and resource path)"
        return ErrorInfo(message=message, code=find_error_code(text))
    return ErrorInfo(message=f"HTTP {response.status_code} {reason}".strip())
