from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, delete, get, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody

from service import links
from service.controllers.params import PAGING, Paging
from service.deps import Conn, CurrentCaller
from service.openapi import refuses
from service.responses import JsonResponse
from service.schemas.common import Page
from service.schemas.links import Link, LinkCreate, LinkCreated
from service.tenancy import engagement_guard


def public_base_url(request: Request[Any, Any, Any]) -> str:
    """Where users reach the service: the configured public address, else this request's own."""
    configured: str | None = request.app.state.settings.public_url
    return configured or str(request.base_url).rstrip("/")


class LinkController(Controller):
    path = "/contracts/{contract_id:uuid}/links"
    tags = ["contracts"]
    dependencies = PAGING
    guards = [engagement_guard]

    @post("/", operation_id="createContractLink", summary="A mailable download link for this version")
    async def create(
        self,
        conn: Conn,
        caller: CurrentCaller,
        state: State,
        request: Request[Any, Any, Any],
        contract_id: FromPath[UUID],
        data: JSONBody[LinkCreate | None] = None,
    ) -> JsonResponse[LinkCreated]:
        """A signed URL that downloads this one version without an API key until it expires
        (`expires_in_days`, default 7, at most 30). Every use is an audit event; revoke it to stop it."""
        async with conn.transaction():
            created = await links.create_link(
                conn,
                caller,
                contract_id,
                data or LinkCreate(),
                now=state.clock(),
                secret=state.secret,
                base_url=public_base_url(request),
            )
        location = f"/api/v1/contracts/{contract_id}/links/{created.id}"
        return JsonResponse(created, status_code=201, headers={"Location": location})

    @get("/", operation_id="listContractLinks", summary="The version's download links")
    async def list_links(
        self, conn: Conn, caller: CurrentCaller, contract_id: FromPath[UUID], page: Paging
    ) -> Page[Link]:
        """Every link made for this version, with its expiry, revocation and number of uses."""
        return await links.list_links(conn, caller, contract_id, limit=page.limit, cursor=page.cursor)

    @get("/{link_id:uuid}", operation_id="getContractLink", summary="One download link")
    async def read(
        self, conn: Conn, caller: CurrentCaller, contract_id: FromPath[UUID], link_id: FromPath[UUID]
    ) -> Link:
        """A link's expiry, revocation and number of uses (the URL itself is shown only when made)."""
        return await links.get_link(conn, caller, contract_id, link_id)

    @delete(
        "/{link_id:uuid}",
        operation_id="revokeContractLink",
        summary="Revoke a link (it then answers 404)",
        opt=refuses(403),
    )
    async def revoke(
        self,
        conn: Conn,
        caller: CurrentCaller,
        state: State,
        contract_id: FromPath[UUID],
        link_id: FromPath[UUID],
    ) -> None:
        """Only the organisation that made the link may revoke it; the URL then answers 404."""
        async with conn.transaction():
            await links.revoke_link(conn, caller, contract_id, link_id, state.clock())
