"""The engagement workflow of SPEC section 4: its table, guards and decision.

``WORKFLOW`` is the only place the workflow is written down; ``TABLE`` (``workflows.machines``)
derives the ``transitions`` machine, ``available_actions`` and ``describe_workflow`` from it.
``decide`` refuses in a fixed order, because each refusal maps to its own HTTP status (editing,
revisions and deliveries keep the same order):

1. unknown action                              -> ``NotFound``          (404)
2. action not allowed from the current state   -> ``InvalidTransition`` (409)
3. none of the actor's parties may fire it     -> ``Forbidden``         (403)
4. the party has already done it (``sign``)    -> ``Conflict``          (409)
5. the input or a guard fails                  -> ``RuleViolation``     (422, every error names its field)

Step 5 is one step: text that cannot go into a document, clause ids the contract does not have,
and every guard of the row are collected into one refusal.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, Literal

import msgspec

from workflows.effects import (
    ClearDisputedFrom,
    CreateContractVersion,
    CreateMilestones,
    CreateSignatureRecord,
    Effect,
    FinaliseResultsRegister,
    MarkContractApproved,
    MarkContractInReview,
    MarkRevisionAccepted,
    MarkRevisionSubmitted,
    RecordReview,
    RecordSignature,
    RecordUnvestedResults,
    RememberDisputedFrom,
)
from workflows.errors import Conflict, FieldError, Forbidden, InvalidTransition, RuleViolation
from workflows.inputs import ActionInput
from workflows.machines import (
    Availability,
    Decision,
    Row,
    Stay,
    Table,
    given,
    party_names,
    required,
    roles_text,
)
from workflows.signatories import Signatories, signer_errors, signer_of
from workflows.states import (
    BEFORE_SIGNED,
    CONTRACTING_PARTIES,
    FINAL_STATES,
    ContractStatus,
    EngagementState,
    Party,
)
from workflows.text import xml_illegal_fields

__all__ = [
    "OPEN_FOR_PROPOSALS",
    "WORKFLOW",
    "Actor",
    "EngagementSnapshot",
    "Transition",
    "available_actions",
    "decide",
    "describe_workflow",
]

S = EngagementState
VENDOR, STARTUP, REVIEWER = Party.VENDOR, Party.STARTUP, Party.REVIEWER
BOTH = CONTRACTING_PARTIES


class Actor(msgspec.Struct, frozen=True, kw_only=True):
    """Who fires an action: the parties its organisation plays in this engagement (normally one)."""

    parties: frozenset[Party]
    organisation_id: str
    key_id: str


class EngagementSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    """What the guards need to know about an engagement, loaded by the shell under a row lock."""

    state: EngagementState
    version: int = 1
    has_reviewer: bool = False
    latest_revision: int | None = None
    latest_revision_submitted: bool = False
    latest_revision_milestone_count: int = 0
    latest_revision_terms_valid: bool = False
    latest_contract_sha256: str | None = None
    approved_sha256: str | None = None
    signed_parties: frozenset[Party] = frozenset()
    # Signatories named in advance; while a contract is out for signature they are the ones it shows.
    signatories: Signatories = Signatories()
    # Milestone states of the signed revision; empty means none exist (milestone guards then fail).
    milestone_states: tuple[str, ...] = ()
    disputed_from: EngagementState | None = None


@dataclass(frozen=True, slots=True)
class _Context:
    """What the guards, conditions, payload parts and effect rules of one decision see."""

    snapshot: EngagementSnapshot
    data: ActionInput
    acting: frozenset[Party]  # the actor's parties that this action is fired for
    signed_after: frozenset[Party]


@dataclass(frozen=True, slots=True)
class Transition(Row[EngagementState, _Context]):
    """One row of the engagement table."""

    one_per_party: bool = False  # each party signs once; tracked in snapshot.signed_parties


Guard = Callable[[_Context], list[FieldError]]


# --- guards: each returns every FieldError it finds, so one response lists them all -------------


def _clause_comments(ctx: _Context) -> list[FieldError]:
    errors = []
    for i, item in enumerate(ctx.data.clause_comments or ()):
        errors += [
            FieldError(f"clause_comments.{i}.{name}", "must not be empty")
            for name in ("clause_id", "comment")
            if not given(getattr(item, name))
        ]
    return errors


def _submittable_revision(ctx: _Context) -> list[FieldError]:
    s = ctx.snapshot
    if s.latest_revision is None:
        return [FieldError("revision", "there is no proposal revision to submit; create one first")]
    errors = []
    if s.latest_revision_submitted:
        errors.append(
            FieldError("revision", f"revision {s.latest_revision} was already submitted; create a new one")
        )
    if s.latest_revision_milestone_count < 1:
        errors.append(FieldError("milestones", "a proposal needs at least one milestone"))
    if not s.latest_revision_terms_valid:
        errors.append(FieldError("ip_terms", "the IP terms of the latest revision are not valid"))
    return errors


def _latest_submitted_revision(ctx: _Context) -> list[FieldError]:
    s, revision = ctx.snapshot, ctx.data.revision
    if revision is None:
        return [FieldError("revision", "is required: the revision number being accepted")]
    if revision != s.latest_revision:
        return [FieldError("revision", f"is not the latest revision ({s.latest_revision})")]
    if not s.latest_revision_submitted:
        return [FieldError("revision", "has not been submitted")]
    return []


def _accepted_revision(ctx: _Context) -> list[FieldError]:
    ok = ctx.snapshot.latest_revision is not None
    return [] if ok else [FieldError("revision", "no accepted proposal revision")]


def _reviewer_assigned(ctx: _Context) -> list[FieldError]:
    return [] if ctx.snapshot.has_reviewer else [FieldError("reviewer_id", "assign a legal reviewer first")]


def _contract_exists(ctx: _Context) -> list[FieldError]:
    ok = ctx.snapshot.latest_contract_sha256 is not None
    return [] if ok else [FieldError("document_sha256", "no contract version exists")]


def _same_document(given_sha: str | None, expected: str | None, what: str) -> list[FieldError]:
    if given_sha is None or not given(given_sha):
        return [FieldError("document_sha256", "is required")]
    if expected is None:
        return [FieldError("document_sha256", f"there is no {what}")]
    # Hex is case-insensitive; the stored form is lowercase.
    if given_sha.strip().lower() != expected.lower():
        return [FieldError("document_sha256", f"does not match the {what} ({expected})")]
    return []


def _matches_latest_contract(ctx: _Context) -> list[FieldError]:
    return _same_document(
        ctx.data.document_sha256, ctx.snapshot.latest_contract_sha256, "latest contract version"
    )


def _matches_approved_contract(ctx: _Context) -> list[FieldError]:
    return _same_document(ctx.data.document_sha256, ctx.snapshot.approved_sha256, "approved contract version")


def _every_milestone(allowed: frozenset[str], wording: str) -> Guard:
    def guard(ctx: _Context) -> list[FieldError]:
        states = ctx.snapshot.milestone_states
        # No milestones must never pass vacuously.
        if not states:
            return [FieldError("milestones", "the engagement has no milestones yet")]
        behind = sum(1 for m in states if m not in allowed)
        if behind:
            return [FieldError("milestones", f"{behind} of {len(states)} milestones are not yet {wording}")]
        return []

    return guard


# --- conditions, payload parts and effect rules ---------------------------------------------------


def _all_signed(ctx: _Context) -> bool:
    return ctx.signed_after >= CONTRACTING_PARTIES


def _disputed_from(ctx: _Context) -> EngagementState | None:
    return ctx.snapshot.disputed_from


def _revision(ctx: _Context) -> dict[str, Any]:
    return {"revision": ctx.snapshot.latest_revision}


def _contract(ctx: _Context) -> dict[str, Any]:
    return {"document_sha256": ctx.snapshot.latest_contract_sha256}


def _approved_contract_signers(ctx: _Context) -> dict[str, Any]:
    # The stored hash, not the caller's spelling of it (the guard checked they are equal), and the
    # person recorded as signing (the named signatory, else the one the body names).
    signature = _signature(ctx)
    assert isinstance(signature, RecordSignature)
    signer = {"signer_name": signature.signer_name, "signer_title": signature.signer_title}
    if signature.signer_authority is not None:
        signer["signer_authority"] = signature.signer_authority
    return {"document_sha256": ctx.snapshot.approved_sha256, **_signers(ctx), **signer}


def _signers(ctx: _Context) -> dict[str, Any]:
    return {"parties": party_names(ctx.acting), "signed_by": party_names(ctx.signed_after)}


def _latest_revision(ctx: _Context) -> int:
    revision = ctx.snapshot.latest_revision
    assert revision is not None  # the row's guard made sure
    return revision


def _latest_sha(ctx: _Context) -> str:
    sha = ctx.snapshot.latest_contract_sha256
    assert sha is not None  # the row's guard made sure
    return sha


def _approved_sha(ctx: _Context) -> str:
    sha = ctx.snapshot.approved_sha256
    assert sha is not None  # the row's guard made sure
    return sha


def _review(
    decision: Literal["approve", "request_revision"], status: ContractStatus
) -> Callable[[_Context], Effect]:
    def rule(ctx: _Context) -> Effect:
        return RecordReview(
            decision=decision,
            contract_status=status,
            document_sha256=_latest_sha(ctx),
            comment=ctx.data.comment,
            clause_comments=ctx.data.clause_comments or (),
        )

    return rule


def _signer(ctx: _Context) -> list[FieldError]:
    named = {party: ctx.snapshot.signatories.of(party) for party in ctx.acting}
    return signer_errors(named, ctx.data.signer_name, ctx.data.signer_title)


def _signature(ctx: _Context) -> Effect:
    # An organisation plays one party per engagement, so one signatory signs (the guard checked it).
    party = sorted(ctx.acting)[0]
    data = ctx.data
    name, title, authority = signer_of(
        ctx.snapshot.signatories.of(party), data.signer_name, data.signer_title, data.signer_authority
    )
    return RecordSignature(
        parties=tuple(party_names(ctx.acting)),
        signed_by=tuple(party_names(ctx.signed_after)),
        signer_name=name,
        signer_title=title,
        signer_authority=authority,
        document_sha256=_approved_sha(ctx),
    )


_SUBMITTED_OR_LATER = frozenset({"submitted", "accepted", "paid"})
_ACCEPTED_OR_PAID = frozenset({"accepted", "paid"})
_reason = required("reason")
_comment = required("comment")

WORKFLOW: tuple[Transition, ...] = (
    Transition(
        "submit_proposal", (S.DRAFT, S.NEGOTIATING), S.PROPOSED, frozenset({VENDOR}), "proposal_submitted",
        guards=(_submittable_revision,), context=_revision,
        effects=(lambda ctx: MarkRevisionSubmitted(revision=_latest_revision(ctx)),),
    ),
    Transition(
        "request_changes", (S.PROPOSED,), S.NEGOTIATING, frozenset({STARTUP}), "changes_requested",
        requires=("comment",), guards=(_comment, _clause_comments), records=("comment", "clause_comments"), context=_revision,
    ),
    Transition(
        "accept_proposal", (S.PROPOSED,), S.TERMS_AGREED, frozenset({STARTUP}), "proposal_accepted",
        requires=("revision",), guards=(_latest_submitted_revision,), records=("revision", "comment"),
        effects=(lambda ctx: MarkRevisionAccepted(revision=_latest_revision(ctx)),),
    ),
    Transition(
        "generate_contract", (S.TERMS_AGREED,), S.CONTRACT_DRAFTED, BOTH, "contract_generated",
        guards=(_accepted_revision,), context=_revision,
        effects=(lambda ctx: CreateContractVersion(revision=_latest_revision(ctx)),),
    ),
    Transition(
        "submit_for_review", (S.CONTRACT_DRAFTED,), S.IN_REVIEW, BOTH, "contract_submitted_for_review",
        guards=(_reviewer_assigned, _contract_exists), records=("comment",), context=_contract,
        effects=(lambda ctx: MarkContractInReview(document_sha256=_latest_sha(ctx)),),
    ),
    Transition(
        "request_revision", (S.IN_REVIEW,), S.NEGOTIATING, frozenset({REVIEWER}),
        "contract_revision_requested",
        requires=("comment",), guards=(_comment, _clause_comments), records=("comment", "clause_comments"), context=_contract,
        effects=(_review("request_revision", ContractStatus.CHANGES_REQUESTED),),
    ),
    Transition(
        "approve", (S.IN_REVIEW,), S.APPROVED, frozenset({REVIEWER}), "contract_approved",
        requires=("document_sha256",), guards=(_matches_latest_contract, _clause_comments), records=("comment", "clause_comments"),
        context=_contract,
        effects=(_review("approve", ContractStatus.APPROVED), lambda ctx: MarkContractApproved(document_sha256=_latest_sha(ctx))),
    ),
    Transition(
        "sign", (S.APPROVED,), S.SIGNED, BOTH, "contract_signed",
        # signer_name and signer_title only when the party named no signatory ahead (_signer)
        requires=("document_sha256",), guards=(_matches_approved_contract, _signer),
        context=_approved_contract_signers,
        effects=(_signature, lambda ctx: CreateSignatureRecord(document_sha256=_approved_sha(ctx))),
        stay=Stay(
            until=_all_signed, event_type="signature_recorded", effects=(_signature,),
            note="until both have signed",
        ),
        one_per_party=True,
    ),
    Transition(
        "start_development", (S.SIGNED,), S.IN_DEVELOPMENT, frozenset({VENDOR}), "development_started",
        effects=(CreateMilestones(),),
    ),
    Transition(
        "deliver", (S.IN_DEVELOPMENT,), S.DELIVERED, frozenset({VENDOR}), "engagement_delivered",
        guards=(_every_milestone(_SUBMITTED_OR_LATER, "submitted"),), records=("comment",),
    ),
    Transition(
        "reject_delivery", (S.DELIVERED,), S.IN_DEVELOPMENT, frozenset({STARTUP}), "delivery_rejected",
        requires=("comment",), guards=(_comment,), records=("comment",),
    ),
    Transition(
        "accept_delivery", (S.DELIVERED,), S.ACCEPTED, frozenset({STARTUP}), "delivery_accepted",
        guards=(_every_milestone(_ACCEPTED_OR_PAID, "accepted"),), records=("comment",),
    ),
    Transition(
        "complete", (S.ACCEPTED,), S.COMPLETED, BOTH, "engagement_completed",
        guards=(_every_milestone(frozenset({"paid"}), "paid"),), records=("comment",),
        effects=(FinaliseResultsRegister(),),
    ),
    Transition(
        "withdraw", BEFORE_SIGNED, S.WITHDRAWN, BOTH, "engagement_withdrawn",
        requires=("reason",), guards=(_reason,), records=("reason",),
    ),
    Transition(
        "terminate", (S.SIGNED, S.IN_DEVELOPMENT, S.DELIVERED, S.ACCEPTED), S.TERMINATED, BOTH,
        "engagement_terminated", requires=("reason",), guards=(_reason,), records=("reason",),
        effects=(RecordUnvestedResults(),),
    ),
    Transition(
        "raise_dispute", (S.IN_DEVELOPMENT, S.DELIVERED), S.DISPUTED, BOTH, "dispute_raised",
        requires=("reason",), guards=(_reason,), records=("reason",),
        effects=(lambda ctx: RememberDisputedFrom(state=ctx.snapshot.state),),
    ),
    Transition(
        "resolve_dispute", (S.DISPUTED,), None, BOTH, "dispute_resolved",
        requires=("reason",), guards=(_reason,), records=("reason",), effects=(ClearDisputedFrom(),),
    ),
)  # fmt: skip

TABLE: Table[EngagementState, _Context] = Table(
    states=EngagementState, initial=S.DRAFT, rows=WORKFLOW, finals=FINAL_STATES, previous=_disputed_from
)

#: Where proposal revisions may be written: wherever one may be submitted from.
OPEN_FOR_PROPOSALS: frozenset[EngagementState] = frozenset(TABLE.row("submit_proposal", "").sources)


def _citation_errors(data: ActionInput, citable: Collection[str] | None) -> list[FieldError]:
    """Clause comments must cite a clause id (``results_ip.joint``) or a part (``results_ip``) of the
    contract; blank ids are the guards' to report. ``citable`` None: no library to check against."""
    if citable is None:
        return []
    return [
        FieldError(f"clause_comments.{i}.clause_id", f"{c.clause_id!r} is not a clause of the contract")
        for i, c in enumerate(data.clause_comments or ())
        if given(c.clause_id) and c.clause_id.strip() not in citable
    ]


