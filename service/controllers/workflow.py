from __future__ import annotations

from functools import cache

from litestar import Controller, get

from service.schemas.engagements import Workflow
from workflows import describe_workflow


@cache
def _workflow() -> Workflow:
    """The table never changes while the process runs: describe it once."""
    described = describe_workflow()
    return Workflow(states=described["states"], actions=described["actions"], mermaid=described["mermaid"])


class WorkflowController(Controller):
    path = "/workflow"
    tags = ["workflow"]

    @get("/", operation_id="getWorkflow", summary="States, actions with roles, and a Mermaid diagram")
    async def workflow(self) -> Workflow:
        return _workflow()
