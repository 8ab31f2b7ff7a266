"""Check a tenant before posting: ``/describe`` of every resource the connector uses.

Each resource's ``/describe`` lists its attributes with "attribute properties such as name,
type, mandatory, updatable, queryable"
(https://docs.oracle.com/en/cloud/saas/financials/23d/farfa/Use_Metadata_Catalog.html), and its
finders. The check confirms that every attribute the connector filters on exists and is
queryable (a ``q`` on anything else is refused), that every attribute it posts exists (a create
carrying an unknown attribute is refused), and that the finders it uses are defined, so a
tenant that differs from the documentation fails once, before the first post, with every
problem listed, instead of record by record.

The check itself is pure (:func:`check_described`); the client's ``check_tenant`` reads the
descriptions. An outage while reading them (timeout, refused connection, 5xx, 429) is raised as
what it is, never reported as a configuration problem.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

__all__ = [
    "AttributeNeeds",
    "DescribeProblem",
    "TenantReport",
    "check_described",
    "merge_needs",
    "problem_for_status",
    "sorted_problems",
]


def _names(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


@attrs.frozen
class AttributeNeeds:
    """What the connector needs of one resource.

    Attributes:
        resource: The resource name (``inventoryStagedTransactions``...).
        root: Its REST root (``fscmRestApi``, ``crmRestApi``).
        posted: Attributes sent in a create: each must exist.
        queried: Attributes named in ``q``: each must exist and be queryable.
        finders: Finders used: each must be defined.
        why: What the connector uses the resource for (for the report).
    """

    resource: str
    root: str = "fscmRestApi"
    posted: tuple[str, ...] = attrs.field(default=(), converter=_names)
    queried: tuple[str, ...] = attrs.field(default=(), converter=_names)
    finders: tuple[str, ...] = attrs.field(default=(), converter=_names)
    why: str = ""


@attrs.frozen
class DescribeProblem:
    """One thing the tenant's metadata says would fail.

    Attributes:
        resource: The resource.
        attribute: The attribute or finder concerned (``None``: the resource itself).
        message: What is wrong and what it breaks.
    """

    resource: str
    attribute: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.resource}.{self.attribute}" if self.attribute else self.resource
        return f"{where}: {self.message}"


@attrs.frozen
class TenantReport:
    """What ``check_tenant`` found.

    Attributes:
        resources: The resources whose ``/describe`` was read.
        problems: Every problem, sorted by resource and attribute.
    """

    resources: tuple[str, ...]
    problems: tuple[DescribeProblem, ...]

    @property
    def ok(self) -> bool:
        """No problem found."""
        return not self.problems


def merge_needs(needs: Iterable[AttributeNeeds]) -> tuple[AttributeNeeds, ...]:
    """One entry per resource, attributes united in first-seen order."""
    merged: dict[tuple[str, str], AttributeNeeds] = {}
    for need in needs:
        key = (need.root, need.resource)
        known = merged.get(key)
        if known is None:
            merged[key] = need
            continue
        merged[key] = AttributeNeeds(
            need.resource,
            need.root,
            posted=tuple(dict.fromkeys(known.posted + need.posted)),
            queried=tuple(dict.fromkeys(known.queried + need.queried)),
            finders=tuple(dict.fromkeys(known.finders + need.finders)),
            why=known.why or need.why,
        )
    return tuple(merged.values())


def _described(body: Any, resource: str) -> Mapping[str, Any] | None:
    if not isinstance(body, Mapping):
        return None
    resources = body.get("Resources")
    if not isinstance(resources, Mapping):
        return None
    described = resources.get(resource)
    return described if isinstance(described, Mapping) else None


def _attributes(described: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    listed = described.get("attributes")
    out: dict[str, Mapping[str, Any]] = {}
    if isinstance(listed, list):
        for entry in listed:
            if isinstance(entry, Mapping) and isinstance(entry.get("name"), str):
                out[entry["name"]] = entry
    return out


def _finders(described: Mapping[str, Any]) -> set[str]:
    collection = described.get("collection")
    listed = collection.get("finders") if isinstance(collection, Mapping) else None
    names: set[str] = set()
    if isinstance(listed, list):
        for entry in listed:
            if isinstance(entry, Mapping) and isinstance(entry.get("name"), str):
                names.add(entry["name"])
    return names


def check_described(body: Any, need: AttributeNeeds) -> list[DescribeProblem]:
    """Every problem ``body`` (a ``/describe`` answer) shows for ``need``.

    An attribute whose ``queryable`` flag is absent is taken as queryable (the flag is listed
    among describe's properties, but a tenant that omits it has not said no).
    """
    described = _described(body, need.resource)
    if described is None:
        return [
            DescribeProblem(
                need.resource, None, "not in the tenant's metadata (describe did not list it)"
            )
        ]
    attributes = _attributes(described)
    problems: list[DescribeProblem] = []
    for name in need.queried:
        entry = attributes.get(name)
        if entry is None:
            problems.append(
                DescribeProblem(
                    need.resource, name, "does not exist, so look-ups on it are refused"
                )
            )
        elif entry.get("queryable") is False:
            problems.append(
                DescribeProblem(
                    need.resource,
                    name,
                    "is not queryable on this tenant, so look-ups on it are refused",
                )
            )
    for name in need.posted:
        if name not in attributes and name not in need.queried:
            problems.append(
                DescribeProblem(
                    need.resource, name, "does not exist, so every create sending it is refused"
                )
            )
    if need.finders:
        defined = _finders(described)
        for finder in need.finders:
            if finder not in defined:
                problems.append(DescribeProblem(need.resource, finder, "finder is not defined"))
    return problems


def problem_for_status(need: AttributeNeeds, status: int | None) -> DescribeProblem:
    """A 401/403/404 on ``/describe``: the credentials, a privilege or the resource."""
    if status == 404:
        message = "not found on this pod (wrong REST version, or not available)"
    elif status in (401, 403):
        message = (
            f"describe refused ({status}): the integration user lacks the privilege to read "
            "this resource"
        )
    else:
        message = f"describe refused ({status})"
    return DescribeProblem(need.resource, None, message)


def sorted_problems(problems: Sequence[DescribeProblem]) -> list[DescribeProblem]:
    """Problems in a stable order: resource, then attribute."""
    return sorted(problems, key=lambda p: (p.resource, p.attribute or ""))
