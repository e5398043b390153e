"""Accept or reject every tracked change of a DOCX, as Word's "Accept All" / "Reject All" would,
and read the result paragraph by paragraph. Written from the OOXML rules, independently of the
redline writer:

* ``w:ins`` content stays on accept and goes on reject; ``w:del`` content the other way round
  (its text is in ``w:delText``);
* a paragraph whose mark is deleted (accept) or inserted (reject) is joined to the next paragraph,
  which keeps its own properties;
* a table row marked deleted (accept) or inserted (reject) goes with everything in it.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import Literal

from lxml import etree

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
Mode = Literal["accept", "reject", "as-is"]


@dataclass(frozen=True)
class Paragraph:
    text: str
    style: str | None


def _gone(node: etree._Element, mode: Mode) -> bool:
    """Whether ``node``'s text disappears in this mode, judged by its nearest revision ancestor."""
    for ancestor in node.iterancestors():
        if ancestor.tag == W + "ins":
            return mode == "reject"
        if ancestor.tag == W + "del":
            return mode == "accept"
    return False


def _mark(p: etree._Element) -> str | None:
    rpr = p.find(f"{W}pPr/{W}rPr")
    if rpr is None:
        return None
    if rpr.find(W + "ins") is not None:
        return "ins"
    if rpr.find(W + "del") is not None:
        return "del"
    return None


def _row_mark(tr: etree._Element) -> str | None:
    trpr = tr.find(W + "trPr")
    if trpr is None:
        return None
    if trpr.find(W + "ins") is not None:
        return "ins"
    if trpr.find(W + "del") is not None:
        return "del"
    return None


def _text(p: etree._Element, mode: Mode) -> str:
    out: list[str] = []
    for node in p.iter(W + "t", W + "delText", W + "tab", W + "br", W + "cr"):
        if node.getparent() is None or node.getparent().tag != W + "r":
            continue
        if _gone(node, mode):
            continue
        if node.tag == W + "delText" and mode == "as-is":
            continue
        if node.tag in (W + "t", W + "delText"):
            out.append(node.text or "")
        else:
            out.append("\t" if node.tag == W + "tab" else "\n")
    return "".join(out)


def _style(p: etree._Element) -> str | None:
    style = p.find(f"{W}pPr/{W}pStyle")
    return style.get(W + "val") if style is not None else None


def _walk(container: etree._Element, mode: Mode, out: list[Paragraph], carry: list[str]) -> None:
    for child in container:
        if child.tag == W + "p":
            text = "".join(carry) + _text(child, mode)
            carry.clear()
            mark = _mark(child)
            if (mode == "accept" and mark == "del") or (mode == "reject" and mark == "ins"):
                carry.append(text)  # the paragraph mark goes: joined to the next paragraph
                continue
            out.append(Paragraph(text, _style(child)))
        elif child.tag == W + "tbl":
            for tr in child.iter(W + "tr"):
                mark = _row_mark(tr)
                if (mode == "accept" and mark == "del") or (mode == "reject" and mark == "ins"):
                    continue
                for tc in tr.findall(W + "tc"):
                    _walk(tc, mode, out, carry)
        elif child.tag in (W + "sdt", W + "customXml"):
            content = child.find(W + "sdtContent")
            _walk(content if content is not None else child, mode, out, carry)


def document_xml(docx_bytes: bytes, part: str = "word/document.xml") -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(docx_bytes)) as package:
        return etree.fromstring(package.read(part))


def paragraphs(docx_bytes: bytes, mode: Mode = "as-is", part: str = "word/document.xml") -> list[Paragraph]:
    """Every paragraph of the part (tables' cells included) after accepting or rejecting all changes."""
    root = document_xml(docx_bytes, part)
    body = root.find(W + "body")
    out: list[Paragraph] = []
    carry: list[str] = []
    _walk(body if body is not None else root, mode, out, carry)
    if carry and "".join(carry):
        out.append(Paragraph("".join(carry), None))
    return out


def texts(docx_bytes: bytes, mode: Mode = "as-is", part: str = "word/document.xml") -> list[str]:
    return [p.text for p in paragraphs(docx_bytes, mode, part)]
