"""Decisions carry typed effects holding what the shell applies: it never reads the request again."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from msgspec.structs import replace

from tests.unit.workflows.factories import GOOD_INPUT, SHA, actor, snapshot
from workflows import (
    ActionInput,
    ClauseComment,
    ContractStatus,
    CreateContractVersion,
    EngagementState,
    MilestoneActionInput,
    MilestoneSnapshot,
    MilestoneState,
    Party,
    RecordPayment,
    RecordReview,
    RecordSignature,
    RecordSubmission,
    RememberDisputedFrom,
    RuleViolation,
    Signatories,
    Signatory,
    VestResults,
    decide,
    decide_milestone,
    deemed_acceptance,
)

S, M = EngagementState, MilestoneState
V, ST, R = Party.VENDOR, Party.STARTUP, Party.REVIEWER
NOW = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)


def milestone(state: M, **changes: object) -> MilestoneSnapshot:
    base = MilestoneSnapshot(
        key="m1",
        state=state,
        fee=Decimal("1000.00"),
        acceptance_days=14,
        engagement_state=S.IN_DEVELOPMENT.value,
        model="joint",
        submitted_at=NOW - timedelta(days=20) if state is M.SUBMITTED else None,
        delivery_count_since_start=1,
        latest_delivery_checksum="sha256:" + "e" * 64,
    )
    return replace(base, **changes)


def test_generate_contract_names_the_revision_to_render() -> None:
    decision = decide(snapshot(S.TERMS_AGREED), actor(V), "generate_contract", ActionInput())
    assert decision.effects == (CreateContractVersion(revision=2),)


def test_a_review_carries_its_comments_and_the_hash_it_is_bound_to() -> None:
    comments = (ClauseComment(clause_id="fees", comment="Cap the fee"),)
    data = ActionInput(comment="Looks fine", document_sha256=SHA, clause_comments=comments)
    decision = decide(snapshot(S.IN_REVIEW), actor(R), "approve", data)
    assert decision.effects[0] == RecordReview(
        decision="approve",
        contract_status=ContractStatus.APPROVED,
        document_sha256=SHA,
        comment="Looks fine",
        clause_comments=comments,
    )


def test_a_signature_carries_the_trimmed_signer_and_the_approved_hash() -> None:
    data = ActionInput(document_sha256=SHA.upper(), signer_name="  Ona  ", signer_title=" CEO ")
    decision = decide(snapshot(S.APPROVED), actor(ST), "sign", data)
    assert decision.effects == (
        RecordSignature(
            parties=("startup",),
            signed_by=("startup",),
            signer_name="Ona",
            signer_title="CEO",
            signer_authority=None,
            document_sha256=SHA,
        ),
    )


def test_a_named_signatory_is_recorded_with_their_authority_without_repeating_them() -> None:
    named = Signatory(name="Ona Žemaitytė", title="Director", authority="Articles of association")
    ready = snapshot(S.APPROVED, signatories=Signatories(startup=named))
    decision = decide(ready, actor(ST), "sign", ActionInput(document_sha256=SHA))
    assert decision.effects == (
        RecordSignature(
            parties=("startup",),
            signed_by=("startup",),
            signer_name="Ona Žemaitytė",
            signer_title="Director",
            signer_authority="Articles of association",
            document_sha256=SHA,
        ),
    )
    assert decision.event_payload["signer_authority"] == "Articles of association"
    # The same person, spelt with other spacing and case, may be given; someone else may not.
    same = ActionInput(document_sha256=SHA, signer_name=" ona  žemaitytė ", signer_title="DIRECTOR")
    assert decide(ready, actor(ST), "sign", same).effects[0] == decision.effects[0]
    other = ActionInput(document_sha256=SHA, signer_name="Jonas Jonaitis", signer_title="CFO")
    with pytest.raises(RuleViolation) as refused:
        decide(ready, actor(ST), "sign", other)
    assert [e.field for e in refused.value.errors] == ["signer_name", "signer_title"]
    assert "Ona Žemaitytė" in refused.value.errors[0].message


def test_a_dispute_remembers_where_it_came_from() -> None:
    decision = decide(snapshot(S.DELIVERED), actor(ST), "raise_dispute", GOOD_INPUT["raise_dispute"])
    assert decision.effects == (RememberDisputedFrom(state=S.DELIVERED),)


def test_clause_comments_must_cite_the_contract_when_a_library_is_given() -> None:
    data = ActionInput(
        comment="See below",
        clause_comments=(
            ClauseComment(clause_id="fees", comment="ok"),
            ClauseComment(clause_id="nonsense.7", comment="?"),
            ClauseComment(clause_id=" ", comment="blank ids are the guard's"),
        ),
    )
    with pytest.raises(RuleViolation) as refused:
        decide(snapshot(S.PROPOSED), actor(ST), "request_changes", data, citable={"fees"})
    assert [(e.field, e.message) for e in refused.value.errors] == [
        ("clause_comments.1.clause_id", "'nonsense.7' is not a clause of the contract"),
        ("clause_comments.2.clause_id", "must not be empty"),
    ]


def test_text_that_cannot_go_into_a_document_is_refused_with_the_guards() -> None:
    with pytest.raises(RuleViolation) as refused:
        decide(snapshot(S.DELIVERED), actor(ST), "reject_delivery", ActionInput(comment="\x00"))
    assert [e.field for e in refused.value.errors] == ["comment"]


def test_submitting_starts_the_acceptance_period_now() -> None:
    decision = decide_milestone(
        milestone(M.IN_PROGRESS), frozenset({V}), "submit", MilestoneActionInput(), NOW
    )
    assert decision.effects == (RecordSubmission(submitted_at=NOW),)


def test_a_payment_carries_amount_date_and_trimmed_reference() -> None:
    data = MilestoneActionInput(amount=Decimal("400.00"), paid_on=date(2026, 3, 30), reference=" INV-7 ")
    decision = decide_milestone(milestone(M.ACCEPTED), frozenset({ST}), "record_payment", data, NOW)
    assert decision.effects == (
        RecordPayment(amount=Decimal("400.00"), paid_on=date(2026, 3, 30), reference="INV-7"),
    )


def test_acceptance_vests_today_and_deemed_acceptance_on_the_day_the_period_ended() -> None:
    fresh = milestone(M.SUBMITTED, submitted_at=NOW - timedelta(days=2))
    accepted = decide_milestone(fresh, frozenset({ST}), "accept", MilestoneActionInput(), NOW)
    assert accepted.effects == (VestResults(effective_on=NOW.date(), delivery_checksum="sha256:" + "e" * 64),)

    late = milestone(M.SUBMITTED, submitted_at=datetime(2026, 3, 1, 23, 30, tzinfo=UTC))
    deemed = deemed_acceptance(late, NOW)
    assert deemed is not None
    assert deemed.effects == (
        VestResults(effective_on=date(2026, 3, 15), delivery_checksum="sha256:" + "e" * 64),
    )


def test_client_owns_vests_on_the_payment_that_completes_the_fee() -> None:
    data = MilestoneActionInput(amount=Decimal("1000.00"), paid_on=date(2026, 3, 30), reference="INV-8")
    decision = decide_milestone(
        milestone(M.ACCEPTED, model="client_owns"), frozenset({ST}), "record_payment", data, NOW
    )
    assert [type(e) for e in decision.effects] == [RecordPayment, VestResults]
    assert decision.effects[1] == VestResults(effective_on=NOW.date(), delivery_checksum="sha256:" + "e" * 64)