def _one_per_party(row: Row[EngagementState, _Context]) -> bool:
    return isinstance(row, Transition) and row.one_per_party


def _acting(
    row: Row[EngagementState, _Context], parties: frozenset[Party], snapshot: EngagementSnapshot
) -> frozenset[Party]:
    """The actor's parties this row would be fired for: a party that has signed may not sign again."""
    acting = parties & row.roles
    return acting - snapshot.signed_parties if _one_per_party(row) else acting


def decide(
    snapshot: EngagementSnapshot,
    actor: Actor,
    action: str,
    data: ActionInput,
    *,
    citable: Collection[str] | None = None,
) -> Decision[EngagementState]:
    """Decide what ``action`` by ``actor`` does to the engagement, or raise a typed refusal.

    ``citable``: the clause ids and part keys of the contract template, which clause comments cite.
    """
    row = TABLE.row(action, f"unknown action {action!r}")
    if snapshot.state not in row.sources:
        raise InvalidTransition(f"{action} is not allowed while the engagement is {snapshot.state.value}")
    if not actor.parties & row.roles:
        raise Forbidden(f"only the {roles_text(row.roles)} may {action}")
    acting = _acting(row, actor.parties, snapshot)
    if not acting:
        raise Conflict(f"the {roles_text(actor.parties & row.roles)} has already signed")
    errors = xml_illegal_fields(data) + _citation_errors(data, citable)
    signed_after = snapshot.signed_parties | acting if _one_per_party(row) else snapshot.signed_parties
    ctx = _Context(snapshot=snapshot, data=data, acting=acting, signed_after=signed_after)
    errors += [error for guard in row.guards for error in guard(ctx)]
    if errors:
        raise RuleViolation(errors)
    return TABLE.settle(row, snapshot.state, ctx, {})


