"""Changes outside the workflow actions: who may create and edit an engagement, when, and the field rules."""

from __future__ import annotations

from decimal import Decimal

import pytest
from msgspec import UNSET

import workflows as core
from tests.unit.contract_templates.factories import funding
from tests.unit.workflows.factories import milestone, proposal
from workflows import BEFORE_SIGNED, OPEN_FOR_PROPOSALS, EngagementState, Party, PartyLookup

S = EngagementState
V, ST, R = Party.VENDOR, Party.STARTUP, Party.REVIEWER
AFTER_SIGNED = [s for s in S if s not in BEFORE_SIGNED]


def test_only_a_contracting_party_creates_an_engagement() -> None:
    core.check_creator("org-v", "org-v", "org-s")
    core.check_creator("org-s", "org-v", "org-s")
    with pytest.raises(core.Forbidden, match="operators"):
        core.check_creator(None, "org-v", "org-s")
    with pytest.raises(core.Forbidden, match="vendor or start-up"):
        core.check_creator("org-x", "org-v", "org-s")


def test_a_stale_version_is_a_failed_precondition() -> None:
    core.check_version(7, {7})
    core.check_version(7, {6, 7})
    core.check_version(7, None)  # no If-Match: nothing to compare
    with pytest.raises(core.PreconditionFailed, match="version 7, If-Match named 6"):
        core.check_version(7, {6})


@pytest.mark.parametrize("state", BEFORE_SIGNED)
@pytest.mark.parametrize("party", [V, ST])
def test_vendor_and_startup_edit_until_signed(state: S, party: Party) -> None:
    core.check_edit(state, frozenset({party}), swaps_reviewer=False)


@pytest.mark.parametrize("state", AFTER_SIGNED)
def test_nothing_is_edited_after_signing_even_by_a_stranger(state: S) -> None:
    # The state refusal comes first, as in the workflow: 409 before 403.
    with pytest.raises(core.InvalidTransition, match="only before it is signed"):
        core.check_edit(state, frozenset({R}), swaps_reviewer=False)


def test_the_reviewer_does_not_edit() -> None:
    with pytest.raises(core.Forbidden, match="vendor or the start-up"):
        core.check_edit(S.DRAFT, frozenset({R}), swaps_reviewer=False)


@pytest.mark.parametrize("state", [S.IN_REVIEW, S.APPROVED])
def test_the_reviewer_is_not_swapped_while_the_contract_is_with_them(state: S) -> None:
    core.check_edit(state, frozenset({V}), swaps_reviewer=False)
    with pytest.raises(core.InvalidTransition, match="reviewer cannot change"):
        core.check_edit(state, frozenset({V}), swaps_reviewer=True)


def test_field_errors_are_reported_together() -> None:
    bad_funding = funding(grant_amount=Decimal("-1"), cofinancing_rate=Decimal("1.5"))
    parties = {
        "vendor_id": PartyLookup(organisation_id="org-1", kind="startup"),
        "reviewer_id": PartyLookup(organisation_id="org-9", kind=None),
    }
    with pytest.raises(core.RuleViolation) as refused:
        core.check_engagement_fields(milestone(title="bell\x07"), bad_funding, parties)
    assert [(e.field, e.message) for e in refused.value.errors] == [
        ("title", "contains a character not allowed in a document (U+0007 at position 4)"),
        ("funding.grant_amount", "must be at least 0 and at most 999999999999.99"),
        ("funding.cofinancing_rate", "must be a number from 0 to 1"),
        ("vendor_id", "must be a vendor organisation, not a startup"),
        ("reviewer_id", "no organisation org-9"),
    ]


def test_funding_left_unset_by_a_patch_is_not_checked() -> None:
    core.check_engagement_fields(
        milestone(), UNSET, {"startup_id": PartyLookup(organisation_id="o", kind="startup")}
    )


def test_revisions_are_written_by_the_vendor_while_the_proposal_is_open() -> None:
    assert frozenset({S.DRAFT, S.NEGOTIATING}) == OPEN_FOR_PROPOSALS
    assert core.check_revision(S.NEGOTIATING, frozenset({V}), proposal()) == []
    with pytest.raises(core.InvalidTransition, match="draft or negotiating"):
        core.check_revision(S.PROPOSED, frozenset({ST}), proposal())
    with pytest.raises(core.Forbidden, match="only the vendor"):
        core.check_revision(S.DRAFT, frozenset({ST}), proposal())
    with pytest.raises(core.RuleViolation) as refused:
        core.check_revision(S.DRAFT, frozenset({V}), proposal(milestones=(milestone(key="Bad Key"),)))
    assert [e.field for e in refused.value.errors] == ["milestones.0.key"]
