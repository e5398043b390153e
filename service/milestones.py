"""Milestones: reads, the milestone actions, and deemed acceptance.

Every change runs in one transaction holding the engagement row lock: the milestone decision
(pure, in ``workflows``), its effects, its audit event and the engagement's new version commit
together (``service.decisions``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from db import engagements, milestones
from db.engagements import EngagementRow
from db.milestones import DeliveryRow, MilestoneRow
from db.types import Connection
from service.auth import Caller
from service.decisions import apply_milestone_decision
from service.schemas.common import Page, shaped
from service.schemas.milestones import Delivery, Milestone, Payment
from service.snapshots import milestone_snapshot, signed_terms
from service.tenancy import parties_of, visible_engagement
from workflows import (
    IpTerms,
    MilestoneActionInput,
    MilestoneState,
    NotFound,
    Party,
    available_milestone_actions,
    decide_milestone,
    deemed_acceptance,
)

# --- deemed acceptance ---------------------------------------------------------------------------


async def settle_deemed_acceptances(
    conn: Connection, row: EngagementRow, now: datetime, milestone_rows: Sequence[MilestoneRow] | None = None
) -> int:
    """Accept, as the system, every submitted milestone whose acceptance period has run out
    (``milestone_rows``: the engagement's milestones when the caller has read them already)."""
    if milestone_rows is None:
        milestone_rows = await milestones.all_for(conn, row.id)
    due = [m for m in milestone_rows if m.state is MilestoneState.SUBMITTED]
    if not due:
        return 0
    terms = await signed_terms(conn, row.id)
    latest_by_key = await milestones.latest_deliveries(conn, row.id)
    settled = 0
    for m in due:
        decision = deemed_acceptance(milestone_snapshot(m, row, terms, latest_by_key.get(m.key)), now)
        if decision is not None:
            await apply_milestone_decision(conn, None, row, m, decision)
            settled += 1
    if settled:
        await engagements.bump_version(conn, row.id)
    return settled


async def settled_engagement(
    conn: Connection, caller: Caller, engagement_id: UUID, now: datetime, *, lock: bool
) -> EngagementRow:
    """The engagement row once every deemed acceptance that has fallen due is recorded.

    Writers (``lock=True``, already in a transaction) always lock; readers lock only when a
    pre-check finds a milestone past its acceptance period, so plain reads never queue.
    """
    if not lock:
        row = await visible_engagement(conn, caller, engagement_id)
        if not await milestones.any_acceptance_due(conn, engagement_id, now):
            return row
    async with conn.transaction():
        row = await visible_engagement(conn, caller, engagement_id, lock=True)
        if await settle_deemed_acceptances(conn, row, now):
            row = await visible_engagement(conn, caller, engagement_id, lock=True)
    return row


# --- views -------------------------------------------------------------------------------------


def delivery_view(d: DeliveryRow) -> Delivery:
    return Delivery(
        id=d.id,
        milestone_key=d.milestone_key,
        artifact_uri=d.artifact_uri,
        checksum=d.checksum,
        notes=d.notes,
        components=list(d.components),
        advisories=list(d.advisories),
        needs_approval=list(d.needs_approval),
        approved_at=d.approved_at,
        created_at=d.created_at,
    )


async def _milestone_view(
    conn: Connection,
    row: EngagementRow,
    m: MilestoneRow,
    parties: frozenset[Party],
    terms: IpTerms,
    latest: DeliveryRow | None,
    now: datetime,
) -> Milestone:
    snapshot = milestone_snapshot(m, row, terms, latest)
    return Milestone(
        key=m.key,
        position=m.position,
        title=m.title,
        due_date=m.due_date,
        fee=m.fee,
        acceptance_days=m.acceptance_days,
        state=m.state,
        submitted_at=m.submitted_at,
        paid_total=m.paid_total,
        deliveries=[delivery_view(d) for d in await milestones.deliveries(conn, row.id, m.key)],
        payments=[shaped(p, Payment) for p in await milestones.payments(conn, row.id, m.key)],
        available_actions=available_milestone_actions(snapshot, parties, now),
    )


async def list_milestones(
    conn: Connection, caller: Caller, engagement_id: UUID, now: datetime
) -> Page[Milestone]:
    row = await settled_engagement(conn, caller, engagement_id, now, lock=False)
    all_milestones = await milestones.all_for(conn, engagement_id)
    if not all_milestones:
        return Page(items=[], next_cursor=None)
    terms = await signed_terms(conn, engagement_id)
    latest_by_key = await milestones.latest_deliveries(conn, engagement_id)
    parties = parties_of(row, caller.organisation_id)
    items = [
        await _milestone_view(conn, row, m, parties, terms, latest_by_key.get(m.key), now)
        for m in all_milestones
    ]
    return Page(items=items, next_cursor=None)


async def get_milestone(
    conn: Connection, caller: Caller, engagement_id: UUID, key: str, now: datetime
) -> Milestone:
    row = await settled_engagement(conn, caller, engagement_id, now, lock=False)
    m = await existing_milestone(conn, engagement_id, key)
    terms = await signed_terms(conn, engagement_id)
    latest = (await milestones.latest_deliveries(conn, engagement_id)).get(key)
    return await _milestone_view(conn, row, m, parties_of(row, caller.organisation_id), terms, latest, now)


async def existing_milestone(conn: Connection, engagement_id: UUID, key: str) -> MilestoneRow:
    m = await milestones.get(conn, engagement_id, key)
    if m is None:
        raise NotFound(f"milestone {key!r} not found")
    return m


# --- writes ------------------------------------------------------------------------------------


async def fire_milestone_action(
    conn: Connection,
    caller: Caller,
    engagement_id: UUID,
    key: str,
    action: str,
    data: MilestoneActionInput,
    now: datetime,
) -> Milestone:
    """Run inside a transaction."""
    row = await settled_engagement(conn, caller, engagement_id, now, lock=True)
    m = await existing_milestone(conn, engagement_id, key)
    terms = await signed_terms(conn, engagement_id)
    latest = (await milestones.latest_deliveries(conn, engagement_id)).get(key)
    parties = parties_of(row, caller.organisation_id)
    decision = decide_milestone(milestone_snapshot(m, row, terms, latest), parties, action, data, now)
    await apply_milestone_decision(conn, caller, row, m, decision)
    await engagements.bump_version(conn, engagement_id)
    updated = await existing_milestone(conn, engagement_id, key)
    latest = (await milestones.latest_deliveries(conn, engagement_id)).get(key)
    return await _milestone_view(conn, row, updated, parties, terms, latest, now)
