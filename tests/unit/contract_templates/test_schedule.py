"""Render the results register as a DOCX schedule, reopen it with python-docx and read it back."""

from __future__ import annotations

import io
import time
import zipfile
from datetime import date, datetime
from typing import Any

import pytest
from msgspec.structs import replace

from contract_templates import MEDIA_TYPE, ResultsScheduleInput, render_contract, render_results_schedule
from tests.unit.contract_templates.docx_reading import Reopened
from tests.unit.contract_templates.factories import (
    STARTUP_NAME,
    VENDOR_NAME,
    contract,
    startup,
    terms,
    vendor,
)
from workflows import ResultEntry, RuleViolation, unvested_entry, vested_entry

MODELS = ("client_owns", "vendor_owns_licensed", "joint", "field_split", "lead_exploiter")
HEADER = ["No.", "Milestone", "Delivery (checksum)", "Owners and shares", "Vested", "Status"]
TITLES = {"m1": "Discovery and design", "m2": "Core payments flow", "m3": "Pilot release"}


def checksum(i: int) -> str:
    return f"sha256:{i:02x}" + "0" * 62


def entries(model: str, vested_count: int = 2, unvested: int = 1) -> tuple[ResultEntry, ...]:
    ip = terms(model)
    done = [
        vested_entry(
            ip,
            milestone_key=f"m{i + 1}",
            delivery_checksum=checksum(i),
            vendor_id="org-vendor",
            startup_id="org-startup",
            effective_on=date(2026, 4, 10 + i),
            source_event_seq=30 + i,
        )
        for i in range(vested_count)
    ]
    open_ = [
        unvested_entry(
            ip,
            milestone_key=f"m{vested_count + i + 1}",
            delivery_checksum=None,
            milestone_state="in_progress",
            reason="terminated before acceptance (milestone in progress)",
        )
        for i in range(unvested)
    ]
    return (*done, *open_)


def schedule(model: str = "joint", **changes: Any) -> ResultsScheduleInput:
    base = ResultsScheduleInput(
        engagement_id="6f1c2a9e-0b7d-4c1e-9a55-1a2b3c4d5e6f",
        reference="JT-1a2b3c4d",
        title="Fjordpay MVP",
        vendor=vendor(),
        startup=startup(),
        model=model,
        entries=entries(model),
        issued_on=date(2026, 5, 2),
        milestone_titles=TITLES,
        contract_version=2,
        contract_sha256="ab" * 32,
    )
    return replace(base, **changes)


def register_table(doc: Reopened) -> list[list[str]]:
    [table] = [t for t in doc.table_rows() if t[0] == HEADER]
    return table


#: What the owners cell of a vested result says under each model.
OWNERS = {
    "client_owns": [f"{STARTUP_NAME} (Start-up): 100%"],
    "vendor_owns_licensed": [f"{VENDOR_NAME} (Vendor): 100%"],
    "joint": [f"{VENDOR_NAME} (Vendor): 40%", f"{STARTUP_NAME} (Start-up): 60%"],
    "field_split": [
        f"{VENDOR_NAME} (Vendor): 100% in Payments",
        f"{STARTUP_NAME} (Start-up): 100% in Lending",
    ],
    "lead_exploiter": [f"{STARTUP_NAME} (Start-up): 100%"],
}
LICENCE_TEXT = {
    "client_owns": "Background IP licence, Vendor to Start-up",
    "vendor_owns_licensed": "Results licence, Vendor to Start-up: use, copy, modify, further develop and commercially "
    "exploit the Results (exclusive, field: Fintech payments, territory: EEA, 5 years, with an option to purchase)",
    "joint": "Background IP licence, Start-up to Vendor",
    "field_split": "Results licence, Start-up to Vendor",
    "lead_exploiter": "Revenue share, Start-up to Vendor: a share of the net revenue from exploiting the Results, "
    "for 10 years after the last milestone is accepted (12.5% of net revenue, 10 years)",
}


@pytest.mark.parametrize("model", MODELS)
def test_schedule_lists_every_result_with_its_owners(model: str) -> None:
    data = schedule(model)
    doc = Reopened.of(render_results_schedule(data))
    table = register_table(doc)
    assert len(table) == 1 + len(data.entries)
    body = table[1:]
    assert [row[0] for row in body] == ["1", "2", "3"]
    assert [row[1] for row in body] == [f"{TITLES[k]}\n({k})" for k in ("m1", "m2", "m3")]
    for row, entry in zip(body, data.entries, strict=True):
        assert row[2] == (entry.delivery_checksum or "No delivery")
    for row in body[:2]:
        assert row[3].split("\n") == OWNERS[model]
        assert row[5] == "Vested"
    assert body[0][4] == "10 April 2026\nAudit event 30"
    assert body[2][3].startswith("\u2014")
    assert body[2][4] == "\u2014"
    assert body[2][5] == "Not vested: terminated before acceptance (milestone in progress)"

    # Licences are stated once for the model, after the table, not on every row.
    text = doc.text
    assert text.count(LICENCE_TEXT[model]) == 1
    assert "contract version 2 of engagement JT-1a2b3c4d, as signed" in text
    assert "ab" * 32 in text
    if model == "joint":
        assert text.count("Managing Party: Start-up") == 1
        assert "Net revenue shared in proportion to the shares" in text

    repeating = [t for t in doc.document.tables if t.rows[0].cells[0].text == "No."]
    assert Reopened.repeats_header(repeating[0])
    assert "The Results of 2 of 3 milestones have vested." in text
    assert f"between {VENDOR_NAME} (the Vendor) and {STARTUP_NAME} (the Start-up)" in text
    if model == "field_split":
        assert "Note: Results relating to none of the listed fields" in text


