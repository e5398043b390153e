"""A redline: version b of a contract in which every difference from version a is a native
tracked change (``w:ins`` / ``w:del``), as Word's own compare would write it.

Pure and deterministic: it reads the two stored DOCX packages and nothing else, so the same two
versions and date give the same bytes. Accepting every revision gives version b's text and
paragraph properties; rejecting every revision gives version a's text.

How the two documents are lined up:

* The body (and each header and footer, and each table cell) is a sequence of blocks:
  paragraphs and tables. Blocks whose XML is identical line up first (``difflib``); between
  those anchors, a paragraph of a is paired with a paragraph of b when both have the same
  paragraph properties (style, numbering) and share at least half their words; a table with a
  table of the same column count. The pairing keeps document order (a small dynamic programme).
* A paired paragraph is diffed word by word: unchanged words are b's runs, removed words a
  ``w:del`` of a's runs (``w:delText``), added words a ``w:ins`` of b's runs. Fields, hyperlinks
  and other inline objects move as one piece. Bookmarks and other markers are b's, untracked.
* An unpaired paragraph is inserted or deleted whole, its paragraph mark included
  (``w:pPr/w:rPr/w:ins|w:del``); that is how an added or removed clause appears.
* Paired tables are lined up row by row; rows are inserted or deleted with ``w:trPr/w:ins|w:del``
  and the cells of paired rows are lined up like the body.

Everything else in the package (styles, numbering, settings, properties) is version b's.
"""

from __future__ import annotations

import copy
import io
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from difflib import SequenceMatcher
from typing import Any, Literal, TypeAlias

import docx
from lxml import etree

from contract_templates._docx import package_bytes

__all__ = ["REDLINE_AUTHOR", "render_redline"]

REDLINE_AUTHOR = "jointip"

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_P, _TBL, _R, _T = _W + "p", _W + "tbl", _W + "r", _W + "t"
_PPR, _RPR, _TR, _TC, _TRPR, _TCPR = _W + "pPr", _W + "rPr", _W + "tr", _W + "tc", _W + "trPr", _W + "tcPr"
_INS, _DEL, _DEL_TEXT = _W + "ins", _W + "del", _W + "delText"
_INSTR, _DEL_INSTR = _W + "instrText", _W + "delInstrText"
_FLD_CHAR = _W + "fldChar"
_FLD_TYPE = _W + "fldCharType"
_ID = _W + "id"
# Markers carry no text; they are kept where b has them and dropped from removed content (a
# bookmark of a would clash with b's names).
_MARKERS = {
    _W + name
    for name in (
        "bookmarkStart",
        "bookmarkEnd",
        "proofErr",
        "permStart",
        "permEnd",
        "commentRangeStart",
        "commentRangeEnd",
        "moveFromRangeStart",
        "moveFromRangeEnd",
        "moveToRangeStart",
        "moveToRangeEnd",
    )
}
# Paragraph-mark properties are written in this order (CT_PPr): rPr comes after these ...
_PPR_AFTER_RPR = {_W + "sectPr", _W + "pPrChange"}
# ... and row properties keep ins/del after their base properties (CT_TrPr).
_TRPR_AFTER_MARK = {_W + "trPrChange"}

_WORD = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)
_PAIR_WORDS = 0.5  # share of words two paragraphs need in common to be shown as one changed paragraph
_PAIR_TABLE = 0.3
_PAIRING_BUDGET = 40_000  # cells of the pairing table; beyond it, pair in order (rare: huge rewrites)
# Steps of word-level diffing one redline may spend (difflib costs up to len(a) * len(b) on
# repetitive text: two 20,000-character paragraphs of a few words took 13 s). Past it, a changed
# paragraph keeps its common beginning and end and shows the rest deleted and inserted whole, so
# the redline of the largest contracts the API accepts stays well under a second.
_WORD_DIFF_BUDGET = 250_000

Status: TypeAlias = Literal["equal", "ins", "del"]


_NSMAP = {"w": _W[1:-1]}


def _new(tag: str) -> Any:
    """A new element that writes the WordprocessingML namespace with its usual ``w`` prefix."""
    return etree.Element(tag, nsmap=_NSMAP)


def _xml(element: Any) -> bytes:
    return bytes(etree.tostring(element))


