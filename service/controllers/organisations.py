from __future__ import annotations

from uuid import UUID

from litestar import Controller, Response, delete, get, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody

from service import organisations as ops
from service.controllers.params import PAGING, Paging
from service.deps import Conn, CurrentCaller
from service.schemas.api_keys import ApiKey, ApiKeyCreate, ApiKeyCreated
from service.schemas.common import Page
from service.schemas.organisations import Organisation, OrganisationCreate


class OrganisationController(Controller):
    path = "/organisations"
    tags = ["organisations"]
    dependencies = PAGING

    @post("/", operation_id="createOrganisation", summary="Admit an organisation (operator)")
    async def create(
        self, conn: Conn, caller: CurrentCaller, data: JSONBody[OrganisationCreate]
    ) -> Response[Organisation]:
        async with conn.transaction():
            org = await ops.create_organisation(conn, caller, data)
        return Response(org, status_code=201, headers={"Location": f"/api/v1/organisations/{org.id}"})

    @get("/{org_id:uuid}", operation_id="getOrganisation")
    async def read(self, conn: Conn, caller: CurrentCaller, org_id: FromPath[UUID]) -> Organisation:
        return await ops.get_organisation(conn, caller, org_id)


class ApiKeyController(Controller):
    path = "/organisations/{org_id:uuid}/api-keys"
    tags = ["api-keys"]
    dependencies = PAGING

    @post("/", operation_id="createApiKey", summary="Create an API key; the secret is shown once")
    async def create(
        self, conn: Conn, caller: CurrentCaller, org_id: FromPath[UUID], data: JSONBody[ApiKeyCreate]
    ) -> Response[ApiKeyCreated]:
        async with conn.transaction():
            key = await ops.create_api_key(conn, caller, org_id, data)
        return Response(
            key, status_code=201, headers={"Location": f"/api/v1/organisations/{org_id}/api-keys/{key.id}"}
        )

    @get("/", operation_id="listApiKeys")
    async def list_keys(
        self,
        conn: Conn,
        caller: CurrentCaller,
        org_id: FromPath[UUID],
        page: Paging,
    ) -> Page[ApiKey]:
        return await ops.list_api_keys(conn, caller, org_id, limit=page.limit, cursor=page.cursor)

    @get("/{key_id:uuid}", operation_id="getApiKey")
    async def read(
        self, conn: Conn, caller: CurrentCaller, org_id: FromPath[UUID], key_id: FromPath[UUID]
    ) -> ApiKey:
        return await ops.get_api_key(conn, caller, org_id, key_id)

    @delete("/{key_id:uuid}", operation_id="revokeApiKey", status_code=200)
    async def revoke(
        self, conn: Conn, caller: CurrentCaller, state: State, org_id: FromPath[UUID], key_id: FromPath[UUID]
    ) -> ApiKey:
        revoked = await ops.revoke_api_key(conn, caller, org_id, key_id)
        # This process forgets at once; the others when the revocation's NOTIFY reaches them.
        state.key_cache.forget_all()
        return revoked
