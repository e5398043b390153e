"""Opaque keyset cursors: base64url of a small JSON array of the last row's sort key."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar
from uuid import UUID

import msgspec

from workflows import RuleViolation

MAX_LIMIT = 100


#: The default keyset: (created_at, id), ascending. Cursors of another order name it.
CREATED = "created_at"
NOT_ISSUED = "not a cursor this service issued"
T = TypeVar("T")


def wrap(key: Sequence[Any]) -> str:
    """A cursor holding ``key``: base64url, unpadded, of the key as a JSON array."""
    return base64.urlsafe_b64encode(msgspec.json.encode(key)).decode().rstrip("=")


def unwrap(cursor: str, kind: type[T], field: str = "cursor") -> T:
    """The key ``cursor`` holds, as ``kind``; a 422 naming ``field`` if it is not one ``wrap`` made."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return msgspec.json.decode(raw, type=kind)
    except (binascii.Error, msgspec.DecodeError, ValueError, TypeError) as exc:
        raise RuleViolation.one(field, NOT_ISSUED) from exc


def encode_cursor(stamp: datetime, row_id: UUID, order: str = CREATED) -> str:
    """The default order's cursor is ``[created_at, id]``; another order's adds its name, so a
    cursor is never read in an order it was not issued for."""
    return wrap([stamp.isoformat(), str(row_id)] + ([] if order == CREATED else [order]))


def decode_cursor(cursor: str | None, order: str = CREATED) -> tuple[datetime, UUID] | None:
    if cursor is None:
        return None
    key = unwrap(cursor, list[str])
    try:
        if len(key) not in (2, 3):
            raise ValueError("a cursor has two or three parts")
        stamp, row_id = datetime.fromisoformat(key[0]), UUID(key[1])
    except ValueError as exc:
        raise RuleViolation.one("cursor", NOT_ISSUED) from exc
    issued_for = key[2] if len(key) == 3 else CREATED
    if issued_for != order:
        raise RuleViolation.one("cursor", f"was issued for sort={issued_for}, not sort={order}")
    if stamp.utcoffset() is None:
        raise RuleViolation.one("cursor", NOT_ISSUED)
    return stamp, row_id


class Keyed(Protocol):
    """A row listed in (created_at, id) order."""

    @property
    def id(self) -> UUID: ...

    @property
    def created_at(self) -> datetime: ...


class Changed(Keyed, Protocol):
    """A row that may also be listed in (updated_at, id) order."""

    @property
    def updated_at(self) -> datetime: ...


def next_cursor(rows: Sequence[Keyed], limit: int) -> str | None:
    """Rows are fetched with limit + 1; a surplus row means there is a next page."""
    if len(rows) <= limit:
        return None
    last = rows[limit - 1]
    return encode_cursor(last.created_at, last.id)


def next_cursor_in(rows: Sequence[Changed], limit: int, order: str) -> str | None:
    """``next_cursor`` for ``order``: ``created_at`` or ``-updated_at``."""
    if order == CREATED or len(rows) <= limit:
        return next_cursor(rows, limit)
    last = rows[limit - 1]
    return encode_cursor(last.updated_at, last.id, order)


_INT4_MAX = 2**31 - 1


def decode_seq_cursor(cursor: str | None) -> int | None:
    """Cursors over per-engagement sequence numbers (revisions, audit events): a plain position."""
    if cursor is None:
        return None
    if not cursor.isdigit() or int(cursor) > _INT4_MAX:
        raise RuleViolation.one("cursor", NOT_ISSUED)
    return int(cursor)
