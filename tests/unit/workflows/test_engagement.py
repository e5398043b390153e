"""The engagement workflow: every row allowed and refused, check order, sign, disputes, description."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from tests.unit.workflows.factories import GOOD_INPUT, OTHER_SHA, READY, SHA, actor, snapshot
from workflows import (
    WORKFLOW,
    ActionInput,
    ClauseComment,
    Conflict,
    EngagementState,
    Forbidden,
    InvalidTransition,
    NotFound,
    Party,
    RuleViolation,
    Signatories,
    Signatory,
    Transition,
    available_actions,
    decide,
    describe_workflow,
)

NAMED = Signatory(name="Ona", title="CEO", authority="Articles of association")
S = EngagementState
V, ST, R = Party.VENDOR, Party.STARTUP, Party.REVIEWER
BEFORE_SIGNED = {
    S.DRAFT,
    S.PROPOSED,
    S.NEGOTIATING,
    S.TERMS_AGREED,
    S.CONTRACT_DRAFTED,
    S.IN_REVIEW,
    S.APPROVED,
}

# SPEC section 4, written out by hand so that a typo in WORKFLOW fails here: (from, to, who).
SPEC: dict[str, tuple[set[S], str, set[Party]]] = {
    "submit_proposal": ({S.DRAFT, S.NEGOTIATING}, "proposed", {V}),
    "request_changes": ({S.PROPOSED}, "negotiating", {ST}),
    "accept_proposal": ({S.PROPOSED}, "terms_agreed", {ST}),
    "generate_contract": ({S.TERMS_AGREED}, "contract_drafted", {V, ST}),
    "submit_for_review": ({S.CONTRACT_DRAFTED}, "in_review", {V, ST}),
    "request_revision": ({S.IN_REVIEW}, "negotiating", {R}),
    "approve": ({S.IN_REVIEW}, "approved", {R}),
    "sign": ({S.APPROVED}, "signed", {V, ST}),
    "start_development": ({S.SIGNED}, "in_development", {V}),
    "deliver": ({S.IN_DEVELOPMENT}, "delivered", {V}),
    "reject_delivery": ({S.DELIVERED}, "in_development", {ST}),
    "accept_delivery": ({S.DELIVERED}, "accepted", {ST}),
    "complete": ({S.ACCEPTED}, "completed", {V, ST}),
    "withdraw": (BEFORE_SIGNED, "withdrawn", {V, ST}),
    "terminate": ({S.SIGNED, S.IN_DEVELOPMENT, S.DELIVERED, S.ACCEPTED}, "terminated", {V, ST}),
    "raise_dispute": ({S.IN_DEVELOPMENT, S.DELIVERED}, "disputed", {V, ST}),
    "resolve_dispute": ({S.DISPUTED}, "(previous)", {V, ST}),
}

EVENTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "submit_proposal": ("proposal_submitted", ("mark_revision_submitted",)),
    "request_changes": ("changes_requested", ()),
    "accept_proposal": ("proposal_accepted", ("mark_revision_accepted",)),
    "generate_contract": ("contract_generated", ("create_contract_version",)),
    "submit_for_review": ("contract_submitted_for_review", ("mark_contract_in_review",)),
    "request_revision": ("contract_revision_requested", ("record_review",)),
    "approve": ("contract_approved", ("record_review", "mark_contract_approved")),
    "sign": ("contract_signed", ("record_signature", "create_signature_record")),
    "start_development": ("development_started", ("create_milestones",)),
    "deliver": ("engagement_delivered", ()),
    "reject_delivery": ("delivery_rejected", ()),
    "accept_delivery": ("delivery_accepted", ()),
    "complete": ("engagement_completed", ("finalise_results_register",)),
    "withdraw": ("engagement_withdrawn", ()),
    "terminate": ("engagement_terminated", ("record_unvested_results",)),
    "raise_dispute": ("dispute_raised", ("remember_disputed_from",)),
    "resolve_dispute": ("dispute_resolved", ("clear_disputed_from",)),
}


def _to_label(row: Transition) -> str:
    return row.to.value if row.to is not None else "(previous)"


def test_table_matches_the_spec_row_for_row() -> None:
    assert [row.action for row in WORKFLOW] == list(SPEC)
    for row in WORKFLOW:
        assert (set(row.sources), _to_label(row), set(row.roles)) == SPEC[row.action], row.action
    assert set(GOOD_INPUT) == set(SPEC)


def _id(value: Any) -> str:
    return value.action if isinstance(value, Transition) else str(value)


def _fire(row: Transition, state: S, party: Party, **changes: Any) -> Any:
    snap = snapshot(state, **(READY.get(row.action, {}) | changes))
    return decide(snap, actor(party), row.action, GOOD_INPUT[row.action])


ALLOWED = [(row, source, party) for row in WORKFLOW for source in row.sources for party in sorted(row.roles)]


@pytest.mark.parametrize(("row", "source", "party"), ALLOWED, ids=_id)
def test_every_row_is_allowed_from_each_source_for_each_role(
    row: Transition, source: S, party: Party
) -> None:
    # The other party has signed already, so sign completes; disputes return to in_development.
    decision = _fire(row, source, party, signed_parties=frozenset({V, ST}) - {party})
    expected_to = S.IN_DEVELOPMENT if row.to is None else row.to
    assert decision.from_state is source
    assert decision.to_state is expected_to
    assert (decision.event_type, decision.effect_names) == EVENTS[row.action]
    assert decision.event_payload["from_state"] == source.value
    assert decision.event_payload["to_state"] == expected_to.value
    msgspec.json.encode(decision.event_payload)  # JSON-native, ready for the audit chain


WRONG_STATE = [(row, state) for row in WORKFLOW for state in S if state not in row.sources]


@pytest.mark.parametrize(("row", "state"), WRONG_STATE, ids=_id)
def test_every_row_is_refused_from_other_states(row: Transition, state: S) -> None:
    with pytest.raises(InvalidTransition, match=row.action):
        decide(snapshot(state), actor(V, ST, R), row.action, GOOD_INPUT[row.action])


WRONG_ROLE = [
    (row, source, party)
    for row in WORKFLOW
    for source in row.sources
    for party in Party
    if party not in row.roles
]


@pytest.mark.parametrize(("row", "source", "party"), WRONG_ROLE, ids=_id)
def test_every_row_is_forbidden_to_other_roles(row: Transition, source: S, party: Party) -> None:
    with pytest.raises(Forbidden):
        _fire(row, source, party)


NO_INPUT = ActionInput()
GUARD_FAILURES: list[tuple[str, dict[str, Any], ActionInput, list[str]]] = [
    ("submit_proposal", {"latest_revision": None}, NO_INPUT, ["revision"]),
    ("submit_proposal", {"latest_revision_submitted": True}, NO_INPUT, ["revision"]),
    ("submit_proposal", {"latest_revision_milestone_count": 0}, NO_INPUT, ["milestones"]),
    ("submit_proposal", {"latest_revision_terms_valid": False}, NO_INPUT, ["ip_terms"]),
    (
        "submit_proposal",
        {"latest_revision_milestone_count": 0, "latest_revision_terms_valid": False},
        NO_INPUT,
        ["milestones", "ip_terms"],
    ),
    ("request_changes", {}, NO_INPUT, ["comment"]),
    ("request_changes", {}, ActionInput(comment="  \n"), ["comment"]),
    (
        "request_changes",
        {},
        ActionInput(comment="see clauses", clause_comments=(ClauseComment(clause_id="ip.1", comment=" "),)),
        ["clause_comments.0.comment"],
    ),
    ("accept_proposal", {}, NO_INPUT, ["revision"]),
    ("accept_proposal", {}, ActionInput(revision=1), ["revision"]),
    ("accept_proposal", {"latest_revision_submitted": False}, ActionInput(revision=2), ["revision"]),
    ("generate_contract", {"latest_revision": None}, NO_INPUT, ["revision"]),
    ("submit_for_review", {"has_reviewer": False}, NO_INPUT, ["reviewer_id"]),
    ("submit_for_review", {"latest_contract_sha256": None}, NO_INPUT, ["document_sha256"]),
    ("request_revision", {}, NO_INPUT, ["comment"]),
    (
        "request_revision",
        {},
        ActionInput(comment="x", clause_comments=(ClauseComment(clause_id="", comment="vague"),)),
        ["clause_comments.0.clause_id"],
    ),
    ("approve", {}, NO_INPUT, ["document_sha256"]),
    ("approve", {}, ActionInput(document_sha256=OTHER_SHA), ["document_sha256"]),
    ("approve", {"latest_contract_sha256": None}, ActionInput(document_sha256=SHA), ["document_sha256"]),
    (
        "sign",
        {},
        ActionInput(document_sha256=OTHER_SHA, signer_name="A", signer_title="B"),
        ["document_sha256"],
    ),
    ("sign", {"approved_sha256": None}, GOOD_INPUT["sign"], ["document_sha256"]),
    ("sign", {}, ActionInput(document_sha256=SHA, signer_title="CTO"), ["signer_name"]),
    (
        "sign",
        {"signatories": Signatories(vendor=NAMED, startup=NAMED)},
        ActionInput(document_sha256=SHA, signer_name="Somebody Else"),
        ["signer_name"],
    ),
    ("sign", {}, ActionInput(document_sha256=SHA, signer_name="Ola", signer_title=""), ["signer_title"]),
    ("sign", {}, NO_INPUT, ["document_sha256", "signer_name", "signer_title"]),
    ("deliver", {"milestone_states": ()}, NO_INPUT, ["milestones"]),
    ("deliver", {"milestone_states": ("submitted", "in_progress")}, NO_INPUT, ["milestones"]),
    ("deliver", {"milestone_states": ("rejected",)}, NO_INPUT, ["milestones"]),
    ("reject_delivery", {}, NO_INPUT, ["comment"]),
    ("accept_delivery", {"milestone_states": ()}, NO_INPUT, ["milestones"]),
    ("accept_delivery", {"milestone_states": ("accepted", "submitted")}, NO_INPUT, ["milestones"]),
    ("complete", {"milestone_states": ()}, NO_INPUT, ["milestones"]),
    ("complete", {"milestone_states": ("paid", "accepted")}, NO_INPUT, ["milestones"]),
    *[
        (action, {}, NO_INPUT, ["reason"])
        for action in ("withdraw", "terminate", "raise_dispute", "resolve_dispute")
    ],
    *[
        (action, {}, ActionInput(reason=" "), ["reason"])
        for action in ("withdraw", "terminate", "raise_dispute", "resolve_dispute")
    ],
]
ROWS = {row.action: row for row in WORKFLOW}


def test_every_guarded_row_has_a_failing_case() -> None:
    assert {case[0] for case in GUARD_FAILURES} == {row.action for row in WORKFLOW if row.guards}


@pytest.mark.parametrize(("action", "changes", "data", "fields"), GUARD_FAILURES)
def test_failed_guard_names_the_field(
    action: str, changes: dict[str, Any], data: ActionInput, fields: list[str]
) -> None:
    row = ROWS[action]
    snap = snapshot(row.sources[0], **(READY.get(action, {}) | changes))
    with pytest.raises(RuleViolation) as refused:
        decide(snap, actor(*row.roles), action, data)
    assert [error.field for error in refused.value.errors] == fields


@pytest.mark.parametrize(
    ("action", "milestones"),
    [
        ("deliver", ("submitted", "accepted", "paid")),
        ("accept_delivery", ("accepted", "paid")),
        ("complete", ("paid",)),
    ],
)
def test_milestone_guards_pass_when_every_milestone_is_far_enough(
    action: str, milestones: tuple[str, ...]
) -> None:
    row = ROWS[action]
    decision = decide(
        snapshot(row.sources[0], milestone_states=milestones), actor(*row.roles), action, NO_INPUT
    )
    assert decision.to_state is row.to


# --- check order: 404, 409, 403, 409, 422 -----------------------------------------------------


def test_unknown_action_is_not_found_before_anything_else() -> None:
    with pytest.raises(NotFound, match="unknown action"):
        decide(snapshot(S.COMPLETED), actor(), "to_signed", NO_INPUT)


def test_wrong_state_wins_over_wrong_role() -> None:
    with pytest.raises(InvalidTransition):
        decide(snapshot(S.DRAFT), actor(R), "approve", NO_INPUT)


def test_wrong_role_wins_over_failed_guard() -> None:
    with pytest.raises(Forbidden, match="reviewer"):
        decide(snapshot(S.IN_REVIEW), actor(V), "approve", NO_INPUT)


def test_actor_without_a_party_is_forbidden() -> None:
    with pytest.raises(Forbidden):
        decide(snapshot(S.DRAFT), actor(), "withdraw", GOOD_INPUT["withdraw"])


def test_invalid_transition_is_a_conflict() -> None:
    assert issubclass(InvalidTransition, Conflict)


# --- payloads, sign and disputes ----------------------------------------------------------------


def test_payload_records_inputs_and_snapshot_facts() -> None:
    data = ActionInput(
        comment="Fee too high",
        clause_comments=(ClauseComment(clause_id="fees.2", comment="Cap it"),),
        reason="x",
    )
    decision = decide(snapshot(S.PROPOSED), actor(ST), "request_changes", data)
    assert decision.event_payload == {
        "from_state": "proposed",
        "to_state": "negotiating",
        "revision": 2,
        "comment": "Fee too high",
        "clause_comments": [{"clause_id": "fees.2", "comment": "Cap it"}],
    }
    assert decision.changes_state


def test_submit_proposal_records_the_revision_it_submits() -> None:
    decision = decide(
        snapshot(S.DRAFT, latest_revision_submitted=False), actor(V), "submit_proposal", NO_INPUT
    )
    assert decision.event_payload["revision"] == 2


def test_first_signature_stays_approved_and_records_the_signer() -> None:
    decision = decide(snapshot(S.APPROVED), actor(ST), "sign", GOOD_INPUT["sign"])
    assert decision.to_state is S.APPROVED
    assert not decision.changes_state
    assert decision.event_type == "signature_recorded"
    assert decision.effect_names == ("record_signature",)
    assert decision.event_payload["parties"] == ["startup"]
    assert decision.event_payload["signed_by"] == ["startup"]
    assert decision.event_payload["signer_name"] == "Ona Žemaitytė"


def test_second_signature_moves_to_signed() -> None:
    decision = decide(
        snapshot(S.APPROVED, signed_parties=frozenset({ST})), actor(V), "sign", GOOD_INPUT["sign"]
    )
    assert decision.to_state is S.SIGNED
    assert decision.event_type == "contract_signed"
    assert "create_signature_record" in decision.effect_names
    assert decision.event_payload["signed_by"] == ["vendor", "startup"]


def test_signing_twice_is_a_conflict_even_with_bad_input() -> None:
    with pytest.raises(Conflict, match="already"):
        decide(snapshot(S.APPROVED, signed_parties=frozenset({V})), actor(V), "sign", NO_INPUT)


def test_sign_accepts_uppercase_hash_and_records_the_stored_one() -> None:
    data = ActionInput(document_sha256=SHA.upper(), signer_name="Ola Nordmann", signer_title="Daglig leder")
    decision = decide(snapshot(S.APPROVED), actor(V), "sign", data)
    assert decision.event_payload["document_sha256"] == SHA


def test_approve_is_bound_to_the_latest_contract() -> None:
    decision = decide(snapshot(S.IN_REVIEW), actor(R), "approve", ActionInput(document_sha256=SHA))
    assert decision.event_payload["document_sha256"] == SHA
    with pytest.raises(RuleViolation, match=SHA):  # the message names the hash to approve
        decide(snapshot(S.IN_REVIEW), actor(R), "approve", ActionInput(document_sha256=OTHER_SHA))


@pytest.mark.parametrize("origin", [S.IN_DEVELOPMENT, S.DELIVERED])
def test_dispute_round_trip_returns_to_where_it_came_from(origin: S) -> None:
    raised = decide(snapshot(origin), actor(ST), "raise_dispute", GOOD_INPUT["raise_dispute"])
    assert (raised.to_state, raised.event_payload["from_state"]) == (S.DISPUTED, origin.value)
    resolved = decide(
        snapshot(S.DISPUTED, disputed_from=origin), actor(V), "resolve_dispute", GOOD_INPUT["resolve_dispute"]
    )
    assert resolved.to_state is origin


def test_resolving_a_dispute_without_its_origin_is_a_conflict() -> None:
    with pytest.raises(Conflict, match="return"):
        decide(
            snapshot(S.DISPUTED, disputed_from=None),
            actor(V),
            "resolve_dispute",
            GOOD_INPUT["resolve_dispute"],
        )


def test_disputed_engagement_cannot_be_terminated_directly() -> None:
    with pytest.raises(InvalidTransition):
        decide(snapshot(S.DISPUTED), actor(V), "terminate", GOOD_INPUT["terminate"])


# --- available_actions ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "party", "signed", "expected"),
    [
        (S.DRAFT, V, set(), ["submit_proposal", "withdraw"]),
        (S.DRAFT, ST, set(), ["withdraw"]),
        (S.DRAFT, R, set(), []),
        (S.PROPOSED, ST, set(), ["request_changes", "accept_proposal", "withdraw"]),
        (S.PROPOSED, V, set(), ["withdraw"]),
        (S.TERMS_AGREED, ST, set(), ["generate_contract", "withdraw"]),
        (S.IN_REVIEW, R, set(), ["request_revision", "approve"]),
        (S.IN_REVIEW, V, set(), ["withdraw"]),
        (S.APPROVED, V, set(), ["sign", "withdraw"]),
        (S.APPROVED, V, {V}, ["withdraw"]),
        (S.APPROVED, ST, {V}, ["sign", "withdraw"]),
        (S.SIGNED, V, {V, ST}, ["start_development", "terminate"]),
        (S.SIGNED, ST, {V, ST}, ["terminate"]),
        (S.IN_DEVELOPMENT, V, set(), ["deliver", "terminate", "raise_dispute"]),
        (S.DELIVERED, ST, set(), ["reject_delivery", "accept_delivery", "terminate", "raise_dispute"]),
        (S.ACCEPTED, ST, set(), ["complete", "terminate"]),
        (S.DISPUTED, V, set(), ["resolve_dispute"]),
        (S.DISPUTED, R, set(), []),
        (S.COMPLETED, V, set(), []),
        (S.WITHDRAWN, ST, set(), []),
        (S.TERMINATED, V, set(), []),
    ],
)
def test_available_actions_per_party(state: S, party: Party, signed: set[Party], expected: list[str]) -> None:
    offered = available_actions(snapshot(state, signed_parties=frozenset(signed)), actor(party))
    assert [a.action for a in offered] == expected


@pytest.mark.parametrize("state", list(S))
@pytest.mark.parametrize("party", list(Party))
def test_available_actions_agree_with_decide(state: S, party: Party) -> None:
    snap = snapshot(state)
    offered = {a.action for a in available_actions(snap, actor(party))}
    for row in WORKFLOW:
        try:
            decide(
                snapshot(state, **READY.get(row.action, {})), actor(party), row.action, GOOD_INPUT[row.action]
            )
        except (InvalidTransition, Forbidden):
            assert row.action not in offered
        else:
            assert row.action in offered


def test_an_organisation_playing_both_parties_sees_both_sets() -> None:
    assert [a.action for a in available_actions(snapshot(S.PROPOSED), actor(V, ST))] == [
        "request_changes",
        "accept_proposal",
        "withdraw",
    ]


def test_deliver_is_offered_but_disabled_until_every_milestone_is_submitted() -> None:
    snap = snapshot(S.IN_DEVELOPMENT, milestone_states=("submitted", "in_progress"))
    deliver = available_actions(snap, actor(V))[0]
    assert deliver.action == "deliver"
    assert deliver.enabled is False
    assert deliver.reason == "milestones: 1 of 2 milestones are not yet submitted"
    ready = available_actions(
        snapshot(S.IN_DEVELOPMENT, milestone_states=("submitted", "accepted")), actor(V)
    )
    assert ready[0].enabled is True
    assert ready[0].reason is None


def test_required_input_is_named_and_not_held_against_the_action() -> None:
    """A reason or comment is the caller's to send: the action is enabled and says it needs one."""
    by_name = {
        a.action: a
        for a in available_actions(
            snapshot(S.PROPOSED, latest_revision=2, latest_revision_submitted=True), actor(ST)
        )
    }
    assert by_name["request_changes"].requires == ("comment",)
    assert by_name["accept_proposal"].enabled is True
    assert by_name["accept_proposal"].requires == ("revision",)
    assert by_name["withdraw"].requires == ("reason",)


