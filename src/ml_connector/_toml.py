"""One checker for the TOML files (the CLI's configuration and the mapping configuration).

A :class:`TomlChecker` reads a parsed document and collects every problem as a key path and a
message (``warehouses.12345.cost_center: missing``) instead of stopping at the first, so a
user fixes a file in one pass. Types are checked by cattrs' detailed validation
(:meth:`TomlChecker.structure`), which already reports the key path of each bad value; what
remains here is the vocabulary the domain checks share: tables, unknown keys, non-empty text,
choices.

The converter is strict where TOML and Python disagree: ``true`` is not the integer 1 and
``"30"`` is not the number 30 (cattrs' default hooks would accept both).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar, cast

import attrs
import cattrs

__all__ = ["TomlChecker", "join"]

T = TypeVar("T")


def join(*parts: str) -> str:
    """A dotted key path from its non-empty parts."""
    return ".".join(part for part in parts if part)


class _Invalid(TypeError):
    """A value of the wrong type, with the message a user reads."""


def _strict(kind: type, noun: str) -> Any:
    def hook(value: Any, _: Any) -> Any:
        # bool is an int in Python; a TOML ``true`` is not a batch size.
        ok = isinstance(value, kind) and not (isinstance(value, bool) and kind is not bool)
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if not ok:
            raise _Invalid(f"must be {noun}, not {_toml_type(value)}")
        return value

    return hook


def _toml_type(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a table"
    return type(value).__name__


def _make_converter() -> cattrs.Converter:
    converter = cattrs.Converter(detailed_validation=True)
    converter.register_structure_hook(bool, _strict(bool, "true or false"))
    converter.register_structure_hook(int, _strict(int, "an integer"))
    converter.register_structure_hook(float, _strict(float, "a number"))
    converter.register_structure_hook(str, _strict(str, "text"))
    return converter


_CONVERTER = _make_converter()


def _format(exc: BaseException, type_: Any) -> str:
    if isinstance(exc, _Invalid):
        return str(exc)
    if isinstance(exc, KeyError):
        return "missing"
    return cattrs.v.format_exception(exc, type_)


class TomlChecker:
    """Collects ``(key path, message)`` problems while reading a parsed TOML document."""

    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []

    def problem(self, path: str, message: str) -> None:
        """Record one problem."""
        self.problems.append((path, message))

    def messages(self) -> list[str]:
        """Every problem as ``path: message``."""
        return [f"{path}: {message}" if path else message for path, message in self.problems]

    # -- structure -------------------------------------------------------------------------

    def table(self, data: Mapping[str, Any], key: str, path: str = "") -> Mapping[str, Any]:
        """The table ``data[key]`` (empty when absent or not a table)."""
        value = data.get(key, {})
        if not isinstance(value, Mapping):
            self.problem(join(path, key), "must be a table")
            return {}
        return value

    def keys(self, data: Mapping[str, Any], allowed: Iterable[str], path: str) -> None:
        """One problem per key of ``data`` not in ``allowed``, naming the allowed ones."""
        allowed = set(allowed)
        for key in sorted(set(data) - allowed, key=str):
            self.problem(
                join(path, str(key)),
                f"unknown key (expected one of: {', '.join(sorted(allowed))})",
            )

    def structure(self, data: Mapping[str, Any], cls: type[T], path: str) -> T | None:
        """``data`` as the attrs class ``cls``, or ``None`` with every problem recorded.

        Unknown keys are reported first (with the known ones), then each value of the wrong
        type with its key path, as cattrs' detailed validation finds them.
        """
        names = [field.name for field in attrs.fields(cast(Any, cls))]
        self.keys(data, names, path)
        known = {key: value for key, value in data.items() if key in names}
        try:
            return _CONVERTER.structure(known, cls)
        except cattrs.BaseValidationError as exc:
            found = []
            for line in cattrs.transform_error(exc, path="$", format_exception=_format):
                message, _, where = line.rpartition(" @ ")
                suffix = where.removeprefix("$").lstrip(".")
                field = re.split(r"[.\[]", suffix, maxsplit=1)[0]
                order = names.index(field) if field in names else len(names)
                found.append((order, suffix, message))
            for _, suffix, message in sorted(found):
                self.problem(join(path, suffix), message)
            return None

    # -- values ----------------------------------------------------------------------------

    def text(
        self,
        data: Mapping[str, Any],
        key: str,
        path: str,
        *,
        required: bool = False,
        default: str | None = None,
    ) -> str | None:
        """A non-empty string, ``default`` when absent (a problem when ``required``)."""
        if key not in data:
            if required:
                self.problem(join(path, key), "missing")
            return default
        value = data[key]
        if not isinstance(value, str) or not value.strip():
            self.problem(join(path, key), "must be a non-empty string")
            return default
        return value

    def required_text(self, data: Mapping[str, Any], key: str, path: str) -> str:
        """A non-empty string that must be present (``""`` after a problem)."""
        return self.text(data, key, path, required=True) or ""

    def boolean(self, data: Mapping[str, Any], key: str, path: str, default: bool) -> bool:
        """``true`` or ``false``."""
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.problem(join(path, key), "must be true or false")
            return default
        return value

    def number(
        self,
        data: Mapping[str, Any],
        key: str,
        path: str,
        default: float,
        *,
        minimum: float = 0.0,
        inclusive: bool = False,
        meaning: str = "a positive number of seconds",
    ) -> float:
        """A number above ``minimum`` (or at it, when ``inclusive``)."""
        value = data.get(key, default)
        bad = isinstance(value, bool) or not isinstance(value, int | float)
        if not bad:
            bad = value < minimum if inclusive else value <= minimum
        if bad:
            self.problem(join(path, key), f"must be {meaning}")
            return default
        return float(value)

    def choice(
        self, data: Mapping[str, Any], key: str, path: str, options: tuple[str, ...], default: str
    ) -> str:
        """One of ``options``."""
        value = data.get(key, default)
        if value not in options:
            self.problem(join(path, key), f"must be one of {', '.join(options)}, not {value!r}")
            return default
        return str(value)

    def strings(self, data: Mapping[str, Any], key: str, path: str) -> tuple[str, ...] | None:
        """A list of non-empty strings, or ``None`` when absent."""
        if key not in data:
            return None
        value = data[key]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.problem(join(path, key), "must be a list of non-empty strings")
            return None
        return tuple(value)

    def string_map(self, data: Mapping[str, Any], key: str, path: str) -> dict[str, str]:
        """A table of non-empty strings."""
        table = self.table(data, key, path)
        result: dict[str, str] = {}
        for name, value in table.items():
            if not isinstance(value, str) or not value:
                self.problem(join(path, key, name), "must be a non-empty string")
                continue
            result[str(name)] = value
        return result
