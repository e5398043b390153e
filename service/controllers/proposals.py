from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody

from service import proposals
from service.controllers.params import PAGING, EngagementId, Paging
from service.deps import Conn, CurrentCaller
from service.openapi import refuses
from service.responses import JsonResponse
from service.schemas.common import Page
from service.schemas.engagements import Proposal
from service.tenancy import engagement_guard
from workflows import ProposalInput


class ProposalController(Controller):
    path = "/engagements/{engagement_id:uuid}/proposals"
    tags = ["engagements"]
    dependencies = PAGING
    guards = [engagement_guard]

    @post(
        "/",
        operation_id="createProposal",
        summary="Write a proposal revision (vendor)",
        opt=refuses(403, 409),
    )
    async def create_proposal(
        self, conn: Conn, caller: CurrentCaller, engagement_id: EngagementId, data: JSONBody[ProposalInput]
    ) -> JsonResponse[Proposal]:
        """Scope, milestones and IP terms as the next revision, while the engagement is in draft or
        negotiating. Cross-field rules name their fields; questionable terms come back as advisories."""
        async with conn.transaction():
            proposal = await proposals.create_proposal(conn, caller, engagement_id, data)
        location = f"/api/v1/engagements/{engagement_id}/proposals/{proposal.revision}"
        return JsonResponse(proposal, status_code=201, headers={"Location": location})

    @get("/", operation_id="listProposals", summary="List proposal revisions")
    async def list_proposals(
        self,
        conn: Conn,
        caller: CurrentCaller,
        engagement_id: EngagementId,
        page: Paging,
    ) -> Page[Proposal]:
        """Every revision, oldest first."""
        return await proposals.list_proposals(
            conn, caller, engagement_id, limit=page.limit, cursor=page.cursor
        )

    @get("/{revision:int}", operation_id="getProposal", summary="One proposal revision")
    async def read_proposal(
        self, conn: Conn, caller: CurrentCaller, engagement_id: EngagementId, revision: FromPath[int]
    ) -> Proposal:
        """Revision `revision` (1, 2, ...), immutable once submitted."""
        return await proposals.get_proposal(conn, caller, engagement_id, revision)
