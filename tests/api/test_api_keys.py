from __future__ import annotations

from tests.support.factories import OPERATOR_KEY, Api, bearer


async def test_key_secret_is_shown_once_and_stored_as_a_hash(api: Api) -> None:
    org = await api.create_org("vendor")
    r = await api.client.post(
        f"/api/v1/organisations/{org.id}/api-keys",
        json={"name": "Jonas", "role": "member"},
        headers=bearer(org.admin_key),
    )
    assert r.status_code == 201
    created = r.json()
    assert set(created) >= {"id", "key", "name", "role", "organisation_id", "created_at"}
    assert created["organisation_id"] == org.id
    listed = await api.client.get(f"/api/v1/organisations/{org.id}/api-keys", headers=bearer(org.admin_key))
    assert listed.status_code == 200
    assert all("key" not in k for k in listed.json()["items"])
    one = await api.client.get(r.headers["location"], headers=bearer(org.admin_key))
    assert one.status_code == 200
    assert "key" not in one.json()


async def test_stored_secret_is_not_the_plain_key(api: Api, db: object) -> None:
    import asyncpg

    assert isinstance(db, asyncpg.Connection)
    org = await api.create_org("vendor")
    stored = await db.fetch("select secret_hash from api_keys")
    assert stored
    assert all(org.admin_key.encode() not in bytes(r["secret_hash"]) for r in stored)


async def test_me_describes_the_caller(api: Api) -> None:
    org = await api.create_org("startup")
    member = await api.create_key(org.id, "member", org.admin_key, name="Ola Nordmann")
    r = await api.client.get("/api/v1/me", headers=bearer(member))
    assert r.status_code == 200
    me = r.json()
    assert me["name"] == "Ola Nordmann"
    assert me["role"] == "member"
    assert me["organisation"]["id"] == org.id
    assert me["organisation"]["kind"] == "startup"
    op = (await api.client.get("/api/v1/me", headers=bearer(OPERATOR_KEY))).json()
    assert op["role"] == "operator"
    assert op["organisation"] is None


async def test_members_may_not_create_keys_and_strangers_do_not_see_the_org(api: Api) -> None:
    org = await api.create_org("vendor")
    member = await api.create_key(org.id, "member", org.admin_key)
    body = {"name": "x", "role": "admin"}
    denied = await api.client.post(
        f"/api/v1/organisations/{org.id}/api-keys", json=body, headers=bearer(member)
    )
    assert denied.status_code == 403
    stranger = await api.create_org("startup")
    hidden = await api.client.post(
        f"/api/v1/organisations/{org.id}/api-keys", json=body, headers=bearer(stranger.admin_key)
    )
    assert hidden.status_code == 404


async def test_operator_role_cannot_be_granted_through_the_api(api: Api) -> None:
    org = await api.create_org("vendor")
    r = await api.client.post(
        f"/api/v1/organisations/{org.id}/api-keys",
        json={"name": "x", "role": "operator"},
        headers=bearer(OPERATOR_KEY),
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "role"


async def test_a_revoked_key_no_longer_authenticates(api: Api) -> None:
    org = await api.create_org("vendor")
    member = await api.create_key(org.id, "member", org.admin_key)
    me = (await api.client.get("/api/v1/me", headers=bearer(member))).json()
    r = await api.client.delete(
        f"/api/v1/organisations/{org.id}/api-keys/{me['key_id']}", headers=bearer(org.admin_key)
    )
    assert r.status_code == 200
    assert r.json()["revoked_at"] is not None
    after = await api.client.get("/api/v1/me", headers=bearer(member))
    assert after.status_code == 401


async def test_key_listing_pages_with_an_opaque_cursor(api: Api) -> None:
    org = await api.create_org("vendor")
    for i in range(4):
        await api.create_key(org.id, "member", org.admin_key, name=f"member {i}")
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = (
            await api.client.get(
                f"/api/v1/organisations/{org.id}/api-keys", params=params, headers=bearer(org.admin_key)
            )
        ).json()
        seen += [k["id"] for k in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 5
    assert len(set(seen)) == 5
    bad = await api.client.get(
        f"/api/v1/organisations/{org.id}/api-keys", params={"cursor": "!!nope"}, headers=bearer(org.admin_key)
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "cursor"
