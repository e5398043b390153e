"""Write DOCX packages deterministically: the shared machinery of every document we render.

* the base package: python-docx's default document, set up once per process (A4, margins, fonts,
  styles in en-GB, our numbering definitions, a header and a "Page n of m" footer, no thumbnail);
* ``render_package(layout, header=..., properties=...)``: a ``Layout``'s title, parts, clauses,
  paragraphs and tables written as WordprocessingML text into the base parts, with its lists,
  header line and core properties, and zipped;
* ``package_bytes(document)``: any python-docx document (the redline's) zipped the same way.

Zips have a fixed entry order, dates, compression and attributes, so the same document gives the
same bytes at any time. No clock is read here; the caller passes the core properties.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, lru_cache
from typing import Any

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.pkgwriter import PackageWriter
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from contract_templates.layout import Layout, Para, Table

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


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _el(parent: Any, tag: str, **attrs: str) -> Any:
    """A child element of the base template (built once per process, so speed does not matter)."""
    child = parent.makeelement(_W + tag, {_W + key: value for key, value in attrs.items()})
    parent.append(child)
    return child


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


# --- the package, written as text -------------------------------------------------------------------
#
# python-docx builds the base package once per process (styles, numbering definitions, header and
# footer parts, page setup). Each render then only writes text: the body, its lists, the header
# line and the core properties, spliced into the base parts, and zips the result. Building the
# body as lxml elements cost most of a render (element factories with python-docx's class lookup),
# and opening python-docx's default document for every render cost another eighth.

_EMU_PER_TWIP = 635
_STYLE_NAMES = {"title": "Title", "h1": "Heading 1", "h2": "Heading 2", "item": "List Paragraph"}
_HEADER_MARK = "\ue000"  # placeholder text of the base header paragraph, replaced per render
_TBL_LOOK = (
    '<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="0" w:lastColumn="0" '
    'w:noHBand="0" w:noVBand="1"/>'
)


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attr(value: str) -> str:
    return _text(value).replace('"', "&quot;")


@dataclass(frozen=True, slots=True)
class _Base:
    entries: dict[str, bytes]
    document_head: str  # word/document.xml up to and including <w:body>
    sect_pr: str  # the body's section properties (portrait)
    document_tail: str  # </w:body></w:document>
    header_name: str
    header_text: tuple[str, str]  # the header part around its placeholder
    numbering_head: str  # word/numbering.xml without its closing tag
    style_ids: dict[str, str]
    table_style: str
    text_width: int  # twips between the margins, portrait
    text_height: int  # twips between the margins if the page is turned: the landscape text width


@cache
def _base() -> _Base:
    document = docx.Document(io.BytesIO(_base_template()))
    section: Any = document.sections[0]  # python-docx types its lengths as optional
    header = section.header.paragraphs[0]
    header.text = _HEADER_MARK
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    page_footer(document)
    header_name = section.header.part.partname.lstrip("/")
    style_ids = {key: document.styles[name].style_id for key, name in _STYLE_NAMES.items()}
    table_style = document.styles["Table Grid"].style_id
    width = int((section.page_width - section.left_margin - section.right_margin) // _EMU_PER_TWIP)
    height = int((section.page_height - section.top_margin - section.bottom_margin) // _EMU_PER_TWIP)
    entries = _package_entries(document)
    entries["docProps/app.xml"] = _APP_XML
    effects = "word/stylesWithEffects.xml"
    if effects in entries:
        entries[effects] = entries[effects].replace(b'<w:lang w:val="en-US"', b'<w:lang w:val="en-GB"')
    body = entries["word/document.xml"].decode()
    head, rest = body.split("<w:body>", 1)
    sect_at = rest.index("<w:sectPr")
    sect_end = rest.index("</w:sectPr>") + len("</w:sectPr>")
    header_xml = entries[header_name].decode()
    before, after = header_xml.split(_HEADER_MARK)
    numbering = entries["word/numbering.xml"].decode()
    return _Base(
        entries=entries,
        document_head=head + "<w:body>",
        sect_pr=rest[sect_at:sect_end],
        document_tail=rest[sect_end:],
        header_name=header_name,
        header_text=(before, after),
        numbering_head=numbering[: numbering.rindex("</w:numbering>")],
        style_ids=style_ids,
        table_style=table_style,
        text_width=width,
        text_height=height,
    )


def _landscape(sect_pr: str) -> str:
    """The section turned to landscape: page width and height swapped, orientation stated."""
    size = re.search(r'<w:pgSz w:w="(\d+)" w:h="(\d+)"/>', sect_pr)
    if size is None:  # pragma: no cover - the base template always states the page size
        raise RuntimeError("the base template has no w:pgSz")
    turned = f'<w:pgSz w:w="{size.group(2)}" w:h="{size.group(1)}" w:orient="landscape"/>'
    return sect_pr[: size.start()] + turned + sect_pr[size.end() :]


def bookmark_name(part_key: str) -> str:
    """The hidden bookmark on a part's heading that cross-references point at (Word's _Ref style)."""
    return f"_Ref_{part_key}"[:40]


def _run(text: str, bold: bool) -> str:
    """One run; Word keeps tabs and line breaks as elements, not characters."""
    inner = []
    for i, line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n")):
        if i:
            inner.append("<w:br/>")
        for j, chunk in enumerate(line.split("\t")):
            if j:
                inner.append("<w:tab/>")
            if chunk:
                space = ' xml:space="preserve"' if chunk != chunk.strip() else ""
                inner.append(f"<w:t{space}>{_text(chunk)}</w:t>")
    props = "<w:rPr><w:b/></w:rPr>" if bold else ""
    return f"<w:r>{props}{''.join(inner)}</w:r>" if props or inner else "<w:r/>"


def _ref_field(part_key: str, number: str, bold: bool) -> str:
    """A REF field showing the paragraph number of the part's heading; ``number`` is its cached result."""
    props = "<w:rPr><w:b/></w:rPr>" if bold else ""
    instruction = f" REF {bookmark_name(part_key)} \\r \\h "
    return (
        f'<w:r>{props}<w:fldChar w:fldCharType="begin"/></w:r>'
        f'<w:r>{props}<w:instrText xml:space="preserve">{_text(instruction)}</w:instrText></w:r>'
        f'<w:r>{props}<w:fldChar w:fldCharType="separate"/></w:r>'
        f"<w:r>{props}<w:t>{_text(number)}</w:t></w:r>"
        f'<w:r>{props}<w:fldChar w:fldCharType="end"/></w:r>'
    )


