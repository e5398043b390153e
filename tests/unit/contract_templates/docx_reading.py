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
