"""Lay the contract out: choose the clauses that apply, fill their placeholders, number them.

The result is a small document model (parts -> clauses -> paragraphs and tables) that both the
DOCX writer and ``clause_texts`` read, so the compared text is exactly the rendered text.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Literal, TypeAlias

from contract_templates.context import (
    PARTY_TERMS,
    facts,
    format_date,
    format_money,
    holds,
    values,
)
from contract_templates.library import ClauseLibraryError, Item, Library, Optional, Paragraph, Slot, Text
from contract_templates.model import ContractInput
from workflows import licence_category, total_fee


@dataclass(frozen=True, slots=True)
class Run:
    text: str
    bold: bool = False


@dataclass(frozen=True, slots=True)
class Para:
    kind: Literal["body", "item", "recital"]
    runs: tuple[Run, ...]
    prefix: str = ""  # a generated number or recital letter; not part of the compared text

    @property
    def text(self) -> str:
        return "".join(r.text for r in self.runs)


@dataclass(frozen=True, slots=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[int, ...]  # relative column widths
    total: tuple[str, ...] | None = None  # a bold closing row

    @property
    def text(self) -> str:
        rows = (self.header, *self.rows, *((self.total,) if self.total else ()))
        return "\n".join(" | ".join(row) for row in rows)


Block: TypeAlias = Para | Table


@dataclass(frozen=True, slots=True)
class LaidClause:
    id: str
    heading: str | None  # with its number, e.g. "7.2 Joint ownership"
    title: str | None  # without the number, for the compared text
    blocks: tuple[Block, ...]

    @property
    def text(self) -> str:
        body = "\n\n".join(b.text for b in self.blocks)
        return f"{self.title}\n\n{body}" if self.title else body


@dataclass(frozen=True, slots=True)
class LaidPart:
    key: str
    heading: str
    clauses: tuple[LaidClause, ...]
    new_page: bool = False  # schedules start on a new page


@dataclass(frozen=True, slots=True)
class Layout:
    title: str
    parts: tuple[LaidPart, ...]


def _fill(items: tuple[Item, ...], ctx: dict[str, str | None]) -> tuple[Run, ...]:
    runs: list[Run] = []

    def add(text: str, bold: bool) -> None:
        if not text:
            return
        if runs and runs[-1].bold == bold:
            runs[-1] = Run(runs[-1].text + text, bold)
        else:
            runs.append(Run(text, bold))

    def value(slot: Slot) -> str:
        found = ctx[slot.name]
        if found is None:  # the loader proved this cannot happen; keep the failure loud
            raise ClauseLibraryError(f"placeholder {{{slot.name}}} has no value for these terms")
        return found

    for item in items:
        match item:
            case Text(text=text, bold=bold):
                add(text, bold)
            case Slot():
                add(value(item), item.bold)
            case Optional(pieces=pieces):
                if all(not isinstance(p, Slot) or ctx[p.name] is not None for p in pieces):
                    for piece in pieces:
                        add(piece.text if isinstance(piece, Text) else value(piece), piece.bold)
    return tuple(runs)


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
            widths=(8, 26, 16, 17, 33),
            total=("", "Total", "", format_money(total_fee(p), money), ""),
        ),
        "milestone_details": Table(
            header=("No.", "Key", "Milestone", "Description", "Acceptance period"),
            rows=tuple(
                (str(i), m.key, m.title, m.description, f"{m.acceptance_days} days")
                for i, m in enumerate(p.milestones, start=1)
            ),
            widths=(8, 12, 24, 38, 18),
        ),
        "allowed_licences_table": Table(
            header=("Licence (SPDX identifier)", "Category"),
            rows=tuple((spdx, _category(spdx)) for spdx in t.open_source_policy.allowed_licences),
            widths=(50, 50),
        ),
        "signature_blocks": Table(
            header=tuple(f"For and on behalf of the {PARTY_TERMS[k]}" for k in ("vendor", "startup")),
            rows=(
                (data.vendor.name, data.startup.name),
                ("Signature: ______________________", "Signature: ______________________"),
                ("Name: ___________________________", "Name: ___________________________"),
                ("Title: ____________________________", "Title: ____________________________"),
                ("Date: ____________________________", "Date: ____________________________"),
            ),
            widths=(50, 50),
        ),
    }
    for party in ("vendor", "startup"):
        assets = getattr(t.background_ip, party).assets
        out[f"background_assets.{party}"] = Table(
            header=("No.", "Asset", "Description"),
            rows=tuple((f"{i}", a.title, a.description) for i, a in enumerate(assets, start=1)),
            widths=(8, 32, 60),
        )
    return out


def _category(spdx: str) -> str:
    category = licence_category(spdx)
    return "not recognised" if category is None else category.value.replace("_", " ")


def lay_out(library: Library, data: ContractInput) -> Layout:
    """The contract as numbered parts and clauses, with every placeholder filled."""
    found = facts(data)
    ctx = values(data, library.template_id, library.template_version)
    tables = _blocks(data)
    parts: list[LaidPart] = []
    for part in library.parts:
        chosen = [c for c in part.clauses if holds(c.when, found)]
        if not chosen:
            # Parts keep fixed numbers, so every part must have text for every combination of terms.
            raise ClauseLibraryError(f"{part.file}: no clause applies to these terms")
        clauses: list[LaidClause] = []
        for index, clause in enumerate(chosen):
            number = f"{part.number}.{index + 1}" if part.number is not None else None
            title = "".join(r.text for r in _fill(clause.heading, ctx)) if clause.heading else None
            blocks: list[Block] = []
            for paragraph in clause.paragraphs:
                blocks.append(_paragraph(paragraph, ctx, tables))
            if part.numbering == "recitals":
                first = blocks[0]
                assert isinstance(first, Para)
                letter = string.ascii_uppercase[index % 26]
                blocks[0] = Para("recital", first.runs, prefix=f"({letter})\t")
            heading = title
            if number is not None:
                if title is not None:
                    heading = f"{number}\t{title}"
                elif blocks and isinstance(blocks[0], Para):
                    blocks[0] = Para(blocks[0].kind, blocks[0].runs, prefix=f"{number}\t")
            clauses.append(LaidClause(clause.id, heading, title, tuple(blocks)))
        heading = f"{part.number}.\t{part.heading}" if part.number is not None else part.heading
        parts.append(LaidPart(part.key, heading, tuple(clauses), new_page=part.numbering == "schedule"))
    return Layout(library.title, tuple(parts))


def _paragraph(paragraph: Paragraph, ctx: dict[str, str | None], tables: dict[str, Table]) -> Block:
    if paragraph.kind == "block":
        assert paragraph.block is not None
        return tables[paragraph.block]
    return Para(paragraph.kind, _fill(paragraph.items, ctx))
