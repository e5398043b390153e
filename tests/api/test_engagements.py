from __future__ import annotations

import asyncpg
import pytest

from tests.support.factories import EngagementApi, bearer, engagement_body
from workflows import MILESTONE_WORKFLOW

FUNDING = {
    "programme": "Norway Grants: Business Development, Innovation and SMEs",
    "call_code": "LT-INNOVATION-2026-01",
    "scheme": "standard",
    "grant_bounds": {"minimum": 50000, "maximum": 200000},
    "grant_amount": 150000.50,
    "cofinancing_rate": 0.45,
    "aid_basis": "de_minimis",
    "programme_operator": "MITA",
    "promoter": "vendor",
    "partnership_agreement": False,
}


async def test_create_and_read_with_funding(api: EngagementApi) -> None:
    p = await api.parties()
    e = await api.create_engagement(p, funding=FUNDING)
    assert e["state"] == "draft"
    assert e["version"] == 1
    assert e["funding"] == FUNDING
    assert e["reviewer_id"] == p.reviewer.id
    r = await api.client.get(f"/api/v1/engagements/{e['id']}", headers=bearer(p.reviewer.admin_key))
    assert r.status_code == 200
    assert r.headers["etag"] == '"1"'
    assert [
        a["action"] for a in r.json()["available_actions"]
    ] == []  # the reviewer has nothing to do in draft


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"funding": {**FUNDING, "cofinancing_rate": 1.5}}, "funding.cofinancing_rate"),
        ({"funding": {**FUNDING, "grant_amount": 10.001}}, "funding.grant_amount"),
        ({"funding": {**FUNDING, "grant_amount": -1}}, "funding.grant_amount"),
        ({"funding": {**FUNDING, "promoter": "startup"}}, "funding.promoter"),
        ({"funding": {**FUNDING, "grant_amount": 250000}}, "funding.grant_amount"),
        ({"funding": {**FUNDING, "grant_bounds": None}}, "funding.grant_bounds"),
        ({"funding": {**FUNDING, "grant_bounds": {"minimum": 9, "maximum": 1}}}, "funding.grant_bounds"),
        ({"funding": {**FUNDING, "scheme": "tiny"}}, "funding.scheme"),
        ({"funding": {**FUNDING, "aid_basis": "none"}}, "funding.aid_basis"),
        (
            {"funding": {**{k: v for k, v in FUNDING.items() if k != "aid_basis"}, "de_minimis": True}},
            "funding.de_minimis",
        ),
        ({"currency": "USD"}, "currency"),
        ({"title": ""}, "title"),
        ({"title": "bad\x07title"}, "title"),
    ],
)
async def test_create_refuses_bad_fields_and_stores_nothing(
    api: EngagementApi, db: asyncpg.Connection, change: dict[str, object], field: str
) -> None:
    p = await api.parties()
    r = await api.client.post(
        "/api/v1/engagements",
        json=engagement_body(p.vendor, p.startup, **change),
        headers=bearer(p.vendor.admin_key),
    )
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]]
    assert await db.fetchval("select count(*) from engagements") == 0


async def test_parties_must_exist_and_be_of_the_right_kind(api: EngagementApi) -> None:
    p = await api.parties()
    cases = [
        (engagement_body(p.vendor, p.stranger), "startup_id"),  # a vendor as start-up
        (engagement_body(p.vendor, p.startup, reviewer_id=p.startup.id), "reviewer_id"),
        (
            {**engagement_body(p.vendor, p.startup), "startup_id": "00000000-0000-4000-8000-000000000001"},
            None,
        ),
    ]
    for body, field in cases:
        r = await api.client.post("/api/v1/engagements", json=body, headers=bearer(p.vendor.admin_key))
        if field is None:  # a start-up that does not exist
            assert r.status_code == 422
            assert r.json()["errors"][0]["field"] == "startup_id"
        else:
            assert r.status_code == 422, r.text
            assert field in [e["field"] for e in r.json()["errors"]]


async def test_only_a_party_may_create_and_not_the_operator(api: EngagementApi) -> None:
    p = await api.parties()
    body = engagement_body(p.vendor, p.startup)
    assert (
        await api.client.post("/api/v1/engagements", json=body, headers=bearer(p.stranger.admin_key))
    ).status_code == 403
    assert (
        await api.client.post("/api/v1/engagements", json=body, headers=bearer(p.reviewer.admin_key))
    ).status_code == 403
    r = await api.client.post("/api/v1/engagements", json=body, headers=bearer(p.startup.admin_key))
    assert r.status_code == 201


