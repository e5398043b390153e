"""Write DOCX packages deterministically: the shared machinery of every document we render.

* ``base_document()``: python-docx's default document, set up once per process (A4, margins,
  fonts, no thumbnail), opened afresh for each render;
* ``write_layout(document, layout)``: the title, parts, clauses, paragraphs and tables of a
  ``Layout``, written as lxml elements (fast) with the document's own styles;
* ``add_field`` / ``page_footer``: PAGE and NUMPAGES fields;
* ``package_bytes(document)``: the zip with fixed entry order, dates, compression and attributes,
  so that the same document gives the same bytes at any time.

No clock is read here; the caller sets the core properties from its input.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from functools import cache
from typing import Any

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.pkgwriter import PackageWriter
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from contract_templates.layout import Layout, Table

_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_FIRST_ENTRIES = ("[Content_Types].xml", "_rels/.rels")


@cache
def _base_template() -> bytes:
    """python-docx's default document, set up once per process: A4, margins, fonts, no thumbnail."""
    document = docx.Document()
    package = document.part.package
    for rel_id, rel in list(package.rels.items()):
        if rel.reltype == RT.THUMBNAIL:  # a picture of an empty page would mislead
            del package.rels[rel_id]
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(25)
    section.top_margin = section.bottom_margin = Mm(25)
    styles = document.styles
    normal = styles["Normal"]
    normal.font.size = Pt(10.5)
    normal.paragraph_format.space_after = Pt(6)
    for name in ("Heading 1", "Heading 2"):
        styles[name].paragraph_format.keep_with_next = True
    styles["List Paragraph"].paragraph_format.left_indent = Mm(10)
    styles["List Paragraph"].paragraph_format.first_line_indent = Mm(-6)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def base_document() -> Any:
    """A fresh python-docx document from the shared base template."""
    return docx.Document(io.BytesIO(_base_template()))


def add_field(paragraph: Any, instruction: str) -> None:
    """A complex field (PAGE, NUMPAGES) whose cached result Word and LibreOffice recompute."""
    run = paragraph.add_run()
    r = run._r
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    cached = OxmlElement("w:t")
    cached.text = "1"
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    for element in (begin, instr, separate, cached, end):
        r.append(element)


def page_footer(document: Any) -> None:
    """A centred "Page n of m" footer."""
    footer = document.sections[0].footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("Page ")
    add_field(footer, "PAGE")
    footer.add_run(" of ")
    add_field(footer, "NUMPAGES")


# --- body XML: built with lxml directly (python-docx's add_paragraph resolves the style by
# scanning every style on each call, which made a 10-milestone contract ~10x slower) -----------

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_EMU_PER_TWIP = 635
_STYLE_NAMES = {"title": "Title", "h1": "Heading 1", "h2": "Heading 2", "item": "List Paragraph"}


def _el(parent: Any, tag: str, **attrs: str) -> Any:
    child = parent.makeelement(_W + tag, {_W + key: value for key, value in attrs.items()})
    parent.append(child)
    return child


def _run(p: Any, text: str, bold: bool = False) -> None:
    r = _el(p, "r")
    if bold:
        _el(_el(r, "rPr"), "b")
    # Word keeps tabs and line breaks as elements, not characters (as python-docx's run.text does).
    for i, line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n")):
        if i:
            _el(r, "br")
        for j, chunk in enumerate(line.split("\t")):
            if j:
                _el(r, "tab")
            if chunk:
                t = _el(r, "t")
                t.text = chunk
                if chunk != chunk.strip():
                    t.set(_XML_SPACE, "preserve")


def _p(
    body: Any, style_id: str | None, runs: Iterable[tuple[str, bool]] = (), *, new_page: bool = False
) -> Any:
    p = _el(body, "p")
    if style_id is not None or new_page:
        pr = _el(p, "pPr")
        if style_id is not None:
            _el(pr, "pStyle", val=style_id)
        if new_page:
            _el(pr, "pageBreakBefore")
    for text, bold in runs:
        _run(p, text, bold)
    return p


