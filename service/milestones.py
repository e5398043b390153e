"""Milestones, deliveries, payments, deemed acceptance and the IP results register.

Every change runs in one transaction holding the engagement row lock: the milestone decision
(pure, in ``workflows.milestones``), its audit event, and any results it vests commit together.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

from contract_templates import ResultsScheduleInput, render_results_schedule
from db import engagements, milestones, organisations, proposals
from db.types import Connection
from service.audit import actor_record, append_event
from service.auth import Caller
from service.contracts import party_info, reference
from service.effects import EffectContext, EffectResult
from service.engagements import proposal_input
from service.responses import json_text
from service.schemas.common import Page
from service.schemas.milestones import Delivery, Milestone, Payment
from service.tenancy import parties_of, visible_engagement
from workflows.errors import Forbidden, InvalidTransition, NotFound, RuleViolation
from workflows.milestones import (
    MilestoneActionInput,
    MilestoneDecision,
    MilestoneSnapshot,
    available_milestone_actions,
    decide_milestone,
    deemed_acceptance,
)
from workflows.open_source import DeliveryInput, check_delivery
from workflows.results import ResultEntry, unvested_entry, vested_entry, vests_on
from workflows.states import EngagementState, Party
from workflows.terms import IpTerms
from workflows.text import xml_illegal_fields


async def signed_terms(conn: Connection, engagement_id: UUID) -> tuple[int, IpTerms]:
    """The revision number and IP terms the parties signed (the accepted revision)."""
    row = await proposals.latest_accepted(conn, engagement_id)
    if row is None:
        raise InvalidTransition("the engagement has no accepted proposal revision")
    return int(row["revision"]), proposal_input(row).ip_terms


def _model(terms: IpTerms) -> str:
    return str(terms.__struct_config__.tag)


def _snapshot(
    m: dict[str, Any], engagement_state: str, model: str, latest: dict[str, Any] | None
) -> MilestoneSnapshot:
    pending = tuple(latest["needs_approval"]) if latest and latest["approved_at"] is None else ()
    return MilestoneSnapshot(
        key=m["key"],
        state=m["state"],
        fee=m["fee"],
        acceptance_days=m["acceptance_days"],
        submitted_at=m["submitted_at"],
        paid_total=m["paid_total"],
        delivery_count_since_start=m["deliveries_since_start"],
        pending_approvals=pending,
        engagement_state=engagement_state,
        model=model,
    )


# --- applying a decision -----------------------------------------------------------------------


async def _apply(
    conn: Connection,
    row: dict[str, Any],
    m: dict[str, Any],
    decision: MilestoneDecision,
    *,
    caller: Caller | None,
    data: MilestoneActionInput | None,
    terms: IpTerms,
    latest: dict[str, Any] | None,
    now: datetime,
) -> None:
    engagement_id = row["id"]
    to_state = str(decision.to_state)
    if "record_payment" in decision.effects:
        assert data is not None
        assert data.amount is not None
        assert data.paid_on is not None
        assert data.reference
        await milestones.insert_payment(
            conn,
            engagement_id=engagement_id,
            milestone_key=m["key"],
            amount=data.amount,
            paid_on=data.paid_on,
            reference=data.reference.strip(),
            created_by_org=caller.organisation_id if caller else None,
            created_by_key=caller.key_id if caller else None,
        )
    if "record_approvals" in decision.effects and latest is not None:
        await milestones.approve_delivery(conn, latest["id"])
    submitted_at = (
        now if to_state == "submitted" else (None if to_state == "in_progress" else m["submitted_at"])
    )
    await milestones.set_state(
        conn,
        engagement_id,
        m["key"],
        state=to_state,
        submitted_at=submitted_at,
        reset_deliveries="reset_delivery_count" in decision.effects,
    )
    actor = actor_record(caller.organisation_id, caller.key_id) if caller else None
    event = await append_event(conn, engagement_id, actor, decision.event_type, decision.event_payload)
    if "vest_results" in decision.effects:
        # A deemed acceptance takes effect at the deadline, whenever the system noticed it.
        deadline = decision.event_payload.get("acceptance_deadline") if caller is None else None
        effective_on = datetime.fromisoformat(deadline).date() if deadline else now.date()
        entry = vested_entry(
            terms,
            milestone_key=m["key"],
            delivery_checksum=latest["checksum"] if latest else None,
            vendor_id=str(row["vendor_id"]),
            startup_id=str(row["startup_id"]),
            effective_on=effective_on,
            source_event_seq=event.seq,
        )
        await milestones.insert_result(
            conn, engagement_id, m["key"], json_text(entry), effective_on, event.seq
        )


async def settle_deemed_acceptances(conn: Connection, row: dict[str, Any], now: datetime) -> int:
    """Accept, as the system, every submitted milestone whose acceptance period has run out."""
    due = [m for m in await milestones.all_for(conn, row["id"]) if m["state"] == "submitted"]
    if not due:
        return 0
    _, terms = await signed_terms(conn, row["id"])
    latest_by_key = await milestones.latest_deliveries(conn, row["id"])
    settled = 0
    for m in due:
        latest = latest_by_key.get(m["key"])
        decision = deemed_acceptance(_snapshot(m, row["state"], _model(terms), latest), now)
        if decision is not None:
            await _apply(conn, row, m, decision, caller=None, data=None, terms=terms, latest=latest, now=now)
            settled += 1
    if settled:
        await engagements.bump_version(conn, row["id"])
    return settled


async def _settled(
    conn: Connection, caller: Caller, engagement_id: UUID, now: datetime, *, lock: bool
) -> dict[str, Any]:
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


def _delivery_view(d: dict[str, Any]) -> Delivery:
    return msgspec.convert(
        {
            **d,
            "components": json.loads(d["components"]),
            "advisories": json.loads(d["advisories"]),
            "needs_approval": list(d["needs_approval"]),
        },
        Delivery,
    )


async def _milestone_view(
    conn: Connection,
    row: dict[str, Any],
    m: dict[str, Any],
    parties: frozenset[Party],
    model: str,
    latest: dict[str, Any] | None,
) -> Milestone:
    snap = _snapshot(m, row["state"], model, latest)
    return Milestone(
        key=m["key"],
        position=m["position"],
        title=m["title"],
        due_date=m["due_date"],
        fee=m["fee"],
        acceptance_days=m["acceptance_days"],
        state=m["state"],
        submitted_at=m["submitted_at"],
        paid_total=m["paid_total"],
        deliveries=[_delivery_view(d) for d in await milestones.deliveries(conn, row["id"], m["key"])],
        payments=[msgspec.convert(p, Payment) for p in await milestones.payments(conn, row["id"], m["key"])],
        available_actions=available_milestone_actions(snap, parties),
    )


async def list_milestones(
    conn: Connection, caller: Caller, engagement_id: UUID, now: datetime
) -> Page[Milestone]:
    row = await _settled(conn, caller, engagement_id, now, lock=False)
    all_milestones = await milestones.all_for(conn, engagement_id)
    if not all_milestones:
        return Page(items=[], next_cursor=None)
    _, terms = await signed_terms(conn, engagement_id)
    latest_by_key = await milestones.latest_deliveries(conn, engagement_id)
    parties = parties_of(row, caller.organisation_id)
    items = [
        await _milestone_view(conn, row, m, parties, _model(terms), latest_by_key.get(m["key"]))
        for m in all_milestones
    ]
    return Page(items=items, next_cursor=None)


async def get_milestone(
    conn: Connection, caller: Caller, engagement_id: UUID, key: str, now: datetime
) -> Milestone:
    row = await _settled(conn, caller, engagement_id, now, lock=False)
    m = await _existing(conn, engagement_id, key)
    _, terms = await signed_terms(conn, engagement_id)
    latest = (await milestones.latest_deliveries(conn, engagement_id)).get(key)
    return await _milestone_view(conn, row, m, parties_of(row, caller.organisation_id), _model(terms), latest)


async def _existing(conn: Connection, engagement_id: UUID, key: str) -> dict[str, Any]:
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
    row = await _settled(conn, caller, engagement_id, now, lock=True)
    if errors := xml_illegal_fields(data):
        raise RuleViolation(errors)
    m = await _existing(conn, engagement_id, key)
    _, terms = await signed_terms(conn, engagement_id)
    latest = (await milestones.latest_deliveries(conn, engagement_id)).get(key)
    parties = parties_of(row, caller.organisation_id)
    decision = decide_milestone(_snapshot(m, row["state"], _model(terms), latest), parties, action, data, now)
    await _apply(conn, row, m, decision, caller=caller, data=data, terms=terms, latest=latest, now=now)
    await engagements.bump_version(conn, engagement_id)
    updated = await _existing(conn, engagement_id, key)
    latest = (await milestones.latest_deliveries(conn, engagement_id)).get(key)
    return await _milestone_view(conn, row, updated, parties, _model(terms), latest)


async def record_delivery(
    conn: Connection, caller: Caller, engagement_id: UUID, key: str, data: DeliveryInput, now: datetime
) -> Delivery:
    """Run inside a transaction. The vendor hands over an artefact for a milestone in progress."""
    row = await _settled(conn, caller, engagement_id, now, lock=True)
    m = await _existing(conn, engagement_id, key)
    if Party.VENDOR not in parties_of(row, caller.organisation_id):
        raise Forbidden("only the vendor records deliveries")
    if row["state"] != EngagementState.IN_DEVELOPMENT or m["state"] != "in_progress":
        raise InvalidTransition(
            f"deliveries are recorded for a milestone in progress while the engagement is in development "
            f"(milestone {m['state']}, engagement {row['state']})"
        )
    _, terms = await signed_terms(conn, engagement_id)
    check = check_delivery(data, terms.open_source_policy)
    stored = await milestones.insert_delivery(
        conn,
        engagement_id=engagement_id,
        milestone_key=key,
        artifact_uri=data.artifact_uri,
        checksum=data.checksum,
        notes=data.notes,
        components_json=json_text(data.components),
        advisories_json=json_text(check.advisories),
        needs_approval=list(check.needs_approval),
        created_by_org=caller.organisation_id,
        created_by_key=caller.key_id,
    )
    await append_event(
        conn,
        engagement_id,
        actor_record(caller.organisation_id, caller.key_id),
        "delivery_recorded",
        {
            "milestone_key": key,
            "delivery_id": str(stored["id"]),
            "artifact_uri": data.artifact_uri,
            "checksum": data.checksum,
            "components": [msgspec.to_builtins(c) for c in data.components],
            "needs_approval": list(check.needs_approval),
        },
    )
    await engagements.bump_version(conn, engagement_id)
    return _delivery_view(stored)


# --- the register ------------------------------------------------------------------------------


async def register_entries(conn: Connection, row: dict[str, Any]) -> tuple[str, list[ResultEntry]]:
    """Every result of the engagement: vested ones from the register, the rest as unvested with a reason."""
    _, terms = await signed_terms(conn, row["id"])
    model = _model(terms)
    vested = await milestones.results(conn, row["id"])
    latest_by_key = await milestones.latest_deliveries(conn, row["id"])
    entries: list[ResultEntry] = []
    for m in await milestones.all_for(conn, row["id"]):
        if m["key"] in vested:
            entries.append(msgspec.json.decode(vested[m["key"]], type=ResultEntry))
            continue
        latest = latest_by_key.get(m["key"])
        if row["state"] == EngagementState.TERMINATED:
            reason = f"the engagement was terminated before this result vested (milestone {m['state']})"
        else:
            reason = f"vests when the milestone is {vests_on(model)}; it is {m['state']}"
        entries.append(
            unvested_entry(
                terms,
                milestone_key=m["key"],
                delivery_checksum=latest["checksum"] if latest else None,
                milestone_state=m["state"],
                reason=reason,
            )
        )
    return model, entries


async def results_register(
    conn: Connection, caller: Caller, engagement_id: UUID, now: datetime
) -> list[ResultEntry]:
    row = await _settled(conn, caller, engagement_id, now, lock=False)
    if not await milestones.all_for(conn, engagement_id):
        return []
    return (await register_entries(conn, row))[1]


async def results_schedule(
    conn: Connection, caller: Caller, engagement_id: UUID, now: datetime
) -> tuple[bytes, str]:
    row = await _settled(conn, caller, engagement_id, now, lock=False)
    if not await milestones.all_for(conn, engagement_id):
        raise InvalidTransition("the engagement has no milestones yet, so no results schedule")
    model, entries = await register_entries(conn, row)
    vendor = await organisations.get(conn, row["vendor_id"])
    startup = await organisations.get(conn, row["startup_id"])
    assert vendor is not None
    assert startup is not None
    data = ResultsScheduleInput(
        engagement_id=str(row["id"]),
        reference=reference(row["id"]),
        title=row["title"],
        vendor=party_info(vendor),
        startup=party_info(startup),
        model=model,
        entries=tuple(entries),
        # The schedule is dated by the engagement's last change, so the same register renders the same bytes.
        issued_on=row["updated_at"].date(),
    )
    document = await asyncio.to_thread(render_results_schedule, data)
    return document, f"{reference(row['id'])} IP results schedule.docx"


# --- engagement-level effects --------------------------------------------------------------------


async def create_milestones(ctx: EffectContext) -> EffectResult:
    found = await proposals.latest_accepted(ctx.conn, ctx.row["id"])
    assert found is not None  # signed engagements have an accepted revision
    revision = int(found["revision"])
    proposal = proposal_input(found)
    await milestones.create_all(
        ctx.conn,
        ctx.row["id"],
        revision,
        [msgspec.structs.asdict(m) for m in proposal.milestones],
    )
    return EffectResult(payload={"milestones": [m.key for m in proposal.milestones], "revision": revision})


async def finalise_results_register(ctx: EffectContext) -> EffectResult:
    _, entries = await register_entries(ctx.conn, ctx.row)
    return EffectResult(payload={"results": [e.milestone_key for e in entries if e.status == "vested"]})


async def record_unvested_results(ctx: EffectContext) -> EffectResult:
    if not await milestones.all_for(ctx.conn, ctx.row["id"]):
        return EffectResult(payload={"unvested": []})
    _, entries = await register_entries(ctx.conn, {**ctx.row, "state": EngagementState.TERMINATED.value})
    return EffectResult(
        payload={
            "unvested": [
                {"milestone_key": e.milestone_key, "reason": e.reason}
                for e in entries
                if e.status == "unvested"
            ]
        }
    )
