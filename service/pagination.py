"""Opaque keyset cursors: base64url of a small JSON array of the last row's sort key."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

import msgspec

from workflows import RuleViolation

MAX_LIMIT = 100


def encode_cursor(created_at: datetime, row_id: UUID) -> str:
    raw = msgspec.json.encode([created_at.isoformat(), str(row_id)])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[datetime, UUID] | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        stamp, row_id = msgspec.json.decode(raw, type=tuple[str, str])
        return datetime.fromisoformat(stamp), UUID(row_id)
    except (binascii.Error, msgspec.DecodeError, ValueError, TypeError) as exc:
        raise RuleViolation.one("cursor", "not a cursor this service issued") from exc


class Keyed(Protocol):
    """A row listed in (created_at, id) order."""

    @property
    def id(self) -> UUID: ...

    @property
    def created_at(self) -> datetime: ...


def next_cursor(rows: Sequence[Keyed], limit: int) -> str | None:
    """Rows are fetched with limit + 1; a surplus row means there is a next page."""
    if len(rows) <= limit:
        return None
    last = rows[limit - 1]
    return encode_cursor(last.created_at, last.id)


_INT4_MAX = 2**31 - 1


def decode_seq_cursor(cursor: str | None) -> int | None:
    """Cursors over per-engagement sequence numbers (revisions, audit events): a plain position."""
    if cursor is None:
        return None
    if not cursor.isdigit() or int(cursor) > _INT4_MAX:
        raise RuleViolation.one("cursor", "not a cursor this service issued")
    return int(cursor)
