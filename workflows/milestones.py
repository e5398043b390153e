"""The milestone workflow of SPEC section 3: one declarative table and a pure decision over it.

``MILESTONE_WORKFLOW`` is the only place the workflow is written down; the ``transitions`` machine,
``available_milestone_actions`` and ``describe_milestone_workflow`` are all derived from it, as for
the engagement (``workflows.engagement``). ``decide_milestone`` builds a fresh machine per call and
refuses in a fixed order, because each refusal maps to its own HTTP status:

1. unknown action                                   -> ``NotFound``          (404)
2. the engagement's state does not allow the action -> ``InvalidTransition`` (409)
3. the milestone's state does not allow the action  -> ``InvalidTransition`` (409)
4. none of the actor's parties may fire it          -> ``Forbidden``         (403)
5. a guard fails                                    -> ``RuleViolation``     (422, every error names its field)

Deemed acceptance is not an action anyone fires: ``deemed_acceptance`` says whether the acceptance
period has run out, and the shell applies its decision (actor "system") whenever it next reads or
acts on the milestone, before anything else.

Nothing here reads a clock: ``now`` is a parameter, and must be timezone-aware like the stored
``submitted_at``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

import msgspec

from workflows.errors import FieldError, Forbidden, InvalidTransition, NotFound, RuleViolation
from workflows.machines import MachineModel, build_machine, party_names
from workflows.states import EngagementState, Party
from workflows.terms import amount_errors


class MilestoneState(StrEnum):
    """Every state a milestone can be in; ``str`` so values encode as JSON strings."""

    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    PAID = "paid"


M = MilestoneState
E = EngagementState
VENDOR, STARTUP = Party.VENDOR, Party.STARTUP

#: The ownership model under which the results of a milestone vest only once it is paid.
_VESTS_ON_PAYMENT = frozenset({"client_owns"})


def vests_on(model: str) -> MilestoneState:
    """The milestone state in which its results vest: ``paid`` for client_owns, ``accepted`` otherwise.

    (Re-exported by ``workflows.results``; defined here because the machine needs it.)
    """
    return M.PAID if model in _VESTS_ON_PAYMENT else M.ACCEPTED


def has_vested(model: str, state: MilestoneState | str) -> bool:
    """Whether a milestone in ``state`` has vested its results under ``model`` (paid implies accepted)."""
    return state == M.PAID or state == vests_on(model)


class MilestoneActionInput(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The body of ``POST .../milestones/{key}/actions/{action}``; which fields matter depends on it."""

    reason: str | None = None
    amount: Decimal | None = None
    paid_on: date | None = None
    reference: str | None = None


class MilestoneSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    """What the guards need to know about one milestone, loaded by the shell under a row lock."""

    key: str
    state: MilestoneState
    fee: Decimal
    acceptance_days: int
    engagement_state: str  # an EngagementState value
    model: str  # the agreed IP model ("client_owns", ...): decides when results vest
    submitted_at: datetime | None = None  # when it was last submitted (timezone-aware)
    paid_total: Decimal = Decimal(0)
    delivery_count_since_start: int = 0  # deliveries made since it was last started
    # Component names of the latest delivery that need the start-up's written approval.
    pending_approvals: tuple[str, ...] = ()
    latest_delivery_checksum: str | None = None  # recorded in the acceptance event when known

    @property
    def acceptance_deadline(self) -> datetime | None:
        """When the milestone is deemed accepted if the start-up has not decided: None unless submitted."""
        if self.submitted_at is None:
            return None
        return self.submitted_at + timedelta(days=self.acceptance_days)


class MilestoneDecision(msgspec.Struct, frozen=True, kw_only=True):
    """What the shell must apply, in one transaction with the audit event it describes."""

    action: str
    from_state: MilestoneState
    to_state: MilestoneState
    event_type: str
    event_payload: dict[str, Any]
    effects: tuple[str, ...]

    @property
    def changes_state(self) -> bool:
        return self.to_state is not self.from_state

    @property
    def vests_results(self) -> bool:
        return VEST_RESULTS in self.effects


#: Effect names the shell acts on.
RESET_DELIVERY_COUNT = "reset_delivery_count"  # start: deliveries before this start no longer count
RECORD_SUBMISSION = "record_submission"  # submit: submitted_at = now (starts the acceptance period)
RECORD_APPROVALS = "record_approvals"  # accept: the listed components are approved in writing
RECORD_PAYMENT = "record_payment"  # record_payment: store amount, paid_on, reference; paid_total += amount
VEST_RESULTS = "vest_results"  # write the results register entries for this milestone

