"""The milestone workflow of SPEC section 3: its table, guards and decision.

``MILESTONE_WORKFLOW`` is the only place the workflow is written down; ``TABLE``
(``workflows.machines``) derives the machine, ``available_milestone_actions`` and
``describe_milestone_workflow`` from it, as for the engagement. ``decide_milestone`` refuses in a
fixed order, because each refusal maps to its own HTTP status:

1. unknown action                                   -> ``NotFound``          (404)
2. the engagement's state does not allow the action -> ``InvalidTransition`` (409)
3. the milestone's state does not allow the action  -> ``InvalidTransition`` (409)
4. none of the actor's parties may fire it          -> ``Forbidden``         (403)
5. the input or a guard fails                       -> ``RuleViolation``     (422, every error names its field)

Results vest when a milestone enters ``vests_on(model)``: the table's ``on_enter`` adds the
``VestResults`` effect, dated the day of the decision.

Deemed acceptance is not an action anyone fires: ``deemed_acceptance`` says whether the acceptance
period has run out, and the shell applies its decision (actor "system") whenever it next reads or
acts on the milestone, before anything else. Its results vest on the day the period ended.

Nothing here reads a clock: ``now`` is a parameter, and must be timezone-aware like the stored
``submitted_at``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

import msgspec

from workflows.effects import (
    Effect,
    RecordApprovals,
    RecordPayment,
    RecordSubmission,
    ResetDeliveryCount,
    VestResults,
)
from workflows.errors import FieldError, Forbidden, InvalidTransition, RuleViolation
from workflows.inputs import MilestoneActionInput
from workflows.machines import (
    Availability,
    Decision,
    Row,
    Stay,
    Table,
    given,
    money,
    required,
    roles_text,
)
from workflows.states import EngagementState, Party
from workflows.terms import amount_errors
from workflows.text import xml_illegal_fields

__all__ = [
    "DEEMED_ACCEPTANCE",
    "MILESTONE_WORKFLOW",
    "MilestoneDecision",
    "MilestoneSnapshot",
    "MilestoneState",
    "MilestoneTransition",
    "available_milestone_actions",
    "decide_milestone",
    "deemed_acceptance",
    "describe_milestone_workflow",
    "has_vested",
    "vests_on",
]


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
    """The milestone state in which its results vest: ``paid`` for client_owns, ``accepted`` otherwise."""
    return M.PAID if model in _VESTS_ON_PAYMENT else M.ACCEPTED


def has_vested(model: str, state: MilestoneState | str) -> bool:
    """Whether a milestone in ``state`` has vested its results under ``model`` (paid implies accepted)."""
    return state == M.PAID or state == vests_on(model)


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


class MilestoneDecision(Decision[MilestoneState], frozen=True, kw_only=True):
    """A milestone decision; it may vest the milestone's results."""

    @property
    def vests_results(self) -> bool:
        return any(isinstance(effect, VestResults) for effect in self.effects)


#: The action name of the system's deemed acceptance (never fired through ``decide_milestone``).
DEEMED_ACCEPTANCE = "deemed_acceptance"


@dataclass(frozen=True, slots=True)
class _Context:
    """What the guards, conditions, payload parts and effect rules of one decision see."""

    snapshot: MilestoneSnapshot
    data: MilestoneActionInput
    now: datetime


@dataclass(frozen=True, slots=True)
class MilestoneTransition(Row[MilestoneState, _Context]):
    """One row of the milestone table."""

    engagement_states: tuple[EngagementState, ...] = field(kw_only=True)  # where the engagement must be


# --- guards: each returns every FieldError it finds ---------------------------------------------


def _delivered_since_start(ctx: _Context) -> list[FieldError]:
    s = ctx.snapshot
    if s.delivery_count_since_start >= 1:
        return []
    return [FieldError("deliveries", f"deliver milestone {s.key} at least once before submitting it")]


def _past_deadline(s: MilestoneSnapshot, now: datetime) -> datetime | None:
    deadline = s.acceptance_deadline
    return deadline if deadline is not None and now >= deadline else None


def _within_acceptance_period(ctx: _Context) -> list[FieldError]:
    deadline = _past_deadline(ctx.snapshot, ctx.now)
    if deadline is None:
        return []
    return [
        FieldError(
            "milestone",
            f"the acceptance period of milestone {ctx.snapshot.key} ended at {deadline.isoformat()}; "
            "it was deemed accepted",
        )
    ]


