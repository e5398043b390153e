"""Applying a decision of either workflow: every effect's handler, the new state, the audit event.

All of it runs in the transaction that holds the engagement row lock, so the state change, its
effects and its event commit together or not at all. A decision naming an effect with no
handler is refused (422) before anything is written: a guard that cannot pass yet is never faked.
"""

from __future__ import annotations

from typing import Any

from db import engagements, milestones
from db.engagements import EngagementRow
from db.milestones import MilestoneRow
from db.types import Connection
from service.audit import append_event, chain_head
from service.auth import Caller
from service.effects import HANDLERS, EffectContext, EffectResult
from workflows import Decision, EngagementState, FieldError, MilestoneState, RuleViolation


def _refuse_unhandled(decision: Decision[Any]) -> None:
    missing = [effect.name for effect in decision.effects if type(effect) not in HANDLERS]
    if missing:
        raise RuleViolation(
            FieldError(
                "action", f"{decision.action} needs {', '.join(missing)}, which this service cannot do yet"
            )
        )


async def _run(ctx: EffectContext, decision: Decision[Any]) -> EffectResult:
    total = EffectResult()
    for effect in decision.effects:
        result = await HANDLERS[type(effect)](effect, ctx)
        total.engagement |= result.engagement
        total.milestone |= result.milestone
        total.payload |= result.payload
    return total


async def _context(
    conn: Connection, caller: Caller | None, row: EngagementRow, milestone: MilestoneRow | None = None
) -> tuple[EffectContext, tuple[int, str] | None]:
    """The handlers' context, and the chain's head the decision's event will follow."""
    head = await chain_head(conn, row.id)
    seq = head[0] + 1 if head else 1
    return EffectContext(conn=conn, engagement=row, caller=caller, event_seq=seq, milestone=milestone), head


async def apply_engagement_decision(
    conn: Connection, caller: Caller, row: EngagementRow, decision: Decision[EngagementState]
) -> EngagementRow:
    """Apply an engagement decision to the locked ``row``; returns the row as it now is."""
    _refuse_unhandled(decision)
    ctx, head = await _context(conn, caller, row)
    result = await _run(ctx, decision)
    updated = await engagements.update(conn, row.id, {"state": decision.to_state.value, **result.engagement})
    payload = {
        **decision.event_payload,
        **result.payload,
        "action": decision.action,
        "version": updated.version,
    }
    await append_event(conn, row.id, caller, decision.event_type, payload, head=head)
    return updated


async def apply_milestone_decision(
    conn: Connection,
    caller: Caller | None,
    row: EngagementRow,
    milestone: MilestoneRow,
    decision: Decision[MilestoneState],
) -> None:
    """Apply a milestone decision (``caller`` None: the system's); the caller bumps the engagement version."""
    _refuse_unhandled(decision)
    ctx, head = await _context(conn, caller, row, milestone)
    result = await _run(ctx, decision)
    changes: dict[str, Any] = {"state": decision.to_state.value, **result.milestone}
    await milestones.update(conn, row.id, milestone.key, changes)
    payload = {**decision.event_payload, **result.payload}
    await append_event(conn, row.id, caller, decision.event_type, payload, head=head)
