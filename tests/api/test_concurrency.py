"""50 concurrent accept_proposal on one engagement; exactly one wins, 20 times over."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from tests.support.factories import EngagementApi, Parties


async def proposed(api: EngagementApi, p: Parties) -> str:
    e = await api.create_engagement(p)
    await api.propose(e["id"], p.vendor.admin_key)
    r = await api.act(e["id"], "submit_proposal", p.vendor.admin_key)
    assert r.status_code == 200
    return str(e["id"])


@pytest.mark.parametrize("with_if_match", [False, True])
async def test_fifty_concurrent_accepts_one_wins(
    api: EngagementApi, db: asyncpg.Connection, with_if_match: bool
) -> None:
    p = await api.parties()
    for _ in range(20 if not with_if_match else 5):
        eid = await proposed(api, p)
        version = (
            await api.client.get(
                f"/api/v1/engagements/{eid}", headers={"Authorization": f"Bearer {p.startup.admin_key}"}
            )
        ).json()["version"]
        if_match = f'"{version}"' if with_if_match else None
        responses = await asyncio.gather(
            *(
                api.act(eid, "accept_proposal", p.startup.admin_key, {"revision": 1}, if_match=if_match)
                for _ in range(50)
            )
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses.count(200) == 1, statuses
        assert set(statuses) <= {200, 409, 412}, statuses
        accepted = await db.fetchval(
            "select count(*) from audit_events where engagement_id = $1 and type = 'proposal_accepted'", eid
        )
        assert accepted == 1
        state = await db.fetchval("select state from engagements where id = $1", eid)
        assert state == "terms_agreed"
