from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

import msgspec


class EventActor(msgspec.Struct, kw_only=True):
    organisation_id: UUID
    key_id: UUID | None


class AuditEvent(msgspec.Struct, kw_only=True):
    seq: int
    type: str
    actor: EventActor | Literal["system"]
    at: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str


class ChainReport(msgspec.Struct, kw_only=True):
    valid: bool
    count: int
    head_hash: str
    first_invalid_seq: int | None = None
