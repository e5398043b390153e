"""Read a rendered contract back with python-docx, the way a test (or a lawyer's tool) sees it."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import docx
from docx.oxml.ns import qn


@dataclass
class Reopened:
    document: Any

    @classmethod
    def of(cls, data: bytes) -> Reopened:
        return cls(docx.Document(io.BytesIO(data)))

    @property
    def paragraphs(self) -> list[Any]:
        return list(self.document.paragraphs)

    def table_rows(self) -> list[list[list[str]]]:
        # row.cells once per row: table.cell(i, j) in a loop is quadratic
        return [[[c.text for c in row.cells] for row in table.rows] for table in self.document.tables]

    @property
    def text(self) -> str:
        cells = "\n".join(" | ".join(row) for table in self.table_rows() for row in table)
        return "\n".join(p.text for p in self.paragraphs) + "\n" + cells

    def section(self, heading_start: str) -> str:
        """The text from the Heading 1 starting with ``heading_start`` to the next Heading 1."""
        out: list[str] = []
        inside = False
        for p in self.paragraphs:
            if p.style.name == "Heading 1":
                inside = p.text.startswith(heading_start)
            if inside:
                out.append(p.text)
        assert out, f"no section {heading_start!r}"
        return "\n".join(out)

    def numbered_headings(self, level: int | None = None) -> list[tuple[str, str]]:
        """(number as Word shows it, heading text) for every heading (of ``level``: 0 for Heading 1,
        1 for Heading 2), computed from the w:numPr the paragraphs carry as Word numbers them
        ("" for a heading whose numbering is switched off)."""
        out: list[tuple[str, str]] = []
        counters = [0, 0]
        for p in self.paragraphs:
            if p.style.name not in ("Heading 1", "Heading 2"):
                continue
            num_pr = p._p.find(qn("w:pPr") + "/" + qn("w:numPr"))
            at = 0 if p.style.name == "Heading 1" else 1
            num_id = num_pr.find(qn("w:numId")).get(qn("w:val")) if num_pr is not None else None
            if num_id in (None, "0"):
                number = ""
            else:
                counters[at] += 1
                if at == 0:
                    counters[1] = 0
                number = ".".join(str(c) for c in counters[: at + 1])
            if level is None or level == at:
                out.append((number, p.text))
        return out

    def heading_numbers(self) -> dict[str, str]:
        """Part heading text -> its number, for the numbered parts."""
        return {text: number for number, text in self.numbered_headings(0) if number}

    def bold_texts(self) -> set[str]:
        return {r.text for p in self.paragraphs for r in p.runs if r.bold}

    def milestones_table(self) -> Any:
        for table in self.document.tables:
            if table.rows[0].cells[1].text == "Milestone" and table.rows[0].cells[2].text == "Due date":
                return table
        raise AssertionError("no milestones table")

    @staticmethod
    def repeats_header(table: Any) -> bool:
        tr_pr = table.rows[0]._tr.trPr
        return tr_pr is not None and tr_pr.find(qn("w:tblHeader")) is not None
