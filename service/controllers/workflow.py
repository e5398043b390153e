from __future__ import annotations

import msgspec
from litestar import Controller, get

from service.schemas.engagements import Workflow
from workflows import describe_workflow


class WorkflowController(Controller):
    path = "/workflow"
    tags = ["workflow"]

    @get("/", operation_id="getWorkflow", summary="States, actions with roles, and a Mermaid diagram")
    async def workflow(self) -> Workflow:
        """The engagement workflow as the service runs it: states, each action with where it fires
        from, where it goes and who may fire it, and a Mermaid `stateDiagram-v2`."""
        described = describe_workflow()
        return msgspec.convert(described, Workflow)
