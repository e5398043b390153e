"""The redline DOCX: accepting every revision gives version b, rejecting every revision gives
version a, paragraph by paragraph; word-level inside changed paragraphs, whole paragraphs for
added and removed clauses; deterministic; LibreOffice opens it."""

from __future__ import annotations

import io
import itertools
import os
import shutil
import subprocess
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import docx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from msgspec.structs import replace

from contract_templates import clause_texts, compare_clauses, render_contract, render_redline
from tests.unit.contract_templates import factories as f
from tests.unit.contract_templates.revisions import W, document_xml, paragraphs, texts
from workflows import Joint

AT = datetime(2026, 2, 11, 9, 30, 12, 345678, tzinfo=UTC)
MODELS = ("client_owns", "vendor_owns_licensed", "joint", "field_split", "lead_exploiter")


@cache
def version(model: str, milestones: int, law: str, title: str) -> tuple[bytes, dict[str, str]]:
    """A rendered contract version and its clause texts, as a contract version stores them."""
    data = f.contract(replace(f.terms(model), governing_law=law), milestone_count=milestones, title=title)
    return render_contract(data), clause_texts(data)


def redline_of(a: tuple[str, int, str, str], b: tuple[str, int, str, str]) -> tuple[bytes, bytes, bytes]:
    (old, old_clauses), (new, new_clauses) = version(*a), version(*b)
    return old, new, render_redline(old, new, at=AT, old_clauses=old_clauses, new_clauses=new_clauses)


# Pairs of versions: other IP models (clauses added and removed), other governing law (changed
# clauses), more or fewer milestones (table rows and numbers in the text), another title.
PAIRS = [
    (("joint", 2, "NO", "Fjordpay MVP"), (model, 3 if i % 2 else 1, law, title))
    for i, (model, law, title) in enumerate(
        itertools.product(MODELS, ("NO", "LT"), ("Fjordpay MVP", "Fjordpay wallet MVP, phase one"))
    )
] + [(("lead_exploiter", 4, "LT", "A"), ("field_split", 2, "NO", "B"))]


def _assert_round_trip(old: bytes, new: bytes, redline: bytes, part: str = "word/document.xml") -> None:
    accepted, rejected = paragraphs(redline, "accept", part), paragraphs(redline, "reject", part)
    want_b, want_a = paragraphs(new, part=part), paragraphs(old, part=part)
    assert [p.text for p in accepted] == [p.text for p in want_b]
    assert [p.text for p in rejected] == [p.text for p in want_a]
    assert [p.style for p in accepted] == [p.style for p in want_b]


@pytest.mark.parametrize(("a", "b"), PAIRS, ids=[f"{a[0]}-{b[0]}-{b[2]}-{b[1]}" for a, b in PAIRS])
def test_accepting_all_gives_b_and_rejecting_all_gives_a(
    a: tuple[str, int, str, str], b: tuple[str, int, str, str]
) -> None:
    old, new, redline = redline_of(a, b)
    _assert_round_trip(old, new, redline)
    _assert_round_trip(old, new, redline, "word/header1.xml")


def _revision_marks(redline: bytes) -> list[etree._Element]:
    root = document_xml(redline)
    return [e for e in root.iter(W + "ins", W + "del")]


def test_revisions_are_by_jointip_on_the_versions_date_with_unique_ids() -> None:
    _, _, redline = redline_of(("joint", 2, "NO", "A"), ("client_owns", 3, "LT", "B"))
    marks = _revision_marks(redline)
    assert len(marks) > 20
    assert {m.get(W + "author") for m in marks} == {"jointip"}
    assert {m.get(W + "date") for m in marks} == {"2026-02-11T09:30:12Z"}
    # A bookmarkEnd repeats its bookmarkStart's id (that is how Word pairs them); every other id is unique.
    ids = [
        e.get(W + "id")
        for e in document_xml(redline).iter()
        if e.get(W + "id") is not None and e.tag != W + "bookmarkEnd"
    ]
    assert len(ids) == len(set(ids))