def _visible_text(element: Any) -> str:
    """The text a reader sees: w:t (field results included, instructions not), tabs and breaks."""
    out: list[str] = []
    for node in element.iter(_T, _W + "tab", _W + "br", _W + "cr"):
        if node.tag == _T:
            out.append(node.text or "")
        elif node.getparent() is not None and node.getparent().tag == _R:  # tab stops in pPr are not text
            out.append("\t" if node.tag == _W + "tab" else "\n")
    return "".join(out)


@dataclass
class _Ids:
    """Revision ids: unique among the document's annotations, above any id b already uses."""

    next: int
    author: str
    date: str
    word_budget: int = _WORD_DIFF_BUDGET  # what is left of it in this redline

    def mark(self, tag: str) -> Any:
        element = _new(tag)
        element.set(_ID, str(self.next))
        element.set(_W + "author", self.author)
        element.set(_W + "date", self.date)
        self.next += 1
        return element


# --- runs marked inserted or deleted ---------------------------------------------------------


def _strip_markers(element: Any) -> None:
    for node in list(element.iter(*_MARKERS)):
        node.getparent().remove(node)


def _inside_revision(node: Any) -> bool:
    return any(ancestor.tag in (_INS, _DEL) for ancestor in node.iterancestors())


def _mark_runs(container: Any, kind: str, ids: _Ids) -> None:
    """Wrap every run inside ``container`` (consecutive siblings together) in a w:ins or w:del."""
    parents = [
        node
        for node in container.iter()
        if isinstance(node.tag, str)
        and node.tag not in (_INS, _DEL)
        and any(child.tag == _R for child in node)
        and not _inside_revision(node)
    ]
    for parent in parents:
        children = list(parent)
        index = 0
        while index < len(children):
            if children[index].tag != _R:
                index += 1
                continue
            start = index
            while index < len(children) and children[index].tag == _R:
                index += 1
            wrapper = ids.mark(kind)
            children[start].addprevious(wrapper)
            for run in children[start:index]:
                wrapper.append(run)  # moves the run into the wrapper
                if kind == _DEL:
                    for node in run.iter(_T, _INSTR):
                        node.tag = _DEL_TEXT if node.tag == _T else _DEL_INSTR


def _mark_paragraph(p: Any, kind: str, ids: _Ids) -> None:
    """Mark the paragraph mark of ``p`` inserted or deleted (w:pPr/w:rPr/w:ins|w:del)."""
    ppr = p.find(_PPR)
    if ppr is None:
        ppr = _new(_PPR)
        p.insert(0, ppr)
    rpr = ppr.find(_RPR)
    if rpr is None:
        rpr = _new(_RPR)
        later = [child for child in ppr if child.tag in _PPR_AFTER_RPR]
        if later:
            later[0].addprevious(rpr)
        else:
            ppr.append(rpr)
    rpr.insert(0, ids.mark(kind))  # CT_ParaRPr: the revision marks come first


def _mark_row(tr: Any, kind: str, ids: _Ids) -> None:
    trpr = tr.find(_TRPR)
    if trpr is None:
        trpr = _new(_TRPR)
        after_tblpr = [child for child in tr if child.tag in (_W + "tblPrEx",)]
        if after_tblpr:
            after_tblpr[0].addnext(trpr)
        else:
            tr.insert(0, trpr)
    later = [child for child in trpr if child.tag in _TRPR_AFTER_MARK]
    mark = ids.mark(kind)
    if later:
        later[0].addprevious(mark)
    else:
        trpr.append(mark)


def _whole(block: Any, kind: str, ids: _Ids) -> Any:
    """A copy of a paragraph or table of one version only, marked inserted or deleted whole."""
    block = copy.deepcopy(block)
    if kind == _DEL:
        _strip_markers(block)
    if block.tag == _P:
        _mark_runs(block, kind, ids)
        _mark_paragraph(block, kind, ids)
    else:
        for tr in block.iter(_TR):
            _mark_row(tr, kind, ids)
        _mark_runs(block, kind, ids)
    return block


# --- inside a paragraph: tokens and the word-level diff --------------------------------------


