"""LibreOffice turns every variant into a PDF, and each party's signature block stays on one page.

One soffice process converts all 20 documents (starting LibreOffice is most of the cost). CI installs
LibreOffice and sets JOINTIP_REQUIRE_SOFFICE=1, so there this fails rather than skips.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.unit.contract_templates.variants import SIGNATORIES, VARIANTS, rendered, variant_id


def _soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        if os.environ.get("JOINTIP_REQUIRE_SOFFICE") == "1":
            pytest.fail("LibreOffice (soffice) is required here but not installed")
        pytest.skip("LibreOffice (soffice) is not installed on this machine; CI installs it")
    return found


@pytest.fixture(scope="module")
def pdf_pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """Each variant's PDF text, page by page."""
    soffice = _soffice()
    folder = tmp_path_factory.mktemp("variants")
    sources = []
    for v in VARIANTS:
        source = folder / f"{variant_id(*v)}.docx"
        source.write_bytes(rendered(*v))
        sources.append(source)
    profile = folder / "lo-profile"  # a private profile: parallel or leftover instances cannot interfere
    result = subprocess.run(
        [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(folder), *map(str, sources)],
        capture_output=True, timeout=900, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    pages: dict[str, list[str]] = {}
    for source in sources:
        pdf = Path(source).with_suffix(".pdf")
        assert pdf.exists(), result.stdout + result.stderr
        assert pdf.read_bytes().startswith(b"%PDF")
        pages[source.stem] = [page.extract_text() or "" for page in PdfReader(pdf).pages]
    return pages


def _block(party: str) -> list[str]:
    signatory = SIGNATORIES.of(party)
    assert signatory is not None
    who = {"vendor": "Vendor", "startup": "Start-up"}[party]
    return [
        f"For and on behalf of the {who}",
        f"Name: {signatory.name}",
        f"Title: {signatory.title}",
        "Authority:",
        "Date:",
    ]


@pytest.mark.once
@pytest.mark.parametrize(("model", "law", "funded"), VARIANTS, ids=[variant_id(*v) for v in VARIANTS])
def test_each_signature_block_is_on_a_single_page(
    pdf_pages: dict[str, list[str]], model: str, law: str, funded: bool
) -> None:
    pages = pdf_pages[variant_id(model, law, funded)]
    assert len(pages) >= 10
    # The words of a page, whitespace-normalised: PDF text may break lines anywhere.
    flat = [" ".join(page.split()) for page in pages]
    for party in ("vendor", "startup"):
        lines = _block(party)
        holding = [i for i, page in enumerate(flat) if lines[1] in page]
        assert len(holding) == 1, (party, holding)  # the signatory's name appears on one page only
        page = flat[holding[0]]
        for line in lines:
            assert line in page, (party, line)
        assert page.count("Date:") >= 2  # both blocks' date lines are on that page
    # Word's numbering and the cross-reference fields survive the conversion.
    text = "\n".join(flat)
    assert "Definitions and interpretation" in text
    assert "Error: Reference source not found" not in text
    assert "given or deemed to be given under clause 4," in text  # a REF field, resolved by LibreOffice
