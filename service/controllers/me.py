from __future__ import annotations

from litestar import Controller, get

from service import organisations as ops
from service.deps import Conn, CurrentCaller
from service.schemas.api_keys import Me


class MeController(Controller):
    path = "/me"
    tags = ["me"]

    @get("/", operation_id="getMe", summary="The caller's key, role and organisation")
    async def me(self, conn: Conn, caller: CurrentCaller) -> Me:
        """The caller's key id, name, role and organisation (null for the operator)."""
        org = None
        if caller.organisation_id is not None:
            org = await ops.get_organisation(conn, caller, caller.organisation_id)
        return Me(key_id=caller.key_id, name=caller.name, role=caller.role, organisation=org)
