"""Firing a workflow action: lock, decide (pure), apply the decision and its audit event in one transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from db import engagements
from db.types import Connection
from service import contracts, effects, milestones
from service.audit import actor_record, append_event
from service.auth import Caller
from service.effects import Effect, EffectContext
from service.engagements import check_version, parse_if_match, snapshot, view
from service.schemas.engagements import Engagement
from service.tenancy import actor_for, visible_engagement
from workflows.engagement import ActionInput, decide
from workflows.errors import FieldError, RuleViolation
from workflows.text import xml_illegal_fields

#: Side effects this build can apply. An action whose decision needs one that is not here is
#: refused with 422 before anything is written (a guard that cannot pass yet is never faked).
EFFECTS: dict[str, Effect] = {
    "mark_revision_submitted": effects.mark_revision_submitted,
    "mark_revision_accepted": effects.mark_revision_accepted,
    "remember_disputed_from": effects.remember_disputed_from,
    "clear_disputed_from": effects.clear_disputed_from,
    "create_contract_version": contracts.create_contract_version,
    "mark_contract_in_review": contracts.mark_contract_in_review,
    "record_review": contracts.record_review,
    "mark_contract_approved": contracts.mark_contract_approved,
    "record_signature": contracts.record_signature,
    "create_signature_record": contracts.create_signature_record,
    "create_milestones": milestones.create_milestones,
    "finalise_results_register": milestones.finalise_results_register,
    "record_unvested_results": milestones.record_unvested_results,
}


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
    check_version(row, expected)
    # Milestones whose acceptance period ran out count as accepted for this action's guards.
    if await milestones.settle_deemed_acceptances(conn, row, now):
        row = await visible_engagement(conn, caller, engagement_id, lock=True)
    if errors := xml_illegal_fields(data) + contracts.clause_reference_errors(data.clause_comments):
        raise RuleViolation(errors)
    snap = await snapshot(conn, row)
    decision = decide(snap, actor_for(caller, row), action, data)
    missing = [e for e in decision.effects if e not in EFFECTS]
    if missing:
        raise RuleViolation(
            FieldError("action", f"{action} needs {', '.join(missing)}, which this service cannot do yet")
        )
    changes: dict[str, Any] = {"state": decision.to_state.value}
    payload = dict(decision.event_payload)
    ctx = EffectContext(conn=conn, caller=caller, row=row, snapshot=snap, decision=decision, data=data)
    for name in decision.effects:
        result = await EFFECTS[name](ctx)
        changes |= result.changes
        payload |= result.payload
    updated = await engagements.update(conn, engagement_id, changes)
    await append_event(
        conn,
        engagement_id,
        actor_record(caller.organisation_id, caller.key_id),
        decision.event_type,
        {**payload, "action": action, "version": updated["version"]},
    )
    return view(caller, updated)  # available_actions needs only state and signers
