"""Firing an engagement workflow action: lock, decide (pure), apply the decision in one transaction."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from db import milestones
from db.types import Connection
from service.auth import Caller
from service.contracts import citable_clauses
from service.decisions import apply_engagement_decision
from service.engagements import view
from service.http import parse_if_match
from service.milestones import settle_deemed_acceptances
from service.schemas.engagements import Engagement
from service.snapshots import engagement_snapshot
from service.tenancy import actor_for, visible_engagement
from workflows import ActionInput, check_version, decide


async def fire_action(
    conn: Connection,
    caller: Caller,
    engagement_id: UUID,
    action: str,
    data: ActionInput,
    if_match: str | None,
    now: datetime,
) -> Engagement:
    """Run inside a transaction: the row lock serialises concurrent actions on one engagement."""
    expected = parse_if_match(if_match)
    row = await visible_engagement(conn, caller, engagement_id, lock=True)
    check_version(row.version, None if expected == "*" else expected)
    # Milestones whose acceptance period ran out count as accepted for this action's guards.
    if await settle_deemed_acceptances(conn, row, now, await milestones.all_for(conn, row.id)):
        row = await visible_engagement(conn, caller, engagement_id, lock=True)
    snapshot = await engagement_snapshot(conn, row)
    decision = decide(snapshot, actor_for(caller, row), action, data, citable=citable_clauses())
    updated = await apply_engagement_decision(conn, caller, row, decision)
    return await view(conn, caller, updated)
