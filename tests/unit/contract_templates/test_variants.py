"""All 20 variants (5 models x 2 laws, funded or not) read as a lawyer's first draft would have to:
defined terms defined and used, no broken articles or unfilled placeholders, the checklist of
clauses each needs, and the Word structure (numbering, cross-reference fields, en-GB, signature
blocks that cannot split)."""

from __future__ import annotations

import io
import re
import zipfile
from functools import cache

import pytest
from lxml import etree

from contract_templates import clause_texts
from tests.unit.contract_templates.docx_reading import Reopened
from tests.unit.contract_templates.variants import VARIANTS, rendered, reopened, variant, variant_id

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
IDS = [variant_id(*v) for v in VARIANTS]


def _definitions(doc: Reopened) -> set[str]:
    """Terms defined in this document: bold runs quoted “like this” (the library's “**Term**”)."""
    text = doc.text
    return {term for term in doc.bold_texts() if f"“{term}”" in text}


@cache
def _vocabulary() -> frozenset[str]:
    """Every term any variant defines: a term used anywhere must be defined where it is used."""
    return frozenset(term for v in VARIANTS for term in _definitions(reopened(*v)))


def _uses(term: str, text: str) -> int:
    """Occurrences of the term (also plural or possessive), not inside a longer capitalised name."""
    pattern = rf"(?<![\w-]){re.escape(term)}(?:s|es)?(?![\w-])"
    return len(re.findall(pattern, text))


#: Phrases the first review found: a defined word with an undefined modifier, or an undefined term.
UNDEFINED_PHRASES = ("joint Results", "managing Party", "lead Party", "notice of readiness", "affiliates")


@pytest.mark.parametrize(("model", "law", "funded"), VARIANTS, ids=IDS)
def test_every_term_used_is_defined_and_every_defined_term_is_used(
    model: str, law: str, funded: bool
) -> None:
    doc = reopened(model, law, funded)
    text = doc.text
    defined = _definitions(doc)
    assert {"Agreement", "Vendor", "Start-up", "Results", "Background IP"} <= defined
    for term in sorted(defined):
        # Used at least once besides its definition, which is the quoted occurrence.
        assert _uses(term, text) > text.count(f"“{term}”"), f"{term!r} is defined but never used"
    for term in sorted(_vocabulary() - defined):
        assert _uses(term, text) == 0, f"{term!r} is used but not defined in this variant"
    for phrase in UNDEFINED_PHRASES:
        assert phrase not in text, phrase
    if not funded:
        assert "Programme Operator" not in text


_VOWEL_SOUND_LETTERS = set("AEFHILMNORSX")  # initialisms read letter by letter: "an MVP", "an SPDX ..."
_SILENT_H = ("hour", "honest", "honour", "heir")
_YOU_SOUND = ("uni", "use", "usu", "eu", "one", "once")


def _needs_a(word: str) -> bool:
    """True when ``word`` starts with a consonant sound, so "an" before it is wrong."""
    if word.isupper() and len(word) > 1:
        return word[0] not in _VOWEL_SOUND_LETTERS
    lower = word.lower()
    if lower.startswith(_SILENT_H):
        return False
    if lower.startswith(_YOU_SOUND):
        return True
    return lower[0] not in "aeiou"


@pytest.mark.parametrize(("model", "law", "funded"), VARIANTS, ids=IDS)
def test_no_an_before_a_consonant_sound_and_no_unfilled_placeholder(
    model: str, law: str, funded: bool
) -> None:
    text = reopened(model, law, funded).text
    wrong = [m.group(0) for m in re.finditer(r"\b[Aa]n ([A-Za-z][\w-]*)", text) if _needs_a(m.group(1))]
    assert wrong == []
    for leftover in ("{", "}", "[", "]", "**", "None", "TODO", "\ufffd"):
        assert leftover not in text, leftover


def test_the_article_check_itself_catches_the_old_mistake() -> None:
    assert _needs_a("non-exclusive")
    assert not _needs_a("exclusive")
    assert not _needs_a("MVP")
    assert _needs_a("unique")
    assert not _needs_a("undivided")


CHECKLIST = (
    "force_majeure.event",
    "insurance.cover",
    "compliance.anti_corruption",
    "compliance.sanctions",
    "signatures.counterparts",
    "rights.chain_of_title",
)
LAW_SPECIFIC = ("rights.transfer", "rights.personnel", "rights.moral")


@pytest.mark.parametrize(("model", "law", "funded"), VARIANTS, ids=IDS)
def test_each_variant_carries_the_checklist_of_clauses(model: str, law: str, funded: bool) -> None:
    ids = set(clause_texts(variant(model, law, funded)))
    assert set(CHECKLIST) <= ids
    assert len([i for i in ids if i.startswith("signatures.electronic_")]) == 1
    other = {"NO": "lt", "LT": "no"}[law]
    for stem in LAW_SPECIFIC:
        assert f"{stem}_{law.lower()}" in ids
        assert f"{stem}_{other}" not in ids
    assert ("funding.roles" in ids) == funded
    assert ("funding.none" in ids) == (not funded)


