"""Lay the contract out: choose the clauses that apply, fill their placeholders, number them.

The result is a small document model (parts -> clauses -> paragraphs and tables) that both the
DOCX writer and ``clause_texts`` read, so the compared text is exactly the rendered text.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, replace
from typing import Literal, TypeAlias

from contract_templates.context import (
    PARTY_TERMS,
    facts,
    format_date,
    format_money,
    holds,
    values,
)
from contract_templates.library import ClauseLibraryError, Item, Library, Optional, Paragraph, Ref, Slot, Text
from contract_templates.model import ContractInput
from workflows import licence_category, total_fee


@dataclass(frozen=True, slots=True)
class Run:
    text: str
    bold: bool = False
    ref: str | None = None  # a cross-reference to this part key: written as a field in Word


ListFormat: TypeAlias = Literal["lowerLetter", "lowerRoman", "decimal", "upperLetter"]


@dataclass(frozen=True, slots=True)
class Para:
    kind: Literal["body", "item", "recital"]
    runs: tuple[Run, ...]
    # A list item's or recital's marker, e.g. "(a)": Word numbers it (it is not in ``runs``); the
    # compared text keeps it. ``list_id`` groups the items of one list, which Word numbers together.
    marker: str = ""
    list_format: ListFormat | None = None
    list_id: int = 0
    keep_with_next: bool = False  # e.g. the words introducing a signature block

    @property
    def text(self) -> str:
        body = "".join(r.text for r in self.runs)
        return f"{self.marker} {body}" if self.marker and self.kind == "item" else body


Align: TypeAlias = Literal["left", "right"]


@dataclass(frozen=True, slots=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[int, ...]  # relative column widths
    total: tuple[str, ...] | None = None  # a bold closing row
    align: tuple[Align, ...] | None = None  # per column; right-aligned columns never wrap (amounts)
    keep_together: bool = False  # never split across pages, and stay with the text before it

    @property
    def text(self) -> str:
        rows = (self.header, *self.rows, *((self.total,) if self.total else ()))
        return "\n".join(" | ".join(row) for row in rows)


Block: TypeAlias = Para | Table


@dataclass(frozen=True, slots=True)
class LaidClause:
    id: str
    number: str | None  # e.g. "7.2"; Word numbers the heading, so it is never typed into it
    title: str | None  # the heading text, without the number
    blocks: tuple[Block, ...]

    @property
    def text(self) -> str:
        body = "\n\n".join(b.text for b in self.blocks)
        return f"{self.title}\n\n{body}" if self.title else body


@dataclass(frozen=True, slots=True)
class LaidPart:
    key: str
    heading: str  # without the number
    clauses: tuple[LaidClause, ...]
    new_page: bool = False  # schedules start on a new page
    number: int | None = None  # clause parts: 1, 2, ... (Word numbers the heading)


@dataclass(frozen=True, slots=True)
class Layout:
    title: str
    parts: tuple[LaidPart, ...]


def _fill(items: tuple[Item, ...], ctx: dict[str, str | None]) -> tuple[Run, ...]:
    runs: list[Run] = []

    def add(text: str, bold: bool, ref: str | None = None) -> None:
        if not text:
            return
        if ref is None and runs and runs[-1].bold == bold and runs[-1].ref is None:
            runs[-1] = Run(runs[-1].text + text, bold)
        else:
            runs.append(Run(text, bold, ref))

    def value(slot: Slot) -> str:
        found = ctx[slot.name]
        if found is None:  # the loader proved this cannot happen; keep the failure loud
            raise ClauseLibraryError(f"placeholder {{{slot.name}}} has no value for these terms")
        return found

    for item in items:
        match item:
            case Text(text=text, bold=bold):
                add(text, bold)
            case Ref(part=part, number=number, bold=bold):
                add(number, bold, part)
            case Slot():
                add(value(item), item.bold)
            case Optional(pieces=pieces):
                if all(not isinstance(p, Slot) or ctx[p.name] is not None for p in pieces):
                    for piece in pieces:
                        match piece:
                            case Slot():
                                add(value(piece), piece.bold)
                            case Ref():
                                add(piece.number, piece.bold, piece.part)
                            case Text():
                                add(piece.text, piece.bold)
    return tuple(runs)


_BLANK = "_" * 28


def _signature_rows(data: ContractInput) -> tuple[tuple[str, ...], ...]:
    """Company, signature line, the named signatory's name, title and authority (else blanks), date."""
    named = [data.signatories.of(party) for party in ("vendor", "startup")]
    rows: list[tuple[str, ...]] = [(data.vendor.name, data.startup.name)]
    rows.append((f"Signature: {_BLANK}", f"Signature: {_BLANK}"))
    for label, attribute in (("Name", "name"), ("Title", "title"), ("Authority", "authority")):
        rows.append(
            tuple(f"{label}: {getattr(signatory, attribute) if signatory else _BLANK}" for signatory in named)
        )
    rows.append((f"Date: {_BLANK}", f"Date: {_BLANK}"))
    return tuple(rows)


