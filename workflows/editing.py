"""Changes outside the workflow actions: creating and editing an engagement, writing a proposal revision.

They refuse in the workflows' order (``workflows.engagement``): a stale version first (412, the
request's own precondition), then 409 (not in this state), 403 (the caller's party may not),
422 (every field error at once).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import msgspec

from workflows.engagement import OPEN_FOR_PROPOSALS
from workflows.errors import FieldError, Forbidden, InvalidTransition, PreconditionFailed, RuleViolation
from workflows.funding import Funding, funding_errors
from workflows.states import BEFORE_SIGNED, CONTRACTING_PARTIES, EngagementState, Party
from workflows.terms import Advisory, ProposalInput, validate_proposal
from workflows.text import xml_illegal_fields

__all__ = [
    "PartyLookup",
    "check_creator",
    "check_edit",
    "check_engagement_fields",
    "check_revision",
    "check_version",
]

#: The kind of organisation each party field of an engagement must name.
_KIND_OF_FIELD = {"vendor_id": "vendor", "startup_id": "startup", "reviewer_id": "legal"}
#: Swapping the reviewer while the contract is with them would orphan the review (and its access).
_REVIEWER_FIXED = frozenset({EngagementState.IN_REVIEW, EngagementState.APPROVED})


class PartyLookup(msgspec.Struct, frozen=True, kw_only=True):
    """What the shell found for an organisation an engagement names: its kind, or None if none exists."""

    organisation_id: str
    kind: str | None
    country: str | None = None  # ISO 3166-1 alpha-2, when the organisation exists


def check_creator(organisation_id: object, vendor_id: object, startup_id: object) -> None:
    """The caller's organisation must be the engagement's vendor or start-up (operators take no part)."""
    if organisation_id is None:
        raise Forbidden("operators do not take part in engagements")
    if organisation_id not in (vendor_id, startup_id):
        raise Forbidden("your organisation must be the engagement's vendor or start-up")


def check_version(current: int, expected: Collection[int] | None) -> None:
    """Optimistic concurrency: the versions the client's If-Match names, when it named any
    (None: no If-Match, or ``*``, which any existing engagement matches)."""
    if expected is not None and current not in expected:
        named = ", ".join(str(v) for v in sorted(expected))
        raise PreconditionFailed(
            f"the engagement changed (version {current}, If-Match named {named}); reload and retry"
        )


def check_edit(state: EngagementState, parties: frozenset[Party], *, swaps_reviewer: bool) -> None:
    """Title, summary, reviewer and funding change only before signing, and only by vendor or start-up."""
    if state not in BEFORE_SIGNED:
        raise InvalidTransition(f"the engagement is {state.value}; it can be edited only before it is signed")
    if not parties & CONTRACTING_PARTIES:
        raise Forbidden("only the vendor or the start-up may edit the engagement")
    if swaps_reviewer and state in _REVIEWER_FIXED:
        raise InvalidTransition(f"the reviewer cannot change while the contract is {state.value}")


def _party_errors(found: Mapping[str, PartyLookup]) -> list[FieldError]:
    errors = []
    for field, lookup in found.items():
        want = _KIND_OF_FIELD[field]
        if lookup.kind is None:
            errors.append(FieldError(field, f"no organisation {lookup.organisation_id}"))
        elif lookup.kind != want:
            errors.append(FieldError(field, f"must be a {want} organisation, not a {lookup.kind}"))
    return errors


def check_engagement_fields(
    body: msgspec.Struct, funding: Funding | Any | None, parties: Mapping[str, PartyLookup]
) -> None:
    """Raise ``RuleViolation`` for every broken field of a created or edited engagement.

    ``funding``: the funding given (``msgspec.UNSET`` when a PATCH leaves it); ``parties``: the
    organisations the body names, by field (``vendor_id`` too when funding is given, so the
    promoter rule knows where the vendor is established).
    """
    errors = xml_illegal_fields(body)
    if isinstance(funding, Funding):
        vendor = parties.get("vendor_id")
        errors += funding_errors(funding, vendor_country=vendor.country if vendor else None)
    errors += _party_errors(parties)
    if errors:
        raise RuleViolation(errors)


def check_revision(
    state: EngagementState, parties: frozenset[Party], proposal: ProposalInput
) -> list[Advisory]:
    """The vendor writes revisions while the proposal is open; returns the terms' advisories."""
    if state not in OPEN_FOR_PROPOSALS:
        raise InvalidTransition(
            f"the engagement is {state.value}; revisions are written in draft or negotiating"
        )
    if Party.VENDOR not in parties:
        raise Forbidden("only the vendor writes proposal revisions")
    return validate_proposal(proposal)  # raises RuleViolation naming every broken field
