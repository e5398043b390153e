"""Applying decisions on real PostgreSQL: an effect nobody handles is refused before anything is written."""

from __future__ import annotations

from uuid import UUID

import asyncpg
import pytest

from db import engagements
from service.auth import Caller
from service.decisions import apply_engagement_decision
from tests.support.factories import EngagementApi, bearer
from workflows import Decision, Effect, EngagementState, RecordUnvestedResults, RuleViolation


class Unheard(Effect, frozen=True, kw_only=True, tag="unheard_of"):
    """An effect no handler exists for."""


async def test_a_decision_with_an_unhandled_effect_changes_nothing(
    api: EngagementApi, db: asyncpg.Connection
) -> None:
    p = await api.parties()
    e = await api.create_engagement(p)
    eid = UUID(e["id"])
    events_before = await db.fetchval("select count(*) from audit_events where engagement_id = $1", eid)
    row = await engagements.get_for(db, eid, UUID(p.vendor.id), lock=False)
    assert row is not None
    decision = Decision(
        action="withdraw",
        from_state=EngagementState.DRAFT,
        to_state=EngagementState.WITHDRAWN,
        event_type="engagement_withdrawn",
        event_payload={},
        effects=(RecordUnvestedResults(), Unheard()),
    )
    caller = Caller(None, "vendor admin", "admin", UUID(p.vendor.id), "vendor")
    with pytest.raises(RuleViolation, match="needs unheard_of, which this service cannot do yet"):
        async with db.transaction():
            await apply_engagement_decision(db, caller, row, decision)

    after = (await api.client.get(f"/api/v1/engagements/{eid}", headers=bearer(p.vendor.admin_key))).json()
    assert (after["state"], after["version"]) == ("draft", e["version"])
    assert (
        await db.fetchval("select count(*) from audit_events where engagement_id = $1", eid) == events_before
    )
