"""Render contracts, reopen them with python-docx and check what a reviewer would read."""

from __future__ import annotations

import io
import itertools
import time
import zipfile
from datetime import datetime
from decimal import Decimal
from functools import cache

import pytest
from msgspec.structs import replace

from contract_templates import MEDIA_TYPE, ContractInput, render_contract
from tests.unit.contract_templates.docx_reading import Reopened
from tests.unit.contract_templates.factories import (
    STARTUP_NAME,
    VENDOR_NAME,
    contract,
    funding,
    milestones,
    terms,
)
from workflows import RuleViolation, forum_name

MODELS = ("client_owns", "vendor_owns_licensed", "joint", "field_split", "lead_exploiter")
LAWS = ("NO", "LT")

#: Text that only the model's own Results IP clause states, with its parameters filled in.
MODEL_TEXT = {
    "client_owns": "All Results belong to the Start-up.",
    "vendor_owns_licensed": "The Vendor grants the Start-up an exclusive, royalty-free licence",
    "joint": "undivided shares (the “Joint Results”): 40% by the Vendor and 60% by the Start-up",
    "field_split": "principally relate to the following fields: Payments. The Start-up owns",
    "lead_exploiter": "The Lead Party shall pay the Vendor 12.5% of the Net Revenue",
}
MODEL_PARAMETERS = {
    "client_owns": [
        "vest in the Start-up when that Milestone has been Accepted and its Fee has been paid in full"
    ],
    "vendor_owns_licensed": [
        "in the field of Fintech payments",
        "in the territory EEA",
        "runs for 5 years",
        "Option to purchase",
    ],
    "joint": [
        "The Start-up is the managing party (the “Managing Party”)",
        "at least 30 days' prior written notice",
        "in proportion to the ownership shares",
    ],
    "field_split": ["following fields: Lending", "owned jointly in equal undivided shares of 50% each"],
    "lead_exploiter": ["The Start-up is the lead party (the “Lead Party”)", "during the 10 years following"],
}


@cache
def rendered(model: str, law: str = "NO") -> Reopened:
    return Reopened.of(render_contract(contract(terms(model, governing_law=law), milestone_count=3)))


@pytest.mark.parametrize(("model", "law"), list(itertools.product(MODELS, LAWS)))
def test_contract_states_the_terms(model: str, law: str) -> None:
    data = contract(terms(model, governing_law=law), milestone_count=3)
    doc = rendered(model, law)
    text = doc.text

    results = doc.section("Results IP")
    assert MODEL_TEXT[model] in results
    for phrase in MODEL_PARAMETERS[model]:
        assert phrase in results, phrase
    for other, phrase in MODEL_TEXT.items():
        if other != model:
            assert phrase not in text, other

    table = doc.milestones_table()
    assert [c.text for c in table.rows[0].cells] == [
        "No.",
        "Milestone",
        "Due date",
        "Fee",
        "Acceptance criteria",
    ]
    assert doc.repeats_header(table)
    body = [[c.text for c in row.cells] for row in table.rows[1:]]
    for i, m in enumerate(data.proposal.milestones):
        assert body[i][1] == m.title
        assert body[i][3] == f"EUR {m.fee:,.2f}"
        assert body[i][4] == m.acceptance_criteria
    assert body[-1][1:4] == ["Total", "", "EUR 37,503.00"]

    for party, country in ((data.vendor, "Lithuania"), (data.startup, "Norway")):
        assert (
            f"{party.name}, a company registered in {country} under registration code {party.registration_code}"
            in text
        )
    expected_forum = {"NO": "Oslo District Court (Oslo tingrett)", "LT": "Vilnius Regional Court"}[law]
    assert forum_name(data.proposal.ip_terms) == expected_forum
    assert expected_forum in doc.section("Governing law")
    country = {"NO": "Norway", "LT": "the Republic of Lithuania"}[law]
    assert f"governed by the laws of {country}" in text


def test_each_model_has_its_own_results_ip_text() -> None:
    sections = {model: rendered(model).section("Results IP") for model in MODELS}
    assert len(set(sections.values())) == len(MODELS)


