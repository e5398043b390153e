"""The bodies of the workflow action requests, for the engagement and for a milestone.

Which fields matter depends on the action; the machines' guards say which are required.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

import msgspec
from msgspec import Meta

from workflows.limits import MAX_CLAUSE_COMMENTS, Digest, Identifier, Name, Text

__all__ = [
    "ActionInput",
    "ClauseComment",
    "MilestoneActionInput",
]


# A comment on one clause (``results_ip.joint``) or a whole part (``results_ip``) of the contract.
# (No docstring: a Struct's docstring becomes its description in the OpenAPI document.)
class ClauseComment(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    clause_id: Identifier
    comment: Text


class ActionInput(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The body of ``POST /engagements/{id}/actions/{action}``; which fields matter depends on the action."""

    comment: Text | None = None
    reason: Text | None = None
    revision: Annotated[int, Meta(ge=1, le=2_147_483_647)] | None = None
    document_sha256: Digest | None = None
    signer_name: Name | None = None
    signer_title: Name | None = None
    signer_authority: Annotated[str, Meta(max_length=500)] | None = None
    clause_comments: Annotated[tuple[ClauseComment, ...], Meta(max_length=MAX_CLAUSE_COMMENTS)] | None = None


class MilestoneActionInput(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The body of ``POST .../milestones/{key}/actions/{action}``; which fields matter depends on it."""

    reason: Text | None = None
    amount: Decimal | None = None
    paid_on: date | None = None
    reference: Name | None = None