@dataclass
class _Token:
    """One word, space, punctuation mark or indivisible inline object of a paragraph.

    ``key`` decides equality (text and formatting); ``build`` makes the output element(s).
    """

    key: tuple[Any, ...]
    kind: Literal["text", "run", "inline", "marker"]
    rpr: Any = None  # the run properties of text and run tokens
    text: str = ""
    children: list[Any] = field(default_factory=list)  # run children (run) or the element (inline)


def _run_tokens(run: Any) -> Iterator[_Token]:
    rpr = run.find(_RPR)
    rpr_key = _xml(rpr) if rpr is not None else b""
    field_depth = 0
    group: list[Any] = []
    for child in run:
        if child.tag == _RPR:
            continue
        if field_depth or (child.tag == _FLD_CHAR and child.get(_FLD_TYPE) == "begin"):
            # A complex field (begin .. end) moves as one piece: never half a field.
            group.append(child)
            if child.tag == _FLD_CHAR:
                kind = child.get(_FLD_TYPE)
                field_depth += 1 if kind == "begin" else -1 if kind == "end" else 0
            if field_depth == 0:
                key = ("field", rpr_key, b"".join(_xml(c) for c in group))
                yield _Token(key, "run", rpr, children=group)
                group = []
            continue
        if child.tag == _T:
            for word in _WORD.findall(child.text or ""):
                yield _Token(("t", rpr_key, word), "text", rpr, text=word)
        else:
            yield _Token(("r", rpr_key, _xml(child)), "run", rpr, children=[child])
    if group:  # a field that continues in the next run: keep what this run holds together
        yield _Token(("field", rpr_key, b"".join(_xml(c) for c in group)), "run", rpr, children=group)


def _paragraph_tokens(p: Any, keep_markers: bool) -> list[_Token]:
    tokens: list[_Token] = []
    for index, child in enumerate(p):
        if child.tag == _PPR:
            continue
        if child.tag == _R:
            tokens.extend(_run_tokens(child))
        elif child.tag in _MARKERS:
            if keep_markers:
                tokens.append(_Token(("marker", index), "marker", children=[child]))
        else:  # hyperlink, simple field, content control ...: one indivisible piece
            tokens.append(_Token(("inline", _xml(child)), "inline", children=[child]))
    return tokens


class _ParagraphWriter:
    """Appends tokens to an output paragraph, merging neighbours into as few runs as Word would."""

    def __init__(self, p: Any, ids: _Ids) -> None:
        self.p = p
        self.ids = ids
        self.wrapper: Any = None  # the open w:ins / w:del
        self.wrapper_kind: str | None = None
        self.run: Any = None  # the open run, with its rPr key and text node
        self.run_key: tuple[str | None, bytes] | None = None
        self.text_node: Any = None
        # The open text node's words, joined once when it closes (appending to an lxml node's text
        # word by word copies the whole text each time: quadratic in a long paragraph).
        self.words: list[str] = []

    def _flush_text(self) -> None:
        if self.text_node is not None:
            text = "".join(self.words)
            self.text_node.text = text
            if text != text.strip():
                self.text_node.set(_XML_SPACE, "preserve")
        self.words = []

    def _close_run(self) -> None:
        self._flush_text()
        self.run, self.run_key, self.text_node = None, None, None

    def _target(self, status: Status) -> Any:
        kind = {"equal": None, "ins": _INS, "del": _DEL}[status]
        if kind != self.wrapper_kind:
            self._close_run()
            self.wrapper = self.ids.mark(kind) if kind else None
            self.wrapper_kind = kind
            if self.wrapper is not None:
                self.p.append(self.wrapper)
        return self.wrapper if self.wrapper is not None else self.p

    def _new_run(self, target: Any, rpr: Any) -> Any:
        run = etree.SubElement(target, _R)
        if rpr is not None:
            run.append(copy.deepcopy(rpr))
        return run

    def add(self, token: _Token, status: Status) -> None:
        if token.kind == "marker":
            self._close_run()
            self.wrapper, self.wrapper_kind = None, None
            self.p.append(copy.deepcopy(token.children[0]))
            return
        if token.kind == "inline":
            self._close_run()
            element = copy.deepcopy(token.children[0])
            if status != "equal":
                if status == "del":
                    _strip_markers(element)
                _mark_runs(element, _INS if status == "ins" else _DEL, self.ids)
            # an inline object cannot sit inside a w:ins/w:del: put it beside the wrapper
            self.p.append(element)
            self.wrapper, self.wrapper_kind = None, None
            return
        target = self._target(status)
        rpr_key = (status, _xml(token.rpr) if token.rpr is not None else b"")
        if token.kind == "text":
            if self.run is None or self.run_key != rpr_key or self.text_node is None:
                self._close_run()
                self.run = self._new_run(target, token.rpr)
                self.run_key = rpr_key
                self.text_node = etree.SubElement(self.run, _DEL_TEXT if status == "del" else _T)
            self.words.append(token.text)
            return
        # a run child (tab, break, field ...): into the open run when the formatting is the same
        if self.run is None or self.run_key != rpr_key:
            self._close_run()
            self.run = self._new_run(target, token.rpr)
            self.run_key = rpr_key
        else:
            self._close_run_text_only()
        for child in token.children:
            child = copy.deepcopy(child)
            if status == "del" and child.tag in (_T, _INSTR):
                child.tag = _DEL_TEXT if child.tag == _T else _DEL_INSTR
            self.run.append(child)

    def _close_run_text_only(self) -> None:
        """Later text must start a new w:t after a non-text child, in the same run."""
        self._flush_text()
        self.text_node = None

    def finish(self) -> Any:
        self._close_run()
        return self.p


