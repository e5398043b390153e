"""The engagement workflow of SPEC section 4: one declarative table and a pure decision over it.

``WORKFLOW`` is the only place the workflow is written down; the ``transitions`` machine,
``available_actions`` and ``describe_workflow`` are all derived from it. ``decide`` builds a fresh
machine per call (cheap, and never shared between requests) and refuses in a fixed order, because
each refusal maps to its own HTTP status:

1. unknown action                              -> ``NotFound``          (404)
2. action not allowed from the current state   -> ``InvalidTransition`` (409)
3. none of the actor's parties may fire it     -> ``Forbidden``         (403)
4. the party has already done it (``sign``)    -> ``Conflict``          (409)
5. a guard fails                               -> ``RuleViolation``     (422, every error names its field)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec

from workflows.errors import Conflict, FieldError, Forbidden, InvalidTransition, NotFound, RuleViolation
from workflows.machines import MachineModel, build_machine, party_names
from workflows.states import CONTRACTING_PARTIES, FINAL_STATES, EngagementState, Party

S = EngagementState
VENDOR, STARTUP, REVIEWER = Party.VENDOR, Party.STARTUP, Party.REVIEWER
BOTH = CONTRACTING_PARTIES


class Actor(msgspec.Struct, frozen=True, kw_only=True):
    """Who fires an action: the parties its organisation plays in this engagement (normally one)."""

    parties: frozenset[Party]
    organisation_id: str
    key_id: str

    def audit(self) -> dict[str, str]:
        """The actor as the audit event records it."""
        return {"organisation_id": self.organisation_id, "key_id": self.key_id}


class ClauseComment(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    clause_id: str
    comment: str


class ActionInput(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The body of ``POST /engagements/{id}/actions/{action}``; which fields matter depends on the action."""

    comment: str | None = None
    reason: str | None = None
    revision: int | None = None
    document_sha256: str | None = None
    signer_name: str | None = None
    signer_title: str | None = None
    clause_comments: tuple[ClauseComment, ...] | None = None


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
    # Milestone states of the signed revision; empty means none exist (milestone guards then fail).
    milestone_states: tuple[str, ...] = ()
    disputed_from: EngagementState | None = None


class Decision(msgspec.Struct, frozen=True, kw_only=True):
    """What the shell must apply, in one transaction with the audit event it describes."""

    action: str
    from_state: EngagementState
    to_state: EngagementState
    event_type: str
    event_payload: dict[str, Any]
    effects: tuple[str, ...]

    @property
    def changes_state(self) -> bool:
        return self.to_state is not self.from_state


@dataclass(frozen=True, slots=True)
class _Context:
    """Passed to the machine's conditions and to payload builders."""

    snapshot: EngagementSnapshot
    acting: frozenset[Party]  # the actor's parties that this action is fired for
    signed_after: frozenset[Party]


