from __future__ import annotations

from functools import cache

import msgspec
from litestar import Controller, get

from service.schemas.engagements import Workflow
from workflows import describe_workflow


@cache
def _workflow() -> Workflow:
    """The table never changes while the process runs: describe it once."""
    return msgspec.convert(describe_workflow(), Workflow)


class WorkflowController(Controller):
    path = "/workflow"
    tags = ["workflow"]

    @get("/", operation_id="getWorkflow", summary="States, actions with roles, and a Mermaid diagram")
    async def workflow(self) -> Workflow:
        """The engagement workflow as the service runs it: states, each action with where it fires
        from, where it goes and who may fire it, and a Mermaid `stateDiagram-v2`."""
        return _workflow()