#: Stands for text the caller would write (a comment, a reason, a name) when guards are run ahead.
_ANY_TEXT = "(given)"


def _ready(
    snapshot: EngagementSnapshot, actor: Actor
) -> Callable[[Row[EngagementState, _Context]], _Context]:
    """The context of a request that sends what each row requires, taking the values the snapshot
    knows to be right (the latest revision, the document to approve or sign)."""

    def ready(row: Row[EngagementState, _Context]) -> _Context:
        acting = _acting(row, actor.parties, snapshot)
        # A party that named its signatory ahead sends no signer; one that did not must name one.
        named = any(snapshot.signatories.of(party) is not None for party in acting)
        data = ActionInput(
            comment=_ANY_TEXT,
            reason=_ANY_TEXT,
            # With nothing to name, a guard reports the missing revision or document, not the input.
            revision=snapshot.latest_revision or 0,
            document_sha256=snapshot.approved_sha256 or snapshot.latest_contract_sha256 or _ANY_TEXT,
            signer_name=None if named else _ANY_TEXT,
            signer_title=None if named else _ANY_TEXT,
        )
        signed_after = snapshot.signed_parties | acting if _one_per_party(row) else snapshot.signed_parties
        return _Context(snapshot=snapshot, data=data, acting=acting, signed_after=signed_after)

    return ready


def available_actions(snapshot: EngagementSnapshot, actor: Actor) -> list[Availability]:
    """Actions the actor's parties may fire from the current state, in table order, each with its
    guards run against the snapshot: ``enabled`` false and the ``reason`` when one would refuse it.

    ``sign`` is left out for a party that has already signed: firing it could only conflict. A
    snapshot that lacks what a guard reads (e.g. milestone states) makes that guard refuse.
    """
    return TABLE.availability(
        snapshot.state, lambda row: _acting(row, actor.parties, snapshot), _ready(snapshot, actor)
    )


def describe_workflow() -> dict[str, Any]:
    """The workflow for ``GET /workflow``: states, actions with roles, and a Mermaid diagram."""
    return TABLE.describe()
