"""The IP results register of an engagement, as JSON entries and as a DOCX schedule."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from contract_templates import ResultsScheduleInput, render_results_schedule
from db import contracts, milestones, organisations
from db.types import Connection
from service.auth import Caller
from service.metrics import render_timer
from service.milestones import settled_engagement
from service.rendering import render
from service.snapshots import load_register, party_info, reference, signed_terms
from workflows import EngagementState, InvalidTransition, ResultEntry, model_of


async def results_register(
    conn: Connection, caller: Caller, engagement_id: UUID, now: datetime
) -> list[ResultEntry]:
    row = await settled_engagement(conn, caller, engagement_id, now, lock=False)
    if not await milestones.all_for(conn, engagement_id):
        return []
    return await load_register(conn, row, terminated=row.state is EngagementState.TERMINATED)


async def results_schedule(
    conn: Connection, caller: Caller, engagement_id: UUID, now: datetime
) -> tuple[bytes, str]:
    row = await settled_engagement(conn, caller, engagement_id, now, lock=False)
    if not await milestones.all_for(conn, engagement_id):
        raise InvalidTransition("the engagement has no milestones yet, so no results schedule")
    entries = await load_register(conn, row, terminated=row.state is EngagementState.TERMINATED)
    titles = {m.key: m.title for m in await milestones.all_for(conn, engagement_id)}
    signed = await contracts.signature_record(conn, engagement_id)
    vendor = await organisations.get(conn, row.vendor_id)
    startup = await organisations.get(conn, row.startup_id)
    assert vendor is not None  # parties reference existing organisations
    assert startup is not None
    data = ResultsScheduleInput(
        engagement_id=str(row.id),
        reference=reference(row.id),
        title=row.title,
        vendor=party_info(vendor),
        startup=party_info(startup),
        model=model_of(await signed_terms(conn, row.id)),
        entries=tuple(entries),
        milestone_titles=titles,
        contract_version=signed["contract_version"] if signed else None,
        contract_sha256=signed["document_sha256"] if signed else None,
        # The schedule is dated by the engagement's last change, so the same register renders the same bytes.
        issued_on=row.updated_at.date(),
    )
    with render_timer("results_schedule"):
        document = await render(render_results_schedule, data)
    return document, f"{reference(row.id)} IP results schedule.docx"
