from __future__ import annotations

from litestar import Controller, get
from litestar.params import FromQuery

from service import audit
from service.controllers.params import EngagementId, Limit
from service.deps import Conn, CurrentCaller
from service.schemas.common import Page
from service.schemas.events import AuditEvent, ChainReport
from service.tenancy import engagement_guard


class EventController(Controller):
    path = "/engagements/{engagement_id:uuid}/events"
    tags = ["engagements"]
    guards = [engagement_guard]

    @get("/", operation_id="listEngagementEvents")
    async def events(
        self,
        conn: Conn,
        caller: CurrentCaller,
        engagement_id: EngagementId,
        limit: Limit = 50,
        cursor: FromQuery[str | None] = None,
    ) -> Page[AuditEvent]:
        return await audit.list_events(conn, caller, engagement_id, limit=limit, cursor=cursor)

    @get("/verify", operation_id="verifyEngagementEvents")
    async def verify(self, conn: Conn, caller: CurrentCaller, engagement_id: EngagementId) -> ChainReport:
        return await audit.verify_events(conn, caller, engagement_id)