#: The action name of the system's deemed acceptance (never fired through ``decide_milestone``).
DEEMED_ACCEPTANCE = "deemed_acceptance"


@dataclass(frozen=True, slots=True)
class _Context:
    """Passed to the machine's conditions."""

    snapshot: MilestoneSnapshot
    data: MilestoneActionInput


Guard = Callable[[MilestoneSnapshot, MilestoneActionInput, datetime], list[FieldError]]
Condition = Callable[[_Context], bool]
PayloadPart = Callable[[MilestoneSnapshot, MilestoneActionInput, datetime], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class MilestoneStay:
    """An action that may leave the milestone where it is: it moves only once ``until`` holds."""

    until: Condition
    event_type: str  # recorded instead of the row's when it stays
    note: str  # for the diagram


@dataclass(frozen=True, slots=True)
class MilestoneTransition:
    """One row of the milestone table."""

    action: str
    sources: tuple[MilestoneState, ...]
    to: MilestoneState
    roles: frozenset[Party]
    engagement_states: tuple[EngagementState, ...]  # where the engagement must be
    event_type: str
    guards: tuple[Guard, ...] = ()
    records: tuple[str, ...] = ()  # MilestoneActionInput fields copied into the audit payload when given
    context: PayloadPart | None = None  # facts the audit payload records
    effects: tuple[str, ...] = ()
    stay: MilestoneStay | None = None


# --- guards: each returns every FieldError it finds ---------------------------------------------


def _given(value: str | None) -> bool:
    return value is not None and value.strip() != ""


def _required(field: str) -> Guard:
    def guard(_: MilestoneSnapshot, data: MilestoneActionInput, __: datetime) -> list[FieldError]:
        return [] if _given(getattr(data, field)) else [FieldError(field, "is required")]

    return guard


def _delivered_since_start(s: MilestoneSnapshot, _: MilestoneActionInput, __: datetime) -> list[FieldError]:
    if s.delivery_count_since_start >= 1:
        return []
    return [FieldError("deliveries", f"deliver milestone {s.key} at least once before submitting it")]


def _past_deadline(s: MilestoneSnapshot, now: datetime) -> datetime | None:
    deadline = s.acceptance_deadline
    return deadline if deadline is not None and now >= deadline else None


def _within_acceptance_period(
    s: MilestoneSnapshot, _: MilestoneActionInput, now: datetime
) -> list[FieldError]:
    deadline = _past_deadline(s, now)
    if deadline is None:
        return []
    return [
        FieldError(
            "milestone",
            f"the acceptance period of milestone {s.key} ended at {deadline.isoformat()}; "
            "it was deemed accepted",
        )
    ]


def _payment(s: MilestoneSnapshot, data: MilestoneActionInput, _: datetime) -> list[FieldError]:
    errors: list[FieldError] = []
    if data.amount is None:
        errors.append(FieldError("amount", "is required"))
    else:
        errors += amount_errors(data.amount, "amount")
        outstanding = s.fee - s.paid_total
        if not errors and data.amount > outstanding:
            errors.append(
                FieldError(
                    "amount",
                    f"exceeds what is outstanding on milestone {s.key} ({_money(outstanding)} "
                    f"of a fee of {_money(s.fee)})",
                )
            )
    if data.paid_on is None:
        errors.append(FieldError("paid_on", "is required"))
    if not _given(data.reference):
        errors.append(FieldError("reference", "is required"))
    return errors


# --- conditions and payload parts -----------------------------------------------------------------


def _covers_fee(ctx: _Context) -> bool:
    amount = ctx.data.amount if ctx.data.amount is not None else Decimal(0)
    return ctx.snapshot.paid_total + amount >= ctx.snapshot.fee


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _submission(s: MilestoneSnapshot, _: MilestoneActionInput, now: datetime) -> dict[str, Any]:
    deadline = now + timedelta(days=s.acceptance_days)
    return {"submitted_at": now.isoformat(), "acceptance_deadline": deadline.isoformat()}


def _acceptance(s: MilestoneSnapshot, _: MilestoneActionInput, __: datetime) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if s.latest_delivery_checksum is not None:
        out["delivery_checksum"] = s.latest_delivery_checksum
    if s.pending_approvals:
        out["approved_components"] = list(s.pending_approvals)
    return out


def _payment_totals(s: MilestoneSnapshot, data: MilestoneActionInput, __: datetime) -> dict[str, Any]:
    paid = s.paid_total + (data.amount or Decimal(0))
    return {"fee": _money(s.fee), "paid_total": _money(paid), "outstanding": _money(s.fee - paid)}


_ACTIVE = (E.IN_DEVELOPMENT, E.DELIVERED)

MILESTONE_WORKFLOW: tuple[MilestoneTransition, ...] = (
    MilestoneTransition(
        "start", (M.PLANNED, M.REJECTED), M.IN_PROGRESS, frozenset({VENDOR}), _ACTIVE, "milestone_started",
        effects=(RESET_DELIVERY_COUNT,),
    ),
    MilestoneTransition(
        "submit", (M.IN_PROGRESS,), M.SUBMITTED, frozenset({VENDOR}), _ACTIVE, "milestone_submitted",
        guards=(_delivered_since_start,), context=_submission, effects=(RECORD_SUBMISSION,),
    ),
    MilestoneTransition(
        "accept", (M.SUBMITTED,), M.ACCEPTED, frozenset({STARTUP}), _ACTIVE, "milestone_accepted",
        guards=(_within_acceptance_period,), context=_acceptance,
    ),
    MilestoneTransition(
        "reject", (M.SUBMITTED,), M.REJECTED, frozenset({STARTUP}), _ACTIVE, "milestone_rejected",
        guards=(_within_acceptance_period, _required("reason")), records=("reason",),
    ),
    MilestoneTransition(
        "record_payment", (M.ACCEPTED,), M.PAID, frozenset({STARTUP}), (*_ACTIVE, E.ACCEPTED),
        "milestone_paid",
        guards=(_payment,), records=("amount", "paid_on", "reference"), context=_payment_totals,
        effects=(RECORD_PAYMENT,),
        stay=MilestoneStay(until=_covers_fee, event_type="payment_recorded", note="until the fee is paid"),
    ),
)  # fmt: skip

_ROWS: dict[str, MilestoneTransition] = {row.action: row for row in MILESTONE_WORKFLOW}
if len(_ROWS) != len(MILESTONE_WORKFLOW) or DEEMED_ACCEPTANCE in _ROWS:
    raise RuntimeError("MILESTONE_WORKFLOW names an action twice")


def _machine_transitions() -> tuple[dict[str, Any], ...]:
    specs: list[dict[str, Any]] = []
    for row in MILESTONE_WORKFLOW:
        for source in row.sources:
            base = {"trigger": row.action, "source": source}
            if row.stay is not None:
                # Branches are tried in order: move when the condition holds, otherwise stay.
                specs += [{**base, "dest": row.to, "conditions": [row.stay.until]}, {**base, "dest": source}]
            else:
                specs.append({**base, "dest": row.to})
    return tuple(specs)


_MACHINE_TRANSITIONS = _machine_transitions()


def _machine(state: MilestoneState) -> tuple[Any, MachineModel]:
    return build_machine(MilestoneState, state, _MACHINE_TRANSITIONS)


def _effects(
    base: tuple[str, ...], model: str, from_state: MilestoneState, to_state: MilestoneState
) -> tuple[str, ...]:
    vests = to_state is not from_state and to_state is vests_on(model)
    return (*base, VEST_RESULTS) if vests else base


def _json(value: Any) -> Any:
    """Through JSON and back: only JSON-native values (Decimals and dates as strings) reach the audit chain."""
    return msgspec.json.decode(msgspec.json.encode(value))


def decide_milestone(
    snapshot: MilestoneSnapshot,
    parties: frozenset[Party],
    action: str,
    data: MilestoneActionInput,
    now: datetime,
) -> MilestoneDecision:
    """Decide what ``action`` by an actor playing ``parties`` does to the milestone, or raise a refusal."""
    state = MilestoneState(snapshot.state)  # the shell may pass the stored string
    machine, model = _machine(state)
    if action not in machine.events:
        raise NotFound(f"unknown milestone action {action!r}")
    row = _ROWS[action]
    if snapshot.engagement_state not in row.engagement_states:
        raise InvalidTransition(
            f"{action} is not allowed on a milestone while the engagement is {snapshot.engagement_state}"
        )
    if action not in machine.get_triggers(state):
        raise InvalidTransition(f"{action} is not allowed while milestone {snapshot.key} is {state.value}")
    if not parties & row.roles:
        raise Forbidden(f"only the {' or '.join(party_names(row.roles))} may {action} a milestone")
    errors = [error for guard in row.guards for error in guard(snapshot, data, now)]
    if errors:
        raise RuleViolation(errors)

    machine.events[action].trigger(model, _Context(snapshot=snapshot, data=data))
    to_state = MilestoneState(model.state)
    stay = row.stay if row.stay is not None and to_state is state else None
    payload: dict[str, Any] = {
        "milestone": snapshot.key,
        "from_state": state.value,
        "to_state": to_state.value,
    }
    for field in row.records:
        value = getattr(data, field)
        if value is not None:
            payload[field] = _money(value) if isinstance(value, Decimal) else _json(value)
    if row.context is not None:
        payload.update(row.context(snapshot, data, now))
    effects = row.effects
    if action == "accept" and snapshot.pending_approvals:
        effects = (*effects, RECORD_APPROVALS)
    return MilestoneDecision(
        action=action,
        from_state=state,
        to_state=to_state,
        event_type=stay.event_type if stay else row.event_type,
        event_payload=payload,
        effects=_effects(effects, snapshot.model, state, to_state),
    )


def deemed_acceptance(snapshot: MilestoneSnapshot, now: datetime) -> MilestoneDecision | None:
    """The system's acceptance of a submitted milestone whose acceptance period has run out, else None.

    Only while the engagement is where the start-up could still accept (``in_development`` or
    ``delivered``): a dispute holds the clock, and nothing happens in a final state. Components
    awaiting written approval are not approved by silence: the payload lists them as unapproved.
    """
    if snapshot.state != M.SUBMITTED or snapshot.engagement_state not in _ROWS["accept"].engagement_states:
        return None
    deadline = _past_deadline(snapshot, now)
    if deadline is None:
        return None
    payload: dict[str, Any] = {
        "milestone": snapshot.key,
        "from_state": M.SUBMITTED.value,
        "to_state": M.ACCEPTED.value,
        "deemed": True,
        "acceptance_days": snapshot.acceptance_days,
        "acceptance_deadline": deadline.isoformat(),
    }
    if snapshot.latest_delivery_checksum is not None:
        payload["delivery_checksum"] = snapshot.latest_delivery_checksum
    if snapshot.pending_approvals:
        payload["unapproved_components"] = list(snapshot.pending_approvals)
    return MilestoneDecision(
        action=DEEMED_ACCEPTANCE,
        from_state=M.SUBMITTED,
        to_state=M.ACCEPTED,
        event_type="milestone_deemed_accepted",
        event_payload=payload,
        effects=_effects((), snapshot.model, M.SUBMITTED, M.ACCEPTED),
    )


def available_milestone_actions(snapshot: MilestoneSnapshot, parties: frozenset[Party]) -> list[str]:
    """Actions the parties may fire on the milestone now, in table order (guards not run)."""
    return [
        row.action
        for row in MILESTONE_WORKFLOW
        if snapshot.engagement_state in row.engagement_states
        and snapshot.state in row.sources
        and parties & row.roles
    ]


def _mermaid() -> str:
    lines = ["stateDiagram-v2", f"    [*] --> {M.PLANNED.value}"]
    seen: set[tuple[str, str, str]] = set()
    for spec in _MACHINE_TRANSITIONS:
        edge = (spec["source"].value, spec["dest"].value, spec["trigger"])
        if edge not in seen:
            seen.add(edge)
            row = _ROWS[edge[2]]
            note = f" {row.stay.note}" if row.stay is not None and edge[0] == edge[1] else ""
            lines.append(
                f"    {edge[0]} --> {edge[1]} : {row.action} ({', '.join(party_names(row.roles))}){note}"
            )
    lines.append(
        f"    {M.SUBMITTED.value} --> {M.ACCEPTED.value} : {DEEMED_ACCEPTANCE} (system) "
        "when the acceptance period has passed"
    )
    lines.append(f"    {M.PAID.value} --> [*]")
    return "\n".join(lines) + "\n"


def describe_milestone_workflow() -> dict[str, Any]:
    """The milestone workflow: states, actions with roles and engagement states, and a Mermaid diagram."""
    return {
        "states": [state.value for state in M],
        "actions": [
            {
                "action": row.action,
                "from": [source.value for source in row.sources],
                "to": row.to.value,
                "stays_until_done": row.stay is not None,
                "roles": party_names(row.roles),
                "engagement_states": [state.value for state in row.engagement_states],
            }
            for row in MILESTONE_WORKFLOW
        ],
        "deemed_acceptance": {
            "from": M.SUBMITTED.value,
            "to": M.ACCEPTED.value,
            "actor": "system",
            "when": "the acceptance period (acceptance_days after submission) has passed without a decision",
        },
        "vesting": {
            "client_owns": vests_on("client_owns").value,
            "other_models": vests_on("joint").value,
        },
        "mermaid": _mermaid(),
    }
