from __future__ import annotations

from functools import cache

import msgspec
from litestar import Controller, get

from service.schemas.engagements import MilestoneWorkflow, Workflow
from workflows import describe_milestone_workflow, describe_workflow


@cache
def _workflow() -> Workflow:
    """The table never changes while the process runs: describe it once."""
    return msgspec.convert(describe_workflow(), Workflow)


@cache
def _milestone_workflow() -> MilestoneWorkflow:
    return msgspec.convert(describe_milestone_workflow(), MilestoneWorkflow)


class WorkflowController(Controller):
    path = "/workflow"
    tags = ["workflow"]

    @get("/", operation_id="getWorkflow", summary="States, actions with roles, and a Mermaid diagram")
    async def workflow(self) -> Workflow:
        """The engagement workflow as the service runs it: states, each action with where it fires
        from, where it goes and who may fire it, and a Mermaid `stateDiagram-v2`."""
        return _workflow()

    @get(
        "/milestones",
        operation_id="getMilestoneWorkflow",
        summary="Milestone states, actions with roles, deemed acceptance, vesting, and a Mermaid diagram",
    )
    async def milestone_workflow(self) -> MilestoneWorkflow:
        """The milestone workflow as the service runs it: states, each action with where it fires from,
        where it goes, who may fire it and in which engagement states; the deemed acceptance the
        system makes when an acceptance period passes; the milestone state in which results vest per
        IP model; and a Mermaid `stateDiagram-v2`."""
        return _milestone_workflow()
