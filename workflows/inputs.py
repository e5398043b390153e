"""The bodies of the workflow action requests, for the engagement and for a milestone.

Which fields matter depends on the action; the machines' guards say which are required.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import msgspec

__all__ = [
    "ActionInput",
    "ClauseComment",
    "MilestoneActionInput",
]


# A comment on one clause (``results_ip.joint``) or a whole part (``results_ip``) of the contract.
# (No docstring: a Struct's docstring becomes its description in the OpenAPI document.)
class ClauseComment(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    clause_id: str
    comment: str


class ActionInput(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The body of ``POST /engagements/{id}/actions/{action}``; which fields matter depends on the action."""

    comment: str | None = None
    reason: str | None = None
    revision: int | None = None
    document_sha256: str | None = None
    signer_name: str | None = None
    signer_title: str | None = None
    signer_authority: str | None = None
    clause_comments: tuple[ClauseComment, ...] | None = None


class MilestoneActionInput(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The body of ``POST .../milestones/{key}/actions/{action}``; which fields matter depends on it."""

    reason: str | None = None
    amount: Decimal | None = None
    paid_on: date | None = None
    reference: str | None = None