@pytest.mark.parametrize(
    ("law", "institute", "name", "seat"),
    [
        ("NO", "oslo_chamber", "Arbitration Institute of the Oslo Chamber of Commerce", "Oslo, Norway"),
        ("LT", "vilnius_vcca", "Vilnius Court of Commercial Arbitration", "Vilnius, Lithuania"),
    ],
)
def test_arbitration_names_the_institute_in_full(law: str, institute: str, name: str, seat: str) -> None:
    data = contract(terms("joint", governing_law=law, forum="arbitration", arbitration_institute=institute))
    disputes = Reopened.of(render_contract(data)).section("Governing law")
    assert f"arbitration administered by the {name}" in disputes
    assert f"The seat of arbitration is {seat}." in disputes
    assert ("Lithuanian law does not allow disputes about the registration or validity" in disputes) == (
        law == "LT"
    )


def test_arbitration_without_institute_is_refused() -> None:
    with pytest.raises(RuleViolation):
        render_contract(contract(terms("joint", forum="arbitration", arbitration_institute=None)))


def test_funding_appears_only_when_funded() -> None:
    unfunded = Reopened.of(render_contract(contract(funding=None))).text
    funded = Reopened.of(render_contract(contract(funding=funding()))).text
    programme = "Norway Grants Business Development, Innovation and SMEs"
    recital = f"co-financed under the {programme} programme, call NOR-LT-2025-07, under its standard scheme"
    assert recital in funded
    assert "with a grant of EUR 50,000.00 at a co-financing rate of 50%" in funded
    assert "State aid: de minimis" in funded
    assert "The Vendor is the Project Promoter." in funded
    assert programme not in unfunded
    assert "Grant" not in unfunded
    assert "Programme Operator" not in unfunded
    assert "The Project is not co-financed by a grant." in unfunded
    block = Reopened.of(render_contract(contract(funding=funding(aid_basis="block_exemption")))).text
    assert "De minimis" not in block
    assert "General Block Exemption Regulation" in block


def test_escrow_appears_only_when_chosen() -> None:
    with_escrow = Reopened.of(render_contract(contract(terms("joint", source_code_escrow=True))))
    without = Reopened.of(render_contract(contract(terms("joint", source_code_escrow=False))))
    assert "the Parties shall enter into an escrow agreement" in with_escrow.section("Source-code escrow")
    assert "escrow agent" not in without.text
    assert "The Parties have not agreed a source-code escrow." in without.section("Source-code escrow")
    # Part numbers do not move when escrow is left out.
    assert (
        without.heading_numbers()["Governing law and disputes"]
        == with_escrow.heading_numbers()["Governing law and disputes"]
    )


def test_same_input_gives_same_bytes_whatever_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    data = contract(terms("joint"), milestone_count=10, funding=funding())
    first = render_contract(data)
    later = time.time() + 400 * 86400 + 3.7  # a year later and an odd number of seconds
    monkeypatch.setattr(time, "time", lambda: later)
    monkeypatch.setattr(time, "localtime", lambda *_: time.gmtime(later))
    second = render_contract(data)
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as package:
        infos = package.infolist()
        assert [i.filename for i in infos[:2]] == ["[Content_Types].xml", "_rels/.rels"]
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        assert "docProps/thumbnail.jpeg" not in package.namelist()
    assert MEDIA_TYPE.endswith("wordprocessingml.document")


def test_other_input_gives_other_bytes() -> None:
    data = contract()
    assert render_contract(data) != render_contract(replace(data, contract_version=3))


RTL_TITLE = "שלב ראשון: כניסה — المرحلة الأولى"
LT_NO_TEXT = "Ąžuolas čempionė ęė į šūvį ųž — blåbærsyltetøy Æ Ø Å"


def test_lithuanian_norwegian_and_right_to_left_text_survive_exactly() -> None:
    ms = milestones(2)
    ms = (
        replace(
            ms[0], title=RTL_TITLE, description=LT_NO_TEXT, acceptance_criteria="Tab\there\nand a new line"
        ),
        replace(ms[1], title=LT_NO_TEXT),
    )
    data = contract(ms=ms, title="Žalias fjordas", summary="Vėjo jėgainių priežiūra. Blåbær.")
    doc = Reopened.of(render_contract(data))
    cells = {cell for table in doc.table_rows() for row in table for cell in row}
    assert {RTL_TITLE, LT_NO_TEXT, "Tab\there\nand a new line"} <= cells
    text = doc.text
    for expected in (VENDOR_NAME, STARTUP_NAME, "Žalias fjordas", "Vėjo jėgainių priežiūra. Blåbær."):
        assert expected in text
    assert "Žalias fjordas" in doc.document.core_properties.subject


