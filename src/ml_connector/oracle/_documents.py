"""One find-before-create path for every kind of document we post to Oracle.

An AR invoice, an AR credit memo and a staged inventory transaction are all posted the same
way: look the posting key up; create only when it is missing; after a lost or unreadable answer
look again instead of posting twice; then check what Oracle answered. What differs per kind is
small and lives in a :class:`DocumentKind`: the resource, the attribute that carries our key,
the attribute that holds Oracle's id, and which create errors leave the outcome unknown. The
look-up itself is passed in as a flow factory, so that a kind whose records move between
resources (inventory: staged, then completed) plugs its own look-up in unchanged.

Posting keys Oracle keeps. A receivables transaction source with automatic numbering ignores a
supplied ``TransactionNumber`` and assigns its own; only a source with manual numbering keeps
it (the "Complete an Invoice" example shows a source-assigned number, "864":
https://docs.oracle.com/en/cloud/saas/financials/23d/farfa/Complete_an_Invoice.html; the
source's numbering and duplicate options are ``AUTO_TRX_NUMBERING`` and "Allow duplicate
transaction numbers", https://docs.oracle.com/en/cloud/saas/financials/25c/oadsr/TransactionBatchSourceExtractPVO.html).
So every create answer is compared with our key. When Oracle did not keep it the document is
still posted (and found again next time through the kind's second key attribute, the *echo*,
which Oracle keeps whatever the numbering), and :class:`PostingKeyNotKeptError` stops the job:
it names the transaction source and the setting to change, and carries the result so the
caller can record the document under Oracle's number.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any, Generic, TypeVar

import attrs
import httpx

from ml_connector._errors import (
    ConfigurationError,
    ResponseDecodeError,
    ServerError,
    TransportError,
)
from ml_connector._http import Request

__all__ = [
    "AR_UNCERTAIN",
    "DocumentKind",
    "PostResult",
    "PostingKeyNotKeptError",
    "find_or_create_flow",
    "key_kept",
    "post_keyed_flow",
]

R = TypeVar("R")
F = TypeVar("F")
C = TypeVar("C")
S = TypeVar("S")
Flow = Generator[Request, httpx.Response, R]

AR_UNCERTAIN: tuple[type[Exception], ...] = (TransportError, ServerError, ResponseDecodeError)
"""Create errors after which an AR document may exist: no answer, a 5xx, an unreadable 2xx."""


@attrs.frozen
class PostResult(Generic[R]):
    """The outcome of a ``post_*_once`` call.

    Attributes:
        record: The record in Oracle that carries the posting key.
        created: ``True`` if this call created it, ``False`` if it was already there.
        recovered: ``True`` if the create's answer was lost and the record was found after.
        key_kept: ``False`` when Oracle holds the document under a number of its own (an
            automatically numbered transaction source); ``number`` is then Oracle's.
        number: The document's number in Oracle (``TransactionNumber`` for AR documents),
            when the kind has one.
    """

    record: R
    created: bool
    recovered: bool = False
    key_kept: bool = True
    number: str | None = None


class PostingKeyNotKeptError(ConfigurationError):
    """Oracle posted a document under its own number instead of our posting key.

    The document exists in Oracle (``result.record``, number ``result.number``) and is found
    again by the echo attribute, so it is never posted twice; but every further document of
    that transaction source would get a number of Oracle's too, so the job must stop until the
    source numbers manually (or the key goes to an attribute Oracle keeps).

    Attributes:
        result: The post's result (``key_kept`` is ``False``).
        key: Our posting key.
        transaction_source: The transaction source that numbered the document.
    """

    def __init__(
        self,
        message: str,
        *,
        result: PostResult[Any],
        key: str,
        transaction_source: str | None,
        setting: str | None = None,
    ) -> None:
        super().__init__(message, setting=setting)
        self.result = result
        self.key = key
        self.transaction_source = transaction_source


@attrs.frozen
class DocumentKind:
    """What the shared find-or-create path needs to know about one kind of document.

    Attributes:
        name: How messages name it (``"invoice"``).
        resource: The REST resource it is created in.
        id_attribute: The attribute holding Oracle's id (``CustomerTransactionId``).
        key_attribute: The attribute that carries our posting key, or ``None`` when the kind
            is found by several attributes together (inventory).
        number_attribute: The attribute holding the document's number in Oracle (compared
            with our key when it is also ``key_attribute``), or ``None``.
        echo_attribute: A second attribute that also carries our key and that Oracle keeps
            whatever the numbering, searched when ``key_attribute`` finds nothing; ``None``:
            none.
        uncertain: Create errors after which the document may exist; the path looks it up
            again rather than failing (or posting twice).
        setting: The client setting that names ``key_attribute`` (for messages).
        source_setting: The mapping setting that names the kind's transaction source.
    """

    name: str
    resource: str
    id_attribute: str
    key_attribute: str | None = None
    number_attribute: str | None = None
    echo_attribute: str | None = None
    uncertain: tuple[type[Exception], ...] = AR_UNCERTAIN
    setting: str | None = None
    source_setting: str = "receivables.transaction_source"


def _raw(record: Any) -> Any:
    raw = getattr(record, "raw", None)
    return raw if raw is not None else {}


def key_kept(kind: DocumentKind, record: Any, key: str) -> tuple[bool, str | None]:
    """Whether ``record`` holds ``key`` where we put it, and its number in Oracle.

    A record that does not echo the key attribute at all (an answer trimmed by ``fields``) is
    taken at its word: only a different value proves that Oracle replaced the key.
    """
    raw = _raw(record)
    number = None
    if kind.number_attribute is not None:
        value = raw.get(kind.number_attribute)
        number = None if value is None else str(value)
    if kind.key_attribute is None:
        return True, number
    held = raw.get(kind.key_attribute)
    return held is None or str(held) == key, number


def find_or_create_flow(
    kind: DocumentKind,
    find: Callable[[], Flow[F | None]],
    create: Callable[[], Flow[C]],
    *,
    on_found: Callable[[F], S],
    on_created: Callable[[F | C, bool], S],
) -> Flow[S]:
    """The one find-before-create path: find; create only when missing; look again after an
    uncertain create; then let the kind judge what it holds.

    Args:
        kind: The document kind (its ``uncertain`` errors are resolved by a second look-up).
        find: A factory of the kind's look-up flow (``None``: not in Oracle).
        create: A factory of the create flow.
        on_found: The result for a document that was already there.
        on_created: The result for a document this call created (the create's answer, or what
            the second look-up found, with ``True`` for "recovered").

    Raises:
        ConnectorError: the create failed and the document is not there (or ``on_created``
            refuses what Oracle holds).
    """
    existing = yield from find()
    if existing is not None:
        return on_found(existing)
    try:
        record: F | C = yield from create()
    except kind.uncertain as exc:
        # The create may have happened (a lost answer, a 5xx after the commit, an unreadable
        # 2xx): look again rather than post twice.
        found = yield from find()
        if found is None:
            raise exc from None
        return on_created(found, True)
    return on_created(record, False)


def post_keyed_flow(
    kind: DocumentKind,
    key: str,
    find: Callable[[], Flow[R | None]],
    create: Callable[[], Flow[R]],
    *,
    transaction_source: str | None = None,
) -> Flow[PostResult[R]]:
    """:func:`find_or_create_flow` for a document keyed by one attribute (AR invoices and
    credit memos), with the check that Oracle kept the key.

    Raises:
        PostingKeyNotKeptError: Oracle created the document under a number of its own.
    """

    def found(record: R) -> PostResult[R]:
        kept, number = key_kept(kind, record, key)
        return PostResult(record, created=False, key_kept=kept, number=number)

    def created(record: R, recovered: bool) -> PostResult[R]:
        kept, number = key_kept(kind, record, key)
        result = PostResult(record, created=True, recovered=recovered, key_kept=kept, number=number)
        if not kept:
            raise _not_kept(kind, key, result, transaction_source)
        return result

    return (yield from find_or_create_flow(kind, find, create, on_found=found, on_created=created))


def _not_kept(
    kind: DocumentKind, key: str, result: PostResult[Any], transaction_source: str | None
) -> PostingKeyNotKeptError:
    source = f"transaction source {transaction_source!r}" if transaction_source else "the source"
    return PostingKeyNotKeptError(
        f"Oracle posted {kind.name} {key} as number {result.number} "
        f"({kind.id_attribute} {_raw(result.record).get(kind.id_attribute)}): {source} numbers "
        f"{kind.resource} automatically and ignores the {kind.key_attribute} we send. "
        "The document is posted and recorded under Oracle's number; posting stops until "
        f"{source} uses manual numbering (Manage Transaction Sources: clear 'Automatic "
        "transaction numbering'), or the posting key goes to an attribute Oracle keeps "
        "(mapping receivables.key_field = 'cross_reference' with "
        f"{kind.setting or 'the client key attribute'} = 'CrossReference')",
        result=result,
        key=key,
        transaction_source=transaction_source,
        setting=kind.source_setting,
    )
