"""The reference for contract rendering: docxtpl (Jinja in a Word template) on an equivalent template.

The template is built here with python-docx: the title and parties, every clause of the rendered
contract as a heading and its text, the milestone schedule as a table, and the signature blocks.
The context carries the same texts jointip's renderer writes, so both produce the same content.
"""

from __future__ import annotations

import io
import statistics
import time
from typing import Any

import docx
from docxtpl import DocxTemplate

from contract_templates import ContractInput, clause_texts, render_contract


def _template() -> bytes:
    document = docx.Document()
    document.add_heading("{{ title }}", level=0)
    document.add_paragraph("Between {{ vendor }} and {{ startup }}, reference {{ reference }}.")
    document.add_paragraph("{%p for clause in clauses %}")
    document.add_heading("{{ clause.id }}", level=2)
    document.add_paragraph("{{ clause.text }}")
    document.add_paragraph("{%p endfor %}")
    table = document.add_table(rows=3, cols=4)
    for cell, text in zip(table.rows[0].cells, ("Milestone", "Title", "Due", "Fee"), strict=True):
        cell.text = text
    table.rows[1].cells[0].text = "{%tr for m in milestones %}"
    for cell, text in zip(
        table.rows[2].cells, ("{{ m.key }}", "{{ m.title }}", "{{ m.due }}", "{{ m.fee }}"), strict=True
    ):
        cell.text = text
    end = table.add_row()
    end.cells[0].text = "{%tr endfor %}"
    signatures = document.add_table(rows=1, cols=2)
    signatures.rows[0].cells[0].text = "For {{ vendor }}: ____________"
    signatures.rows[0].cells[1].text = "For {{ startup }}: ____________"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _context(data: ContractInput) -> dict[str, Any]:
    return {
        "title": data.title,
        "vendor": data.vendor.name,
        "startup": data.startup.name,
        "reference": data.reference,
        "clauses": [{"id": k, "text": v} for k, v in clause_texts(data).items()],
        "milestones": [
            {"key": m.key, "title": m.title, "due": m.due_date.isoformat(), "fee": f"{m.fee:,.2f}"}
            for m in data.proposal.milestones
        ],
    }


def render_with_docxtpl(template: bytes, data: ContractInput) -> bytes:
    document = DocxTemplate(io.BytesIO(template))
    document.render(_context(data))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _median_ms(work: Any, runs: int) -> float:
    work()  # warm caches (clause library, templates)
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def compare(data: ContractInput, runs: int) -> dict[str, float]:
    """Median render time of jointip's renderer and of docxtpl, in one process, same content."""
    template = _template()
    ours = _median_ms(lambda: render_contract(data), runs)
    theirs = _median_ms(lambda: render_with_docxtpl(template, data), runs)
    return {"jointip_ms": round(ours, 2), "docxtpl_ms": round(theirs, 2), "runs": runs}
