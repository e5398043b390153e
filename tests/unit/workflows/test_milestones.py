"""The milestone workflow: every row allowed and refused, guards, payments, deemed acceptance, vesting."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from msgspec.structs import replace

from workflows import (
    MILESTONE_WORKFLOW,
    EngagementState,
    Forbidden,
    InvalidTransition,
    MilestoneActionInput,
    MilestoneDecision,
    MilestoneSnapshot,
    MilestoneState,
    MilestoneTransition,
    NotFound,
    Party,
    RuleViolation,
    available_milestone_actions,
    decide_milestone,
    deemed_acceptance,
    describe_milestone_workflow,
    has_vested,
    vests_on,
)

M = MilestoneState
E = EngagementState
V, ST, R = Party.VENDOR, Party.STARTUP, Party.REVIEWER
MODELS = ("client_owns", "vendor_owns_licensed", "joint", "field_split", "lead_exploiter")

NOW = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)
SUBMITTED_AT = datetime(2026, 3, 25, 9, 30, tzinfo=UTC)  # 7 days of a 14-day period left at NOW
FEE = Decimal("12500.00")


def snapshot(state: M = M.PLANNED, **changes: Any) -> MilestoneSnapshot:
    """A milestone snapshot in which every guard of every action from ``state`` passes."""
    base = MilestoneSnapshot(
        key="m1",
        state=state,
        fee=FEE,
        acceptance_days=14,
        engagement_state=E.IN_DEVELOPMENT.value,
        model="joint",
        submitted_at=SUBMITTED_AT if state is M.SUBMITTED else None,
        paid_total=Decimal(0),
        delivery_count_since_start=1,
        pending_approvals=(),
    )
    return replace(base, **changes)


def parties(*ps: Party) -> frozenset[Party]:
    return frozenset(ps)


NO_INPUT = MilestoneActionInput()
PAY_PART = MilestoneActionInput(amount=Decimal("5000.00"), paid_on=date(2026, 4, 1), reference="INV-2026-001")
GOOD_INPUT: dict[str, MilestoneActionInput] = {
    "start": NO_INPUT,
    "submit": NO_INPUT,
    "accept": NO_INPUT,
    "reject": MilestoneActionInput(reason="Login fails on Android"),
    "record_payment": PAY_PART,
}

ACTIVE = {E.IN_DEVELOPMENT, E.DELIVERED}
# SPEC section 3, written out by hand: (from, to, who, engagement states).
SPEC: dict[str, tuple[set[M], M, set[Party], set[E]]] = {
    "start": ({M.PLANNED, M.REJECTED}, M.IN_PROGRESS, {V}, ACTIVE),
    "submit": ({M.IN_PROGRESS}, M.SUBMITTED, {V}, ACTIVE),
    "accept": ({M.SUBMITTED}, M.ACCEPTED, {ST}, ACTIVE),
    "reject": ({M.SUBMITTED}, M.REJECTED, {ST}, ACTIVE),
    "record_payment": ({M.ACCEPTED}, M.PAID, {ST}, ACTIVE | {E.ACCEPTED}),
}
#: Event type and effects for the "joint" model (vesting on acceptance), for a partial payment.
EVENTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "start": ("milestone_started", ("reset_delivery_count",)),
    "submit": ("milestone_submitted", ("record_submission",)),
    "accept": ("milestone_accepted", ("vest_results",)),
    "reject": ("milestone_rejected", ()),
    "record_payment": ("payment_recorded", ("record_payment",)),
}
#: Where each action leaves the milestone with GOOD_INPUT (a partial payment stays accepted).
LANDS: dict[str, M] = {
    "start": M.IN_PROGRESS,
    "submit": M.SUBMITTED,
    "accept": M.ACCEPTED,
    "reject": M.REJECTED,
    "record_payment": M.ACCEPTED,
}


def _id(value: Any) -> str:
    return value.action if isinstance(value, MilestoneTransition) else str(value)


def _fire(
    row: MilestoneTransition, state: M, party: Party, engagement: E, **changes: Any
) -> MilestoneDecision:
    snap = snapshot(state, engagement_state=engagement.value, **changes)
    return decide_milestone(snap, parties(party), row.action, GOOD_INPUT[row.action], NOW)


def test_table_matches_the_spec_row_for_row() -> None:
    assert [row.action for row in MILESTONE_WORKFLOW] == list(SPEC)
    for row in MILESTONE_WORKFLOW:
        assert (set(row.sources), row.to, set(row.roles), set(row.engagement_states)) == SPEC[row.action]


ALLOWED = [
    (row, source, party, engagement)
    for row in MILESTONE_WORKFLOW
    for source in row.sources
    for party in sorted(row.roles)
    for engagement in row.engagement_states
]


@pytest.mark.parametrize(("row", "source", "party", "engagement"), ALLOWED, ids=_id)
def test_every_row_is_allowed_from_each_source_for_each_role_and_engagement_state(
    row: MilestoneTransition, source: M, party: Party, engagement: E
) -> None:
    decision = _fire(row, source, party, engagement)
    assert (decision.action, decision.from_state, decision.to_state) == (
        row.action,
        source,
        LANDS[row.action],
    )
    assert (decision.event_type, decision.effect_names) == EVENTS[row.action]
    payload = decision.event_payload
    assert (payload["milestone"], payload["from_state"], payload["to_state"]) == (
        "m1",
        source.value,
        LANDS[row.action].value,
    )
    assert msgspec.json.decode(msgspec.json.encode(payload)) == payload  # JSON-native


WRONG_ENGAGEMENT = [
    (row, state) for row in MILESTONE_WORKFLOW for state in E if state not in row.engagement_states
]


@pytest.mark.parametrize(("row", "engagement"), WRONG_ENGAGEMENT, ids=_id)
def test_every_row_is_refused_in_other_engagement_states(row: MilestoneTransition, engagement: E) -> None:
    with pytest.raises(InvalidTransition, match=f"engagement is {engagement.value}"):
        _fire(row, row.sources[0], next(iter(row.roles)), engagement)


WRONG_STATE = [(row, state) for row in MILESTONE_WORKFLOW for state in M if state not in row.sources]


@pytest.mark.parametrize(("row", "state"), WRONG_STATE, ids=_id)
def test_every_row_is_refused_from_other_milestone_states(row: MilestoneTransition, state: M) -> None:
    with pytest.raises(InvalidTransition, match=f"milestone m1 is {state.value}"):
        decide_milestone(snapshot(state), parties(V, ST, R), row.action, GOOD_INPUT[row.action], NOW)


WRONG_ROLE = [
    (row, source, party)
    for row in MILESTONE_WORKFLOW
    for source in row.sources
    for party in Party
    if party not in row.roles
]


@pytest.mark.parametrize(("row", "source", "party"), WRONG_ROLE, ids=_id)
def test_every_row_is_forbidden_to_other_roles(row: MilestoneTransition, source: M, party: Party) -> None:
    with pytest.raises(Forbidden, match=row.action):
        _fire(row, source, party, E.IN_DEVELOPMENT)


def _pay(**changes: Any) -> MilestoneActionInput:
    return replace(PAY_PART, **changes)


DEADLINE = SUBMITTED_AT + timedelta(days=14)
GUARD_FAILURES: list[tuple[str, dict[str, Any], MilestoneActionInput, list[str]]] = [
    ("submit", {"delivery_count_since_start": 0}, NO_INPUT, ["deliveries"]),
    ("accept", {"submitted_at": NOW - timedelta(days=14)}, NO_INPUT, ["milestone"]),
    ("accept", {"submitted_at": NOW - timedelta(days=30)}, NO_INPUT, ["milestone"]),
    ("reject", {}, NO_INPUT, ["reason"]),
    ("reject", {}, MilestoneActionInput(reason=" \n"), ["reason"]),
    ("reject", {"submitted_at": NOW - timedelta(days=14)}, GOOD_INPUT["reject"], ["milestone"]),
    ("record_payment", {}, NO_INPUT, ["amount", "paid_on", "reference"]),
    ("record_payment", {}, _pay(amount=Decimal(0)), ["amount"]),
    ("record_payment", {}, _pay(amount=Decimal("-5")), ["amount"]),
    ("record_payment", {}, _pay(amount=Decimal("10.005")), ["amount"]),
    ("record_payment", {}, _pay(amount=Decimal("NaN")), ["amount"]),
    ("record_payment", {}, _pay(amount=Decimal("12500.01")), ["amount"]),
    ("record_payment", {"paid_total": Decimal("10000.00")}, _pay(amount=Decimal("2500.01")), ["amount"]),
    ("record_payment", {}, _pay(paid_on=None), ["paid_on"]),
    ("record_payment", {}, _pay(reference="  "), ["reference"]),
    ("record_payment", {}, _pay(reference=None), ["reference"]),
]
ROWS = {row.action: row for row in MILESTONE_WORKFLOW}


def test_every_guarded_row_has_a_failing_case() -> None:
    assert {case[0] for case in GUARD_FAILURES} == {row.action for row in MILESTONE_WORKFLOW if row.guards}


@pytest.mark.parametrize(("action", "changes", "data", "fields"), GUARD_FAILURES)
def test_failed_guard_names_the_field(
    action: str, changes: dict[str, Any], data: MilestoneActionInput, fields: list[str]
) -> None:
    row = ROWS[action]
    with pytest.raises(RuleViolation) as refused:
        decide_milestone(snapshot(row.sources[0], **changes), parties(*row.roles), action, data, NOW)
    assert [error.field for error in refused.value.errors] == fields


def test_late_acceptance_says_it_was_deemed_accepted() -> None:
    with pytest.raises(RuleViolation, match="deemed accepted"):
        decide_milestone(
            snapshot(M.SUBMITTED, submitted_at=NOW - timedelta(days=15)), parties(ST), "accept", NO_INPUT, NOW
        )


def test_over_payment_names_what_is_outstanding() -> None:
    snap = snapshot(M.ACCEPTED, paid_total=Decimal("10000.00"))
    with pytest.raises(
        RuleViolation, match=r"outstanding on milestone m1 \(2500\.00 of a fee of 12500\.00\)"
    ):
        decide_milestone(snap, parties(ST), "record_payment", _pay(amount=Decimal("3000")), NOW)


# --- check order: 404, 409 (engagement), 409 (milestone), 403, 422 ----------------------------------


def test_unknown_action_is_not_found_before_anything_else() -> None:
    snap = snapshot(M.PAID, engagement_state=E.COMPLETED.value)
    with pytest.raises(NotFound, match="unknown milestone action"):
        decide_milestone(snap, parties(), "deemed_acceptance", NO_INPUT, NOW)


def test_engagement_state_wins_over_milestone_state() -> None:
    with pytest.raises(InvalidTransition, match="engagement is signed"):
        decide_milestone(snapshot(M.PAID, engagement_state="signed"), parties(V), "start", NO_INPUT, NOW)


def test_milestone_state_wins_over_role() -> None:
    with pytest.raises(InvalidTransition, match="milestone m1 is planned"):
        decide_milestone(snapshot(M.PLANNED), parties(R), "accept", NO_INPUT, NOW)


def test_role_wins_over_failed_guard() -> None:
    with pytest.raises(Forbidden, match="startup"):
        decide_milestone(snapshot(M.SUBMITTED), parties(V), "reject", NO_INPUT, NOW)


def test_no_party_is_forbidden() -> None:
    with pytest.raises(Forbidden):
        decide_milestone(snapshot(M.PLANNED), parties(), "start", NO_INPUT, NOW)


def test_disputed_engagement_freezes_milestones() -> None:
    for action, state in (("accept", M.SUBMITTED), ("record_payment", M.ACCEPTED), ("start", M.REJECTED)):
        with pytest.raises(InvalidTransition, match="disputed"):
            decide_milestone(
                snapshot(state, engagement_state="disputed"), parties(V, ST), action, GOOD_INPUT[action], NOW
            )


def test_stored_strings_are_accepted_for_states() -> None:
    snap = replace(snapshot(engagement_state="delivered"), state="planned")  # as loaded from a row
    decision = decide_milestone(snap, parties(V), "start", NO_INPUT, NOW)
    assert decision.from_state is M.PLANNED
    assert decision.changes_state


# --- payloads ------------------------------------------------------------------------------------


def test_submit_records_the_submission_time_and_deadline() -> None:
    decision = decide_milestone(snapshot(M.IN_PROGRESS), parties(V), "submit", NO_INPUT, NOW)
    assert decision.event_payload == {
        "milestone": "m1",
        "from_state": "in_progress",
        "to_state": "submitted",
        "submitted_at": "2026-04-01T12:00:00+00:00",
        "acceptance_deadline": "2026-04-15T12:00:00+00:00",
    }


def test_reject_records_the_reason() -> None:
    decision = decide_milestone(snapshot(M.SUBMITTED), parties(ST), "reject", GOOD_INPUT["reject"], NOW)
    assert decision.event_payload["reason"] == "Login fails on Android"
    assert not decision.vests_results


def test_restart_after_rejection_resets_the_delivery_count() -> None:
    decision = decide_milestone(
        snapshot(M.REJECTED, delivery_count_since_start=3), parties(V), "start", NO_INPUT, NOW
    )
    assert (decision.from_state, decision.to_state) == (M.REJECTED, M.IN_PROGRESS)
    assert decision.effect_names == ("reset_delivery_count",)


def test_accept_records_the_approval_of_pending_components() -> None:
    snap = snapshot(
        M.SUBMITTED, pending_approvals=("readline", "libgit2"), latest_delivery_checksum="sha256:" + "a" * 64
    )
    decision = decide_milestone(snap, parties(ST), "accept", NO_INPUT, NOW)
    assert decision.event_payload["approved_components"] == ["readline", "libgit2"]
    assert decision.event_payload["delivery_checksum"] == "sha256:" + "a" * 64
    assert decision.effect_names == ("record_approvals", "vest_results")


def test_accept_without_pending_components_records_no_approval() -> None:
    decision = decide_milestone(snapshot(M.SUBMITTED), parties(ST), "accept", NO_INPUT, NOW)
    assert "approved_components" not in decision.event_payload
    assert "record_approvals" not in decision.effect_names


# --- payments ------------------------------------------------------------------------------------


def test_partial_payments_then_the_rest_moves_to_paid() -> None:
    snap = snapshot(M.ACCEPTED)
    first = decide_milestone(snap, parties(ST), "record_payment", _pay(amount=Decimal("5000")), NOW)
    assert (first.to_state, first.event_type, first.effect_names) == (
        M.ACCEPTED,
        "payment_recorded",
        ("record_payment",),
    )
    assert not first.changes_state
    assert first.event_payload == {
        "milestone": "m1",
        "from_state": "accepted",
        "to_state": "accepted",
        "amount": "5000.00",
        "paid_on": "2026-04-01",
        "reference": "INV-2026-001",
        "fee": "12500.00",
        "paid_total": "5000.00",
        "outstanding": "7500.00",
    }

    snap = replace(snap, paid_total=Decimal("5000.00"))
    second = decide_milestone(snap, parties(ST), "record_payment", _pay(amount=Decimal("7000.5")), NOW)
    assert second.to_state is M.ACCEPTED
    assert second.event_payload["outstanding"] == "499.50"

    snap = replace(snap, paid_total=Decimal("12000.50"))
    last = decide_milestone(snap, parties(ST), "record_payment", _pay(amount=Decimal("499.50")), NOW)
    assert (last.from_state, last.to_state, last.event_type) == (M.ACCEPTED, M.PAID, "milestone_paid")
    assert last.event_payload["paid_total"] == "12500.00"
    assert last.event_payload["outstanding"] == "0.00"
    assert last.effect_names == ("record_payment",)  # joint vested on acceptance already


def test_one_payment_of_the_whole_fee_moves_to_paid() -> None:
    decision = decide_milestone(snapshot(M.ACCEPTED), parties(ST), "record_payment", _pay(amount=FEE), NOW)
    assert decision.to_state is M.PAID


@pytest.mark.parametrize("engagement", [E.IN_DEVELOPMENT, E.DELIVERED, E.ACCEPTED])
def test_payments_are_recorded_until_the_engagement_is_accepted(engagement: E) -> None:
    snap = snapshot(M.ACCEPTED, engagement_state=engagement.value)
    assert decide_milestone(snap, parties(ST), "record_payment", _pay(amount=FEE), NOW).to_state is M.PAID


# --- deemed acceptance -----------------------------------------------------------------------------


def test_deemed_acceptance_exactly_at_the_end_of_the_period() -> None:
    snap = snapshot(M.SUBMITTED)
    just_before = DEADLINE - timedelta(microseconds=1)
    assert deemed_acceptance(snap, just_before) is None
    assert decide_milestone(snap, parties(ST), "accept", NO_INPUT, just_before).to_state is M.ACCEPTED

    decision = deemed_acceptance(snap, DEADLINE)
    assert decision is not None
    assert (decision.action, decision.from_state, decision.to_state) == (
        "deemed_acceptance",
        M.SUBMITTED,
        M.ACCEPTED,
    )
    assert decision.event_type == "milestone_deemed_accepted"
    assert decision.event_payload == {
        "milestone": "m1",
        "from_state": "submitted",
        "to_state": "accepted",
        "deemed": True,
        "acceptance_days": 14,
        "acceptance_deadline": "2026-04-08T09:30:00+00:00",
    }
    assert decision.effect_names == ("vest_results",)
    with pytest.raises(RuleViolation) as refused:
        decide_milestone(snap, parties(ST), "accept", NO_INPUT, DEADLINE)
    assert [e.field for e in refused.value.errors] == ["milestone"]


def test_deemed_acceptance_lists_components_it_did_not_approve() -> None:
    decision = deemed_acceptance(snapshot(M.SUBMITTED, pending_approvals=("readline",)), DEADLINE)
    assert decision is not None
    assert decision.event_payload["unapproved_components"] == ["readline"]
    assert "record_approvals" not in decision.effect_names


@pytest.mark.parametrize("state", [s for s in M if s is not M.SUBMITTED])
def test_only_submitted_milestones_are_deemed_accepted(state: M) -> None:
    assert deemed_acceptance(snapshot(state, submitted_at=SUBMITTED_AT), NOW + timedelta(days=365)) is None


@pytest.mark.parametrize("engagement", [E.DISPUTED, E.TERMINATED, E.ACCEPTED, E.COMPLETED])
def test_no_deemed_acceptance_outside_development_and_delivery(engagement: E) -> None:
    snap = snapshot(M.SUBMITTED, engagement_state=engagement.value)
    assert deemed_acceptance(snap, NOW + timedelta(days=365)) is None


def test_deemed_acceptance_needs_a_submission_time() -> None:
    assert deemed_acceptance(snapshot(M.SUBMITTED, submitted_at=None), NOW + timedelta(days=365)) is None


# --- vesting ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS)
def test_results_vest_on_acceptance_or_for_client_owns_on_payment(model: str) -> None:
    on_payment = model == "client_owns"
    assert vests_on(model) is (M.PAID if on_payment else M.ACCEPTED)

    accepted = decide_milestone(snapshot(M.SUBMITTED, model=model), parties(ST), "accept", NO_INPUT, NOW)
    deemed = deemed_acceptance(snapshot(M.SUBMITTED, model=model), DEADLINE)
    partly = decide_milestone(snapshot(M.ACCEPTED, model=model), parties(ST), "record_payment", PAY_PART, NOW)
    paid = decide_milestone(
        snapshot(M.ACCEPTED, model=model), parties(ST), "record_payment", _pay(amount=FEE), NOW
    )
    assert deemed is not None
    assert accepted.vests_results is not on_payment
    assert deemed.vests_results is not on_payment
    assert not partly.vests_results
    assert paid.vests_results is on_payment
    assert ("vest_results" in paid.effect_names) is on_payment

    for state in M:
        assert has_vested(model, state) is (state is M.PAID or (state is M.ACCEPTED and not on_payment))


@pytest.mark.parametrize("model", MODELS)
def test_no_other_action_vests(model: str) -> None:
    for action, state in (("start", M.PLANNED), ("submit", M.IN_PROGRESS), ("reject", M.SUBMITTED)):
        decision = decide_milestone(
            snapshot(state, model=model), parties(V, ST), action, GOOD_INPUT[action], NOW
        )
        assert not decision.vests_results


# --- available actions and the description ---------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "engagement", "party", "expected"),
    [
        (M.PLANNED, E.IN_DEVELOPMENT, V, ["start"]),
        (M.PLANNED, E.IN_DEVELOPMENT, ST, []),
        (M.REJECTED, E.DELIVERED, V, ["start"]),
        (M.IN_PROGRESS, E.IN_DEVELOPMENT, V, ["submit"]),
        (M.SUBMITTED, E.IN_DEVELOPMENT, ST, ["accept", "reject"]),
        (M.SUBMITTED, E.IN_DEVELOPMENT, V, []),
        (M.SUBMITTED, E.DISPUTED, ST, []),
        (M.ACCEPTED, E.ACCEPTED, ST, ["record_payment"]),
        (M.ACCEPTED, E.SIGNED, ST, []),
        (M.PAID, E.ACCEPTED, ST, []),
        (M.SUBMITTED, E.IN_DEVELOPMENT, R, []),
    ],
)
def test_available_actions(state: M, engagement: E, party: Party, expected: list[str]) -> None:
    offered = available_milestone_actions(
        snapshot(state, engagement_state=engagement.value), parties(party), NOW
    )
    assert [a.action for a in offered] == expected


@pytest.mark.parametrize("state", list(M))
@pytest.mark.parametrize("engagement", list(E))
@pytest.mark.parametrize("party", list(Party))
def test_available_actions_agree_with_decide(state: M, engagement: E, party: Party) -> None:
    snap = snapshot(state, engagement_state=engagement.value)
    offered = {a.action for a in available_milestone_actions(snap, parties(party), NOW)}
    for row in MILESTONE_WORKFLOW:
        try:
            decide_milestone(snap, parties(party), row.action, GOOD_INPUT[row.action], NOW)
        except (InvalidTransition, Forbidden):
            assert row.action not in offered
        else:
            assert row.action in offered


def test_description_comes_from_the_table() -> None:
    described = describe_milestone_workflow()
    assert described["states"] == ["planned", "in_progress", "submitted", "accepted", "rejected", "paid"]
    actions = {a["action"]: a for a in described["actions"]}
    assert list(actions) == list(SPEC)
    for name, (sources, to, roles, engagement) in SPEC.items():
        assert set(actions[name]["from"]) == {s.value for s in sources}
        assert actions[name]["to"] == to.value
        assert set(actions[name]["roles"]) == {r.value for r in roles}
        assert set(actions[name]["engagement_states"]) == {e.value for e in engagement}
    assert actions["record_payment"]["stays_until_done"]
    assert described["vesting"] == {"client_owns": "paid", "other_models": "accepted"}
    msgspec.json.encode(described)

    lines = described["mermaid"].splitlines()
    assert lines[0] == "stateDiagram-v2"
    for row in MILESTONE_WORKFLOW:
        for source in row.sources:
            assert any(
                line.strip().startswith(f"{source.value} --> {row.to.value} : {row.action}") for line in lines
            )
    assert "    accepted --> accepted : record_payment (startup) until the fee is paid" in lines
    assert any(
        line.strip().startswith("submitted --> accepted : deemed_acceptance (system)") for line in lines
    )