@pytest.mark.parametrize(
    ("state", "facts", "action", "reason"),
    [
        (
            S.DRAFT,
            {"latest_revision": None},
            "submit_proposal",
            "revision: there is no proposal revision to submit; create one first",
        ),
        (
            S.CONTRACT_DRAFTED,
            {"has_reviewer": False},
            "submit_for_review",
            "reviewer_id: assign a legal reviewer first",
        ),
        (
            S.ACCEPTED,
            {"milestone_states": ("paid", "accepted")},
            "complete",
            "milestones: 1 of 2 milestones are not yet paid",
        ),
    ],
)
def test_guard_reasons_come_from_the_guards(
    state: S, facts: dict[str, object], action: str, reason: str
) -> None:
    offered = {a.action: a for a in available_actions(snapshot(state, **facts), actor(V))}  # type: ignore[arg-type]
    assert offered[action].enabled is False
    assert offered[action].reason == reason


VARIANTS = (
    {},
    {"latest_revision_submitted": False},
    {"has_reviewer": False},
    {"milestone_states": ("submitted", "in_progress")},
    {"milestone_states": ()},
    {"latest_revision": None},
)


@pytest.mark.parametrize("state", list(S))
@pytest.mark.parametrize("party", list(Party))
@pytest.mark.parametrize("facts", VARIANTS)
def test_enabled_means_decide_accepts_the_required_input(
    state: S, party: Party, facts: dict[str, object]
) -> None:
    """Enabled exactly when firing the action with its required fields is decided, not refused."""
    snap = snapshot(state, **facts)  # type: ignore[arg-type]
    for offered in available_actions(snap, actor(party)):
        if offered.enabled:
            decide(snap, actor(party), offered.action, GOOD_INPUT[offered.action])
            continue
        with pytest.raises(RuleViolation) as refused:
            decide(snap, actor(party), offered.action, GOOD_INPUT[offered.action])
        assert offered.reason == "; ".join(f"{e.field}: {e.message}" for e in refused.value.errors)


