"""Keyset pagination over 1,000 engagements, and the list query stays on its index."""

from __future__ import annotations

import asyncio
from uuid import UUID

import asyncpg

from db import engagements
from tests.support.factories import EngagementApi, bearer, engagement_body


async def test_a_thousand_engagements_each_seen_once_with_limit_7(
    api: EngagementApi, db: asyncpg.Connection
) -> None:
    p = await api.parties()
    other_startup = await api.create_org("startup", name="Andre AS")
    headers = bearer(p.vendor.admin_key)

    async def create(i: int) -> str:
        startup = other_startup if i % 10 == 0 else p.startup
        r = await api.client.post(
            "/api/v1/engagements", json=engagement_body(p.vendor, startup, title=f"MVP {i}"), headers=headers
        )
        assert r.status_code == 201
        return str(r.json()["id"])

    created: list[str] = []
    for start in range(0, 1000, 50):
        created += await asyncio.gather(*(create(i) for i in range(start, start + 50)))

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": "7", **({"cursor": cursor} if cursor else {})}
        page = (await api.client.get("/api/v1/engagements", params=params, headers=headers)).json()
        pages += 1
        assert len(page["items"]) <= 7
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 143  # ceil(1000 / 7)
    assert len(seen) == len(set(seen)) == 1000
    assert set(seen) == set(created)

    filtered = (
        await api.client.get(
            "/api/v1/engagements",
            params={"counterparty_id": other_startup.id, "limit": "100"},
            headers=headers,
        )
    ).json()
    assert len(filtered["items"]) == 100
    assert all(e["startup_id"] == other_startup.id for e in filtered["items"])
    assert filtered["next_cursor"] is None

    await db.execute("analyze engagement_parties; analyze engagements")
    plan = await engagements.explain_page(db, UUID(p.vendor.id), limit=8)
    assert "engagement_parties_page_idx" in plan, plan
    assert "Seq Scan on engagement_parties" not in plan, plan
    cursor_row = await db.fetchrow(
        "select created_at, engagement_id from engagement_parties where engagement_id = $1",
        UUID(created[500]),
    )
    plan = await engagements.explain_page(
        db, UUID(p.vendor.id), after=(cursor_row["created_at"], cursor_row["engagement_id"]), limit=8
    )
    assert "engagement_parties_page_idx" in plan, plan


async def test_state_filter_and_bad_inputs(api: EngagementApi) -> None:
    p = await api.parties()
    e1 = await api.create_engagement(p)
    await api.to_terms_agreed(p)
    headers = bearer(p.startup.admin_key)
    drafts = (await api.client.get("/api/v1/engagements", params={"state": "draft"}, headers=headers)).json()
    assert [e["id"] for e in drafts["items"]] == [e1["id"]]
    agreed = (
        await api.client.get("/api/v1/engagements", params={"state": "terms_agreed"}, headers=headers)
    ).json()
    assert len(agreed["items"]) == 1
    for params, field in (
        ({"state": "flying"}, "state"),
        ({"cursor": "garbage"}, "cursor"),
        ({"limit": "101"}, "limit"),
    ):
        r = await api.client.get("/api/v1/engagements", params=params, headers=headers)
        assert 400 <= r.status_code < 500, params
        assert field in [e["field"] for e in r.json().get("errors", [])], r.json()
        assert r.headers["content-type"].startswith("application/problem+json")