def _text_width_twips(document: Any) -> int:
    """The width between the margins of the (single) section, in twentieths of a point."""
    section = document.sections[0]
    return int((section.page_width - section.left_margin - section.right_margin) // _EMU_PER_TWIP)


def _table(body: Any, table: Table, style_id: str, text_width: int) -> None:
    tbl = _el(body, "tbl")
    pr = _el(tbl, "tblPr")
    _el(pr, "tblStyle", val=style_id)
    _el(pr, "tblW", w=str(text_width), type="dxa")
    _el(pr, "jc", val="center")
    _el(
        pr,
        "tblLook",
        val="04A0",
        firstRow="1",
        lastRow="0",
        firstColumn="0",
        lastColumn="0",
        noHBand="0",
        noVBand="1",
    )
    total = sum(table.widths)
    widths = [str(text_width * w // total) for w in table.widths]
    grid = _el(tbl, "tblGrid")
    for w in widths:
        _el(grid, "gridCol", w=w)
    rows = [(table.header, True), *((r, False) for r in table.rows)]
    if table.total is not None:
        rows.append((table.total, True))
    for index, (cells, bold) in enumerate(rows):
        tr = _el(tbl, "tr")
        tr_pr = _el(tr, "trPr")
        _el(tr_pr, "cantSplit")
        if index == 0:
            _el(tr_pr, "tblHeader")  # repeat the header row on every page
        for text, w in zip(cells, widths, strict=True):
            tc = _el(tr, "tc")
            _el(_el(tc, "tcPr"), "tcW", w=w, type="dxa")
            _p(tc, None, ((text, bold),) if text else ())
    _p(body, None)  # keep the next heading off the table's bottom border


def write_layout(document: Any, layout: Layout) -> None:
    ids = {key: document.styles[name].style_id for key, name in _STYLE_NAMES.items()}
    table_style = document.styles["Table Grid"].style_id
    text_width = _text_width_twips(document)
    body = document.element.body
    section = body[-1]  # w:sectPr stays last: build the content in a detached body, then move it
    content = body.makeelement(_W + "body", {})
    _p(content, ids["title"], ((layout.title, False),))
    for part in layout.parts:
        _p(content, ids["h1"], ((part.heading, False),), new_page=part.new_page)
        for clause in part.clauses:
            if clause.heading:
                _p(content, ids["h2"], ((clause.heading, False),))
            for block in clause.blocks:
                if isinstance(block, Table):
                    _table(content, block, table_style, text_width)
                    continue
                runs = [(r.text, r.bold) for r in block.runs]
                if block.prefix:
                    runs.insert(0, (block.prefix, False))
                _p(content, ids["item"] if block.kind == "item" else None, runs)
    for child in list(content):
        section.addprevious(child)


class _Collector:
    """Stands in for python-docx's zip writer: keeps each package member's bytes."""

    def __init__(self) -> None:
        self.entries: dict[str, bytes] = {}

    def write(self, pack_uri: Any, blob: bytes) -> None:
        self.entries[pack_uri.membername] = blob


def _package_entries(document: Any) -> dict[str, bytes]:
    """Every member of the package, uncompressed.

    python-docx's ``PackageWriter`` steps are used directly so the package is compressed once,
    by us (a third of the render time otherwise); if a python-docx release changes them, fall
    back to saving and reading the zip back, which yields the same members.
    """
    package = document.part.package
    try:
        parts = list(package.iter_parts())
        collector = _Collector()
        writer: Any = PackageWriter  # its steps are private and untyped
        writer._write_content_types_stream(collector, parts)
        writer._write_pkg_rels(collector, package.rels)
        writer._write_parts(collector, parts)
        return collector.entries
    except AttributeError:  # pragma: no cover - depends on the python-docx release
        buffer = io.BytesIO()
        document.save(buffer)
        with zipfile.ZipFile(buffer) as source:
            return {name: source.read(name) for name in source.namelist()}


def _zip(entries: dict[str, bytes]) -> bytes:
    """The package with fixed entry order, dates, compression and attributes."""
    order = [n for n in _FIRST_ENTRIES if n in entries] + sorted(set(entries) - set(_FIRST_ENTRIES))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in order:
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            target.writestr(info, entries[name], compresslevel=6)
    return out.getvalue()


def package_bytes(document: Any) -> bytes:
    """The document as DOCX bytes with fixed zip entry order, dates, compression and attributes."""
    return _zip(_package_entries(document))
