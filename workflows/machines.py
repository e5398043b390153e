"""What the engagement and milestone machines share: building a throwaway ``transitions`` Machine."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from transitions import Machine

from workflows.states import Party


class MachineModel:
    """The object ``transitions`` moves; one per decision so nothing is shared between requests."""

    state: Any


def build_machine(
    states: type[StrEnum], initial: StrEnum, specs: tuple[dict[str, Any], ...]
) -> tuple[Any, MachineModel]:
    """A fresh machine (cheap) over a table's transition specs; no generated to_x()/is_x() are used."""
    model = MachineModel()
    machine = Machine(
        model=model,
        states=states,
        initial=initial,
        transitions=[dict(spec) for spec in specs],
        auto_transitions=False,
    )
    return machine, model


def party_names(parties: frozenset[Party]) -> list[str]:
    """Parties in their canonical order (vendor, startup, reviewer), as wire strings."""
    return [p.value for p in Party if p in parties]
