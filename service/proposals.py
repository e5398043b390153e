"""Proposal revisions: the vendor's offer (scope, milestones, IP terms), immutable once submitted."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec

from db import engagements, proposals
from db.types import Connection
from service.audit import actor_record, append_event
from service.auth import Caller
from service.engagements import proposal_input
from service.pagination import decode_seq_cursor
from service.responses import json_text
from service.schemas.common import Page
from service.schemas.engagements import Proposal
from service.tenancy import parties_of, visible_engagement
from workflows.errors import Forbidden, InvalidTransition, NotFound
from workflows.states import EngagementState, Party
from workflows.terms import Advisory, ProposalInput, total_fee, validate_proposal

_OPEN_FOR_PROPOSALS = frozenset({EngagementState.DRAFT, EngagementState.NEGOTIATING})


def view(row: dict[str, Any]) -> Proposal:
    p = proposal_input(row)
    return Proposal(
        engagement_id=row["engagement_id"],
        revision=row["revision"],
        scope=p.scope,
        milestones=list(p.milestones),
        ip_terms=p.ip_terms,
        total_fee=row["total_fee"],
        advisories=msgspec.json.decode(row["advisories"], type=list[Advisory]),
        created_at=row["created_at"],
        submitted_at=row["submitted_at"],
        accepted_at=row["accepted_at"],
    )


async def create_proposal(
    conn: Connection, caller: Caller, engagement_id: UUID, data: ProposalInput
) -> Proposal:
    row = await visible_engagement(conn, caller, engagement_id, lock=True)
    if Party.VENDOR not in parties_of(row, caller.organisation_id):
        raise Forbidden("only the vendor writes proposal revisions")
    if EngagementState(row["state"]) not in _OPEN_FOR_PROPOSALS:
        raise InvalidTransition(
            f"the engagement is {row['state']}; revisions are written in draft or negotiating"
        )
    advisories = validate_proposal(data)  # raises RuleViolation naming every broken field
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
        actor_record(caller.organisation_id, caller.key_id),
        "proposal_revision_created",
        {
            "revision": stored["revision"],
            "model": data.ip_terms.__struct_config__.tag,
            "milestones": [m.key for m in data.milestones],
            "total_fee": str(fee),
        },
    )
    return view(stored)


async def get_proposal(conn: Connection, caller: Caller, engagement_id: UUID, revision: int) -> Proposal:
    await visible_engagement(conn, caller, engagement_id)
    row = await proposals.get(conn, engagement_id, revision) if 1 <= revision <= 2**31 - 1 else None
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
