from __future__ import annotations

from typing import Literal

import msgspec
from litestar import Controller, Response, get
from litestar.datastructures import State

from db import database_answers


class Health(msgspec.Struct):
    status: Literal["ok", "ready", "database unavailable"]


class HealthController(Controller):
    path = "/"
    tags = ["health"]

    @get("/health", operation_id="health", summary="The process is up")
    async def health(self) -> Health:
        """Always `ok` while the process serves requests; no key needed."""
        return Health(status="ok")

    @get("/ready", operation_id="ready", summary="The database answers")
    async def ready(self, state: State) -> Response[Health]:
        """`ready` when the database answers, else 503; no key needed."""
        if await database_answers(state.pool):
            return Response(Health(status="ready"))
        return Response(Health(status="database unavailable"), status_code=503)
