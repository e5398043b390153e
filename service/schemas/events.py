from __future__ import annotations

from typing import Any

import msgspec


class AuditEvent(msgspec.Struct, kw_only=True):
    seq: int
    type: str
    actor: dict[str, Any] | str  # {organisation_id, key_id} or "system"
    at: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str


class ChainReport(msgspec.Struct, kw_only=True):
    valid: bool
    count: int
    head_hash: str
    first_invalid_seq: int | None = None
