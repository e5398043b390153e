"""Cached keys stop working as soon as they are revoked, in this process and from any other."""

from __future__ import annotations

import asyncio
from uuid import UUID

import asyncpg

from tests.support.factories import OPERATOR_KEY, Api, bearer


async def test_a_key_revoked_elsewhere_is_refused_within_moments(api: Api, db: asyncpg.Connection) -> None:
    org = await api.create_org("vendor")
    me = await api.client.get("/api/v1/me", headers=bearer(org.admin_key))
    assert me.status_code == 200  # looked up, and now cached
    assert (await api.client.get("/api/v1/me", headers=bearer(org.admin_key))).status_code == 200

    # Another process (here: a plain SQL session) revokes it; only the NOTIFY tells this one.
    await db.execute("update api_keys set revoked_at = now() where id = $1", UUID(me.json()["key_id"]))
    statuses = []
    for _ in range(50):
        statuses.append((await api.client.get("/api/v1/me", headers=bearer(org.admin_key))).status_code)
        if statuses[-1] == 401:
            break
        await asyncio.sleep(0.02)
    assert statuses[-1] == 401, statuses
    assert len(statuses) <= 25  # within half a second


async def test_a_key_revoked_through_the_api_is_refused_at_once(api: Api) -> None:
    org = await api.create_org("vendor")
    member = await api.create_key(org.id, "member", org.admin_key, name="Jonas")
    me = await api.client.get("/api/v1/me", headers=bearer(member))
    assert me.status_code == 200
    revoked = await api.client.delete(
        f"/api/v1/organisations/{org.id}/api-keys/{me.json()['key_id']}", headers=bearer(OPERATOR_KEY)
    )
    assert revoked.status_code == 200
    assert (await api.client.get("/api/v1/me", headers=bearer(member))).status_code == 401
