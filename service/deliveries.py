"""Deliveries: the vendor hands over an artefact for a milestone in progress, with its open-source inventory."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from db import engagements, milestones
from db.types import Connection
from service.audit import append_event
from service.auth import Caller
from service.milestones import delivery_view, existing_milestone, settled_engagement
from service.responses import json_text
from service.schemas.milestones import Delivery
from service.snapshots import signed_terms
from service.tenancy import parties_of
from workflows import DeliveryInput, decide_delivery, delivery_event


async def record_delivery(
    conn: Connection, caller: Caller, engagement_id: UUID, key: str, data: DeliveryInput, now: datetime
) -> Delivery:
    """Run inside a transaction."""
    row = await settled_engagement(conn, caller, engagement_id, now, lock=True)
    m = await existing_milestone(conn, engagement_id, key)
    terms = await signed_terms(conn, engagement_id)
    check = decide_delivery(
        row.state, m.state, parties_of(row, caller.organisation_id), data, terms.open_source_policy
    )
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
        conn, engagement_id, caller, "delivery_recorded", delivery_event(key, str(stored.id), data, check)
    )
    await engagements.bump_version(conn, engagement_id)
    return delivery_view(stored)
