"""The chain verifies after a walk, and reports tampering at the altered sequence number."""

from __future__ import annotations

import asyncpg
import pytest

from tests.support.factories import EngagementApi, bearer


async def test_chain_is_valid_after_a_walk_and_invalid_where_tampered(
    api: EngagementApi, db: asyncpg.Connection
) -> None:
    p = await api.parties()
    agreed = await api.to_terms_agreed(p)
    eid = agreed["id"]
    url = f"/api/v1/engagements/{eid}/events/verify"
    verdict = (await api.client.get(url, headers=bearer(p.reviewer.admin_key))).json()
    assert verdict["valid"] is True
    assert verdict["count"] == 4
    assert verdict["first_invalid_seq"] is None

    # The table refuses UPDATE and DELETE ...
    with pytest.raises(asyncpg.PostgresError, match="append-only"):
        await db.execute("update audit_events set type = 'forged' where engagement_id = $1 and seq = 2", eid)
    with pytest.raises(asyncpg.PostgresError, match="append-only"):
        await db.execute("delete from audit_events where engagement_id = $1", eid)

    # ... so only a superuser bypassing triggers can alter a row; the chain then shows where.
    await db.execute("set session_replication_role = replica")
    try:
        await db.execute(
            """update audit_events set payload = jsonb_set(payload, '{revision}', '99')
                where engagement_id = $1 and seq = 3""",
            eid,
        )
    finally:
        await db.execute("set session_replication_role = origin")
    verdict = (await api.client.get(url, headers=bearer(p.vendor.admin_key))).json()
    assert verdict["valid"] is False
    assert verdict["first_invalid_seq"] == 3
    assert verdict["count"] == 4


async def test_events_page_with_a_cursor(api: EngagementApi) -> None:
    p = await api.parties()
    agreed = await api.to_terms_agreed(p)
    url = f"/api/v1/engagements/{agreed['id']}/events"
    page1 = (await api.client.get(url, params={"limit": 3}, headers=bearer(p.startup.admin_key))).json()
    assert [e["seq"] for e in page1["items"]] == [1, 2, 3]
    page2 = (
        await api.client.get(
            url, params={"limit": 3, "cursor": page1["next_cursor"]}, headers=bearer(p.startup.admin_key)
        )
    ).json()
    assert [e["seq"] for e in page2["items"]] == [4]
    assert page2["next_cursor"] is None
    assert page2["items"][0]["prev_hash"] == page1["items"][-1]["hash"]
    first = page1["items"][0]
    assert first["prev_hash"] == "0" * 64
    assert first["actor"]["organisation_id"] == p.vendor.id
    bad = await api.client.get(url, params={"cursor": "abc"}, headers=bearer(p.startup.admin_key))
    assert bad.status_code == 422
