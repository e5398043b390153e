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

from contract_templates.layout import Layout, Para, Table

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
    _english_proofing(styles.element)
    _numbering_definitions(document.part.numbering_part.element)
    for name, level in (("Heading 1", 0), ("Heading 2", 1)):
        _bind_style_to_numbering(styles[name].element, level)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- numbering: clause headings and lists are numbered by Word, never typed ------------------------

HEADING_NUM_ID = 1  # the one multi-level list of the clause headings: "7", "7.2"
_HEADING_ABSTRACT = 10
#: One abstract definition per list format; each list in a document gets its own restarting num.
LIST_ABSTRACTS = {"lowerLetter": 11, "lowerRoman": 12, "decimal": 13, "upperLetter": 14}
_TWIPS_INDENT = "567"  # 1 cm


def _lvl(parent: Any, ilvl: int, fmt: str, text: str, *, style: str | None, indent: str) -> None:
    lvl = _el(parent, "lvl", ilvl=str(ilvl))
    _el(lvl, "start", val="1")
    _el(lvl, "numFmt", val=fmt)
    if style is not None:
        _el(lvl, "pStyle", val=style)  # binds the level to the heading style
    _el(lvl, "suff", val="tab")
    _el(lvl, "lvlText", val=text)
    _el(lvl, "lvlJc", val="left")
    ppr = _el(lvl, "pPr")
    _el(_el(ppr, "tabs"), "tab", val="num", pos=indent)
    _el(ppr, "ind", left=indent, hanging=indent)


def _numbering_definitions(numbering: Any) -> None:
    """Replace the default template's list definitions with ours: headings, and one per list format."""
    for child in list(numbering):
        numbering.remove(child)
    headings = _el(numbering, "abstractNum", abstractNumId=str(_HEADING_ABSTRACT))
    _el(headings, "multiLevelType", val="multilevel")
    _lvl(headings, 0, "decimal", "%1", style="Heading1", indent="720")
    _lvl(headings, 1, "decimal", "%1.%2", style="Heading2", indent="720")
    for fmt, abstract_id in LIST_ABSTRACTS.items():
        abstract = _el(numbering, "abstractNum", abstractNumId=str(abstract_id))
        _el(abstract, "multiLevelType", val="singleLevel")
        _lvl(abstract, 0, fmt, "(%1)", style=None, indent=_TWIPS_INDENT)
    num = _el(numbering, "num", numId=str(HEADING_NUM_ID))
    _el(num, "abstractNumId", val=str(_HEADING_ABSTRACT))


def _bind_style_to_numbering(style: Any, level: int) -> None:
    """A heading style that carries the numbering: a heading inserted in Word is numbered too."""
    ppr = style.find(_W + "pPr")
    if ppr is None:
        ppr = _el(style, "pPr")
    num_pr = ppr.makeelement(_W + "numPr", {})
    # The schema orders pPr's children: numPr comes after these, before the rest.
    before = {
        _W + name
        for name in ("pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl")
    }
    position = sum(1 for child in ppr if child.tag in before)
    ppr.insert(position, num_pr)
    _el(num_pr, "ilvl", val=str(level))
    _el(num_pr, "numId", val=str(HEADING_NUM_ID))


def _english_proofing(styles: Any) -> None:
    """British English proofing for every style (the default template says en-US)."""
    for lang in styles.iter(_W + "lang"):
        lang.set(_W + "val", "en-GB")


def add_list(document: Any, fmt: str) -> int:
    """A new numbered list of ``fmt`` that starts again at 1; returns its numId."""
    numbering = document.part.numbering_part.element
    ids = [int(n.get(_W + "numId")) for n in numbering.iter(_W + "num")]
    num_id = max(ids) + 1
    num = _el(numbering, "num", numId=str(num_id))
    _el(num, "abstractNumId", val=str(LIST_ABSTRACTS[fmt]))
    override = _el(num, "lvlOverride", ilvl="0")
    _el(override, "startOverride", val="1")
    return num_id


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


def bookmark_name(part_key: str) -> str:
    """The hidden bookmark on a part's heading that cross-references point at (Word's _Ref style)."""
    return f"_Ref_{part_key}"[:40]


def _ref_field(p: Any, part_key: str, number: str, bold: bool) -> None:
    """A REF field showing the paragraph number of the part's heading; ``number`` is its cached result."""

    def run() -> Any:
        r = _el(p, "r")
        if bold:
            _el(_el(r, "rPr"), "b")
        return r

    _el(run(), "fldChar", fldCharType="begin")
    instr = _el(run(), "instrText")
    instr.set(_XML_SPACE, "preserve")
    instr.text = f" REF {bookmark_name(part_key)} \\r \\h "
    _el(run(), "fldChar", fldCharType="separate")
    _el(run(), "t").text = number
    _el(run(), "fldChar", fldCharType="end")