def test_xml_illegal_text_is_refused_naming_the_field() -> None:
    data = contract(ms=(replace(milestones(1)[0], title="bell\x07"),))
    with pytest.raises(RuleViolation) as raised:
        render_contract(data)
    assert "proposal.milestones.0.title" in str(raised.value.errors)


def test_structure_styles_header_footer_and_properties() -> None:
    data: ContractInput = contract(terms("joint"), milestone_count=3)
    doc = Reopened.of(render_contract(data))
    paragraphs = doc.paragraphs
    assert paragraphs[0].style.name == "Title"
    styles = {p.style.name for p in paragraphs}
    assert {"Title", "Heading 1", "Heading 2", "Normal", "List Paragraph"} <= styles
    numbered = doc.numbered_headings()
    # Word numbers the headings; no number is typed into their text.
    assert ("1", "Definitions and interpretation") in numbered
    assert ("1.1", "Defined terms") in numbered
    assert ("7.3", "Protection and management of Joint Results") in numbered
    assert all(not text[:1].isdigit() for _, text in numbered)
    order = ["Parties", "Background", "Definitions", "Scope", "Fees", "Acceptance", "Change",
             "Background IP", "Results IP", "Transfer of rights", "Licences", "Open-source",
             "Source-code escrow", "Warranties", "Limitation", "Insurance", "Confidentiality",
             "Data protection", "Co-financing", "Anti-corruption", "Force majeure", "Term",
             "Governing law", "Notices", "Execution", "Schedule 1", "Schedule 2", "Schedule 3"]  # fmt: skip
    h1 = doc.numbered_headings(0)
    assert len(h1) == len(order)
    assert all(text.startswith(prefix) for (_, text), prefix in zip(h1, order, strict=True))
    assert [number for number, _ in h1] == ["", ""] + [str(n) for n in range(1, 23)] + [""] * 4

    bold = doc.bold_texts()
    assert {"Background IP", "Results", "Deliverables", "Acceptance", "Open Source Software"} <= bold
    assert {"Confidential Information", "Milestone", "Fees", "Vendor", "Start-up"} <= bold

    section = doc.document.sections[0]
    assert section.header.paragraphs[0].text == "JT-1a2b3c4d · Contract version 2 · Proposal revision 3"
    footer_xml = section.footer._element.xml
    assert " PAGE " in footer_xml
    assert " NUMPAGES " in footer_xml

    signatures = next(t for t in doc.table_rows() if t[0][0] == "For and on behalf of the Vendor")
    assert signatures[1] == [VENDOR_NAME, STARTUP_NAME]
    labels = ["Signature", "Name", "Title", "Authority", "Date"]
    assert [row[0].split(":")[0] for row in signatures[2:]] == labels
    schedule2 = doc.section("Schedule 2")
    assert "Part A: Background IP of the Vendor" in schedule2
    assert "Part B: Background IP of the Start-up" in schedule2
    assert ["1", "Vendor toolkit", "Pre-existing libraries"] in next(
        t for t in doc.table_rows() if t[0] == ["No.", "Asset", "Description"]
    )
    assert ["MIT", "permissive"] in next(
        t for t in doc.table_rows() if t[0][0] == "Licence (SPDX identifier)"
    )

    props = doc.document.core_properties
    midnight = datetime(2026, 2, 10, 0, 0)
    assert props.title == "MVP Development and Intellectual Property Agreement"
    assert data.title in props.subject
    assert props.author == "jointip"
    assert props.revision == data.contract_version
    assert [d.replace(tzinfo=None) for d in (props.created, props.modified, props.last_printed)] == [
        midnight
    ] * 3
    assert "JT-1a2b3c4d" in props.subject
    assert "joint" in props.keywords
    assert props.identifier.endswith(":contract:2")


def test_money_has_two_decimals_and_the_currency() -> None:
    ms = (replace(milestones(1)[0], fee=Decimal("1234567.5")),)
    doc = Reopened.of(render_contract(contract(ms=ms, currency="NOK")))
    assert "The Total Fee is NOK 1,234,567.50." in doc.text
    assert doc.milestones_table().rows[1].cells[3].text == "NOK 1,234,567.50"
