"""Who may record a delivery, and when; the rest of its checks are ``check_delivery``'s."""

from __future__ import annotations

import pytest

from workflows import (
    ComponentInput,
    DeliveryInput,
    EngagementState,
    Forbidden,
    InvalidTransition,
    MilestoneState,
    OpenSourcePolicy,
    Party,
    RuleViolation,
    decide_delivery,
    delivery_event,
)

E, M = EngagementState, MilestoneState
POLICY = OpenSourcePolicy(allowed_licences=("MIT",), copyleft_requires_approval=True)
DELIVERY = DeliveryInput(
    artifact_uri="https://artifacts.example.lt/m1.tar.gz",
    checksum="sha256:" + "a" * 64,
    components=(ComponentInput(name="readline", version="8.2", licence="GPL-3.0-only"),),
)
VENDOR = frozenset({Party.VENDOR})


def test_the_vendor_delivers_a_milestone_in_progress() -> None:
    check = decide_delivery(E.IN_DEVELOPMENT, M.IN_PROGRESS, VENDOR, DELIVERY, POLICY)
    assert check.needs_approval == ("readline",)
    assert delivery_event("m1", "d-1", DELIVERY, check) == {
        "milestone_key": "m1",
        "delivery_id": "d-1",
        "artifact_uri": "https://artifacts.example.lt/m1.tar.gz",
        "checksum": "sha256:" + "a" * 64,
        "components": [{"name": "readline", "version": "8.2", "licence": "GPL-3.0-only"}],
        "needs_approval": ["readline"],
    }


@pytest.mark.parametrize(
    ("engagement", "milestone"),
    [(E.DELIVERED, M.IN_PROGRESS), (E.DISPUTED, M.IN_PROGRESS), (E.IN_DEVELOPMENT, M.SUBMITTED)],
)
def test_not_outside_development_or_for_a_milestone_not_in_progress(engagement: E, milestone: M) -> None:
    # The state refusal comes before the role's, as in the workflows.
    with pytest.raises(
        InvalidTransition, match=f"milestone {milestone.value}, engagement {engagement.value}"
    ):
        decide_delivery(engagement, milestone, frozenset({Party.STARTUP}), DELIVERY, POLICY)


@pytest.mark.parametrize("party", [Party.STARTUP, Party.REVIEWER])
def test_only_the_vendor(party: Party) -> None:
    with pytest.raises(Forbidden, match="only the vendor"):
        decide_delivery(E.IN_DEVELOPMENT, M.IN_PROGRESS, frozenset({party}), DELIVERY, POLICY)


def test_then_the_delivery_itself_is_checked() -> None:
    bad = DeliveryInput(artifact_uri="nowhere", checksum="md5:1")
    with pytest.raises(RuleViolation) as refused:
        decide_delivery(E.IN_DEVELOPMENT, M.IN_PROGRESS, VENDOR, bad, POLICY)
    assert [e.field for e in refused.value.errors] == ["checksum", "artifact_uri"]
