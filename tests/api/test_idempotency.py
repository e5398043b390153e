from __future__ import annotations

import asyncpg

from tests.support.factories import EngagementApi, bearer, engagement_body


async def test_same_key_and_body_replays_the_first_response(
    api: EngagementApi, db: asyncpg.Connection
) -> None:
    p = await api.parties()
    body = engagement_body(p.vendor, p.startup)
    headers = bearer(p.vendor.admin_key) | {"Idempotency-Key": "create-1"}
    first = await api.client.post("/api/v1/engagements", json=body, headers=headers)
    again = await api.client.post("/api/v1/engagements", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    assert await db.fetchval("select count(*) from engagements") == 1


async def test_same_key_other_body_is_422(api: EngagementApi, db: asyncpg.Connection) -> None:
    p = await api.parties()
    headers = bearer(p.vendor.admin_key) | {"Idempotency-Key": "create-2"}
    first = await api.client.post(
        "/api/v1/engagements", json=engagement_body(p.vendor, p.startup), headers=headers
    )
    assert first.status_code == 201
    other = await api.client.post(
        "/api/v1/engagements", json=engagement_body(p.vendor, p.startup, title="Another"), headers=headers
    )
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    assert await db.fetchval("select count(*) from engagements") == 1


async def test_a_request_still_in_flight_is_409(api: EngagementApi, db: asyncpg.Connection) -> None:
    p = await api.parties()
    me = (await api.client.get("/api/v1/me", headers=bearer(p.vendor.admin_key))).json()
    body = engagement_body(p.vendor, p.startup)
    # another worker has claimed the key and not finished: the claim without a response
    r = await api.client.post(
        "/api/v1/engagements", json=body, headers=bearer(p.vendor.admin_key) | {"Idempotency-Key": "probe"}
    )
    fingerprint = await db.fetchval("select request_hash from idempotency_keys where key = 'probe'")
    await db.execute(
        "insert into idempotency_keys (api_key_id, key, request_hash) values ($1, 'busy', $2)",
        me["key_id"],
        fingerprint,
    )
    r = await api.client.post(
        "/api/v1/engagements", json=body, headers=bearer(p.vendor.admin_key) | {"Idempotency-Key": "busy"}
    )
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_keys_are_scoped_to_the_api_key(api: EngagementApi, db: asyncpg.Connection) -> None:
    p = await api.parties()
    other_key = await api.create_key(p.vendor.id, "member", p.vendor.admin_key)
    body = engagement_body(p.vendor, p.startup)
    for key in (p.vendor.admin_key, other_key):
        r = await api.client.post(
            "/api/v1/engagements", json=body, headers=bearer(key) | {"Idempotency-Key": "same"}
        )
        assert r.status_code == 201
    assert await db.fetchval("select count(*) from engagements") == 2


async def test_an_action_replays_instead_of_firing_twice(api: EngagementApi, db: asyncpg.Connection) -> None:
    p = await api.parties()
    e = await api.create_engagement(p)
    await api.propose(e["id"], p.vendor.admin_key)
    headers = bearer(p.vendor.admin_key) | {"Idempotency-Key": "submit-once"}
    url = f"/api/v1/engagements/{e['id']}/actions/submit_proposal"
    first = await api.client.post(url, json={}, headers=headers)
    again = await api.client.post(url, json={}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert await db.fetchval("select count(*) from audit_events where type = 'proposal_submitted'") == 1


async def test_a_refusal_is_replayed_too_and_a_new_key_tries_again(api: EngagementApi) -> None:
    """The first response is what the key stands for, refusals included (only 5xx releases a key)."""
    p = await api.parties()
    e = await api.create_engagement(p)
    url = f"/api/v1/engagements/{e['id']}/actions/submit_proposal"
    headers = bearer(p.vendor.admin_key) | {"Idempotency-Key": "early"}
    first = await api.client.post(url, json={}, headers=headers)
    assert first.status_code == 422
    await api.propose(e["id"], p.vendor.admin_key)
    replayed = await api.client.post(url, json={}, headers=headers)
    assert replayed.status_code == 422
    assert replayed.json() == first.json()
    fresh = bearer(p.vendor.admin_key) | {"Idempotency-Key": "after-the-fix"}
    assert (await api.client.post(url, json={}, headers=fresh)).status_code == 200


async def test_bad_key_is_named(api: EngagementApi) -> None:
    p = await api.parties()
    r = await api.client.post(
        "/api/v1/engagements",
        json=engagement_body(p.vendor, p.startup),
        headers=bearer(p.vendor.admin_key) | {"Idempotency-Key": "x" * 300},
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "Idempotency-Key"


async def test_an_oversized_body_with_a_key_is_still_413(api: EngagementApi, db: asyncpg.Connection) -> None:
    p = await api.parties()
    big = b'{"title": "' + b"x" * (20 * 1024 * 1024) + b'"}'
    r = await api.client.post(
        "/api/v1/engagements",
        content=big,
        headers=bearer(p.vendor.admin_key) | {"Idempotency-Key": "huge", "content-type": "application/json"},
    )
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("application/problem+json")
    assert await db.fetchval("select count(*) from idempotency_keys") == 0