def _p(
    body: Any,
    style_id: str | None,
    runs: Iterable[tuple[str, bool]] = (),
    *,
    new_page: bool = False,
    num: tuple[int, int] | None = None,
    keep_next: bool = False,
    align: str | None = None,
) -> Any:
    """A paragraph; ``num`` = (numId, level) numbers it (numId 0 switches a style's numbering off)."""
    p = _el(body, "p")
    if style_id is not None or new_page or num is not None or keep_next or align is not None:
        pr = _el(p, "pPr")
        if style_id is not None:
            _el(pr, "pStyle", val=style_id)
        if keep_next:
            _el(pr, "keepNext")
        if new_page:
            _el(pr, "pageBreakBefore")
        if num is not None:
            num_pr = _el(pr, "numPr")
            _el(num_pr, "ilvl", val=str(num[1]))
            _el(num_pr, "numId", val=str(num[0]))
        if align is not None:
            _el(pr, "jc", val=align)
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
    _el(pr, "tblLayout", type="fixed")  # the column widths hold, whatever the content
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
    aligns = table.align or ("left",) * len(widths)
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
        # Keep a block together: every row but the last is kept with the next one.
        keep = table.keep_together and index < len(rows) - 1
        for text, w, align in zip(cells, widths, aligns, strict=True):
            tc = _el(tr, "tc")
            tc_pr = _el(tc, "tcPr")
            _el(tc_pr, "tcW", w=w, type="dxa")
            right = align == "right" and index > 0
            if right:
                _el(tc_pr, "noWrap")  # an amount is never broken over two lines
            _p(tc, None, ((text, bold),) if text else (), keep_next=keep, align="right" if right else None)
    _p(body, None)  # keep the next heading off the table's bottom border


def _runs(p: Any, para: Para) -> None:
    for run in para.runs:
        if run.ref is not None:
            _ref_field(p, run.ref, run.text, run.bold)
        else:
            _run(p, run.text, run.bold)


def write_layout(document: Any, layout: Layout) -> None:
    ids = {key: document.styles[name].style_id for key, name in _STYLE_NAMES.items()}
    table_style = document.styles["Table Grid"].style_id
    text_width = _text_width_twips(document)
    body = document.element.body
    section = body[-1]  # w:sectPr stays last: build the content in a detached body, then move it
    content = body.makeelement(_W + "body", {})
    lists: dict[int, int] = {}  # the layout's list id -> the document's numId
    bookmark = 0
    _p(content, ids["title"], ((layout.title, False),))
    for part in layout.parts:
        numbered = part.number is not None
        heading = _p(
            content, ids["h1"], new_page=part.new_page, num=(HEADING_NUM_ID, 0) if numbered else (0, 0)
        )
        if numbered:
            bookmark += 1
            _el(heading, "bookmarkStart", id=str(bookmark), name=bookmark_name(part.key))
            _run(heading, part.heading)
            _el(heading, "bookmarkEnd", id=str(bookmark))
        else:
            _run(heading, part.heading)
        for clause in part.clauses:
            if clause.title:
                num = (HEADING_NUM_ID, 1) if clause.number is not None else (0, 1)
                _p(content, ids["h2"], ((clause.title, False),), num=num)
            for block in clause.blocks:
                if isinstance(block, Table):
                    _table(content, block, table_style, text_width)
                    continue
                num_pr = None
                if block.list_format is not None:
                    if block.list_id not in lists:
                        lists[block.list_id] = add_list(document, block.list_format)
                    num_pr = (lists[block.list_id], 0)
                style = ids["item"] if block.kind in ("item", "recital") else None
                p = _p(content, style, num=num_pr, keep_next=block.keep_with_next)
                _runs(p, block)
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


_APP_XML = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
    b'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
    b"<Application>jointip</Application><DocSecurity>0</DocSecurity><ScaleCrop>false</ScaleCrop>"
    b"<LinksUpToDate>false</LinksUpToDate><SharedDoc>false</SharedDoc>"
    b"<HyperlinksChanged>false</HyperlinksChanged></Properties>"
)


def package_bytes(document: Any) -> bytes:
    """The document as DOCX bytes with fixed zip entry order, dates, compression and attributes.

    The extended properties name jointip as the application and carry no page or word counts
    (the default template's say "Microsoft Macintosh Word", 1 page, 0 words); Word and LibreOffice
    count for themselves. The Word 2010 copy of the styles gets the same en-GB proofing language.
    """
    entries = _package_entries(document)
    entries["docProps/app.xml"] = _APP_XML
    effects = "word/stylesWithEffects.xml"
    if effects in entries:
        entries[effects] = entries[effects].replace(b'<w:lang w:val="en-US"', b'<w:lang w:val="en-GB"')
    return _zip(entries)
