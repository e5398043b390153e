"""Clause-level text of a contract and the differences between two versions."""

from __future__ import annotations

from typing import Literal, TypeAlias

import msgspec

from contract_templates.layout import lay_out
from contract_templates.library import load_library
from contract_templates.model import ContractInput

ChangeKind: TypeAlias = Literal["added", "removed", "changed"]


class ClauseChange(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One clause that differs; ``old`` is absent for an added clause, ``new`` for a removed one."""

    clause_id: str
    kind: ChangeKind
    old: str | None = None
    new: str | None = None


def clause_texts(data: ContractInput) -> dict[str, str]:
    """Clause id -> the plain text of that clause as rendered (heading and body, no number), in
    document order. Store it with each contract version so versions can be compared later even
    after the template changes."""
    layout = lay_out(load_library(), data)
    return {clause.id: clause.text for part in layout.parts for clause in part.clauses}


def _merged_order(old: list[str], new: list[str]) -> list[str]:
    """New's order, with each removed id placed after the id it followed in the old version."""
    in_new = set(new)
    after: dict[str | None, list[str]] = {}
    anchor: str | None = None
    for key in old:
        if key in in_new:
            anchor = key
        else:
            after.setdefault(anchor, []).append(key)
    order = list(after.get(None, []))
    for key in new:
        order.append(key)
        order.extend(after.get(key, []))
    return order


def compare_clauses(old: dict[str, str], new: dict[str, str]) -> list[ClauseChange]:
    """The clauses added, removed or changed from ``old`` to ``new``, in document order."""
    changes: list[ClauseChange] = []
    for key in _merged_order(list(old), list(new)):
        if key not in old:
            changes.append(ClauseChange(clause_id=key, kind="added", new=new[key]))
        elif key not in new:
            changes.append(ClauseChange(clause_id=key, kind="removed", old=old[key]))
        elif old[key] != new[key]:
            changes.append(ClauseChange(clause_id=key, kind="changed", old=old[key], new=new[key]))
    return changes
