"""The table engine on a table of its own: the checks it makes of a table, and what it derives."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import msgspec
import pytest

from workflows import Conflict, NotFound, Party, Row, Table


class Light(StrEnum):
    RED = "red"
    GREEN = "green"
    BROKEN = "broken"


class Switch(msgspec.Struct, frozen=True):
    note: str | None = None


@dataclass(frozen=True)
class Ctx:
    data: Switch
    was: Light | None


V = frozenset({Party.VENDOR})
ROWS = (
    Row("go", (Light.RED,), Light.GREEN, V, "went", records=("note",)),
    Row("break", (Light.RED, Light.GREEN), Light.BROKEN, V, "broke"),
    Row("mend", (Light.BROKEN,), None, V, "mended"),
)


def table() -> Table[Light, Ctx]:
    return Table(states=Light, initial=Light.RED, rows=ROWS, finals=frozenset(), previous=lambda c: c.was)


def test_a_table_may_not_name_an_action_twice() -> None:
    with pytest.raises(RuntimeError, match="twice"):
        Table(
            states=Light,
            initial=Light.RED,
            rows=(*ROWS, ROWS[0]),
            finals=frozenset(),
            previous=lambda c: None,
        )


def test_returning_rows_need_to_know_where_to_return() -> None:
    with pytest.raises(RuntimeError, match="no previous"):
        Table(states=Light, initial=Light.RED, rows=ROWS, finals=frozenset())


def test_settle_records_the_input_and_returns_where_it_came_from() -> None:
    t = table()
    went = t.settle(t.row("go", "?"), Light.RED, Ctx(Switch(note="now"), None), {"lamp": 1})
    assert (went.to_state, went.event_type, went.event_payload) == (
        Light.GREEN,
        "went",
        {"lamp": 1, "from_state": "red", "to_state": "green", "note": "now"},
    )
    mended = t.settle(t.row("mend", "?"), Light.BROKEN, Ctx(Switch(), Light.GREEN), {})
    assert mended.to_state is Light.GREEN
    with pytest.raises(Conflict, match="no recorded state"):
        t.settle(t.row("mend", "?"), Light.BROKEN, Ctx(Switch(), None), {})
    with pytest.raises(NotFound, match="no such"):
        t.row("paint", "no such action")


def test_available_actions_and_the_diagram_come_from_the_table() -> None:
    t = table()
    assert t.available(Light.RED, lambda row: row.roles) == ["go", "break"]
    assert t.available(Light.RED, lambda row: frozenset()) == []
    assert t.describe()["actions"][2] == {
        "action": "mend",
        "from": ["broken"],
        "to": "(previous)",
        "roles": ["vendor"],
    }
    assert t.mermaid().splitlines() == [
        "stateDiagram-v2",
        "    [*] --> red",
        "    red --> green : go (vendor)",
        "    red --> broken : break (vendor)",
        "    green --> broken : break (vendor)",
        "    broken --> red : mend (vendor)",
        "    broken --> green : mend (vendor)",
    ]
