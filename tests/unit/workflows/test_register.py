"""The whole register: vested entries as recorded, every other milestone unvested with its reason."""

from __future__ import annotations

from datetime import date

from tests.unit.workflows.factories import MODELS
from workflows import MilestoneOutcome, MilestoneState, ResultEntry, register, vested_entry

M = MilestoneState
CLIENT_OWNS = MODELS["client_owns"]()


def outcomes() -> list[MilestoneOutcome]:
    return [
        MilestoneOutcome(key="m1", state=M.PAID, delivery_checksum="sha256:" + "1" * 64),
        MilestoneOutcome(key="m2", state=M.ACCEPTED, delivery_checksum="sha256:" + "2" * 64),
        MilestoneOutcome(key="m3", state=M.PLANNED, delivery_checksum=None),
    ]


def vested_m1() -> dict[str, ResultEntry]:
    entry = vested_entry(
        CLIENT_OWNS,
        milestone_key="m1",
        delivery_checksum="sha256:" + "1" * 64,
        vendor_id="org-v",
        startup_id="org-s",
        effective_on=date(2026, 5, 1),
        source_event_seq=17,
    )
    return {"m1": entry}


def test_every_milestone_has_an_entry_in_milestone_order() -> None:
    entries = register(CLIENT_OWNS, outcomes(), vested_m1(), terminated=False)
    assert [(e.milestone_key, e.status) for e in entries] == [
        ("m1", "vested"),
        ("m2", "unvested"),
        ("m3", "unvested"),
    ]
    assert entries[0].source_event_seq == 17
    assert entries[1].reason == "accepted but not fully paid (client_owns vests on payment)"
    assert entries[1].delivery_checksum == "sha256:" + "2" * 64
    assert entries[2].reason == "not yet accepted (milestone not started)"


def test_after_termination_the_reasons_say_so() -> None:
    entries = register(CLIENT_OWNS, outcomes(), vested_m1(), terminated=True)
    assert [e.reason for e in entries[1:]] == [
        "terminated before full payment: accepted but not fully paid (client_owns vests on payment)",
        "terminated before acceptance (milestone not started)",
    ]
