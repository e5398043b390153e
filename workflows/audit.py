"""The audit trail's canonical event encoding and hash chain (pure; the shell stores and loads).

``hash(n) = sha256(hash(n-1) as ASCII hex || canonical(n))`` with ``hash(0) = GENESIS_HASH``.

The canonical encoding is JSON with sorted keys, no whitespace, UTF-8 (non-ASCII kept as is):
``{"actor":..,"at":..,"engagement_id":..,"payload":..,"seq":..,"type":..}``. It must give the same
bytes after a round trip through PostgreSQL ``jsonb``, so callers pass JSON-native values only
(str, int, bool, None, list, dict with str keys): Decimals and dates as strings, no floats (their
text form is not stable across stores). Anything else raises ``TypeError`` instead of hashing
something that could not be verified later. ``at`` is ISO-8601 UTC with microseconds and ``Z``
(``format_event_time`` makes one); ``actor`` is ``{"organisation_id", "key_id"}`` or None for system.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import msgspec

__all__ = [
    "GENESIS_HASH",
    "ChainEvent",
    "ChainVerdict",
    "canonical_event_bytes",
    "chain_hash",
    "format_event_time",
    "seal_event",
    "verify_chain",
]

GENESIS_HASH = "0" * 64

_AT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")


class ChainEvent(msgspec.Struct, frozen=True, kw_only=True):
    """An audit event as stored."""

    engagement_id: str
    seq: int
    actor: dict[str, Any] | None
    at: str
    type: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str


class ChainVerdict(msgspec.Struct, frozen=True, kw_only=True):
    """``first_invalid_seq`` is the position (1-based) where verification first fails, else None."""

    valid: bool
    count: int
    head_hash: str
    first_invalid_seq: int | None = None


def format_event_time(moment: datetime) -> str:
    """``at`` in the one form the chain hashes: UTC, microseconds, ``Z`` (PostgreSQL keeps microseconds)."""
    if moment.tzinfo is None:
        raise ValueError("event time must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _check_json_native(value: Any, path: str) -> None:
    match value:
        case bool() | int() | str() | None:
            return
        case list():
            for i, item in enumerate(value):
                _check_json_native(item, f"{path}[{i}]")
        case dict():
            for key, item in value.items():
                if not isinstance(key, str):
                    raise TypeError(f"{path}: keys must be str, got {type(key).__name__}")
                _check_json_native(item, f"{path}.{key}")
        case _:
            raise TypeError(f"{path}: {type(value).__name__} is not a canonical JSON value; pass str/int")


def canonical_event_bytes(
    engagement_id: str,
    seq: int,
    actor: dict[str, Any] | None,
    at: str,
    type: str,  # named after the stored column
    payload: dict[str, Any],
) -> bytes:
    """The bytes an event's hash covers; deterministic for JSON-native input (see module doc)."""
    if not _AT.fullmatch(at):
        raise ValueError(f"at must look like 2025-01-31T12:00:00.000000Z, got {at!r}")
    event = {
        "actor": actor,
        "at": at,
        "engagement_id": engagement_id,
        "payload": payload,
        "seq": seq,
        "type": type,
    }
    _check_json_native(event, "event")
    return json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(prev_hash: str, canonical: bytes) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical).hexdigest()


def seal_event(
    *,
    engagement_id: str,
    seq: int,
    actor: dict[str, Any] | None,
    at: str,
    type: str,
    payload: dict[str, Any],
    prev_hash: str,
) -> ChainEvent:
    """The next event of a chain whose head is ``prev_hash`` (``GENESIS_HASH`` for seq 1)."""
    canonical = canonical_event_bytes(engagement_id, seq, actor, at, type, payload)
    return ChainEvent(
        engagement_id=engagement_id,
        seq=seq,
        actor=actor,
        at=at,
        type=type,
        payload=payload,
        prev_hash=prev_hash,
        hash=chain_hash(prev_hash, canonical),
    )


def _event_is_sound(event: ChainEvent, position: int, prev_hash: str, engagement_id: str) -> bool:
    if event.seq != position or event.prev_hash != prev_hash or event.engagement_id != engagement_id:
        return False
    try:
        canonical = canonical_event_bytes(
            event.engagement_id, event.seq, event.actor, event.at, event.type, event.payload
        )
    except (TypeError, ValueError):
        return False  # stored data that cannot be encoded was not written by seal_event
    return chain_hash(prev_hash, canonical) == event.hash


def verify_chain(events: Iterable[ChainEvent]) -> ChainVerdict:
    """Check events in seq order: seq runs 1..n, each links to its predecessor, each hash recomputes.

    ``count`` is every event given; ``head_hash`` the last one's stored hash (GENESIS when none).
    """
    count = 0
    head = GENESIS_HASH
    first_invalid: int | None = None
    engagement_id: str | None = None
    for event in events:
        count += 1
        engagement_id = engagement_id or event.engagement_id
        if first_invalid is None and not _event_is_sound(event, count, head, engagement_id):
            first_invalid = count
        head = event.hash
    return ChainVerdict(
        valid=first_invalid is None, count=count, head_hash=head, first_invalid_seq=first_invalid
    )