def _runs(para: Para) -> str:
    return "".join(
        _ref_field(run.ref, run.text, run.bold) if run.ref is not None else _run(run.text, run.bold)
        for run in para.runs
    )


def _p(
    content: str,
    style_id: str | None = None,
    *,
    new_page: bool = False,
    num: tuple[int, int] | None = None,
    keep_next: bool = False,
    align: str | None = None,
) -> str:
    """A paragraph; ``num`` = (numId, level) numbers it (numId 0 switches a style's numbering off)."""
    props = []
    if style_id is not None:
        props.append(f'<w:pStyle w:val="{style_id}"/>')
    if keep_next:
        props.append("<w:keepNext/>")
    if new_page:
        props.append("<w:pageBreakBefore/>")
    if num is not None:
        props.append(f'<w:numPr><w:ilvl w:val="{num[1]}"/><w:numId w:val="{num[0]}"/></w:numPr>')
    if align is not None:
        props.append(f'<w:jc w:val="{align}"/>')
    pr = f"<w:pPr>{''.join(props)}</w:pPr>" if props else ""
    return f"<w:p>{pr}{content}</w:p>" if pr or content else "<w:p/>"


def _table(table: Table, style_id: str, text_width: int) -> str:
    total = sum(table.widths)
    widths = [str(text_width * w // total) for w in table.widths]
    aligns = table.align or ("left",) * len(widths)
    out = [
        f'<w:tbl><w:tblPr><w:tblStyle w:val="{style_id}"/><w:tblW w:w="{text_width}" w:type="dxa"/>'
        # fixed layout: the column widths hold, whatever the content
        f'<w:jc w:val="center"/><w:tblLayout w:type="fixed"/>{_TBL_LOOK}</w:tblPr><w:tblGrid>',
        *(f'<w:gridCol w:w="{w}"/>' for w in widths),
        "</w:tblGrid>",
    ]
    rows = [(table.header, True), *((r, False) for r in table.rows)]
    if table.total is not None:
        rows.append((table.total, True))
    for index, (cells, bold) in enumerate(rows):
        # cantSplit always; the header row repeats on every page
        out.append("<w:tr><w:trPr><w:cantSplit/>" + ("<w:tblHeader/>" if index == 0 else "") + "</w:trPr>")
        # Keep a block together: every row but the last is kept with the next one.
        keep = table.keep_together and index < len(rows) - 1
        for text, w, align in zip(cells, widths, aligns, strict=True):
            right = align == "right" and index > 0
            no_wrap = "<w:noWrap/>" if right else ""  # an amount is never broken over two lines
            cell = _p(_run(text, bold) if text else "", keep_next=keep, align="right" if right else None)
            out.append(f'<w:tc><w:tcPr><w:tcW w:w="{w}" w:type="dxa"/>{no_wrap}</w:tcPr>{cell}</w:tc>')
        out.append("</w:tr>")
    out.append("</w:tbl>")
    out.append("<w:p/>")  # keep the next heading off the table's bottom border
    return "".join(out)


def _list_num(num_id: int, fmt: str) -> str:
    """A numbered list of ``fmt`` that starts again at 1."""
    return (
        f'<w:num w:numId="{num_id}"><w:abstractNumId w:val="{LIST_ABSTRACTS[fmt]}"/>'
        '<w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride></w:num>'
    )


def _body(layout: Layout, base: _Base, text_width: int) -> tuple[str, str]:
    """The body's XML and the numbering definitions its lists add."""
    ids = base.style_ids
    out = [_p(_run(layout.title, False), ids["title"])]
    lists: dict[int, int] = {}  # the layout's list id -> the document's numId
    nums: list[str] = []
    bookmark = 0
    for part in layout.parts:
        numbered = part.number is not None
        heading = _run(part.heading, False)
        if numbered:
            bookmark += 1
            name = _attr(bookmark_name(part.key))
            heading = f'<w:bookmarkStart w:id="{bookmark}" w:name="{name}"/>{heading}<w:bookmarkEnd w:id="{bookmark}"/>'
        num = (HEADING_NUM_ID, 0) if numbered else (0, 0)
        out.append(_p(heading, ids["h1"], new_page=part.new_page, num=num))
        for clause in part.clauses:
            if clause.title:
                level = (HEADING_NUM_ID, 1) if clause.number is not None else (0, 1)
                out.append(_p(_run(clause.title, False), ids["h2"], num=level))
            for block in clause.blocks:
                if isinstance(block, Table):
                    out.append(_table(block, base.table_style, text_width))
                    continue
                num_pr = None
                if block.list_format is not None:
                    if block.list_id not in lists:
                        lists[block.list_id] = HEADING_NUM_ID + 1 + len(lists)
                        nums.append(_list_num(lists[block.list_id], block.list_format))
                    num_pr = (lists[block.list_id], 0)
                style = ids["item"] if block.kind in ("item", "recital") else None
                out.append(_p(_runs(block), style, num=num_pr, keep_next=block.keep_with_next))
    return "".join(out), "".join(nums)


@dataclass(frozen=True, slots=True)
class CoreProperties:
    """The package's core properties; ``at`` stands for created, modified and last printed."""

    title: str
    subject: str
    keywords: str
    description: str
    category: str
    identifier: str
    revision: int
    version: str
    at: datetime


def _core(props: CoreProperties) -> bytes:
    at = props.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{_text(props.title)}</dc:title><dc:subject>{_text(props.subject)}</dc:subject>"
        f"<dc:creator>jointip</dc:creator><cp:keywords>{_text(props.keywords)}</cp:keywords>"
        f"<dc:description>{_text(props.description)}</dc:description>"
        f"<cp:lastModifiedBy>jointip</cp:lastModifiedBy><cp:revision>{props.revision}</cp:revision>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{at}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{at}</dcterms:modified>'
        f"<cp:category>{_text(props.category)}</cp:category><cp:lastPrinted>{at}</cp:lastPrinted>"
        f"<cp:version>{_text(props.version)}</cp:version><dc:identifier>{_text(props.identifier)}</dc:identifier>"
        "<dc:language>en-GB</dc:language><cp:contentStatus></cp:contentStatus></cp:coreProperties>"
    ).encode()


def render_package(
    layout: Layout, *, header: str, properties: CoreProperties, landscape: bool = False
) -> bytes:
    """A document of ``layout`` as DOCX bytes: the same arguments give the same bytes, at any time.

    ``header``: the right-aligned line at the top of every page (the footer counts the pages).
    """
    base = _base()
    body, nums = _body(layout, base, base.text_height if landscape else base.text_width)
    sect_pr = _landscape(base.sect_pr) if landscape else base.sect_pr
    entries = dict(base.entries)
    entries["word/document.xml"] = (base.document_head + body + sect_pr + base.document_tail).encode()
    entries["word/numbering.xml"] = (base.numbering_head + nums + "</w:numbering>").encode()
    before, after = base.header_text
    entries[base.header_name] = (before + _text(header) + after).encode()
    entries["docProps/core.xml"] = _core(properties)
    return _zip(entries)


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


@lru_cache(maxsize=64)
def _deflated(data: bytes) -> tuple[bytes, int]:
    """``data`` compressed as a zip member (raw deflate, level 6) and its CRC-32.

    Cached: the base parts (styles alone are 800 kB) are the same objects in every render, so
    each is compressed once per process; a render compresses only the parts it wrote.
    """
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(), zlib.crc32(data)


_DOS_DATE = (1980 - 1980) << 9 | 1 << 5 | 1  # 1980-01-01, the zip epoch; the DOS time is 0
_MODE = 0o600 << 16  # rw------- in the external attributes, as zipfile writes a member


def _zip(entries: dict[str, bytes]) -> bytes:
    """The package with fixed entry order, dates, compression and attributes.

    Written as ``zipfile`` writes it (the same bytes), but from cached compressed members.
    """
    order = [n for n in _FIRST_ENTRIES if n in entries] + sorted(set(entries) - set(_FIRST_ENTRIES))
    out: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for name in order:
        data = entries[name]
        packed, crc = _deflated(data)
        encoded = name.encode("ascii")
        sizes = (crc, len(packed), len(data), len(encoded))
        local = struct.pack("<4s2B4HL2L2H", b"PK\x03\x04", 20, 0, 0, 8, 0, _DOS_DATE, *sizes, 0)
        central.append(
            struct.pack(
                "<4s4B4HL2L5H2L",
                b"PK\x01\x02",
                20,
                0,
                20,
                0,
                0,
                8,
                0,
                _DOS_DATE,
                *sizes,
                0,
                0,
                0,
                0,
                _MODE,
                offset,
            )
            + encoded
        )
        out += (local, encoded, packed)
        offset += len(local) + len(encoded) + len(packed)
    directory = b"".join(central)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(order), len(order), len(directory), offset, 0)
    return b"".join(out) + directory + end


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
