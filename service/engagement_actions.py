"""Firing an engagement workflow action: lock, decide (pure), apply the decision in one transaction."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from db import milestones
from db.types import Connection
from service.auth import Caller
from service.contracts import citable_clauses
from service.decisions import apply_engagement_decision
from service.effects import KEEPS_FACTS
from service.engagements import view, view_with
from service.http import parse_if_match
from service.milestones import settle_deemed_acceptances
from service.schemas.engagements import Engagement
from service.snapshots import engagement_facts, snapshot_of
from service.tenancy import actor_for, visible_engagement
from workflows import ActionInput, MilestoneState, check_version, decide


async def fire_action(
    conn: Connection,
    caller: Caller,
    engagement_id: UUID,
    action: str,
    data: ActionInput,
    if_match: str | None,
    now: datetime,
) -> Engagement:
    """Run inside a transaction: the row lock serialises concurrent actions on one engagement.

    Everything read after the lock stays as read until commit, except what this action writes:
    so the milestones are read only when one is submitted (only those can be deemed accepted), and
    the answer reuses the guards' facts unless an effect may have written proposals or milestones.
    """
    expected = parse_if_match(if_match)
    row = await visible_engagement(conn, caller, engagement_id, lock=True)
    check_version(row.version, None if expected == "*" else expected)
    facts = await engagement_facts(conn, row)
    # Milestones whose acceptance period ran out count as accepted for this action's guards.
    if MilestoneState.SUBMITTED in facts.milestone_states and await settle_deemed_acceptances(
        conn, row, now, await milestones.all_for(conn, row.id)
    ):
        row = await visible_engagement(conn, caller, engagement_id, lock=True)
        facts = await engagement_facts(conn, row)
    snapshot = snapshot_of(row, facts)
    decision = decide(snapshot, actor_for(caller, row), action, data, citable=citable_clauses())
    updated = await apply_engagement_decision(conn, caller, row, decision)
    if all(type(effect) in KEEPS_FACTS for effect in decision.effects):
        return view_with(caller, updated, facts)
    return await view(conn, caller, updated)