def test_title_heading_intro_styles_header_and_properties() -> None:
    data = schedule("client_owns")
    doc = Reopened.of(render_results_schedule(data))
    paragraphs = doc.paragraphs
    assert (paragraphs[0].style.name, paragraphs[0].text) == ("Title", "IP results register")
    assert (paragraphs[1].style.name, paragraphs[1].text) == ("Heading 1", "Fjordpay MVP (JT-1a2b3c4d)")
    intro = paragraphs[2].text
    assert "accepted and its fee has been paid in full" in intro
    assert "stood on 2 May 2026" in intro
    section = doc.document.sections[0]
    assert section.header.paragraphs[0].text == "JT-1a2b3c4d \u00b7 IP results register \u00b7 2 May 2026"
    assert " NUMPAGES " in section.footer._element.xml

    props = doc.document.core_properties
    assert props.title == "IP results register: Fjordpay MVP"
    assert props.author == "jointip"
    assert props.category == "Schedule"
    assert (
        props.identifier == "urn:jointip:engagement:6f1c2a9e-0b7d-4c1e-9a55-1a2b3c4d5e6f:results:2026-05-02"
    )
    assert "JT-1a2b3c4d" in props.keywords
    assert "client_owns" in props.keywords
    midnight = datetime(2026, 5, 2, 0, 0)
    assert [d.replace(tzinfo=None) for d in (props.created, props.modified, props.last_printed)] == [
        midnight
    ] * 3


def test_vesting_wording_follows_the_model() -> None:
    intro = Reopened.of(render_results_schedule(schedule("joint"))).paragraphs[2].text
    assert "vest when the milestone has been accepted." in intro
    assert "paid in full" not in intro


def test_an_empty_register_still_renders() -> None:
    doc = Reopened.of(render_results_schedule(schedule(entries=())))
    assert "No Results have been recorded." in doc.text
    assert register_table(doc) == [HEADER]


def test_same_input_gives_same_bytes_whatever_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    data = schedule("field_split")
    first = render_results_schedule(data)
    later = time.time() + 400 * 86400 + 3.7  # a year later and an odd number of seconds
    monkeypatch.setattr(time, "time", lambda: later)
    monkeypatch.setattr(time, "localtime", lambda *_: time.gmtime(later))
    assert render_results_schedule(data) == first
    with zipfile.ZipFile(io.BytesIO(first)) as package:
        infos = package.infolist()
        assert [i.filename for i in infos[:2]] == ["[Content_Types].xml", "_rels/.rels"]
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert MEDIA_TYPE.endswith("wordprocessingml.document")


def test_other_input_gives_other_bytes() -> None:
    data = schedule()
    assert render_results_schedule(data) != render_results_schedule(replace(data, issued_on=date(2026, 5, 3)))
    assert render_results_schedule(data) != render_results_schedule(replace(data, entries=data.entries[:2]))


def test_the_contract_and_the_schedule_share_their_machinery_but_not_their_text() -> None:
    contract_doc = Reopened.of(render_contract(contract()))
    schedule_doc = Reopened.of(render_results_schedule(schedule()))
    assert contract_doc.paragraphs[0].style.name == schedule_doc.paragraphs[0].style.name == "Title"
    assert "IP results register" not in contract_doc.paragraphs[0].text


def test_xml_illegal_text_is_refused_naming_the_field() -> None:
    data = schedule(title="bell\x07")
    with pytest.raises(RuleViolation) as raised:
        render_results_schedule(data)
    assert [e.field for e in raised.value.errors] == ["title"]


def test_unknown_model_is_refused() -> None:
    with pytest.raises(RuleViolation) as raised:
        render_results_schedule(replace(schedule(), model="shared"))
    assert [e.field for e in raised.value.errors] == ["model"]


def test_non_latin_names_survive_exactly() -> None:
    name = "UAB Ąžuolas ir Ėglė \u2014 שלב"
    doc = Reopened.of(render_results_schedule(schedule("vendor_owns_licensed", vendor=vendor(name=name))))
    assert register_table(doc)[1][3] == f"{name} (Vendor): 100%"