def _payment(ctx: _Context) -> list[FieldError]:
    s, data = ctx.snapshot, ctx.data
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
                    f"exceeds what is outstanding on milestone {s.key} ({money(outstanding)} "
                    f"of a fee of {money(s.fee)})",
                )
            )
    if data.paid_on is None:
        errors.append(FieldError("paid_on", "is required"))
    if not given(data.reference):
        errors.append(FieldError("reference", "is required"))
    return errors


# --- conditions, payload parts and effect rules ----------------------------------------------------


def _paid_after(ctx: _Context) -> Decimal:
    return ctx.snapshot.paid_total + (ctx.data.amount or Decimal(0))


def _covers_fee(ctx: _Context) -> bool:
    return _paid_after(ctx) >= ctx.snapshot.fee


def _submission(ctx: _Context) -> dict[str, Any]:
    deadline = ctx.now + timedelta(days=ctx.snapshot.acceptance_days)
    return {"submitted_at": ctx.now.isoformat(), "acceptance_deadline": deadline.isoformat()}


def _acceptance(ctx: _Context) -> dict[str, Any]:
    s = ctx.snapshot
    out: dict[str, Any] = {}
    if s.latest_delivery_checksum is not None:
        out["delivery_checksum"] = s.latest_delivery_checksum
    if s.pending_approvals:
        out["approved_components"] = list(s.pending_approvals)
    return out


def _payment_totals(ctx: _Context) -> dict[str, Any]:
    fee, paid = ctx.snapshot.fee, _paid_after(ctx)
    return {"fee": money(fee), "paid_total": money(paid), "outstanding": money(fee - paid)}


def _approvals(ctx: _Context) -> Effect | None:
    pending = ctx.snapshot.pending_approvals
    return RecordApprovals(components=pending) if pending else None


def _record_payment(ctx: _Context) -> Effect:
    data = ctx.data
    assert data.amount is not None  # the payment guard made sure
    assert data.paid_on is not None
    assert data.reference is not None
    return RecordPayment(amount=data.amount, paid_on=data.paid_on, reference=data.reference.strip())


def _vesting(snapshot: MilestoneSnapshot, entered: MilestoneState, effective_on: date) -> Effect | None:
    """Entering ``vests_on(model)`` vests the results, effective on ``effective_on``."""
    if entered is not vests_on(snapshot.model):
        return None
    return VestResults(effective_on=effective_on, delivery_checksum=snapshot.latest_delivery_checksum)


def _vesting_now(ctx: _Context, entered: MilestoneState) -> Effect | None:
    return _vesting(ctx.snapshot, entered, ctx.now.date())


_ACTIVE = (E.IN_DEVELOPMENT, E.DELIVERED)

MILESTONE_WORKFLOW: tuple[MilestoneTransition, ...] = (
    MilestoneTransition(
        "start", (M.PLANNED, M.REJECTED), M.IN_PROGRESS, frozenset({VENDOR}), "milestone_started",
        effects=(ResetDeliveryCount(),), engagement_states=_ACTIVE,
    ),
    MilestoneTransition(
        "submit", (M.IN_PROGRESS,), M.SUBMITTED, frozenset({VENDOR}), "milestone_submitted",
        guards=(_delivered_since_start,), context=_submission,
        effects=(lambda ctx: RecordSubmission(submitted_at=ctx.now),), engagement_states=_ACTIVE,
    ),
    MilestoneTransition(
        "accept", (M.SUBMITTED,), M.ACCEPTED, frozenset({STARTUP}), "milestone_accepted",
        guards=(_within_acceptance_period,), context=_acceptance, effects=(_approvals,),
        engagement_states=_ACTIVE,
    ),
    MilestoneTransition(
        "reject", (M.SUBMITTED,), M.REJECTED, frozenset({STARTUP}), "milestone_rejected",
        requires=("reason",), guards=(_within_acceptance_period, required("reason")), records=("reason",),
        engagement_states=_ACTIVE,
    ),
    MilestoneTransition(
        "record_payment", (M.ACCEPTED,), M.PAID, frozenset({STARTUP}), "milestone_paid",
        requires=("amount", "paid_on", "reference"), guards=(_payment,),
        records=("amount", "paid_on", "reference"), context=_payment_totals,
        effects=(_record_payment,),
        stay=Stay(
            until=_covers_fee, event_type="payment_recorded", effects=(_record_payment,),
            note="until the fee is paid",
        ),
        engagement_states=(*_ACTIVE, E.ACCEPTED),
    ),
)  # fmt: skip

