"""The table engine both workflows run on: rows, decisions, the ``transitions`` machine, descriptions.

A workflow is written down once, as a table of ``Row``s: an action, the states it may fire from,
where it goes, who may fire it, its guards, what its audit event records and which effects the
shell must apply. ``Table`` derives everything else from it: a fresh ``transitions`` Machine per
decision (cheap, never shared between requests), the decision itself, the actions a party may
fire now, the JSON description and a Mermaid ``stateDiagram-v2``.

Each workflow module (``engagement``, ``milestones``) keeps only its states, guards and table,
and its own ``decide``, which refuses in its documented order before asking the table to settle.

Guards, conditions, payload parts and effect rules all take the workflow's context object ``C``
(the snapshot, the input and whatever else that workflow's rules need).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeAlias, TypeVar

import msgspec
from transitions import Machine

from workflows.effects import Effect
from workflows.errors import Conflict, FieldError, NotFound
from workflows.states import Party

__all__ = [
    "Availability",
    "Decision",
    "Row",
    "Stay",
    "Table",
]

S = TypeVar("S", bound=StrEnum)
C = TypeVar("C", bound="HasInput")
#: What the audit event shows for a row that returns to the state it came from.
PREVIOUS = "(previous)"


class HasInput(Protocol):
    """A workflow context: whatever else it holds, it carries the action's input Struct."""

    @property
    def data(self) -> msgspec.Struct: ...


Guard: TypeAlias = Callable[[C], list[FieldError]]
#: An effect a row always has, or a rule giving it from the context (None: not this time).
EffectRule: TypeAlias = Effect | Callable[[C], Effect | None]


@dataclass(frozen=True, slots=True)
class Stay(Generic[C]):
    """An action that may leave the state as it is: it moves only once ``until`` holds."""

    until: Callable[[C], bool]
    event_type: str  # recorded instead of the row's when it stays
    effects: tuple[EffectRule[C], ...]
    note: str  # for the diagram: "until both have signed"


@dataclass(frozen=True, slots=True)
class Row(Generic[S, C]):
    """One row of a workflow table."""

    action: str
    sources: tuple[S, ...]
    to: S | None  # None: back to the state the table's ``previous`` remembers
    roles: frozenset[Party]
    event_type: str
    guards: tuple[Guard[C], ...] = ()
    records: tuple[str, ...] = ()  # input fields copied into the audit payload when given
    context: Callable[[C], dict[str, Any]] | None = None  # snapshot facts the audit payload records
    effects: tuple[EffectRule[C], ...] = ()
    stay: Stay[C] | None = None
    requires: tuple[str, ...] = ()  # input fields the caller must send (its guards check them)


