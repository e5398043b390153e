from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.datastructures import State
from litestar.params import HeaderParameter, QueryParameter
from litestar.response import ServerSentEvent

from service import feed
from service.controllers.params import MAX_CURSOR, Limit
from service.deps import Conn, CurrentCaller
from service.schemas.webhooks import FeedPage

Since = Annotated[
    str | None, QueryParameter(description="a cursor from this feed: events after it", max_length=MAX_CURSOR)
]
LastEventId = Annotated[
    str | None,
    HeaderParameter(
        name="Last-Event-ID",
        description="the `id` of the last event received: resume after it",
        max_length=MAX_CURSOR,
    ),
]


class FeedController(Controller):
    path = "/events"
    tags = ["events"]

    @get("/", operation_id="listEvents", summary="The caller's audit events across engagements")
    async def events(
        self, conn: Conn, caller: CurrentCaller, since: Since = None, limit: Limit = 50
    ) -> FeedPage:
        """Every event of the engagements the caller's organisation can see, oldest first; pass
        `next_cursor` as `since` to get the next page or, later, what happened since."""
        return await feed.page(conn, caller, since=since, limit=limit)

    @get("/stream", operation_id="streamEvents", summary="The caller's audit events as they happen (SSE)")
    async def stream(
        self, caller: CurrentCaller, state: State, last_event_id: LastEventId = None
    ) -> ServerSentEvent:
        """Server-Sent Events: one message per audit event (the same JSON as the items of
        `listEvents`), its `id` a cursor; `Last-Event-ID` resumes after it without loss or repeats.
        Without it the stream starts with what happens from now on."""
        start = await feed.start_position(state.pool, caller, last_event_id)
        return ServerSentEvent(
            feed.stream(
                state.pool,
                state.notifications,
                caller,
                start,
                keepalive=state.settings.event_stream_keepalive_seconds,
            )
        )
