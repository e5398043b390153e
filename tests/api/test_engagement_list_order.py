"""`GET /engagements?sort=-updated_at&updated_since=...`: the front end's way to catch up on changes."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import pytest

from db import engagements
from tests.support.factories import EngagementApi, Parties, bearer


async def listing(api: EngagementApi, key: str, **params: str) -> dict[str, Any]:
    r = await api.client.get("/api/v1/engagements", params=params, headers=bearer(key))
    assert r.status_code == 200, r.text
    return dict(r.json())


async def walk(api: EngagementApi, key: str, **params: str) -> list[dict[str, Any]]:
    """Every page, following next_cursor, in the order served."""
    seen: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page = await listing(api, key, **params, **({"cursor": cursor} if cursor else {}))
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen


async def touch(api: EngagementApi, p: Parties, engagement: dict[str, Any], title: str) -> dict[str, Any]:
    current = (
        await api.client.get(f"/api/v1/engagements/{engagement['id']}", headers=bearer(p.vendor.admin_key))
    ).json()
    r = await api.client.patch(
        f"/api/v1/engagements/{engagement['id']}",
        json={"title": title},
        headers=bearer(p.vendor.admin_key) | {"If-Match": f'"{current["version"]}"'},
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_sort_by_updated_at_walks_most_recent_first_with_a_cursor(
    api: EngagementApi, db: asyncpg.Connection
) -> None:
    p = await api.parties()
    made = [await api.create_engagement(p, title=f"MVP {i}") for i in range(7)]
    for i in (2, 5, 0):  # changed in this order: 0 is now the most recent, then 5, then 2
        await touch(api, p, made[i], f"MVP {i}, revised")
    expected = [made[i]["id"] for i in (0, 5, 2, 6, 4, 3, 1)]

    for key in (p.vendor.admin_key, p.startup.admin_key, p.reviewer.admin_key):
        ordered = await walk(api, key, sort="-updated_at", limit="2")
        assert [e["id"] for e in ordered] == expected
        stamps = [e["updated_at"] for e in ordered]
        assert stamps == sorted(stamps, reverse=True)
    # the default order is unchanged: by creation, oldest first, whatever changed since
    assert [e["id"] for e in await walk(api, p.vendor.admin_key, limit="3")] == [e["id"] for e in made]
    assert [e["id"] for e in await walk(api, p.vendor.admin_key, sort="created_at", limit="3")] == [
        e["id"] for e in made
    ]
    assert await walk(api, p.stranger.admin_key, sort="-updated_at") == []  # other tenants see nothing


async def test_the_updated_at_order_stays_on_its_index(api: EngagementApi, db: asyncpg.Connection) -> None:
    p = await api.parties()
    made = await api.create_engagement(p)
    await db.execute(  # 2,000 more for the same parties, then one change: the trigger keeps the copy
        """with made as (
               insert into engagements (vendor_id, startup_id, title, summary, currency)
               select $1::uuid, $2::uuid, 'Bulk ' || n, '', 'EUR' from generate_series(1, 2000) n
               returning id, vendor_id, startup_id, created_at, updated_at)
           insert into engagement_parties (organisation_id, engagement_id, party, created_at, updated_at)
           select vendor_id, id, 'vendor', created_at, updated_at from made
           union all select startup_id, id, 'startup', created_at, updated_at from made""",
        UUID(p.vendor.id),
        UUID(p.startup.id),
    )
    await touch(api, p, made, "changed last")
    assert [
        e["id"] for e in (await listing(api, p.startup.admin_key, sort="-updated_at", limit="1"))["items"]
    ] == [made["id"]]
    await db.execute("analyze engagement_parties; analyze engagements")
    for since in (None, made["updated_at"]):
        plan = await engagements.explain_page(
            db, UUID(p.vendor.id), order="-updated_at", updated_since=since and datetime.fromisoformat(since)
        )
        assert "engagement_parties_updated_idx" in plan, plan
        assert "Sort" not in plan, plan


async def test_updated_since_is_inclusive_and_follows_every_change(api: EngagementApi) -> None:
    p = await api.parties()
    made = [await api.create_engagement(p, title=f"MVP {i}") for i in range(4)]
    since = made[2]["updated_at"]  # made[2] and made[3] were changed at or after it
    for sort in ("created_at", "-updated_at"):
        got = await walk(api, p.startup.admin_key, updated_since=since, sort=sort, limit="1")
        assert {e["id"] for e in got} == {made[2]["id"], made[3]["id"]}
    # a change moves an engagement back into the window, and an action counts as a change
    await touch(api, p, made[0], "MVP 0, revised")
    r = await api.act(made[1]["id"], "withdraw", p.startup.admin_key, {"reason": "no budget this year"})
    assert r.status_code == 200, r.text
    newest = r.json()["updated_at"]
    got = await walk(api, p.vendor.admin_key, updated_since=since, sort="-updated_at")
    assert [e["id"] for e in got] == [made[1]["id"], made[0]["id"], made[3]["id"], made[2]["id"]]
    only = await listing(api, p.vendor.admin_key, updated_since=newest)
    assert [e["id"] for e in only["items"]] == [made[1]["id"]]
    # the same instant written with another offset is the same bound
    later = await listing(api, p.vendor.admin_key, updated_since="2999-01-01T02:00:00+02:00")
    assert later["items"] == []
    # filters combine
    withdrawn = await listing(api, p.vendor.admin_key, updated_since=since, state="withdrawn")
    assert [e["id"] for e in withdrawn["items"]] == [made[1]["id"]]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"updated_since": "yesterday"}, "updated_since"),
        ({"updated_since": "2026-11-30T12:00:00"}, "updated_since"),  # no offset: which instant?
        ({"updated_since": "2026-13-01T00:00:00Z"}, "updated_since"),
        ({"updated_since": ""}, "updated_since"),
        ({"updated_since": "1764500000"}, "updated_since"),
        ({"updated_since": "2026-11-30"}, "updated_since"),
        ({"updated_since": "2026-11-30 12:00:00Z"}, "updated_since"),
        ({"sort": "updated_at"}, "sort"),
        ({"sort": "-created_at"}, "sort"),
        ({"sort": ""}, "sort"),
    ],
)
async def test_bad_sort_and_updated_since_are_422_naming_the_field(
    api: EngagementApi, params: dict[str, str], field: str
) -> None:
    p = await api.parties()
    r = await api.client.get("/api/v1/engagements", params=params, headers=bearer(p.vendor.admin_key))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in r.json()["errors"]], r.json()


async def test_a_cursor_continues_only_the_order_it_came_from(api: EngagementApi) -> None:
    p = await api.parties()
    for i in range(3):
        await api.create_engagement(p, title=f"MVP {i}")
    key = p.vendor.admin_key
    by_creation = (await listing(api, key, limit="1"))["next_cursor"]
    by_change = (await listing(api, key, limit="1", sort="-updated_at"))["next_cursor"]
    assert by_creation
    assert by_change
    for cursor, sort in ((by_creation, "-updated_at"), (by_change, "created_at")):
        r = await api.client.get(
            "/api/v1/engagements", params={"cursor": cursor, "sort": sort}, headers=bearer(key)
        )
        assert r.status_code == 422, r.text
        assert [e["field"] for e in r.json()["errors"]] == ["cursor"]


async def test_ties_in_updated_at_are_broken_by_id_and_each_engagement_comes_once(
    api: EngagementApi, db: asyncpg.Connection
) -> None:
    p = await api.parties()
    made = [await api.create_engagement(p, title=f"MVP {i}") for i in range(6)]
    tied = [UUID(e["id"]) for e in made[1:5]]
    await db.execute(  # four engagements changed in the same microsecond (the trigger copies it)
        "update engagements set updated_at = '2001-01-01T00:00:00.123456Z' where id = any($1::uuid[])", tied
    )
    expected = [made[5]["id"], made[0]["id"], *sorted((str(t) for t in tied), reverse=True)]
    for limit in ("1", "2", "3"):
        got = await walk(api, p.vendor.admin_key, sort="-updated_at", limit=limit)
        assert [e["id"] for e in got] == expected
    since = await walk(api, p.vendor.admin_key, updated_since="2001-01-01T00:00:00.123456Z", limit="1")
    assert {e["id"] for e in since} == {e["id"] for e in made}  # inclusive: the tied ones too
    later = await walk(api, p.vendor.admin_key, updated_since="2001-01-01T00:00:00.123457Z")
    assert {e["id"] for e in later} == {made[0]["id"], made[5]["id"]}