_Opcode = tuple[str, int, int, int, int]


def _word_opcodes(a: list[Any], b: list[Any], ids: _Ids) -> list[_Opcode]:
    """difflib's opcodes from token keys ``a`` to ``b``, within the redline's word-diff budget."""
    if len(a) * len(b) <= ids.word_budget:
        ids.word_budget -= len(a) * len(b)
        return list(SequenceMatcher(None, a, b, autojunk=False).get_opcodes())
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    end_a, end_b = len(a), len(b)
    while end_a > start and end_b > start and a[end_a - 1] == b[end_b - 1]:
        end_a, end_b = end_a - 1, end_b - 1
    ops: list[_Opcode] = [("equal", 0, start, 0, start)] if start else []
    cost = (end_a - start) * (end_b - start)
    if 0 < cost <= ids.word_budget:
        ids.word_budget -= cost
        middle = SequenceMatcher(None, a[start:end_a], b[start:end_b], autojunk=False)
        ops += [
            (op, i1 + start, i2 + start, j1 + start, j2 + start)
            for op, i1, i2, j1, j2 in middle.get_opcodes()
        ]
    elif end_a > start or end_b > start:
        ops.append(("replace", start, end_a, start, end_b))
    if end_a < len(a):
        ops.append(("equal", end_a, len(a), end_b, len(b)))
    return ops


def _changed_paragraph(old: Any, new: Any, ids: _Ids) -> Any:
    """b's paragraph with the word-level differences from a's as tracked changes."""
    a = _paragraph_tokens(old, keep_markers=False)
    b = _paragraph_tokens(new, keep_markers=True)
    out = _new(_P)
    for name, value in new.attrib.items():
        out.set(name, value)
    ppr = new.find(_PPR)
    if ppr is not None:
        out.append(copy.deepcopy(ppr))
    writer = _ParagraphWriter(out, ids)
    for op, i1, i2, j1, j2 in _word_opcodes([t.key for t in a], [t.key for t in b], ids):
        if op == "equal":
            for token in b[j1:j2]:
                writer.add(token, "equal")
            continue
        for token in a[i1:i2]:  # deletions first, as Word writes a replacement
            writer.add(token, "del")
        for token in b[j1:j2]:
            writer.add(token, "equal" if token.kind == "marker" else "ins")
    return writer.finish()


# --- blocks: paragraphs and tables, lined up and paired --------------------------------------


def _blocks(container: Any) -> list[Any]:
    return [child for child in container if child.tag in (_P, _TBL)]


def _ppr_key(p: Any) -> bytes:
    ppr = p.find(_PPR)
    if ppr is None:
        return b""
    ppr = copy.deepcopy(ppr)
    for child in ppr.findall(_RPR):
        ppr.remove(child)
    return _xml(ppr)


def _words(element: Any) -> Counter[str]:
    return Counter(word for word in _WORD.findall(_visible_text(element)) if not word.isspace())


