from __future__ import annotations

from litestar import Controller, get

from service import audit
from service.controllers.params import PAGING, EngagementId, Paging
from service.deps import Conn, CurrentCaller
from service.schemas.common import Page
from service.schemas.events import AuditEvent, ChainReport
from service.tenancy import engagement_guard


class EventController(Controller):
    path = "/engagements/{engagement_id:uuid}/events"
    tags = ["engagements"]
    dependencies = PAGING
    guards = [engagement_guard]

    @get("/", operation_id="listEngagementEvents", summary="The audit trail")
    async def events(
        self,
        conn: Conn,
        caller: CurrentCaller,
        engagement_id: EngagementId,
        page: Paging,
    ) -> Page[AuditEvent]:
        """Every event of the engagement in order, each hash-chained to the one before."""
        return await audit.list_events(conn, caller, engagement_id, limit=page.limit, cursor=page.cursor)

    @get("/verify", operation_id="verifyEngagementEvents", summary="Verify the audit chain")
    async def verify(self, conn: Conn, caller: CurrentCaller, engagement_id: EngagementId) -> ChainReport:
        """Recomputes every hash: `valid`, the count, the head hash, and the first bad seq if any."""
        return await audit.verify_events(conn, caller, engagement_id)
