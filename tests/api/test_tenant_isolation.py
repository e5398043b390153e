"""Must-show 4: every engagement route, with a foreign organisation's key, answers 404 (generated from the app)."""

from __future__ import annotations

import re

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from tests.support.factories import OPERATOR_KEY, EngagementApi, bearer, proposal_body

SAMPLE_PARAMS = {"revision": "1", "action": "accept_proposal", "n": "1", "key": "m1", "id": None}
_PARAM = re.compile(r"\{(?P<name>\w+)(?::\w+)?\}")


def engagement_routes(client: AsyncTestClient) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    found = []
    for route in client.app.routes:
        if "{engagement_id" not in route.path:
            continue
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            found.append((method, route.path))
    return found


def fill(path: str, engagement_id: str) -> str:
    def value(match: re.Match[str]) -> str:
        name = match["name"]
        return engagement_id if name == "engagement_id" else SAMPLE_PARAMS.get(name) or "1"

    return _PARAM.sub(value, path)


async def test_every_engagement_route_is_404_for_strangers(
    api: EngagementApi, db: asyncpg.Connection
) -> None:
    p = await api.parties()
    agreed = await api.to_terms_agreed(p)
    eid = agreed["id"]
    routes = engagement_routes(api.client)
    assert len(routes) >= 8, routes  # read, patch, actions, proposals x3, events x2 (more as features land)
    before = await db.fetchval("select count(*) from audit_events")
    strangers = {"foreign vendor": p.stranger.admin_key, "operator": OPERATOR_KEY}
    for who, key in strangers.items():
        for method, path in routes:
            url = fill(path, eid)
            body = (
                proposal_body()
                if path.endswith("/proposals")
                else {"revision": 1, "reason": "x", "title": "x"}
            )
            r = await api.client.request(
                method,
                url,
                json=body if method in {"POST", "PATCH"} else None,
                headers=bearer(key) | {"If-Match": '"1"'},
            )
            assert r.status_code == 404, (who, method, url, r.status_code, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
    assert await db.fetchval("select count(*) from audit_events") == before


async def test_a_missing_engagement_looks_the_same_as_a_foreign_one(api: EngagementApi) -> None:
    p = await api.parties()
    agreed = await api.to_terms_agreed(p)
    missing = "00000000-0000-4000-8000-000000000000"
    foreign = await api.client.get(
        f"/api/v1/engagements/{agreed['id']}", headers=bearer(p.stranger.admin_key)
    )
    absent = await api.client.get(f"/api/v1/engagements/{missing}", headers=bearer(p.stranger.admin_key))
    assert foreign.status_code == absent.status_code == 404
    assert foreign.json()["title"] == absent.json()["title"]


@pytest.mark.parametrize("who", ["stranger", "operator"])
async def test_lists_show_only_own_engagements(api: EngagementApi, who: str) -> None:
    p = await api.parties()
    await api.to_terms_agreed(p)
    key = p.stranger.admin_key if who == "stranger" else OPERATOR_KEY
    page = (await api.client.get("/api/v1/engagements", headers=bearer(key))).json()
    assert page == {"items": [], "next_cursor": None}
    for party in (p.vendor, p.startup, p.reviewer):
        page = (await api.client.get("/api/v1/engagements", headers=bearer(party.admin_key))).json()
        assert len(page["items"]) == 1


async def test_parties_see_each_other_but_strangers_do_not(api: EngagementApi) -> None:
    p = await api.parties()
    await api.create_engagement(p)
    seen = await api.client.get(f"/api/v1/organisations/{p.startup.id}", headers=bearer(p.reviewer.admin_key))
    assert seen.status_code == 200
    hidden = await api.client.get(
        f"/api/v1/organisations/{p.startup.id}", headers=bearer(p.stranger.admin_key)
    )
    assert hidden.status_code == 404