class Availability(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """An action the caller may fire from the current state, and whether it would pass its guards now.

    ``reason`` says why not (``enabled`` false); ``requires`` names the fields the request body needs.
    """

    action: str
    enabled: bool
    reason: str | None = None
    requires: tuple[str, ...] = ()


class Decision(msgspec.Struct, Generic[S], frozen=True, kw_only=True):
    """What the shell must apply, in one transaction with the audit event it describes."""

    action: str
    from_state: S
    to_state: S
    event_type: str
    event_payload: dict[str, Any]
    effects: tuple[Effect, ...]

    @property
    def changes_state(self) -> bool:
        return self.to_state is not self.from_state

    @property
    def effect_names(self) -> tuple[str, ...]:
        return tuple(effect.name for effect in self.effects)


def given(value: str | None) -> bool:
    """A required text is given when it is not blank."""
    return value is not None and value.strip() != ""


def required(field: str) -> Callable[[HasInput], list[FieldError]]:
    """A guard that ``field`` of the action's input is given."""

    def guard(ctx: HasInput) -> list[FieldError]:
        return [] if given(getattr(ctx.data, field)) else [FieldError(field, "is required")]

    return guard


def party_names(parties: frozenset[Party]) -> list[str]:
    """Parties in their canonical order (vendor, startup, reviewer), as wire strings."""
    return [p.value for p in Party if p in parties]


def roles_text(roles: frozenset[Party]) -> str:
    return " or ".join(party_names(roles))


def json_native(value: Any) -> Any:
    """Through JSON and back: only JSON-native values (lists, not tuples; dates as strings) reach the audit chain."""
    return msgspec.json.decode(msgspec.json.encode(value))


def money(value: Decimal) -> str:
    """Money as the audit trail records it: a string with two decimals."""
    return f"{value:.2f}"


class _Model:
    """The object ``transitions`` moves; one per decision so nothing is shared between requests."""

    state: Any


@dataclass(frozen=True, slots=True)
class Table(Generic[S, C]):
    """A workflow table and what is derived from it."""

    states: type[S]
    initial: S
    rows: tuple[Row[S, C], ...]
    finals: frozenset[S]
    #: For rows with ``to=None``: the state to return to (e.g. where a dispute was raised from).
    previous: Callable[[C], S | None] | None = None
    #: Effects of entering a state, whichever row got there (e.g. vesting results on acceptance).
    on_enter: Callable[[C, S], Effect | None] | None = None
    #: Mermaid lines for transitions no row fires (e.g. the system's deemed acceptance).
    diagram_notes: tuple[str, ...] = ()
    #: The Decision class the workflow's decisions are (a subclass may add properties).
    decision: type[Decision[S]] = Decision
    _by_action: dict[str, Row[S, C]] = field(init=False, repr=False)
    _specs: tuple[dict[str, Any], ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        by_action = {row.action: row for row in self.rows}
        if len(by_action) != len(self.rows):
            raise RuntimeError(f"the {self.states.__name__} table names an action twice")
        object.__setattr__(self, "_by_action", by_action)
        object.__setattr__(self, "_specs", self._machine_specs())

    # --- the transitions machine -------------------------------------------------------------

    def _returns_to(self, source: S) -> tuple[S, ...]:
        """Where a ``to=None`` row from ``source`` may go back to: wherever ``source`` is entered from."""
        return tuple(s for row in self.rows if row.to is source for s in row.sources)

    def _machine_specs(self) -> tuple[dict[str, Any], ...]:
        """The table as ``transitions`` specs; conditional rows become branches tried in order."""
        specs: list[dict[str, Any]] = []
        for row in self.rows:
            for source in row.sources:
                base = {"trigger": row.action, "source": source}
                if row.to is None:
                    specs += [
                        {**base, "dest": back, "conditions": [self._came_from(back)]}
                        for back in self._returns_to(source)
                    ]
                elif row.stay is not None:
                    # Move when the condition holds, otherwise stay.
                    specs += [
                        {**base, "dest": row.to, "conditions": [row.stay.until]},
                        {**base, "dest": source},
                    ]
                else:
                    specs.append({**base, "dest": row.to})
        return tuple(specs)

    def _came_from(self, state: S) -> Callable[[C], bool]:
        previous = self.previous
        if previous is None:
            raise RuntimeError(f"the {self.states.__name__} table has a row with to=None but no previous")
        return lambda ctx: previous(ctx) is state

    def _fire(self, row: Row[S, C], state: S, ctx: C) -> S:
        # A fresh machine per decision, holding only this row's branches from ``state``: building
        # the whole table's machine for every request cost a fifth of an action's CPU time.
        specs = [
            dict(spec) for spec in self._specs if spec["trigger"] == row.action and spec["source"] is state
        ]
        reachable = {state, *(spec["dest"] for spec in specs)}
        model = _Model()
        machine = Machine(
            model=model,
            states=[s for s in self.states if s in reachable],
            initial=state,
            transitions=specs,
            auto_transitions=False,
        )
        if not machine.events[row.action].trigger(model, ctx):
            # Only a to=None row can get here: the snapshot lost the state to return to.
            raise Conflict(f"{row.action}: there is no recorded state to return to")
        return self.states(model.state)

    # --- decisions -----------------------------------------------------------------------------

    def row(self, action: str, unknown: str) -> Row[S, C]:
        """The row for ``action``; ``NotFound(unknown)`` when the table has none."""
        found = self._by_action.get(action)
        if found is None:
            raise NotFound(unknown)
        return found

    def settle(self, row: Row[S, C], state: S, ctx: C, payload: dict[str, Any]) -> Decision[S]:
        """Fire an allowed row whose guards passed: where it lands, its audit payload and its effects.

        ``payload`` holds what the workflow records on every event (e.g. the milestone key).
        """
        to_state = self._fire(row, state, ctx)
        stay = row.stay if row.stay is not None and to_state is state else None
        payload = {**payload, "from_state": state.value, "to_state": to_state.value}
        if row.context is not None:
            payload.update(row.context(ctx))
        for name in row.records:
            value = getattr(ctx.data, name)
            if value is not None:
                payload[name] = money(value) if isinstance(value, Decimal) else json_native(value)
        effects = [self._effect(rule, ctx) for rule in (stay.effects if stay else row.effects)]
        if to_state is not state and self.on_enter is not None:
            effects.append(self.on_enter(ctx, to_state))
        return self.decision(
            action=row.action,
            from_state=state,
            to_state=to_state,
            event_type=stay.event_type if stay else row.event_type,
            event_payload=payload,
            effects=tuple(e for e in effects if e is not None),
        )

    @staticmethod
    def _effect(rule: EffectRule[C], ctx: C) -> Effect | None:
        return rule if isinstance(rule, Effect) else rule(ctx)

    def available(self, state: S, acting: Callable[[Row[S, C]], frozenset[Party]]) -> list[str]:
        """Actions some party may fire from ``state`` (``acting`` says which, per row), in table order."""
        return [row.action for row in self.rows if state in row.sources and acting(row)]

    def availability(
        self,
        state: S,
        acting: Callable[[Row[S, C]], frozenset[Party]],
        ready: Callable[[Row[S, C]], C],
    ) -> list[Availability]:
        """``available`` with each row's guards run on ``ready(row)``: the context of a request that
        sends what the row ``requires``, so a guard that still fails is the state's reason, not the input's.
        """
        out = []
        for row in self.rows:
            if state not in row.sources or not acting(row):
                continue
            ctx = ready(row)
            errors = [error for guard in row.guards for error in guard(ctx)]
            reason = "; ".join(f"{e.field}: {e.message}" for e in errors) or None
            out.append(
                Availability(action=row.action, enabled=not errors, reason=reason, requires=row.requires)
            )
        return out

    # --- descriptions -------------------------------------------------------------------------

    def describe(self, row_facts: Callable[[Row[S, C]], dict[str, Any]] | None = None) -> dict[str, Any]:
        """States, actions with roles (plus ``row_facts``), and the Mermaid diagram."""
        return {
            "states": [state.value for state in self.states],
            "actions": [
                {
                    "action": row.action,
                    "from": [source.value for source in row.sources],
                    "to": row.to.value if row.to is not None else PREVIOUS,
                    **(row_facts(row) if row_facts else {}),
                    "roles": party_names(row.roles),
                }
                for row in self.rows
            ],
            "mermaid": self.mermaid(),
        }

    def mermaid(self) -> str:
        lines = ["stateDiagram-v2", f"    [*] --> {self.initial.value}"]
        seen: set[tuple[str, str, str]] = set()
        for spec in self._specs:
            edge = (spec["source"].value, spec["dest"].value, spec["trigger"])
            if edge in seen:
                continue
            seen.add(edge)
            row = self._by_action[edge[2]]
            note = f" {row.stay.note}" if row.stay is not None and edge[0] == edge[1] else ""
            lines.append(
                f"    {edge[0]} --> {edge[1]} : {row.action} ({', '.join(party_names(row.roles))}){note}"
            )
        lines += [f"    {line}" for line in self.diagram_notes]
        lines += [f"    {state.value} --> [*]" for state in self.states if state in self.finals]
        return "\n".join(lines) + "\n"