async def test_patch_needs_if_match_and_refuses_stale(api: EngagementApi, db: asyncpg.Connection) -> None:
    p = await api.parties()
    e = await api.create_engagement(p, reviewer_id=None)
    url = f"/api/v1/engagements/{e['id']}"
    key = bearer(p.startup.admin_key)
    r = await api.client.patch(url, json={"title": "No tag"}, headers=key)
    assert r.status_code == 428
    r = await api.client.patch(url, json={"title": "Stale"}, headers=key | {"If-Match": '"7"'})
    assert r.status_code == 412
    r = await api.client.patch(url, json={"title": "Garbage"}, headers=key | {"If-Match": "soon"})
    assert r.status_code == 412
    assert (await db.fetchval("select title from engagements")) == e["title"]
    r = await api.client.patch(
        url,
        json={"title": "Renamed", "reviewer_id": p.reviewer.id, "funding": FUNDING},
        headers=key | {"If-Match": '"1"'},
    )
    assert r.status_code == 200, r.text
    changed = r.json()
    assert changed["title"] == "Renamed"
    assert changed["reviewer_id"] == p.reviewer.id
    assert changed["funding"] == FUNDING
    assert changed["version"] == 2
    assert r.headers["etag"] == '"2"'
    # the reviewer now sees it; the old tag is stale
    assert (await api.client.get(url, headers=bearer(p.reviewer.admin_key))).status_code == 200
    r = await api.client.patch(url, json={"funding": None}, headers=key | {"If-Match": '"1"'})
    assert r.status_code == 412
    r = await api.client.patch(
        url, json={"funding": None, "reviewer_id": None}, headers=key | {"If-Match": '"2"'}
    )
    assert r.json()["funding"] is None
    assert (await api.client.get(url, headers=bearer(p.reviewer.admin_key))).status_code == 404
    events = (await api.client.get(url + "/events", headers=key)).json()["items"]
    assert [ev["type"] for ev in events] == ["engagement_created", "engagement_updated", "engagement_updated"]
    assert events[1]["payload"]["changes"]["title"] == "Renamed"


async def test_patch_refusals(api: EngagementApi) -> None:
    p = await api.parties()
    e = await api.create_engagement(p)
    url = f"/api/v1/engagements/{e['id']}"
    r = await api.client.patch(
        url, json={"title": "x"}, headers=bearer(p.reviewer.admin_key) | {"If-Match": '"1"'}
    )
    assert r.status_code == 403
    r = await api.client.patch(
        url, json={"state": "signed"}, headers=bearer(p.vendor.admin_key) | {"If-Match": '"1"'}
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "state"
    r = await api.client.patch(
        url, json={"reviewer_id": p.startup.id}, headers=bearer(p.vendor.admin_key) | {"If-Match": '"1"'}
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "reviewer_id"
    withdrawn = await api.act(e["id"], "withdraw", p.vendor.admin_key, {"reason": "no budget"})
    version = withdrawn.json()["version"]
    r = await api.client.patch(
        url, json={"title": "x"}, headers=bearer(p.vendor.admin_key) | {"If-Match": f'"{version}"'}
    )
    assert r.status_code == 409


async def test_workflow_description(api: EngagementApi) -> None:
    p = await api.parties()
    r = await api.client.get("/api/v1/workflow", headers=bearer(p.vendor.admin_key))
    assert r.status_code == 200
    body = r.json()
    assert "draft" in body["states"]
    assert body["mermaid"].startswith("stateDiagram-v2")
    accept = next(a for a in body["actions"] if a["action"] == "accept_proposal")
    assert accept == {
        "action": "accept_proposal",
        "from": ["proposed"],
        "to": "terms_agreed",
        "roles": ["startup"],
    }
    assert len(body["actions"]) == 17


async def test_milestone_workflow_description(api: EngagementApi) -> None:
    """What a front end needs to draw a milestone's steps and to say when results vest."""
    p = await api.parties()
    assert (await api.client.get("/api/v1/workflow/milestones")).status_code == 401
    r = await api.client.get("/api/v1/workflow/milestones", headers=bearer(p.startup.admin_key))
    assert r.status_code == 200
    body = r.json()
    assert body["states"] == ["planned", "in_progress", "submitted", "accepted", "rejected", "paid"]
    assert body["mermaid"].startswith("stateDiagram-v2")
    payment = next(a for a in body["actions"] if a["action"] == "record_payment")
    assert payment == {
        "action": "record_payment",
        "from": ["accepted"],
        "to": "paid",
        "roles": ["startup"],
        "engagement_states": ["in_development", "delivered", "accepted"],
        "stays_until_done": True,
    }
    assert [a["action"] for a in body["actions"]] == [row.action for row in MILESTONE_WORKFLOW]
    assert body["deemed_acceptance"]["from"] == "submitted"
    assert body["deemed_acceptance"]["to"] == "accepted"
    assert body["vesting"] == {"client_owns": "paid", "other_models": "accepted"}


async def test_engagement_ids_are_time_ordered(api: EngagementApi) -> None:
    """UUID version 7 (migration 0015): a page of a list reads neighbouring index entries."""
    from uuid import UUID

    p = await api.parties()
    first = UUID((await api.create_engagement(p))["id"])
    second = UUID((await api.create_engagement(p))["id"])
    assert (first.version, second.version) == (7, 7)
    # The leading 48 bits are the creation time in milliseconds: never decreasing.
    assert first.int >> 80 <= second.int >> 80


async def test_the_created_engagement_reads_back_as_the_creation_answered(api: EngagementApi) -> None:
    """Creation answers without reading the guards' facts back (a new engagement has none)."""
    p = await api.parties()
    created = await api.create_engagement(p)
    r = await api.client.get(f"/api/v1/engagements/{created['id']}", headers=bearer(p.vendor.admin_key))
    assert r.json() == created
    assert any(a["action"] == "submit_proposal" for a in created["available_actions"])
