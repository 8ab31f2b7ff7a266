"""A griffe extension for the API reference: Sphinx cross-reference roles become links.

Docstrings in ml-connector use roles such as ``:class:`~ml_connector.sync.ShipmentSync```
(readable in an editor and in ``help()``). mkdocstrings renders Markdown, where a role would
show as literal text; this rewrites each role as an autorefs link,
``[ShipmentSync][ml_connector.sync.ShipmentSync]``, before rendering. A leading ``~`` shows
only the last name, as in Sphinx.
"""

from __future__ import annotations

import re
from typing import Any

from griffe import Extension

_ROLE = re.compile(r":(?:class|func|meth|attr|data|mod|exc|obj):`(?P<tilde>~?)(?P<target>[^`]+)`")


def _qualify(target: str, package: str) -> str | None:
    """The public path autorefs knows for ``target``, or ``None`` (private: no page)."""
    parts = target.lstrip(".").split(".")
    if any(part.startswith("_") for part in parts):
        return None
    if target.startswith("ml_connector"):
        return target
    if target.startswith("."):
        # ``.plans.Skip``: a sibling module's name, re-exported by the package.
        return f"{package}.{parts[-1]}"
    return f"{package}.{target}"


def _linker(package: str) -> Any:
    def link(match: re.Match[str]) -> str:
        target = match.group("target").strip()
        title = target.rsplit(".", 1)[-1] if match.group("tilde") else target.lstrip(".")
        qualified = _qualify(target, package) if "." in target or target[:1].isupper() else None
        if qualified is None:
            return f"`{title}`"
        return f"[`{title}`][{qualified}]"

    return link


class SphinxRoles(Extension):
    """Rewrite Sphinx roles in every docstring as autorefs links."""

    def on_instance(self, *, obj: Any, **kwargs: Any) -> None:
        docstring = getattr(obj, "docstring", None)
        if docstring is not None and ":" in docstring.value:
            # Relative names resolve in the public package of the object documented.
            package = ".".join(str(obj.path).split(".")[:2])
            docstring.value = _ROLE.sub(_linker(package), docstring.value)
