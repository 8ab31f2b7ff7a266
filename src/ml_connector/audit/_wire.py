"""The JSON form of an audit event: one object per JSONL line, also the machine output form.

The payload is nested as a JSON object (so ``jq '.payload.TransactionNumber'`` works) and is
turned back into canonical text on read, where its SHA-256 is checked. ``None`` is omitted;
unknown keys are ignored, so newer writers do not break older readers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn

from ml_connector._errors import AuditError
from ml_connector._json import loads

from ._event import AuditEvent, Stage, dump_canonical, format_utc, parse_utc

__all__ = ["WIRE_VERSION", "make_converter"]

WIRE_VERSION = 1
"""Value of the ``"v"`` key written on every JSON event."""


def make_converter() -> cattrs.Converter:
    """The converter between :class:`AuditEvent` and its JSON-ready dict form."""
    converter = cattrs.Converter(detailed_validation=False)
    converter.register_unstructure_hook(datetime, format_utc)
    converter.register_structure_hook(datetime, lambda value, _: _parse_time(value))
    converter.register_unstructure_hook(Stage, lambda stage: stage.value)
    converter.register_structure_hook(Stage, lambda value, _: Stage(value))

    unstructure_event = make_dict_unstructure_fn(AuditEvent, converter)
    structure_event = make_dict_structure_fn(AuditEvent, converter)

    def unstructure(event: AuditEvent) -> dict[str, Any]:
        data: dict[str, Any] = {"v": WIRE_VERSION}
        data.update((k, v) for k, v in unstructure_event(event).items() if v is not None)
        if event.payload is not None:
            data["payload"] = loads(event.payload)
        return data

    def structure(data: Any, _: Any) -> AuditEvent:
        if not isinstance(data, dict):
            raise AuditError(f"an audit event must be a JSON object, got {type(data).__name__}")
        missing = [
            key
            for key in ("event_id", "correlation_id", "occurred_at", "record", "stage")
            if key not in data
        ]
        if missing:
            raise AuditError(f"audit event {data.get('event_id')} lacks {', '.join(missing)}")
        fields = dict(data)
        if fields.get("payload") is not None:
            # Re-serialise exactly as written (no second scrub), so the stored hash must match.
            fields["payload"] = dump_canonical(fields["payload"])
        try:
            return structure_event(fields, AuditEvent)
        except AuditError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise AuditError(f"audit event {data.get('event_id')} is malformed: {exc}") from exc

    converter.register_unstructure_hook(AuditEvent, unstructure)
    converter.register_structure_hook(AuditEvent, structure)
    return converter


def _parse_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise AuditError(f"a timestamp must be text, got {value!r}")
    return parse_utc(value)
