"""The clause library (versioned data files) and the pure renderer terms -> DOCX bytes.

Pure: reads only its own data files (once, cached), never the clock, a database or the network.

    data = ContractInput(...)                 # built by the shell from the engagement
    document = render_contract(data)          # DOCX bytes, byte-identical for the same input
    texts = clause_texts(data)                # {clause id: text}, store it with the version
    compare_clauses(old_texts, new_texts)     # [ClauseChange], in document order
    render_redline(old_docx, new_docx, at=...)  # version b with a's differences as tracked changes
    schedule = render_results_schedule(ResultsScheduleInput(...))  # the IP results register as DOCX
"""

from contract_templates.compare import ClauseChange, clause_texts, compare_clauses
from contract_templates.library import ClauseLibraryError, build_library, load_library
from contract_templates.model import ContractInput, PartyInfo
from contract_templates.redline import REDLINE_AUTHOR, render_redline
from contract_templates.render import MEDIA_TYPE, render_contract
from contract_templates.schedule import ResultsScheduleInput, render_results_schedule

TEMPLATE_ID: str = load_library().template_id
TEMPLATE_VERSION: str = load_library().template_version

__all__ = [
    "MEDIA_TYPE",
    "REDLINE_AUTHOR",
    "TEMPLATE_ID",
    "TEMPLATE_VERSION",
    "ClauseChange",
    "ClauseLibraryError",
    "ContractInput",
    "PartyInfo",
    "ResultsScheduleInput",
    "build_library",
    "clause_texts",
    "compare_clauses",
    "load_library",
    "render_contract",
    "render_redline",
    "render_results_schedule",
]
