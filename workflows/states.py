"""Names shared by the engagement workflow: its states and the parties that act in it."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "BEFORE_SIGNED",
    "CONTRACTING_PARTIES",
    "FINAL_STATES",
    "ContractStatus",
    "EngagementState",
    "Party",
]


class EngagementState(StrEnum):
    """Every state an engagement can be in (SPEC section 4); ``str`` so values encode as JSON strings."""

    DRAFT = "draft"
    PROPOSED = "proposed"
    NEGOTIATING = "negotiating"
    TERMS_AGREED = "terms_agreed"
    CONTRACT_DRAFTED = "contract_drafted"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    SIGNED = "signed"
    IN_DEVELOPMENT = "in_development"
    DELIVERED = "delivered"
    ACCEPTED = "accepted"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"
    TERMINATED = "terminated"
    DISPUTED = "disputed"


class ContractStatus(StrEnum):
    """Where a contract version stands; the workflow's effects move it, its content never changes."""

    DRAFT = "draft"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    SIGNED = "signed"


class Party(StrEnum):
    """The role an organisation plays in one engagement (not its kind, though they usually coincide)."""

    VENDOR = "vendor"
    STARTUP = "startup"
    REVIEWER = "reviewer"


#: The two contracting parties: the ones that sign, and that may withdraw, terminate or dispute.
CONTRACTING_PARTIES: frozenset[Party] = frozenset({Party.VENDOR, Party.STARTUP})

#: Every state before the contract is signed: the engagement may be edited or withdrawn.
BEFORE_SIGNED: tuple[EngagementState, ...] = (
    EngagementState.DRAFT,
    EngagementState.PROPOSED,
    EngagementState.NEGOTIATING,
    EngagementState.TERMS_AGREED,
    EngagementState.CONTRACT_DRAFTED,
    EngagementState.IN_REVIEW,
    EngagementState.APPROVED,
)

#: States after which nothing happens any more.
FINAL_STATES: frozenset[EngagementState] = frozenset(
    {EngagementState.COMPLETED, EngagementState.WITHDRAWN, EngagementState.TERMINATED}
)