def test_the_same_versions_give_the_same_bytes() -> None:
    a, b = ("joint", 2, "NO", "A"), ("field_split", 3, "NO", "B")
    assert redline_of(a, b)[2] == render_redline(
        version(*a)[0], version(*b)[0], at=AT, old_clauses=version(*a)[1], new_clauses=version(*b)[1]
    )


def test_identical_versions_give_no_revisions() -> None:
    same, clauses = version("joint", 2, "NO", "A")
    redline = render_redline(same, same, at=AT, old_clauses=clauses, new_clauses=clauses)
    assert _revision_marks(redline) == []
    assert texts(redline) == texts(same)


def test_a_changed_word_is_one_deletion_and_one_insertion_inside_its_paragraph() -> None:
    joint = f.terms("joint")
    assert isinstance(joint, Joint)
    shares = replace(joint.shares, vendor=joint.shares.startup, startup=joint.shares.vendor)
    old = render_contract(f.contract(joint))
    new = render_contract(f.contract(replace(joint, shares=shares)))
    redline = render_redline(old, new, at=AT)
    root = document_xml(redline)
    changed = [p for p in root.iter(W + "p") if p.find(f".//{W}del") is not None]
    assert changed
    for p in changed:
        mark = p.find(f"{W}pPr/{W}rPr")
        assert mark is None or (mark.find(W + "ins") is None and mark.find(W + "del") is None)
        deleted = "".join(t.text or "" for t in p.iter(W + "delText"))
        inserted = "".join(t.text or "" for d in p.iter(W + "ins") for t in d.iter(W + "t"))
        kept = "".join(t.text or "" for t in p.iter(W + "t"))
        assert 0 < len(deleted) <= 4, deleted
        assert 0 < len(inserted) <= 4, inserted
        assert len(kept) > len(inserted)  # the rest of the paragraph is unchanged text


def test_added_and_removed_clauses_are_whole_paragraphs() -> None:
    a_input = f.contract(f.terms("joint"))
    b_input = f.contract(f.terms("client_owns"))
    changes = compare_clauses(clause_texts(a_input), clause_texts(b_input))
    added = [c for c in changes if c.kind == "added"]
    removed = [c for c in changes if c.kind == "removed"]
    assert added
    assert removed
    redline = render_redline(
        render_contract(a_input),
        render_contract(b_input),
        at=AT,
        old_clauses=clause_texts(a_input),
        new_clauses=clause_texts(b_input),
    )
    root = document_xml(redline)

    def mark(p: etree._Element) -> str | None:
        rpr = p.find(f"{W}pPr/{W}rPr")
        for kind in ("ins", "del"):
            if rpr is not None and rpr.find(W + kind) is not None:
                return kind
        return None

    by_text: dict[str, list[etree._Element]] = {}
    for p in root.iter(W + "p"):
        text = "".join(t.text or "" for t in p.iter(W + "t", W + "delText"))
        by_text.setdefault(text, []).append(p)
    for change, kind, text_tag in [(c, "ins", "t") for c in added] + [(c, "del", "delText") for c in removed]:
        body = (change.new if kind == "ins" else change.old) or ""
        # the clause's longest paragraph appears once, marked whole: its mark and all its text
        longest = max(body.split("\n\n"), key=len)
        found = [p for text, ps in by_text.items() if longest in text for p in ps]
        assert found, (change.clause_id, longest[:60])
        for p in found:
            assert mark(p) == kind, change.clause_id
            outside = [
                t for t in p.iter(W + text_tag) if not any(anc.tag == W + kind for anc in t.iterancestors())
            ]
            assert outside == [], change.clause_id


# --- property test on generated documents ---------------------------------------------------

WORDS = st.sampled_from(
    "the Vendor Start-up shall licence results milestone fee 7.2 (a) Oslo Vilnius".split()
)
STYLES = st.sampled_from([None, "Heading 1", "Heading 2", "List Paragraph"])
Paragraph = tuple[str | None, tuple[str, ...], bool]  # style, words, bold
paragraph = st.tuples(STYLES, st.lists(WORDS, min_size=0, max_size=12).map(tuple), st.booleans())