def _dice(a: Counter[str], b: Counter[str]) -> float:
    total = sum(a.values()) + sum(b.values())
    return 1.0 if total == 0 else 2 * sum((a & b).values()) / total


def _columns(tbl: Any) -> int:
    grid = tbl.find(_W + "tblGrid")
    return len(grid) if grid is not None else -1


def _similarity(old: Any, new: Any, clauses: _Clauses | None = None) -> float:
    """How alike two blocks are, 0 when they must not be shown as one changed block."""
    if old.tag != new.tag or (clauses is not None and not clauses.may_pair(old, new)):
        return 0.0
    if old.tag == _P:
        if _ppr_key(old) != _ppr_key(new):
            return 0.0  # a changed style or numbering is a different paragraph
        score = _dice(_words(old), _words(new))
        return score if score >= _PAIR_WORDS else 0.0
    if _columns(old) != _columns(new):
        return 0.0
    score = _dice(_words(old), _words(new))
    return max(score, 1e-6) if score >= _PAIR_TABLE else 0.0


def _pairs(
    old: Sequence[Any], new: Sequence[Any], clauses: _Clauses | None
) -> list[tuple[int | None, int | None]]:
    """Order-keeping pairing of two runs of blocks that maximises the summed similarity."""
    n, m = len(old), len(new)
    if n * m > _PAIRING_BUDGET:
        in_order: list[tuple[int | None, int | None]] = []
        for k in range(max(n, m)):
            if k < n and k < m and _similarity(old[k], new[k], clauses) > 0:
                in_order.append((k, k))
                continue
            if k < n:
                in_order.append((k, None))
            if k < m:
                in_order.append((None, k))
        return _deletions_first(in_order)
    sim = [[_similarity(old[i], new[j], clauses) for j in range(m)] for i in range(n)]
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            take = best[i + 1][j + 1] + sim[i][j] if sim[i][j] > 0 else -1.0
            best[i][j] = max(best[i + 1][j], best[i][j + 1], take)
    out: list[tuple[int | None, int | None]] = []
    i = j = 0
    while i < n and j < m:
        if sim[i][j] > 0 and best[i][j] == best[i + 1][j + 1] + sim[i][j]:
            out.append((i, j))
            i, j = i + 1, j + 1
        elif best[i][j] == best[i + 1][j]:
            out.append((i, None))
            i += 1
        else:
            out.append((None, j))
            j += 1
    out.extend((k, None) for k in range(i, n))
    out.extend((None, k) for k in range(j, m))
    # Within a stretch of unpaired blocks, show all of a's deletions before b's insertions.
    return _deletions_first(out)


def _deletions_first(pairs: list[tuple[int | None, int | None]]) -> list[tuple[int | None, int | None]]:
    out: list[tuple[int | None, int | None]] = []
    stretch: list[tuple[int | None, int | None]] = []
    for pair in [*pairs, (0, 0)]:
        if pair[0] is not None and pair[1] is not None:
            out.extend(p for p in stretch if p[1] is None)
            out.extend(p for p in stretch if p[0] is None)
            stretch = []
            out.append(pair)
        else:
            stretch.append(pair)
    return out[:-1]