def _blocks(data: ContractInput) -> dict[str, Table]:
    p = data.proposal
    t = p.ip_terms
    money = data.currency
    out = {
        "milestones_table": Table(
            header=("No.", "Milestone", "Due date", "Fee", "Acceptance criteria"),
            rows=tuple(
                (str(i), m.title, format_date(m.due_date), format_money(m.fee, money), m.acceptance_criteria)
                for i, m in enumerate(p.milestones, start=1)
            ),
            widths=(7, 25, 17, 19, 32),
            total=("", "Total", "", format_money(total_fee(p), money), ""),
            align=("left", "left", "left", "right", "left"),
        ),
        "milestone_details": Table(
            header=("No.", "Key", "Milestone", "Description", "Acceptance period"),
            rows=tuple(
                (str(i), m.key, m.title, m.description, f"{m.acceptance_days} days")
                for i, m in enumerate(p.milestones, start=1)
            ),
            widths=(7, 13, 24, 38, 18),
        ),
        "allowed_licences_table": Table(
            header=("Licence (SPDX identifier)", "Category"),
            rows=tuple((spdx, _category(spdx)) for spdx in t.open_source_policy.allowed_licences),
            widths=(50, 50),
        ),
        "signature_blocks": Table(
            header=tuple(f"For and on behalf of the {PARTY_TERMS[k]}" for k in ("vendor", "startup")),
            rows=_signature_rows(data),
            widths=(50, 50),
            keep_together=True,
        ),
    }
    for party in ("vendor", "startup"):
        assets = getattr(t.background_ip, party).assets
        out[f"background_assets.{party}"] = Table(
            header=("No.", "Asset", "Description"),
            rows=tuple((f"{i}", a.title, a.description) for i, a in enumerate(assets, start=1)),
            widths=(7, 33, 60),
        )
    return out


def _category(spdx: str) -> str:
    category = licence_category(spdx)
    return "not recognised" if category is None else category.value.replace("_", " ")


_MARKER = re.compile(r"\((?P<label>[a-z]{1,4}|[0-9]{1,2})\) ")
_ROMAN = ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii")


def _label(fmt: ListFormat, index: int) -> str:
    """The marker Word's numbering shows for item ``index`` (0-based) of a list in ``fmt``."""
    match fmt:
        case "lowerLetter":
            return string.ascii_lowercase[index]
        case "upperLetter":
            return string.ascii_uppercase[index]
        case "lowerRoman":
            return _ROMAN[index]
        case "decimal":
            return str(index + 1)


def _format_of(label: str) -> ListFormat:
    if label.isdigit():
        return "decimal"
    return "lowerRoman" if label == "i" else "lowerLetter"  # a letter list never starts at (i)


class _Lists:
    """Turns typed list markers into numbered lists: consecutive items of a part form one list."""

    def __init__(self) -> None:
        self.count = 0
        self.current: tuple[int, ListFormat, int] | None = None  # list id, format, items so far

    def end(self) -> None:
        self.current = None

    def item(self, runs: tuple[Run, ...], where: str) -> Para:
        first = runs[0].text if runs else ""
        found = _MARKER.match(first)
        if found is None:  # the loader classified it as an item, so this cannot happen
            raise ClauseLibraryError(f"{where}: a list item without a marker")
        label = found.group("label")
        if self.current is None:
            self.count += 1
            self.current = (self.count, _format_of(label), 0)
        list_id, fmt, index = self.current
        if label != _label(fmt, index):
            raise ClauseLibraryError(f"{where}: list item ({label}) should be ({_label(fmt, index)})")
        self.current = (list_id, fmt, index + 1)
        rest = (Run(first[found.end() :], runs[0].bold, runs[0].ref), *runs[1:])
        return Para("item", rest, marker=f"({label})", list_format=fmt, list_id=list_id)

    def recital(self, para: Para, index: int) -> Para:
        if index == 0:
            self.count += 1
            self.current = (self.count, "upperLetter", 0)
        assert self.current is not None
        list_id = self.current[0]
        marker = f"({_label('upperLetter', index % 26)})"
        return Para("recital", para.runs, marker=marker, list_format="upperLetter", list_id=list_id)


def lay_out(library: Library, data: ContractInput) -> Layout:
    """The contract as numbered parts and clauses, with every placeholder filled."""
    found = facts(data)
    ctx = values(data, library.template_id, library.template_version)
    tables = _blocks(data)
    lists = _Lists()
    parts: list[LaidPart] = []
    for part in library.parts:
        chosen = [c for c in part.clauses if holds(c.when, found)]
        if not chosen:
            # Parts keep fixed numbers, so every part must have text for every combination of terms.
            raise ClauseLibraryError(f"{part.file}: no clause applies to these terms")
        lists.end()
        clauses: list[LaidClause] = []
        for index, clause in enumerate(chosen):
            number = f"{part.number}.{index + 1}" if part.number is not None else None
            title = "".join(r.text for r in _fill(clause.heading, ctx)) if clause.heading else None
            blocks: list[Block] = []
            if title is not None:
                lists.end()  # a heading ends a list
            for paragraph in clause.paragraphs:
                block = _paragraph(paragraph, ctx, tables)
                if isinstance(block, Para) and block.kind == "item":
                    block = lists.item(block.runs, f"{part.file} ({clause.id})")
                elif part.numbering != "recitals":
                    lists.end()
                if isinstance(block, Table) and block.keep_together and blocks:
                    last = blocks[-1]
                    if isinstance(last, Para):  # keep the words before a signature block with it
                        blocks[-1] = replace(last, keep_with_next=True)
                blocks.append(block)
            if part.numbering == "recitals":
                first = blocks[0]
                assert isinstance(first, Para)
                blocks[0] = lists.recital(first, index)
            clauses.append(LaidClause(clause.id, number, title, tuple(blocks)))
        parts.append(
            LaidPart(
                part.key,
                part.heading,
                tuple(clauses),
                new_page=part.numbering == "schedule",
                number=part.number,
            )
        )
    return Layout(library.title, tuple(parts))


def _paragraph(paragraph: Paragraph, ctx: dict[str, str | None], tables: dict[str, Table]) -> Block:
    if paragraph.kind == "block":
        assert paragraph.block is not None
        return tables[paragraph.block]
    return Para(paragraph.kind, _fill(paragraph.items, ctx))