Guard = Callable[[EngagementSnapshot, ActionInput], list[FieldError]]
Condition = Callable[[_Context], bool]
PayloadPart = Callable[[_Context], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Stay:
    """An action that may leave the engagement where it is: it moves only once ``until`` holds."""

    until: Condition
    event_type: str  # recorded instead of the row's when it stays
    effects: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Transition:
    """One row of the workflow table."""

    action: str
    sources: tuple[EngagementState, ...]
    to: EngagementState | None  # None: back to the state the dispute was raised from
    roles: frozenset[Party]
    event_type: str
    guards: tuple[Guard, ...] = ()
    records: tuple[str, ...] = ()  # ActionInput fields copied into the audit payload when given
    context: PayloadPart | None = None  # snapshot facts the audit payload records
    effects: tuple[str, ...] = ()
    stay: Stay | None = None
    one_per_party: bool = False  # each party signs once; tracked in snapshot.signed_parties


# --- guards: each returns every FieldError it finds, so one response lists them all -------------


def _given(value: str | None) -> bool:
    return value is not None and value.strip() != ""


def _required(field: str) -> Guard:
    def guard(_: EngagementSnapshot, data: ActionInput) -> list[FieldError]:
        return [] if _given(getattr(data, field)) else [FieldError(field, "is required")]

    return guard


def _clause_comments(_: EngagementSnapshot, data: ActionInput) -> list[FieldError]:
    errors = []
    for i, item in enumerate(data.clause_comments or ()):
        errors += [
            FieldError(f"clause_comments.{i}.{name}", "must not be empty")
            for name in ("clause_id", "comment")
            if not _given(getattr(item, name))
        ]
    return errors


def _submittable_revision(s: EngagementSnapshot, _: ActionInput) -> list[FieldError]:
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


def _latest_submitted_revision(s: EngagementSnapshot, data: ActionInput) -> list[FieldError]:
    if data.revision is None:
        return [FieldError("revision", "is required: the revision number being accepted")]
    if data.revision != s.latest_revision:
        return [FieldError("revision", f"is not the latest revision ({s.latest_revision})")]
    if not s.latest_revision_submitted:
        return [FieldError("revision", "has not been submitted")]
    return []


def _accepted_revision(s: EngagementSnapshot, _: ActionInput) -> list[FieldError]:
    return [] if s.latest_revision is not None else [FieldError("revision", "no accepted proposal revision")]


def _reviewer_assigned(s: EngagementSnapshot, _: ActionInput) -> list[FieldError]:
    return [] if s.has_reviewer else [FieldError("reviewer_id", "assign a legal reviewer first")]


def _contract_exists(s: EngagementSnapshot, _: ActionInput) -> list[FieldError]:
    ok = s.latest_contract_sha256 is not None
    return [] if ok else [FieldError("document_sha256", "no contract version exists")]


def _same_document(given: str | None, expected: str | None, what: str) -> list[FieldError]:
    if not _given(given):
        return [FieldError("document_sha256", "is required")]
    if expected is None:
        return [FieldError("document_sha256", f"there is no {what}")]
    # Hex is case-insensitive; the stored form is lowercase.
    if given is None or given.strip().lower() != expected.lower():
        return [FieldError("document_sha256", f"does not match the {what} ({expected})")]
    return []


def _matches_latest_contract(s: EngagementSnapshot, data: ActionInput) -> list[FieldError]:
    return _same_document(data.document_sha256, s.latest_contract_sha256, "latest contract version")


def _matches_approved_contract(s: EngagementSnapshot, data: ActionInput) -> list[FieldError]:
    return _same_document(data.document_sha256, s.approved_sha256, "approved contract version")


def _every_milestone(allowed: frozenset[str], wording: str) -> Guard:
    def guard(s: EngagementSnapshot, _: ActionInput) -> list[FieldError]:
        # No milestones must never pass vacuously.
        if not s.milestone_states:
            return [FieldError("milestones", "the engagement has no milestones yet")]
        behind = sum(1 for m in s.milestone_states if m not in allowed)
        if behind:
            total = len(s.milestone_states)
            return [FieldError("milestones", f"{behind} of {total} milestones are not yet {wording}")]
        return []

    return guard


# --- conditions and payload parts -------------------------------------------------------------


def _all_signed(ctx: _Context) -> bool:
    return ctx.signed_after >= CONTRACTING_PARTIES


def _came_from(state: EngagementState) -> Condition:
    return lambda ctx: ctx.snapshot.disputed_from is state


def _revision(ctx: _Context) -> dict[str, Any]:
    return {"revision": ctx.snapshot.latest_revision}


def _contract(ctx: _Context) -> dict[str, Any]:
    return {"document_sha256": ctx.snapshot.latest_contract_sha256}


def _approved_contract_signers(ctx: _Context) -> dict[str, Any]:
    # The stored hash, not the caller's spelling of it (the guard checked they are equal).
    return {"document_sha256": ctx.snapshot.approved_sha256, **_signers(ctx)}


def _signers(ctx: _Context) -> dict[str, Any]:
    return {"parties": party_names(ctx.acting), "signed_by": party_names(ctx.signed_after)}


_SUBMITTED_OR_LATER = frozenset({"submitted", "accepted", "paid"})
_ACCEPTED_OR_PAID = frozenset({"accepted", "paid"})
_BEFORE_SIGNED = (
    S.DRAFT,
    S.PROPOSED,
    S.NEGOTIATING,
    S.TERMS_AGREED,
    S.CONTRACT_DRAFTED,
    S.IN_REVIEW,
    S.APPROVED,
)
_reason = _required("reason")
_comment = _required("comment")

WORKFLOW: tuple[Transition, ...] = (
    Transition(
        "submit_proposal", (S.DRAFT, S.NEGOTIATING), S.PROPOSED, frozenset({VENDOR}), "proposal_submitted",
        guards=(_submittable_revision,), context=_revision, effects=("mark_revision_submitted",),
    ),
    Transition(
        "request_changes", (S.PROPOSED,), S.NEGOTIATING, frozenset({STARTUP}), "changes_requested",
        guards=(_comment, _clause_comments), records=("comment", "clause_comments"), context=_revision,
    ),
    Transition(
        "accept_proposal", (S.PROPOSED,), S.TERMS_AGREED, frozenset({STARTUP}), "proposal_accepted",
        guards=(_latest_submitted_revision,), records=("revision", "comment"),
        effects=("mark_revision_accepted",),
    ),
    Transition(
        "generate_contract", (S.TERMS_AGREED,), S.CONTRACT_DRAFTED, BOTH, "contract_generated",
        guards=(_accepted_revision,), context=_revision, effects=("create_contract_version",),
    ),
    Transition(
        "submit_for_review", (S.CONTRACT_DRAFTED,), S.IN_REVIEW, BOTH, "contract_submitted_for_review",
        guards=(_reviewer_assigned, _contract_exists), records=("comment",), context=_contract,
        effects=("mark_contract_in_review",),
    ),
    Transition(
        "request_revision", (S.IN_REVIEW,), S.NEGOTIATING, frozenset({REVIEWER}),
        "contract_revision_requested",
        guards=(_comment, _clause_comments), records=("comment", "clause_comments"), context=_contract,
        effects=("record_review",),
    ),
    Transition(
        "approve", (S.IN_REVIEW,), S.APPROVED, frozenset({REVIEWER}), "contract_approved",
        guards=(_matches_latest_contract, _clause_comments), records=("comment", "clause_comments"),
        context=_contract,
        effects=("record_review", "mark_contract_approved"),
    ),
    Transition(
        "sign", (S.APPROVED,), S.SIGNED, BOTH, "contract_signed",
        guards=(_matches_approved_contract, _required("signer_name"), _required("signer_title")),
        records=("signer_name", "signer_title"), context=_approved_contract_signers,
        effects=("record_signature", "create_signature_record"),
        stay=Stay(until=_all_signed, event_type="signature_recorded", effects=("record_signature",)),
        one_per_party=True,
    ),
    Transition(
        "start_development", (S.SIGNED,), S.IN_DEVELOPMENT, frozenset({VENDOR}), "development_started",
        effects=("create_milestones",),
    ),
    Transition(
        "deliver", (S.IN_DEVELOPMENT,), S.DELIVERED, frozenset({VENDOR}), "engagement_delivered",
        guards=(_every_milestone(_SUBMITTED_OR_LATER, "submitted"),), records=("comment",),
    ),
    Transition(
        "reject_delivery", (S.DELIVERED,), S.IN_DEVELOPMENT, frozenset({STARTUP}), "delivery_rejected",
        guards=(_comment,), records=("comment",),
    ),
    Transition(
        "accept_delivery", (S.DELIVERED,), S.ACCEPTED, frozenset({STARTUP}), "delivery_accepted",
        guards=(_every_milestone(_ACCEPTED_OR_PAID, "accepted"),), records=("comment",),
    ),
    Transition(
        "complete", (S.ACCEPTED,), S.COMPLETED, BOTH, "engagement_completed",
        guards=(_every_milestone(frozenset({"paid"}), "paid"),), records=("comment",),
        effects=("finalise_results_register",),
    ),
    Transition(
        "withdraw", _BEFORE_SIGNED, S.WITHDRAWN, BOTH, "engagement_withdrawn",
        guards=(_reason,), records=("reason",),
    ),
    Transition(
        "terminate", (S.SIGNED, S.IN_DEVELOPMENT, S.DELIVERED, S.ACCEPTED), S.TERMINATED, BOTH,
        "engagement_terminated", guards=(_reason,), records=("reason",),
        effects=("record_unvested_results",),
    ),
    Transition(
        "raise_dispute", (S.IN_DEVELOPMENT, S.DELIVERED), S.DISPUTED, BOTH, "dispute_raised",
        guards=(_reason,), records=("reason",), effects=("remember_disputed_from",),
    ),
    Transition(
        "resolve_dispute", (S.DISPUTED,), None, BOTH, "dispute_resolved",
        guards=(_reason,), records=("reason",), effects=("clear_disputed_from",),
    ),
)  # fmt: skip

_ROWS: dict[str, Transition] = {row.action: row for row in WORKFLOW}
if len(_ROWS) != len(WORKFLOW):
    raise RuntimeError("WORKFLOW names an action twice")

#: Where resolve_dispute may return to: wherever a dispute may be raised from.
_DISPUTABLE: tuple[EngagementState, ...] = tuple(
    source for row in WORKFLOW if row.to is S.DISPUTED for source in row.sources
)


def _machine_transitions() -> tuple[dict[str, Any], ...]:
    """Translate the table into ``transitions`` specs; conditional rows become ordered branches."""
    specs: list[dict[str, Any]] = []
    for row in WORKFLOW:
        for source in row.sources:
            base = {"trigger": row.action, "source": source}
            if row.to is None:
                specs += [{**base, "dest": back, "conditions": [_came_from(back)]} for back in _DISPUTABLE]
            elif row.stay is not None:
                # Branches are tried in order: move when the condition holds, otherwise stay.
                specs += [{**base, "dest": row.to, "conditions": [row.stay.until]}, {**base, "dest": source}]
            else:
                specs.append({**base, "dest": row.to})
    return tuple(specs)


_MACHINE_TRANSITIONS = _machine_transitions()


def _machine(state: EngagementState) -> tuple[Any, MachineModel]:
    return build_machine(EngagementState, state, _MACHINE_TRANSITIONS)


def _roles_text(roles: frozenset[Party]) -> str:
    return " or ".join(party_names(roles))


def decide(snapshot: EngagementSnapshot, actor: Actor, action: str, data: ActionInput) -> Decision:
    """Decide what ``action`` by ``actor`` does to the engagement, or raise a typed refusal."""
    machine, model = _machine(snapshot.state)
    if action not in machine.events:
        raise NotFound(f"unknown action {action!r}")
    if action not in machine.get_triggers(snapshot.state):
        raise InvalidTransition(f"{action} is not allowed while the engagement is {snapshot.state.value}")
    row = _ROWS[action]
    acting = actor.parties & row.roles
    if not acting:
        raise Forbidden(f"only the {_roles_text(row.roles)} may {action}")
    signed_after = snapshot.signed_parties
    if row.one_per_party:
        acting -= snapshot.signed_parties
        if not acting:
            raise Conflict(f"the {_roles_text(actor.parties & row.roles)} has already signed")
        signed_after |= acting
    errors = [error for guard in row.guards for error in guard(snapshot, data)]
    if errors:
        raise RuleViolation(errors)

    ctx = _Context(snapshot=snapshot, acting=acting, signed_after=signed_after)
    if not machine.events[action].trigger(model, ctx):
        # Only resolve_dispute can get here: the snapshot lost the state the dispute came from.
        raise Conflict(f"{action}: the engagement has no recorded state to return to")
    to_state = EngagementState(model.state)
    stay = row.stay if row.stay is not None and to_state is snapshot.state else None
    payload: dict[str, Any] = {"from_state": snapshot.state.value, "to_state": to_state.value}
    if row.context is not None:
        payload.update(row.context(ctx))
    for field in row.records:
        value = getattr(data, field)
        if value is not None:
            # Through JSON and back: only JSON-native values (lists, not tuples) reach the audit chain.
            payload[field] = msgspec.json.decode(msgspec.json.encode(value))
    return Decision(
        action=action,
        from_state=snapshot.state,
        to_state=to_state,
        event_type=stay.event_type if stay else row.event_type,
        event_payload=payload,
        effects=stay.effects if stay else row.effects,
    )


def available_actions(snapshot: EngagementSnapshot, actor: Actor) -> list[str]:
    """Actions the actor's parties may fire from the current state, in table order (guards not run).

    ``sign`` is left out for a party that has already signed: firing it could only conflict.
    """
    actions = []
    for row in WORKFLOW:
        acting = actor.parties & row.roles
        if row.one_per_party:
            acting -= snapshot.signed_parties
        if snapshot.state in row.sources and acting:
            actions.append(row.action)
    return actions


_PREVIOUS = "(previous)"


def _mermaid() -> str:
    lines = ["stateDiagram-v2", f"    [*] --> {S.DRAFT.value}"]
    seen: set[tuple[str, str, str]] = set()
    for spec in _MACHINE_TRANSITIONS:
        edge = (spec["source"].value, spec["dest"].value, spec["trigger"])
        if edge not in seen:
            seen.add(edge)
            row = _ROWS[edge[2]]
            roles = ", ".join(party_names(row.roles))
            note = " until both have signed" if row.stay is not None and edge[0] == edge[1] else ""
            lines.append(f"    {edge[0]} --> {edge[1]} : {row.action} ({roles}){note}")
    lines += [f"    {state.value} --> [*]" for state in S if state in FINAL_STATES]
    return "\n".join(lines) + "\n"


def describe_workflow() -> dict[str, Any]:
    """The workflow for ``GET /workflow``: states, actions with roles, and a Mermaid diagram."""
    return {
        "states": [state.value for state in S],
        "actions": [
            {
                "action": row.action,
                "from": [source.value for source in row.sources],
                "to": row.to.value if row.to is not None else _PREVIOUS,
                "roles": party_names(row.roles),
            }
            for row in WORKFLOW
        ],
        "mermaid": _mermaid(),
    }