# --- describe_workflow ----------------------------------------------------------------------------


def test_describe_workflow_lists_states_and_actions_from_the_table() -> None:
    described = describe_workflow()
    assert described["states"] == [state.value for state in S]
    assert len(described["states"]) == 15
    actions = {a["action"]: a for a in described["actions"]}
    assert list(actions) == list(SPEC)
    for name, (sources, to, roles) in SPEC.items():
        assert set(actions[name]["from"]) == {s.value for s in sources}
        assert actions[name]["to"] == to
        assert set(actions[name]["roles"]) == {r.value for r in roles}
    msgspec.json.encode(described)


def test_mermaid_draws_every_state_and_edge() -> None:
    mermaid = describe_workflow()["mermaid"]
    assert mermaid.startswith("stateDiagram-v2\n")
    lines = mermaid.splitlines()
    for state in S:
        assert any(state.value in line.split() for line in lines[1:]), state
    for row in WORKFLOW:
        targets = [S.IN_DEVELOPMENT, S.DELIVERED] if row.to is None else [row.to]
        for source in row.sources:
            for target in targets:
                assert any(
                    line.strip().startswith(f"{source.value} --> {target.value} : {row.action}")
                    for line in lines
                )
    assert "    approved --> approved : sign (vendor, startup) until both have signed" in lines
    assert "    [*] --> draft" in lines
    assert "    completed --> [*]" in lines
