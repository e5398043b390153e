"""Firing a workflow action: lock, decide (pure), apply the decision and its audit event in one transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from db import engagements, proposals
from db.types import Connection
from service.audit import actor_record, append_event
from service.auth import Caller
from service.engagements import check_version, parse_if_match, snapshot, view
from service.schemas.engagements import Engagement
from service.tenancy import actor_for, visible_engagement
from workflows.engagement import ActionInput, Decision, EngagementSnapshot, decide
from workflows.errors import FieldError, RuleViolation
from workflows.text import xml_illegal_fields

Effect = Callable[[Connection, UUID, EngagementSnapshot, Decision], Awaitable[dict[str, Any]]]


async def _mark_revision_submitted(
    conn: Connection, engagement_id: UUID, snap: EngagementSnapshot, _: Decision
) -> dict[str, Any]:
    assert snap.latest_revision is not None  # the guard made sure
    await proposals.mark_submitted(conn, engagement_id, snap.latest_revision)
    return {}


async def _mark_revision_accepted(
    conn: Connection, engagement_id: UUID, snap: EngagementSnapshot, _: Decision
) -> dict[str, Any]:
    assert snap.latest_revision is not None
    await proposals.mark_accepted(conn, engagement_id, snap.latest_revision)
    return {}


async def _remember_disputed_from(
    conn: Connection, engagement_id: UUID, snap: EngagementSnapshot, d: Decision
) -> dict[str, Any]:
    return {"disputed_from": d.from_state.value}


async def _clear_disputed_from(
    conn: Connection, engagement_id: UUID, snap: EngagementSnapshot, d: Decision
) -> dict[str, Any]:
    return {"disputed_from": None}


#: Side effects this build can apply. An action whose decision needs one that is not here is
#: refused with 422 before anything is written (contract and milestone features come later).
EFFECTS: dict[str, Effect] = {
    "mark_revision_submitted": _mark_revision_submitted,
    "mark_revision_accepted": _mark_revision_accepted,
    "remember_disputed_from": _remember_disputed_from,
    "clear_disputed_from": _clear_disputed_from,
}


async def fire_action(
    conn: Connection,
    caller: Caller,
    engagement_id: UUID,
    action: str,
    data: ActionInput,
    if_match: str | None,
) -> Engagement:
    """Run inside a transaction: the row lock serialises concurrent actions on one engagement."""
    expected = parse_if_match(if_match)
    row = await visible_engagement(conn, caller, engagement_id, lock=True)
    check_version(row, expected)
    if errors := xml_illegal_fields(data):
        raise RuleViolation(errors)
    snap = await snapshot(conn, row)
    decision = decide(snap, actor_for(caller, row), action, data)
    missing = [e for e in decision.effects if e not in EFFECTS]
    if missing:
        raise RuleViolation(
            FieldError("action", f"{action} needs {', '.join(missing)}, which this service cannot do yet")
        )
    changes: dict[str, Any] = {"state": decision.to_state.value}
    for effect in decision.effects:
        changes |= await EFFECTS[effect](conn, engagement_id, snap, decision)
    updated = await engagements.update(conn, engagement_id, changes)
    await append_event(
        conn,
        engagement_id,
        actor_record(caller.organisation_id, caller.key_id),
        decision.event_type,
        {**decision.event_payload, "action": action, "version": updated["version"]},
    )
    return view(caller, updated)
