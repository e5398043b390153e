from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from litestar import Controller, Response, get, head, post
from litestar.datastructures import State
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter

from contract_templates import MEDIA_TYPE
from db.types import Connection
from service import deliveries, milestones, results
from service.auth import Caller
from service.controllers.contracts import content_disposition
from service.controllers.params import EngagementId
from service.deps import Conn, CurrentCaller
from service.openapi import refuses
from service.responses import JsonResponse
from service.schemas.common import Page
from service.schemas.milestones import Delivery, Milestone
from service.tenancy import engagement_guard
from workflows import DeliveryInput, MilestoneActionInput, ResultEntry

MilestoneKey = FromPath[str]


class MilestoneController(Controller):
    path = "/engagements/{engagement_id:uuid}"
    tags = ["delivery"]
    guards = [engagement_guard]

    @get("/milestones", operation_id="listMilestones", summary="List the milestones")
    async def list_milestones(
        self, conn: Conn, caller: CurrentCaller, state: State, engagement_id: EngagementId
    ) -> Page[Milestone]:
        """Every milestone of the signed revision with its deliveries, payments and the actions the
        caller may fire on it now. Empty until development starts."""
        return await milestones.list_milestones(conn, caller, engagement_id, state.clock())

    @get("/milestones/{key:str}", operation_id="getMilestone", summary="One milestone", opt=refuses(409))
    async def read(
        self, conn: Conn, caller: CurrentCaller, state: State, engagement_id: EngagementId, key: MilestoneKey
    ) -> Milestone:
        """A milestone by its key, with deliveries, payments and available actions."""
        return await milestones.get_milestone(conn, caller, engagement_id, key, state.clock())

    @post(
        "/milestones/{key:str}/deliveries",
        operation_id="recordDelivery",
        summary="Record a delivery (vendor)",
        opt=refuses(403, 409),
    )
    async def deliver(
        self,
        conn: Conn,
        caller: CurrentCaller,
        state: State,
        engagement_id: EngagementId,
        key: MilestoneKey,
        data: JSONBody[DeliveryInput],
    ) -> JsonResponse[Delivery]:
        """A delivery of a milestone in progress: where the artifact is, its checksum, and its
        components, each licence an SPDX expression checked against the agreed open-source policy.
        Copyleft that needs the start-up's approval is allowed with an advisory."""
        async with conn.transaction():
            delivery = await deliveries.record_delivery(conn, caller, engagement_id, key, data, state.clock())
        location = f"/api/v1/engagements/{engagement_id}/milestones/{key}"
        return JsonResponse(delivery, status_code=201, headers={"Location": location})

    @post(
        "/milestones/{key:str}/actions/{action:str}",
        operation_id="fireMilestoneAction",
        status_code=200,
        opt=refuses(403, 409),
    )
    async def fire(
        self,
        conn: Conn,
        caller: CurrentCaller,
        state: State,
        engagement_id: EngagementId,
        key: MilestoneKey,
        action: FromPath[str],
        data: JSONBody[MilestoneActionInput | None] = None,
    ) -> Milestone:
        """The response is the milestone after the action. Refusals come in a fixed order: 409 when
        the engagement or milestone state does not allow it, 403 for a party that may not, 422 with
        every failed guard."""
        async with conn.transaction():
            return await milestones.fire_milestone_action(
                conn, caller, engagement_id, key, action, data or MilestoneActionInput(), state.clock()
            )

    @get(
        "/results",
        operation_id="getResultsRegister",
        summary="The IP results register (JSON, or DOCX)",
        responses={200: ResponseSpec(Page[ResultEntry], description="The register", generate_examples=False)},
        opt=refuses(409),
    )
    async def results(
        self,
        conn: Conn,
        caller: CurrentCaller,
        state: State,
        engagement_id: EngagementId,
        fmt: ResultsFormat = "json",
    ) -> Response[Page[ResultEntry]] | Response[bytes]:
        """One entry per milestone: who owns its results, with which licences, from when, and the
        audit event that vested them. `?format=docx` gives the same register as a DOCX schedule."""
        return await _results(conn, caller, engagement_id, fmt, state.clock())

    @head("/results", operation_id="headResultsRegister", summary="The register's headers", opt=refuses(409))
    async def results_head(
        self,
        conn: Conn,
        caller: CurrentCaller,
        state: State,
        engagement_id: EngagementId,
        fmt: ResultsFormat = "json",
    ) -> Response[None]:
        """The headers `GET` would send (`Content-Type`, `Content-Length`, `Content-Disposition`), no body."""
        full = await _results(conn, caller, engagement_id, fmt, state.clock())
        body = full.render(full.content, full.media_type)  # type: ignore[arg-type]
        headers = dict(full.headers) | {"Content-Length": str(len(body))}
        return JsonResponse(None, media_type=full.media_type, headers=headers)


ResultsFormat = Annotated[
    Literal["json", "docx"], QueryParameter(name="format", description="json (default) or docx")
]


async def _results(
    conn: Connection, caller: Caller, engagement_id: UUID, fmt: str, now: datetime
) -> Response[Page[ResultEntry]] | Response[bytes]:
    if fmt == "docx":
        document, filename = await results.results_schedule(conn, caller, engagement_id, now)
        return Response(
            document, media_type=MEDIA_TYPE, headers={"Content-Disposition": content_disposition(filename)}
        )
    entries = await results.results_register(conn, caller, engagement_id, now)
    # One entry per milestone: never paged.
    return JsonResponse(Page(items=entries, next_cursor=None), media_type="application/json")
