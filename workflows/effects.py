"""Effects: what a decision needs done besides moving a state, as typed values the shell applies.

A decision of either workflow carries a tuple of these. Each effect holds what its handler needs
from the action's input and the snapshot, so the shell never reads the request again: the data
goes down into the core once and comes back as effects once. The shell keeps one handler table
keyed by effect type (``service.decisions``); a decision whose effect has no handler is refused
before anything is written.

Every effect is tagged with its snake_case name (``effect.name``), which is also how tests and
the audit trail speak of it.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

import msgspec

from workflows.inputs import ClauseComment
from workflows.states import ContractStatus, EngagementState

__all__ = [
    "ClearDisputedFrom",
    "CreateContractVersion",
    "CreateMilestones",
    "CreateSignatureRecord",
    "Effect",
    "FinaliseResultsRegister",
    "MarkContractApproved",
    "MarkContractInReview",
    "MarkRevisionAccepted",
    "MarkRevisionSubmitted",
    "RecordApprovals",
    "RecordPayment",
    "RecordReview",
    "RecordSignature",
    "RecordSubmission",
    "RecordUnvestedResults",
    "RememberDisputedFrom",
    "ResetDeliveryCount",
    "VestResults",
]


class Effect(msgspec.Struct, frozen=True, kw_only=True, tag_field="effect"):
    """Base of every effect; the tag is the effect's name."""

    @property
    def name(self) -> str:
        return str(type(self).__struct_config__.tag)


# --- engagement workflow ------------------------------------------------------------------------


class MarkRevisionSubmitted(Effect, frozen=True, kw_only=True, tag="mark_revision_submitted"):
    revision: int


class MarkRevisionAccepted(Effect, frozen=True, kw_only=True, tag="mark_revision_accepted"):
    revision: int


class CreateContractVersion(Effect, frozen=True, kw_only=True, tag="create_contract_version"):
    """Render the accepted revision as the next contract version."""

    revision: int


class MarkContractInReview(Effect, frozen=True, kw_only=True, tag="mark_contract_in_review"):
    document_sha256: str


class RecordReview(Effect, frozen=True, kw_only=True, tag="record_review"):
    """The reviewer's decision on the latest contract version, bound to its hash, and the status
    the version moves to."""

    decision: Literal["approve", "request_revision"]
    contract_status: ContractStatus
    document_sha256: str
    comment: str | None
    clause_comments: tuple[ClauseComment, ...]


class MarkContractApproved(Effect, frozen=True, kw_only=True, tag="mark_contract_approved"):
    document_sha256: str


class RecordSignature(Effect, frozen=True, kw_only=True, tag="record_signature"):
    """One signature per party in ``parties``; ``signed_by`` is everyone who has signed afterwards."""

    parties: tuple[str, ...]
    signed_by: tuple[str, ...]
    signer_name: str
    signer_title: str
    signer_authority: str | None  # the authority the signatory signs under, when stated
    document_sha256: str


class CreateSignatureRecord(Effect, frozen=True, kw_only=True, tag="create_signature_record"):
    """Both parties have signed: who, when, the document hash and the audit-chain head."""

    document_sha256: str


class CreateMilestones(Effect, frozen=True, kw_only=True, tag="create_milestones"):
    """The milestones of the signed (accepted) revision."""


class FinaliseResultsRegister(Effect, frozen=True, kw_only=True, tag="finalise_results_register"):
    """On completion: the results register is final (the effect carries nothing; its handler writes it)."""


class RecordUnvestedResults(Effect, frozen=True, kw_only=True, tag="record_unvested_results"):
    """On termination: the results that never vested, each with its reason."""


class RememberDisputedFrom(Effect, frozen=True, kw_only=True, tag="remember_disputed_from"):
    state: EngagementState


class ClearDisputedFrom(Effect, frozen=True, kw_only=True, tag="clear_disputed_from"):
    """On resolving a dispute: forget the state the engagement was disputed from."""


# --- milestone workflow ---------------------------------------------------------------------------


class ResetDeliveryCount(Effect, frozen=True, kw_only=True, tag="reset_delivery_count"):
    """(Re)start: deliveries and any submission before this start no longer count."""


class RecordSubmission(Effect, frozen=True, kw_only=True, tag="record_submission"):
    """Submit: the acceptance period runs from ``submitted_at``."""

    submitted_at: datetime


class RecordApprovals(Effect, frozen=True, kw_only=True, tag="record_approvals"):
    """Accept: the start-up's written approval of the listed components of the latest delivery."""

    components: tuple[str, ...]


class RecordPayment(Effect, frozen=True, kw_only=True, tag="record_payment"):
    amount: Decimal
    paid_on: date
    reference: str


class VestResults(Effect, frozen=True, kw_only=True, tag="vest_results"):
    """Write the milestone's results into the register, effective on ``effective_on``."""

    effective_on: date
    delivery_checksum: str | None
