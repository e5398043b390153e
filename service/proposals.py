"""Proposal revisions: the vendor's offer (scope, milestones, IP terms), immutable once submitted."""

from __future__ import annotations

from uuid import UUID

from db import engagements, proposals
from db.proposals import ProposalRow
from db.types import Connection
from service.audit import append_event
from service.auth import Caller
from service.pagination import decode_seq_cursor
from service.responses import json_text
from service.schemas.common import Page, shaped
from service.schemas.engagements import Proposal
from service.tenancy import parties_of, visible_engagement
from workflows import (
    NotFound,
    ProposalInput,
    check_revision,
    model_of,
    total_fee,
)

_INT4_MAX = 2**31 - 1


def view(row: ProposalRow) -> Proposal:
    return shaped(row, Proposal)


async def create_proposal(
    conn: Connection, caller: Caller, engagement_id: UUID, data: ProposalInput
) -> Proposal:
    row = await visible_engagement(conn, caller, engagement_id, lock=True)
    advisories = check_revision(row.state, parties_of(row, caller.organisation_id), data)
    fee = total_fee(data)
    stored = await proposals.insert_next(
        conn,
        engagement_id,
        scope=data.scope,
        milestones_json=json_text(data.milestones),
        ip_terms_json=json_text(data.ip_terms),
        total_fee=fee,
        advisories_json=json_text(advisories),
        created_by=caller.key_id,
    )
    await engagements.bump_version(conn, engagement_id)
    await append_event(
        conn,
        engagement_id,
        caller,
        "proposal_revision_created",
        {
            "revision": stored.revision,
            "model": model_of(data.ip_terms),
            "milestones": [m.key for m in data.milestones],
            "total_fee": str(fee),
        },
    )
    return view(stored)


async def get_proposal(conn: Connection, caller: Caller, engagement_id: UUID, revision: int) -> Proposal:
    await visible_engagement(conn, caller, engagement_id)
    row = await proposals.get(conn, engagement_id, revision) if 1 <= revision <= _INT4_MAX else None
    if row is None:
        raise NotFound(f"revision {revision} of engagement {engagement_id} not found")
    return view(row)


async def list_proposals(
    conn: Connection, caller: Caller, engagement_id: UUID, *, limit: int, cursor: str | None
) -> Page[Proposal]:
    await visible_engagement(conn, caller, engagement_id)
    rows = await proposals.page(conn, engagement_id, after=decode_seq_cursor(cursor), limit=limit + 1)
    items = [view(r) for r in rows[:limit]]
    return Page(items=items, next_cursor=str(items[-1].revision) if len(rows) > limit else None)
