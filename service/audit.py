"""Appending to and reading the hash-chained audit trail: the one source of truth for what happened."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import msgspec

from db import audit
from db.types import Connection
from service.schemas.common import Page
from service.schemas.events import AuditEvent, ChainReport
from workflows.audit import GENESIS_HASH, ChainEvent, format_event_time, seal_event, verify_chain


def actor_record(organisation_id: UUID | None, key_id: UUID | None) -> dict[str, Any] | None:
    """The actor as the chain records it; None is the system (deemed acceptance and the like)."""
    if organisation_id is None:
        return None
    return {"organisation_id": str(organisation_id), "key_id": str(key_id) if key_id else None}


async def append_event(
    conn: Connection,
    engagement_id: UUID,
    actor: dict[str, Any] | None,
    type: str,
    payload: dict[str, Any],
) -> ChainEvent:
    """Seal and store the next event. Call inside the transaction that holds the engagement row lock."""
    last = await audit.head(conn, engagement_id)
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
    at = datetime.now(UTC)
    event = seal_event(
        engagement_id=str(engagement_id),
        seq=seq,
        actor=actor,
        at=format_event_time(at),
        type=type,
        payload=payload,
        prev_hash=prev_hash,
    )
    await audit.insert(
        conn,
        engagement_id=engagement_id,
        seq=seq,
        actor_org_id=UUID(actor["organisation_id"]) if actor else None,
        actor_key_id=UUID(actor["key_id"]) if actor and actor.get("key_id") else None,
        at=at,
        type=type,
        payload_json=json.dumps(payload, ensure_ascii=False),
        prev_hash=prev_hash,
        hash=event.hash,
    )
    return event


def _chain_event(row: dict[str, Any]) -> ChainEvent:
    actor = None
    if row["actor_org_id"] is not None:
        key = row["actor_key_id"]
        actor = {"organisation_id": str(row["actor_org_id"]), "key_id": str(key) if key else None}
    return ChainEvent(
        engagement_id=str(row["engagement_id"]),
        seq=row["seq"],
        actor=actor,
        at=format_event_time(row["at"]),
        type=row["type"],
        payload=json.loads(row["payload"]),
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )


def _wire(event: ChainEvent) -> AuditEvent:
    return AuditEvent(
        seq=event.seq,
        type=event.type,
        actor=event.actor if event.actor is not None else "system",
        at=event.at,
        payload=event.payload,
        prev_hash=event.prev_hash,
        hash=event.hash,
    )


async def events_page(
    conn: Connection, engagement_id: UUID, *, after: int | None, limit: int
) -> Page[AuditEvent]:
    rows = await audit.page(conn, engagement_id, after=after, limit=limit + 1)
    items = [_wire(_chain_event(r)) for r in rows[:limit]]
    more = len(rows) > limit
    return Page(items=items, next_cursor=str(items[-1].seq) if more and items else None)


async def verify(conn: Connection, engagement_id: UUID) -> ChainReport:
    events = [_chain_event(r) async for r in audit.stream(conn, engagement_id)]
    verdict = verify_chain(events)
    return msgspec.convert(msgspec.structs.asdict(verdict), ChainReport)