@st.composite
def edited(draw: st.DrawFn) -> tuple[list[Paragraph], list[Paragraph]]:
    """A document and an edited copy: paragraphs added, removed and changed word by word."""
    old = draw(st.lists(paragraph, min_size=1, max_size=12))
    new: list[Paragraph] = []
    for style, words, bold in old:
        action = draw(st.sampled_from(["keep", "keep", "drop", "edit", "restyle", "add"]))
        if action == "drop":
            continue
        if action == "edit":
            ws = list(words)
            for _ in range(draw(st.integers(1, 3))):
                where = draw(st.integers(0, len(ws)))
                if ws and draw(st.booleans()):
                    ws[min(where, len(ws) - 1)] = draw(WORDS)
                else:
                    ws.insert(where, draw(WORDS))
            words = tuple(ws)
        if action == "restyle":
            style = draw(STYLES)
            bold = not bold
        new.append((style, words, bold))
        if action == "add":
            new.append(draw(paragraph))
    if not new:
        new.append(draw(paragraph))
    return old, new


def _document(paragraphs_: list[Paragraph], table_rows: list[tuple[str, str]]) -> bytes:
    document = docx.Document()
    for style, words, bold in paragraphs_:
        p = document.add_paragraph(style=style)
        if words:
            p.add_run(" ".join(words)).bold = bold
        if len(words) > 3:
            p.add_run("\t" + words[0])
    if table_rows:
        table = document.add_table(rows=0, cols=2)
        for left, right in table_rows:
            cells = table.add_row().cells
            cells[0].text, cells[1].text = left, right
    document.add_paragraph("End of document.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


rows = st.lists(st.tuples(WORDS, WORDS), max_size=4)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edited(), rows, rows)
def test_round_trip_holds_for_generated_edits(
    pair: tuple[list[Paragraph], list[Paragraph]],
    rows_a: list[tuple[str, str]],
    rows_b: list[tuple[str, str]],
) -> None:
    old, new = _document(pair[0], rows_a), _document(pair[1], rows_b)
    redline = render_redline(old, new, at=AT)
    _assert_round_trip(old, new, redline)


# --- LibreOffice ---------------------------------------------------------------------------


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def test_libreoffice_opens_the_redline_and_converts_it_to_pdf(tmp_path: Path) -> None:
    soffice = _soffice()
    if soffice is None:
        if os.environ.get("JOINTIP_REQUIRE_SOFFICE") == "1":
            pytest.fail("LibreOffice (soffice) is required here but not installed")
        pytest.skip("LibreOffice (soffice) is not installed on this machine; CI installs it")
    source = tmp_path / "redline.docx"
    source.write_bytes(redline_of(("joint", 2, "NO", "A"), ("client_owns", 3, "LT", "B"))[2])
    result = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        timeout=180,
        check=False,
    )
    pdf = tmp_path / "redline.pdf"
    assert result.returncode == 0, result.stderr
    assert pdf.exists(), result.stdout + result.stderr
    assert pdf.read_bytes().startswith(b"%PDF")


def test_long_paragraphs_past_the_word_diff_budget_still_round_trip() -> None:
    """Two scopes of 20,000 characters from a few repeated words (difflib's worst case) that differ in
    the middle: past the budget the common beginning and end stay, the rest is deleted and inserted
    whole, and accepting or rejecting every change still gives b or a."""
    words = ("žodis", "ąčęėįšųū", "æøå", "payment", "module")
    first = " ".join(words[i % 5] for i in range(3000))
    second = " ".join(words[(i * 7) % 5] for i in range(3000))
    contracts = []
    for scope in (f"Begin. {first} End.", f"Begin. {second} End."):
        data = f.contract(f.terms("joint"), milestone_count=2, title="Fjordpay MVP")
        data = replace(data, proposal=replace(data.proposal, scope=scope))
        contracts.append(render_contract(data))
    old, new = contracts
    redline = render_redline(old, new, at=AT)
    _assert_round_trip(old, new, redline)
