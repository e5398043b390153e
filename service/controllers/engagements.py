from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, get, patch, post
from litestar.datastructures import State
from litestar.openapi.spec.enums import OpenAPIFormat
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from service import contracts as contract_ops
from service import engagement_actions, engagements
from service.controllers.params import PAGING, EngagementId, IfMatch, IfNoneMatch, Paging, not_modified
from service.deps import Conn, CurrentCaller
from service.http import none_match
from service.openapi import refuses
from service.responses import JsonResponse
from service.schemas.common import Page
from service.schemas.contracts import ContractVersion, Signatures
from service.schemas.engagements import Engagement, EngagementCreate, EngagementPatch, ListOrder
from service.tenancy import engagement_guard
from workflows import ActionInput, EngagementState


def etag(version: int) -> str:
    return f'"{version}"'


def with_etag(engagement: Engagement, status_code: int = 200) -> JsonResponse[Engagement]:
    headers = {"ETag": etag(engagement.version)}
    if status_code == 201:
        headers["Location"] = f"/api/v1/engagements/{engagement.id}"
    return JsonResponse(engagement, status_code=status_code, headers=headers)


class EngagementController(Controller):
    path = "/engagements"
    tags = ["engagements"]
    dependencies = PAGING
    guards = [engagement_guard]

    @post("/", operation_id="createEngagement", summary="Create an engagement", opt=refuses(403))
    async def create(
        self, conn: Conn, caller: CurrentCaller, data: JSONBody[EngagementCreate]
    ) -> JsonResponse[Engagement]:
        """The caller's organisation must be its vendor or its start-up. It starts in `draft`."""
        async with conn.transaction():
            return with_etag(await engagements.create_engagement(conn, caller, data), 201)

    @get("/", operation_id="listEngagements", summary="List visible engagements")
    async def list_engagements(
        self,
        conn: Conn,
        caller: CurrentCaller,
        state_filter: Annotated[
            EngagementState | None, QueryParameter(name="state", description="only engagements in this state")
        ] = None,
        counterparty_id: FromQuery[UUID | None] = None,
        updated_since: Annotated[
            str | None,
            QueryParameter(
                description="only engagements changed at or after this instant: an RFC 3339 timestamp "
                "with a time zone offset, e.g. `2026-11-30T12:00:00Z` (a response's `updated_at` works "
                "as is); the bound is inclusive",
                format=OpenAPIFormat.DATE_TIME,
                max_length=64,
            ),
        ] = None,
        sort: Annotated[
            ListOrder,
            QueryParameter(
                description="`created_at`: oldest first (the default); `-updated_at`: most recently "
                "changed first. Both break ties by id; a cursor continues the order it came from"
            ),
        ] = "created_at",
        *,
        page: Paging,  # after the filters, as the parameters are documented
    ) -> Page[Engagement]:
        """Engagements the caller's organisation is a party to or reviews, a keyset page at a time
        (`next_cursor`): by creation, oldest first, or with `sort=-updated_at` most recently changed
        first. To catch up on changes, pass the newest `updated_at` seen as `updated_since` (an
        engagement changed while a walk is under way moves ahead of the cursor; the next
        `updated_since` call returns it)."""
        return await engagements.list_engagements(
            conn,
            caller,
            state=state_filter,
            counterparty_id=counterparty_id,
            limit=page.limit,
            cursor=page.cursor,
            order=sort,
            updated_since=engagements.timestamp_param("updated_since", updated_since),
        )

    @get("/{engagement_id:uuid}", operation_id="getEngagement", summary="One engagement")
    async def read(
        self,
        conn: Conn,
        caller: CurrentCaller,
        engagement_id: EngagementId,
        if_none_match: IfNoneMatch = None,
    ) -> JsonResponse[Engagement]:
        """The engagement with `available_actions` for this caller, guards evaluated. `ETag` is its
        version; `If-None-Match` with it gives 304."""
        engagement = await engagements.get_engagement(conn, caller, engagement_id)
        if none_match(if_none_match, etag(engagement.version)):
            return not_modified(etag(engagement.version), Engagement)
        return with_etag(engagement)

    @patch(
        "/{engagement_id:uuid}",
        operation_id="patchEngagement",
        summary="Edit an engagement",
        opt=refuses(403, 409),
    )
    async def update(
        self,
        conn: Conn,
        caller: CurrentCaller,
        engagement_id: EngagementId,
        data: JSONBody[EngagementPatch],
        if_match: IfMatch = None,
    ) -> JsonResponse[Engagement]:
        """Title, summary, reviewer and funding, before the contract is signed, by the vendor or the
        start-up. Needs `If-Match` (428 without it, 412 when stale); only the fields given change."""
        async with conn.transaction():
            return with_etag(await engagements.patch_engagement(conn, caller, engagement_id, data, if_match))

    @post(
        "/{engagement_id:uuid}/actions/{action:str}",
        operation_id="fireEngagementAction",
        status_code=200,
        opt=refuses(403, 409),
    )
    async def fire(
        self,
        conn: Conn,
        caller: CurrentCaller,
        state: State,
        engagement_id: EngagementId,
        action: FromPath[str],
        data: JSONBody[ActionInput | None] = None,
        if_match: IfMatch = None,
    ) -> JsonResponse[Engagement]:
        """The response is the engagement after the action. Refusals come in a fixed order: 409 when
        the state does not allow it, 403 for a party that may not, 422 with every failed guard;
        a stale `If-Match` is 412 before any of them."""
        async with conn.transaction():
            result = await engagement_actions.fire_action(
                conn, caller, engagement_id, action, data or ActionInput(), if_match, state.clock()
            )
        return with_etag(result)

    @get("/{engagement_id:uuid}/contracts", operation_id="listContracts", summary="List contract versions")
    async def list_contracts(
        self,
        conn: Conn,
        caller: CurrentCaller,
        engagement_id: EngagementId,
        page: Paging,
    ) -> Page[ContractVersion]:
        """Every contract version generated for the engagement, oldest first."""
        return await contract_ops.list_contracts(
            conn, caller, engagement_id, limit=page.limit, cursor=page.cursor
        )

    @get(
        "/{engagement_id:uuid}/signatures",
        operation_id="getSignatures",
        summary="Signatures and the signature record",
    )
    async def signatures(self, conn: Conn, caller: CurrentCaller, engagement_id: EngagementId) -> Signatures:
        """Each party's signature, and once both have signed the record: who, when, the document hash
        and the audit-chain head it follows."""
        return await contract_ops.engagement_signatures(conn, caller, engagement_id)