def _merge_blocks(
    old: Sequence[Any], new: Sequence[Any], ids: _Ids, clauses: _Clauses | None = None
) -> list[Any]:
    """The merged sequence of blocks: b's where equal, tracked changes elsewhere."""
    merged: list[Any] = []
    label_a = clauses.old_label if clauses else (lambda _: None)
    label_b = clauses.new_label if clauses else (lambda _: None)
    keys_a = [(label_a(b), _xml(b)) for b in old]
    keys_b = [(label_b(b), _xml(b)) for b in new]
    matcher = SequenceMatcher(None, keys_a, keys_b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            merged.extend(copy.deepcopy(block) for block in new[j1:j2])
            continue
        for i, j in _pairs(old[i1:i2], new[j1:j2], clauses):
            if i is not None and j is not None:
                a, b = old[i1 + i], new[j1 + j]
                merged.append(_changed_paragraph(a, b, ids) if b.tag == _P else _changed_table(a, b, ids))
            elif i is not None:
                merged.append(_whole(old[i1 + i], _DEL, ids))
            elif j is not None:
                merged.append(_whole(new[j1 + j], _INS, ids))
    return merged


def _replace_content(container: Any, blocks: list[Any]) -> None:
    """Put ``blocks`` where the container's paragraphs and tables were (other children stay)."""
    old = _blocks(container)
    anchor = old[0] if old else None
    if anchor is None:
        tail = [c for c in container if c.tag in (_W + "sectPr", _TCPR)]
        for block in blocks:
            if tail and tail[0].tag == _W + "sectPr":
                tail[0].addprevious(block)
            else:
                container.append(block)
        return
    for block in blocks:
        anchor.addprevious(block)
    for block in old:
        container.remove(block)


def _row_cells(tr: Any) -> list[Any]:
    return list(tr.findall(_TC))


def _changed_row(old: Any, new: Any, ids: _Ids) -> Any:
    out = copy.deepcopy(new)
    for cell_a, cell_b in zip(_row_cells(old), _row_cells(out), strict=True):
        _replace_content(cell_b, _merge_blocks(_blocks(cell_a), _blocks(cell_b), ids))
    return out


def _row_pairable(old: Any, new: Any) -> bool:
    if len(_row_cells(old)) != len(_row_cells(new)):
        return False
    return _dice(_words(old), _words(new)) >= _PAIR_TABLE


def _changed_table(old: Any, new: Any, ids: _Ids) -> Any:
    out = copy.deepcopy(new)
    rows_a, rows_b = old.findall(_TR), out.findall(_TR)
    merged: list[Any] = []
    matcher = SequenceMatcher(None, [_xml(r) for r in rows_a], [_xml(r) for r in rows_b], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            merged.extend(rows_b[j1:j2])
            continue
        stretch_a, stretch_b = rows_a[i1:i2], rows_b[j1:j2]
        paired = 0
        while paired < min(len(stretch_a), len(stretch_b)) and _row_pairable(
            stretch_a[paired], stretch_b[paired]
        ):
            merged.append(_changed_row(stretch_a[paired], stretch_b[paired], ids))
            paired += 1
        merged.extend(_whole_row(row, _DEL, ids) for row in stretch_a[paired:])
        merged.extend(_whole_row(row, _INS, ids) for row in stretch_b[paired:])
    for row in rows_b:
        out.remove(row)
    for row in merged:
        out.append(row)
    return out


def _whole_row(tr: Any, kind: str, ids: _Ids) -> Any:
    tr = copy.deepcopy(tr)
    if kind == _DEL:
        _strip_markers(tr)
    _mark_row(tr, kind, ids)
    _mark_runs(tr, kind, ids)
    return tr


# --- which clause each body block belongs to ---------------------------------------------------


def _block_text(block: Any) -> str:
    if block.tag == _P:
        return _visible_text(block)
    return "\n".join(
        " | ".join("\n".join(_visible_text(p) for p in tc.iter(_P)) for tc in tr.findall(_TC))
        for tr in block.findall(_TR)
    )


_LOOK_AHEAD = 4  # clause pieces a block may skip when a piece did not match (a renderer change)
#: A typed list label at the start of a clause text's paragraph: "(a) ", "(iv) ", "3. ", "a) ".
_ENUMERATOR = re.compile(r"^(?:\((?:[a-z]{1,3}|[0-9]{1,3})\)|(?:[a-z]|[0-9]{1,3})[.)])\s+")


def _labels(blocks: Sequence[Any], clauses: Mapping[str, str]) -> dict[int, str]:
    """Block index -> clause id, found by walking the stored clause texts in document order.

    A clause text is its title and its blocks joined by blank lines; a paragraph carries a piece
    when its text ends with it. List letters and numbers are Word numbering in the document but
    typed in the clause text ("(a) headings ..."), so a piece is compared without its leading
    enumerator. Blocks that carry no piece (part headings, spacing) belong to no clause.
    """
    pieces = [
        (clause_id, _ENUMERATOR.sub("", piece.strip(), count=1))
        for clause_id, text in clauses.items()
        for piece in text.split("\n\n")
        if piece.strip()
    ]
    found: dict[int, str] = {}
    at = 0
    for index, block in enumerate(blocks):
        text = _block_text(block).strip()
        if not text:
            continue
        for ahead in range(at, min(at + _LOOK_AHEAD, len(pieces))):
            clause_id, piece = pieces[ahead]
            if text.endswith(piece) if block.tag == _P else text == piece:
                found[index] = clause_id
                at = ahead + 1
                break
    return found


class _Clauses:
    """The clause each top-level block belongs to, in both versions, when the texts are known.

    Blocks of different clauses are never shown as one changed block, and the blocks of a clause
    that only one version has are inserted or deleted whole.
    """

    def __init__(
        self,
        old: Sequence[Any],
        new: Sequence[Any],
        old_texts: Mapping[str, str],
        new_texts: Mapping[str, str],
    ) -> None:
        self._old = {id(old[i]): c for i, c in _labels(old, old_texts).items()}
        self._new = {id(new[i]): c for i, c in _labels(new, new_texts).items()}
        self._old_ids, self._new_ids = set(old_texts), set(new_texts)
        self._keep = (old, new)  # the ids above are only valid while these elements live

    def old_label(self, block: Any) -> str | None:
        return self._old.get(id(block))

    def new_label(self, block: Any) -> str | None:
        return self._new.get(id(block))

    def may_pair(self, old: Any, new: Any) -> bool:
        a, b = self.old_label(old), self.new_label(new)
        if a is not None and a not in self._new_ids:
            return False  # a removed clause: deleted whole
        if b is not None and b not in self._old_ids:
            return False  # an added clause: inserted whole
        return a is None or b is None or a == b


# --- the package ---------------------------------------------------------------------------


def _max_annotation_id(parts: Sequence[Any]) -> int:
    highest = -1
    for part in parts:
        for node in part.iter():
            value = node.get(_ID) if isinstance(node.tag, str) else None
            if value is not None and value.lstrip("-").isdigit():
                highest = max(highest, int(value))
    return highest


def _story_pairs(old: Any, new: Any) -> Iterator[tuple[Any, Any]]:
    """(a's element, b's element) for the body and each header and footer b has."""
    yield old.element.body, new.element.body
    kinds: tuple[Callable[[Any], Any], ...] = (
        lambda s: s.header,
        lambda s: s.footer,
        lambda s: s.first_page_header,
        lambda s: s.first_page_footer,
        lambda s: s.even_page_header,
        lambda s: s.even_page_footer,
    )
    for index, section in enumerate(new.sections):
        if index >= len(old.sections):
            break
        for kind in kinds:
            story_b, story_a = kind(section), kind(old.sections[index])
            if not story_b.is_linked_to_previous and not story_a.is_linked_to_previous:
                yield story_a._element, story_b._element


def _revision_date(at: datetime) -> str:
    return at.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def render_redline(
    old: bytes,
    new: bytes,
    *,
    at: datetime,
    old_clauses: Mapping[str, str] | None = None,
    new_clauses: Mapping[str, str] | None = None,
    author: str = REDLINE_AUTHOR,
) -> bytes:
    """Version ``new`` with every difference from ``old`` as a tracked change by ``author`` dated ``at``.

    ``at`` is normally version b's creation time (timezone-aware). ``old_clauses`` and
    ``new_clauses`` are the clause texts stored with each version (``clause_texts``): with them,
    added and removed clauses are always whole paragraphs, and text never pairs across clauses.
    Same input, same bytes. CPU-bound (tens to hundreds of milliseconds): call it off the event loop.
    """
    document_a = docx.Document(io.BytesIO(old))
    document_b = docx.Document(io.BytesIO(new))
    stories = list(_story_pairs(document_a, document_b))
    ids = _Ids(next=_max_annotation_id([b for _, b in stories]) + 1, author=author, date=_revision_date(at))
    for index, (story_a, story_b) in enumerate(stories):
        blocks_a, blocks_b = _blocks(story_a), _blocks(story_b)
        clauses = (
            _Clauses(blocks_a, blocks_b, old_clauses, new_clauses)
            if index == 0 and old_clauses is not None and new_clauses is not None
            else None
        )
        _replace_content(story_b, _merge_blocks(blocks_a, blocks_b, ids, clauses))
        etree.cleanup_namespaces(story_b)
    return package_bytes(document_b)
