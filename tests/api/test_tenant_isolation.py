"""Every engagement route, API and portal, answers 404 to a foreign organisation (generated from the app)."""

from __future__ import annotations

import re

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from tests.support.factories import OPERATOR_KEY, EngagementApi, bearer, proposal_body, walk_to_approved
from tests.support.portal import Portal

SAMPLE_PARAMS = {
    "revision": "1",
    "action": "accept_proposal",
    "n": "1",
    "key": "m1",
    "id": None,
    "link_id": "00000000-0000-4000-8000-000000000001",
}
_PARAM = re.compile(r"\{(?P<name>\w+)(?::\w+)?\}")


def engagement_routes(
    client: AsyncTestClient,  # type: ignore[type-arg]
    *,
    prefix: str = "/api/",
    params: tuple[str, ...] = ("{engagement_id",),
) -> list[tuple[str, str]]:
    """Every (method, path) under ``prefix`` whose path names an engagement (or a contract of one)."""
    found = []
    for route in client.app.routes:
        if not route.path.startswith(prefix) or not any(p in route.path for p in params):
            continue
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            found.append((method, route.path))
    return found


def fill(path: str, engagement_id: str, contract_id: str = "") -> str:
    def value(match: re.Match[str]) -> str:
        name = match["name"]
        if name == "engagement_id":
            return engagement_id
        if name in ("contract_id", "other_id"):
            return contract_id
        return SAMPLE_PARAMS.get(name) or "1"

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


async def test_every_contract_route_is_404_for_strangers(api: EngagementApi, db: asyncpg.Connection) -> None:
    p = await api.parties()
    _, contract = await walk_to_approved(api, p)
    routes = engagement_routes(api.client, params=("{contract_id",))
    assert len(routes) >= 8, routes  # read, document, compare, reviews, links x4
    before = await db.fetchval("select count(*) from audit_events")
    for key in (p.stranger.admin_key, OPERATOR_KEY):
        for method, path in routes:
            url = fill(path, "", contract["id"])
            r = await api.client.request(
                method, url, json={} if method == "POST" else None, headers=bearer(key)
            )
            assert r.status_code == 404, (method, url, r.status_code, r.text)
    assert await db.fetchval("select count(*) from audit_events") == before


async def test_every_portal_page_of_an_engagement_is_a_404_page_for_strangers(
    api: EngagementApi, portal: Portal, db: asyncpg.Connection
) -> None:
    p = await api.parties()
    eid, contract = await walk_to_approved(api, p)
    routes = engagement_routes(api.client, prefix="/portal", params=("{engagement_id", "{contract_id"))
    assert len(routes) >= 8, routes  # page, approve, request changes, compare, document, redline, links x2
    before = await db.fetchval("select count(*) from audit_events")
    await portal.signed_in(p.stranger.admin_key)
    for method, path in routes:
        url = fill(path, eid, contract["id"])
        if method == "POST":
            r = await portal.post(
                url, {"document_sha256": contract["sha256"], "comment": "x", "expires_in_days": "7"}
            )
        else:
            r = await api.client.get(url, params={"from": contract["id"], "to": contract["id"]})
        assert r.status_code == 404, (method, url, r.status_code, r.text[:300])
        assert r.headers["content-type"].startswith("text/html")
        assert "Not Found" in r.text or "not found" in r.text
        assert p.vendor.body["name"] not in r.text
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


async def test_the_organisation_list_shows_what_reading_one_would(api: EngagementApi) -> None:
    """A member lists its own organisation and its counterparties, never a stranger; the operator all."""
    p = await api.parties()
    await api.create_engagement(p)

    async def listed(key: str, limit: int = 100) -> list[str]:
        ids: list[str] = []
        cursor: str | None = None
        while True:
            query = f"?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
            r = await api.client.get(f"/api/v1/organisations{query}", headers=bearer(key))
            assert r.status_code == 200, r.text
            ids += [o["id"] for o in r.json()["items"]]
            cursor = r.json()["next_cursor"]
            if cursor is None:
                return ids

    parties = {p.vendor.id, p.startup.id, p.reviewer.id}
    for party in (p.vendor, p.startup, p.reviewer):
        assert set(await listed(party.admin_key)) == parties
    assert await listed(p.stranger.admin_key) == [p.stranger.id]
    everyone = await listed(OPERATOR_KEY, limit=2)  # walked two at a time: each exactly once
    assert len(everyone) == len(set(everyone)) == 4
    assert set(everyone) == parties | {p.stranger.id}


async def test_every_webhook_route_is_404_for_another_organisation(
    api: EngagementApi, db: asyncpg.Connection
) -> None:
    """A subscription (and its messages) belongs to one organisation: another one's admin gets the
    404 a missing id gets, on every route that names one, and changes nothing."""
    p = await api.parties()
    hook_id = await db.fetchval(
        """insert into webhook_subscriptions (organisation_id, url, events, secret)
           values ($1, 'https://93.184.215.14/h', '{*}', 'whsec_AAAA') returning id::text""",
        p.vendor.id,
    )
    await api.create_engagement(p)  # the vendor's subscription gets a message
    message_id = await db.fetchval("select id::text from webhook_outbox")
    assert message_id is not None
    routes = engagement_routes(api.client, prefix="/api/v1/webhooks", params=("{webhook_id",))
    assert len(routes) >= 5, routes  # read, delete, rotate, messages, requeue
    before = await db.fetch("select * from webhook_subscriptions")
    for method, path in routes:
        url = path.replace("{webhook_id:uuid}", hook_id).replace("{message_id:uuid}", message_id)
        r = await api.client.request(method, url, headers=bearer(p.stranger.admin_key))
        assert r.status_code == 404, (method, url, r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    assert await db.fetch("select * from webhook_subscriptions") == before
    assert await db.fetchval("select count(*) from webhook_outbox") == 1
    listed = await api.client.get("/api/v1/webhooks", headers=bearer(p.stranger.admin_key))
    assert listed.json()["items"] == []
