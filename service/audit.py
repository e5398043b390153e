"""Appending to and reading the hash-chained audit trail: the one source of truth for what happened."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Final, Literal
from uuid import UUID

import msgspec

from db import audit
from db.audit import AuditRow
from db.types import Connection
from service.auth import Caller
from service.pagination import decode_seq_cursor
from service.schemas.common import Page
from service.schemas.events import AuditEvent, ChainReport, EventActor
from service.tenancy import visible_engagement
from workflows import (
    GENESIS_HASH,
    MILESTONE_WORKFLOW,
    WORKFLOW,
    ChainEvent,
    Row,
    format_event_time,
    seal_event,
    verify_chain,
)

#: Events the shell records itself; the others are the workflow tables' (``AUDIT_EVENT_TYPES``).
SHELL_EVENTS = frozenset(
    {
        "engagement_created",
        "engagement_updated",
        "proposal_revision_created",
        "delivery_recorded",
        "milestone_deemed_accepted",
        "contract_link_created",
        "contract_link_revoked",
        "contract_link_used",
    }
)
_ROWS: tuple[Row[Any, Any], ...] = (*WORKFLOW, *MILESTONE_WORKFLOW)
#: Every event type the audit trail can hold; the API documents them as an enum.
AUDIT_EVENT_TYPES: frozenset[str] = frozenset(
    {row.event_type for row in _ROWS} | {row.stay.event_type for row in _ROWS if row.stay} | SHELL_EVENTS
)


def actor_record(organisation_id: UUID | None, key_id: UUID | None) -> dict[str, Any] | None:
    """The actor as the chain records it; None is the system (deemed acceptance and the like)."""
    if organisation_id is None:
        return None
    return {"organisation_id": str(organisation_id), "key_id": str(key_id) if key_id else None}


def shown_actor(record: dict[str, Any] | None) -> EventActor | Literal["system"]:
    """The actor as the API, the event stream and webhooks show it: who, or ``"system"``."""
    return msgspec.convert(record, EventActor) if record is not None else "system"


#: ``head=LOOK_UP``: read the chain's head from the database (the default).
LOOK_UP: Final = "look up"


async def chain_head(conn: Connection, engagement_id: UUID) -> tuple[int, str] | None:
    """The last (seq, hash) of the chain, None before its first event; stable while the row is locked."""
    return await audit.head(conn, engagement_id)


async def append_event(
    conn: Connection,
    engagement_id: UUID,
    caller: Caller | None,
    type: str,
    payload: dict[str, Any],
    *,
    head: tuple[int, str] | Literal["look up"] | None = LOOK_UP,
) -> ChainEvent:
    """Seal and store the next event (``caller`` None: the system acted).

    Call inside the transaction that holds the engagement row lock. ``head``: the chain's head when
    the caller already knows it (None for an engagement's first event), saving a round trip.
    """
    if type not in AUDIT_EVENT_TYPES:  # a new event type must join the list (and so the API's enum)
        raise ValueError(f"unknown audit event type {type!r}: add it to service.audit.SHELL_EVENTS")
    actor = actor_record(caller.organisation_id, caller.key_id) if caller else None
    last = await audit.head(conn, engagement_id) if isinstance(head, str) else head
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
        actor_org_id=caller.organisation_id if actor and caller else None,
        actor_key_id=caller.key_id if actor and caller else None,
        at=at,
        type=type,
        payload_json=json.dumps(payload, ensure_ascii=False),
        prev_hash=prev_hash,
        hash=event.hash,
    )
    return event


def _chain_event(row: AuditRow) -> ChainEvent:
    return ChainEvent(
        engagement_id=str(row.engagement_id),
        seq=row.seq,
        actor=actor_record(row.actor_org_id, row.actor_key_id),
        at=format_event_time(row.at),
        type=row.type,
        payload=row.payload,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


def _wire(event: ChainEvent) -> AuditEvent:
    return AuditEvent(
        seq=event.seq,
        type=event.type,
        actor=shown_actor(event.actor),
        at=event.at,
        payload=event.payload,
        prev_hash=event.prev_hash,
        hash=event.hash,
    )


async def list_events(
    conn: Connection, caller: Caller, engagement_id: UUID, *, limit: int, cursor: str | None
) -> Page[AuditEvent]:
    await visible_engagement(conn, caller, engagement_id)
    rows = await audit.page(conn, engagement_id, after=decode_seq_cursor(cursor), limit=limit + 1)
    items = [_wire(_chain_event(r)) for r in rows[:limit]]
    more = len(rows) > limit
    return Page(items=items, next_cursor=str(items[-1].seq) if more and items else None)


async def verify_events(conn: Connection, caller: Caller, engagement_id: UUID) -> ChainReport:
    await visible_engagement(conn, caller, engagement_id)
    events = [_chain_event(r) async for r in audit.stream(conn, engagement_id)]
    verdict = verify_chain(events)
    return msgspec.convert(msgspec.structs.asdict(verdict), ChainReport)
