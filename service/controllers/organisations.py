from __future__ import annotations

from uuid import UUID

from litestar import Controller, Response, delete, get, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody

from service import organisations as ops
from service.controllers.params import PAGING, Paging
from service.deps import Conn, CurrentCaller
from service.openapi import refuses
from service.schemas.api_keys import ApiKey, ApiKeyCreate, ApiKeyCreated
from service.schemas.common import Page
from service.schemas.organisations import Organisation, OrganisationCreate


class OrganisationController(Controller):
    path = "/organisations"
    tags = ["organisations"]
    dependencies = PAGING

    @post(
        "/", operation_id="createOrganisation", summary="Admit an organisation (operator)", opt=refuses(403)
    )
    async def create(
        self, conn: Conn, caller: CurrentCaller, data: JSONBody[OrganisationCreate]
    ) -> Response[Organisation]:
        """Only the operator admits organisations. Registration codes are checked where the format is
        known (Lithuanian: 9 digits; Norwegian: 9 digits with the mod-11 check digit)."""
        async with conn.transaction():
            org = await ops.create_organisation(conn, caller, data)
        return Response(org, status_code=201, headers={"Location": f"/api/v1/organisations/{org.id}"})

    @get("/", operation_id="listOrganisations", summary="List the organisations the caller can see")
    async def list_organisations(self, conn: Conn, caller: CurrentCaller, page: Paging) -> Page[Organisation]:
        """The operator sees every organisation; a member sees its own and those it shares an
        engagement with (the same rule as reading one), oldest first."""
        return await ops.list_organisations(conn, caller, limit=page.limit, cursor=page.cursor)

    @get("/{org_id:uuid}", operation_id="getOrganisation", summary="One organisation")
    async def read(self, conn: Conn, caller: CurrentCaller, org_id: FromPath[UUID]) -> Organisation:
        """For the operator, its members, and organisations it shares an engagement with; 404 otherwise."""
        return await ops.get_organisation(conn, caller, org_id)


class ApiKeyController(Controller):
    path = "/organisations/{org_id:uuid}/api-keys"
    tags = ["api-keys"]
    dependencies = PAGING

    @post(
        "/",
        operation_id="createApiKey",
        summary="Create an API key; the secret is shown once",
        opt=refuses(403),
    )
    async def create(
        self, conn: Conn, caller: CurrentCaller, org_id: FromPath[UUID], data: JSONBody[ApiKeyCreate]
    ) -> Response[ApiKeyCreated]:
        """By the operator or the organisation's admin. `key` is in this response only; the service
        keeps its hash."""
        async with conn.transaction():
            key = await ops.create_api_key(conn, caller, org_id, data)
        return Response(
            key, status_code=201, headers={"Location": f"/api/v1/organisations/{org_id}/api-keys/{key.id}"}
        )

    @get("/", operation_id="listApiKeys", summary="List an organisation's API keys", opt=refuses(403))
    async def list_keys(
        self,
        conn: Conn,
        caller: CurrentCaller,
        org_id: FromPath[UUID],
        page: Paging,
    ) -> Page[ApiKey]:
        """Keys with their prefixes (never the secrets), revoked ones included."""
        return await ops.list_api_keys(conn, caller, org_id, limit=page.limit, cursor=page.cursor)

    @get("/{key_id:uuid}", operation_id="getApiKey", summary="One API key", opt=refuses(403))
    async def read(
        self, conn: Conn, caller: CurrentCaller, org_id: FromPath[UUID], key_id: FromPath[UUID]
    ) -> ApiKey:
        """A key's metadata (never its secret)."""
        return await ops.get_api_key(conn, caller, org_id, key_id)

    @delete(
        "/{key_id:uuid}",
        operation_id="revokeApiKey",
        status_code=200,
        summary="Revoke an API key",
        opt=refuses(403),
    )
    async def revoke(
        self, conn: Conn, caller: CurrentCaller, state: State, org_id: FromPath[UUID], key_id: FromPath[UUID]
    ) -> ApiKey:
        """The key stops working at once; revoking it again changes nothing."""
        revoked = await ops.revoke_api_key(conn, caller, org_id, key_id)
        # This process forgets at once; the others when the revocation's NOTIFY reaches them.
        state.key_cache.forget_all()
        return revoked