def test_each_law_has_its_own_transfer_wording() -> None:
    norwegian = clause_texts(variant("client_owns", "NO", False))["rights.transfer_no"]
    lithuanian = clause_texts(variant("client_owns", "LT", False))["rights.transfer_lt"]
    assert "Nothing passes by implication" in norwegian
    assert "This Agreement is the written contract" in lithuanian
    for text in (norwegian, lithuanian):
        assert "included in the Fees" in text  # remuneration stated
        assert "worldwide" in text or "whole world" in text  # territory
        assert "term" in text  # term


# --- Word structure ------------------------------------------------------------------------------


def _part(docx: bytes, name: str) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(docx)) as package:
        return etree.fromstring(package.read(name))


@pytest.mark.parametrize(("model", "law", "funded"), VARIANTS, ids=IDS)
def test_word_structure_numbering_fields_language_and_signature_blocks(
    model: str, law: str, funded: bool
) -> None:
    docx = rendered(model, law, funded)
    document = _part(docx, "word/document.xml")
    body = document.find(f"{W}body")
    assert body is not None

    # Clause headings: numbered by Word (w:numPr), no typed number.
    numbered = 0
    for p in body.iter(f"{W}p"):
        style = p.find(f"{W}pPr/{W}pStyle")
        if style is None or style.get(f"{W}val") not in ("Heading1", "Heading2"):
            continue
        num_id = p.find(f"{W}pPr/{W}numPr/{W}numId")
        assert num_id is not None, "every heading says how it is numbered"
        text = "".join(t.text or "" for t in p.iter(f"{W}t"))
        assert not re.match(r"\s*\d", text), text
        numbered += num_id.get(f"{W}val") != "0"
    assert numbered > 60

    # Cross-references are REF fields to bookmarks that exist.
    bookmarks = {b.get(f"{W}name") for b in body.iter(f"{W}bookmarkStart")}
    refs = [
        m.group(1)
        for instr in body.iter(f"{W}instrText")
        if (m := re.match(r"\s*REF (\S+)", instr.text or ""))
    ]
    assert len(refs) > 50
    assert set(refs) <= bookmarks

    # British English proofing by default.
    styles = _part(docx, "word/styles.xml")
    lang = styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}lang")
    assert lang is not None
    assert lang.get(f"{W}val") == "en-GB"
    assert not [x for x in styles.iter(f"{W}lang") if x.get(f"{W}val") == "en-US"]

    # The signature blocks: rows that cannot split, kept together and with the words before them.
    signature_table = next(
        t for t in body.iter(f"{W}tbl") if "For and on behalf of the Vendor" in "".join(t.itertext())
    )
    rows = signature_table.findall(f"{W}tr")
    assert len(rows) == 7
    assert all(row.find(f"{W}trPr/{W}cantSplit") is not None for row in rows)
    for row in rows[:-1]:
        assert all(p.find(f"{W}pPr/{W}keepNext") is not None for p in row.iter(f"{W}p"))
    before = signature_table.getprevious()
    assert before is not None
    assert before.find(f"{W}pPr/{W}keepNext") is not None

    # Extended properties: our application, no stale counts.
    app = _part(docx, "docProps/app.xml")
    ns = "{http://schemas.openxmlformats.org/officeDocument/2006/extended-properties}"
    assert app.findtext(f"{ns}Application") == "jointip"
    assert app.find(f"{ns}Pages") is None
    assert app.find(f"{ns}Words") is None


def test_amounts_are_right_aligned_and_never_wrap() -> None:
    document = _part(rendered("joint", "NO", True), "word/document.xml")
    table = next(t for t in document.iter(f"{W}tbl") if "Acceptance criteria" in "".join(t.itertext()))
    for row in table.findall(f"{W}tr")[1:]:
        fee = row.findall(f"{W}tc")[3]
        assert fee.find(f"{W}tcPr/{W}noWrap") is not None
        assert fee.find(f"{W}p/{W}pPr/{W}jc").get(f"{W}val") == "right"  # type: ignore[union-attr]


# --- the joint model -----------------------------------------------------------------------------


@pytest.mark.parametrize("revenue_share", ["pro_rata", "equal"])
def test_each_co_owner_may_exploit_the_joint_results_itself_and_shares_that_revenue(
    revenue_share: str,
) -> None:
    from tests.unit.contract_templates.factories import contract, terms

    ids = list(clause_texts(contract(terms("joint", revenue_share=revenue_share))))
    own, shared = "results_ip.joint_own_exploitation", f"results_ip.joint_revenue_{revenue_share}"
    assert own in ids
    assert shared in ids
    for complete in ("joint_enforcement", "joint_transfer", "joint_change_of_control", "joint_insolvency"):
        assert f"results_ip.{complete}" in ids
    # The field split's fallback to joint ownership uses the same terms.
    split = set(clause_texts(contract(terms("field_split"))))
    assert {own, "results_ip.joint_revenue_equal", "results_ip.joint_insolvency"} <= split
    for model in ("client_owns", "vendor_owns_licensed", "lead_exploiter"):
        assert own not in clause_texts(contract(terms(model)))