TABLE: Table[MilestoneState, _Context] = Table(
    states=MilestoneState,
    initial=M.PLANNED,
    rows=MILESTONE_WORKFLOW,
    finals=frozenset({M.PAID}),
    on_enter=_vesting_now,
    diagram_notes=(
        f"{M.SUBMITTED.value} --> {M.ACCEPTED.value} : {DEEMED_ACCEPTANCE} (system) "
        "when the acceptance period has passed",
    ),
    decision=MilestoneDecision,
)
if DEEMED_ACCEPTANCE in {row.action for row in MILESTONE_WORKFLOW}:
    raise RuntimeError(f"{DEEMED_ACCEPTANCE} is the system's, not a row of the table")


def _engagement_states(row: Row[MilestoneState, _Context]) -> tuple[EngagementState, ...]:
    return row.engagement_states if isinstance(row, MilestoneTransition) else ()


def decide_milestone(
    snapshot: MilestoneSnapshot,
    parties: frozenset[Party],
    action: str,
    data: MilestoneActionInput,
    now: datetime,
) -> MilestoneDecision:
    """Decide what ``action`` by an actor playing ``parties`` does to the milestone, or raise a refusal."""
    state = MilestoneState(snapshot.state)  # the shell may pass the stored string
    row = TABLE.row(action, f"unknown milestone action {action!r}")
    if snapshot.engagement_state not in _engagement_states(row):
        raise InvalidTransition(
            f"{action} is not allowed on a milestone while the engagement is {snapshot.engagement_state}"
        )
    if state not in row.sources:
        raise InvalidTransition(f"{action} is not allowed while milestone {snapshot.key} is {state.value}")
    if not parties & row.roles:
        raise Forbidden(f"only the {roles_text(row.roles)} may {action} a milestone")
    ctx = _Context(snapshot=snapshot, data=data, now=now)
    errors = xml_illegal_fields(data) + [error for guard in row.guards for error in guard(ctx)]
    if errors:
        raise RuleViolation(errors)
    decision = TABLE.settle(row, state, ctx, {"milestone": snapshot.key})
    assert isinstance(decision, MilestoneDecision)
    return decision


def deemed_acceptance(snapshot: MilestoneSnapshot, now: datetime) -> MilestoneDecision | None:
    """The system's acceptance of a submitted milestone whose acceptance period has run out, else None.

    Only while the engagement is where the start-up could still accept (``in_development`` or
    ``delivered``): a dispute holds the clock, and nothing happens in a final state. Components
    awaiting written approval are not approved by silence: the payload lists them as unapproved.
    The results vest on the day the period ended, whenever the system notices.
    """
    accept = TABLE.row("accept", "")
    if snapshot.state != M.SUBMITTED or snapshot.engagement_state not in _engagement_states(accept):
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
    vesting = _vesting(snapshot, M.ACCEPTED, deadline.date())
    return MilestoneDecision(
        action=DEEMED_ACCEPTANCE,
        from_state=M.SUBMITTED,
        to_state=M.ACCEPTED,
        event_type="milestone_deemed_accepted",
        event_payload=payload,
        effects=(vesting,) if vesting is not None else (),
    )


def available_milestone_actions(
    snapshot: MilestoneSnapshot, parties: frozenset[Party], now: datetime
) -> list[Availability]:
    """Actions the parties may fire on the milestone now, in table order, each with its guards run
    as for a request that sends what it requires (a payment of what is outstanding, dated today)."""

    def acting(row: Row[MilestoneState, _Context]) -> frozenset[Party]:
        return parties & row.roles if snapshot.engagement_state in _engagement_states(row) else frozenset()

    ready = MilestoneActionInput(
        reason="(given)",
        amount=snapshot.fee - snapshot.paid_total,
        paid_on=now.date(),
        reference="(given)",
    )
    return TABLE.availability(
        MilestoneState(snapshot.state), acting, lambda row: _Context(snapshot=snapshot, data=ready, now=now)
    )


def describe_milestone_workflow() -> dict[str, Any]:
    """The milestone workflow: states, actions with roles and engagement states, and a Mermaid diagram."""
    described = TABLE.describe(
        lambda row: {
            "stays_until_done": row.stay is not None,
            "engagement_states": [state.value for state in _engagement_states(row)],
        }
    )
    return {
        **described,
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
    }
