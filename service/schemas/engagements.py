from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import UNSET, Meta, UnsetType

from service.schemas.common import Input
from workflows import (
    MAX_LONG_TEXT,
    MAX_TITLE,
    Advisory,
    Availability,
    EngagementState,
    Funding,
    IpTerms,
    MilestoneInput,
    MilestoneState,
    Party,
    Signatories,
    SignatoriesPatch,
)

Currency = Literal["EUR", "NOK"]
#: The orders of ``GET /engagements`` (``?sort=``); ``db.engagements.ORDERS`` has the keyset of each.
ListOrder = Literal["created_at", "-updated_at"]
Title = Annotated[str, Meta(min_length=1, max_length=MAX_TITLE)]
Summary = Annotated[str, Meta(max_length=MAX_LONG_TEXT)]


class EngagementCreate(Input, frozen=True, kw_only=True, forbid_unknown_fields=True):
    vendor_id: UUID
    startup_id: UUID
    reviewer_id: UUID | None = None
    title: Title
    summary: Summary = ""
    currency: Currency
    funding: Funding | None = None


class EngagementPatch(Input, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Only what is given changes; ``reviewer_id`` and ``funding`` may be set to null."""

    title: Title | UnsetType = UNSET
    summary: Summary | UnsetType = UNSET
    reviewer_id: UUID | UnsetType | None = UNSET
    funding: Funding | UnsetType | None = UNSET
    signatories: SignatoriesPatch | UnsetType = UNSET


class Engagement(msgspec.Struct, kw_only=True):
    id: UUID
    vendor_id: UUID
    startup_id: UUID
    reviewer_id: UUID | None
    title: str
    summary: str
    currency: Currency
    funding: Funding | None
    signatories: Signatories
    state: EngagementState
    version: int
    created_at: datetime
    updated_at: datetime
    available_actions: list[Availability]


class Proposal(msgspec.Struct, kw_only=True):
    engagement_id: UUID
    revision: int
    scope: str
    milestones: list[MilestoneInput]
    ip_terms: IpTerms
    total_fee: Decimal
    advisories: list[Advisory]
    created_at: datetime
    submitted_at: datetime | None
    accepted_at: datetime | None


class WorkflowAction(msgspec.Struct, kw_only=True):
    action: str
    from_: list[EngagementState] = msgspec.field(name="from")
    to: str  # a state, or "(previous)": back to where a dispute was raised
    roles: list[Party]


class Workflow(msgspec.Struct, kw_only=True):
    states: list[EngagementState]
    actions: list[WorkflowAction]
    mermaid: str


class MilestoneWorkflowAction(msgspec.Struct, kw_only=True):
    action: str
    from_: list[MilestoneState] = msgspec.field(name="from")
    to: MilestoneState
    roles: list[Party]
    engagement_states: Annotated[
        list[EngagementState], Meta(description="the engagement states in which the action may fire")
    ]
    stays_until_done: Annotated[
        bool,
        Meta(description="it may fire again from its target state until done (part payments until paid)"),
    ]


class DeemedAcceptance(msgspec.Struct, kw_only=True):
    """The one move no caller makes: a submitted milestone left undecided is accepted by the system."""

    from_: MilestoneState = msgspec.field(name="from")
    to: MilestoneState
    actor: Literal["system"]
    when: str


class Vesting(msgspec.Struct, kw_only=True):
    """The milestone state in which its results vest in the register, by IP model."""

    client_owns: MilestoneState
    other_models: MilestoneState


class MilestoneWorkflow(msgspec.Struct, kw_only=True):
    states: list[MilestoneState]
    actions: list[MilestoneWorkflowAction]
    deemed_acceptance: DeemedAcceptance
    vesting: Vesting
    mermaid: str
