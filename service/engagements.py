"""Engagements: create, read, patch, list. The work behind the controllers, callable without HTTP."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec

from db import engagements, milestones, organisations, proposals
from db.types import Connection
from service.audit import actor_record, append_event
from service.auth import Caller
from service.errors import PreconditionRequired
from service.pagination import decode_cursor, next_cursor
from service.responses import json_text
from service.schemas.common import Page
from service.schemas.engagements import Engagement, EngagementCreate, EngagementPatch, Funding
from service.tenancy import actor_for, parties_of, visible_engagement
from workflows.engagement import EngagementSnapshot, available_actions
from workflows.errors import FieldError, Forbidden, InvalidTransition, PreconditionFailed, RuleViolation
from workflows.states import EngagementState, Party
from workflows.terms import IpTerms, MilestoneInput, ProposalInput, amount_errors
from workflows.text import xml_illegal_fields

_EDITABLE_STATES = frozenset(
    {
        EngagementState.DRAFT,
        EngagementState.PROPOSED,
        EngagementState.NEGOTIATING,
        EngagementState.TERMS_AGREED,
        EngagementState.CONTRACT_DRAFTED,
        EngagementState.IN_REVIEW,
        EngagementState.APPROVED,
    }
)
# Swapping the reviewer mid-review would orphan the review (and its access): not allowed then.
_UNDER_REVIEW = frozenset({EngagementState.IN_REVIEW, EngagementState.APPROVED})
_KIND_OF_FIELD = {"vendor_id": "vendor", "startup_id": "startup", "reviewer_id": "legal"}


def _signed(row: dict[str, Any]) -> frozenset[Party]:
    return frozenset(Party(p) for p in row["signed_parties"] or ())


def light_snapshot(row: dict[str, Any]) -> EngagementSnapshot:
    """What ``available_actions`` needs: the state and who has signed (guards are not run)."""
    return EngagementSnapshot(
        state=EngagementState(row["state"]), version=row["version"], signed_parties=_signed(row)
    )


async def snapshot(conn: Connection, row: dict[str, Any]) -> EngagementSnapshot:
    """Everything the guards need, read in the transaction that holds the row lock."""
    latest = await proposals.latest(conn, row["id"])
    milestone_states = tuple(m["state"] for m in await milestones.all_for(conn, row["id"]))
    milestone_count = len(msgspec.json.decode(latest["milestones"])) if latest else 0
    return EngagementSnapshot(
        state=EngagementState(row["state"]),
        version=row["version"],
        has_reviewer=row["reviewer_id"] is not None,
        latest_revision=latest["revision"] if latest else None,
        latest_revision_submitted=bool(latest and latest["submitted_at"] is not None),
        latest_revision_milestone_count=milestone_count,
        # Terms are validated before a revision is stored, so a stored revision's terms are valid.
        latest_revision_terms_valid=latest is not None,
        latest_contract_sha256=row["latest_contract_sha256"],
        approved_sha256=row["approved_sha256"],
        signed_parties=_signed(row),
        milestone_states=milestone_states,
        disputed_from=EngagementState(row["disputed_from"]) if row["disputed_from"] else None,
    )


def view(caller: Caller, row: dict[str, Any], snap: EngagementSnapshot | None = None) -> Engagement:
    funding = msgspec.json.decode(row["funding"], type=Funding) if row["funding"] else None
    actions = available_actions(snap or light_snapshot(row), actor_for(caller, row))
    return Engagement(
        id=row["id"],
        vendor_id=row["vendor_id"],
        startup_id=row["startup_id"],
        reviewer_id=row["reviewer_id"],
        title=row["title"],
        summary=row["summary"],
        currency=row["currency"],
        funding=funding,
        state=row["state"],
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        available_actions=actions,
    )


def audit_value(value: Any) -> Any:
    """JSON-native form for audit payloads: Decimals and dates as strings, UUIDs as text."""
    return msgspec.to_builtins(value)


def _funding_errors(funding: Funding | None) -> list[FieldError]:
    if funding is None:
        return []
    errors = amount_errors(funding.grant_amount, "funding.grant_amount", allow_zero=True)
    if not (funding.cofinancing_rate.is_finite() and 0 <= funding.cofinancing_rate <= 1):
        errors.append(FieldError("funding.cofinancing_rate", "must be a number from 0 to 1"))
    return errors


async def _party_errors(conn: Connection, fields: dict[str, UUID | None]) -> list[FieldError]:
    errors = []
    for field, org_id in fields.items():
        if org_id is None:
            continue
        org = await organisations.get(conn, org_id)
        want = _KIND_OF_FIELD[field]
        if org is None:
            errors.append(FieldError(field, f"no organisation {org_id}"))
        elif org["kind"] != want:
            errors.append(FieldError(field, f"must be a {want} organisation, not a {org['kind']}"))
    return errors


async def create_engagement(conn: Connection, caller: Caller, data: EngagementCreate) -> Engagement:
    if caller.organisation_id is None:
        raise Forbidden("operators do not take part in engagements")
    if caller.organisation_id not in (data.vendor_id, data.startup_id):
        raise Forbidden("your organisation must be the engagement's vendor or start-up")
    errors = xml_illegal_fields(data) + _funding_errors(data.funding)
    errors += await _party_errors(
        conn, {"vendor_id": data.vendor_id, "startup_id": data.startup_id, "reviewer_id": data.reviewer_id}
    )
    if errors:
        raise RuleViolation(errors)
    row = await engagements.insert(
        conn,
        {
            **msgspec.structs.asdict(data),
            "funding": json_text(data.funding) if data.funding else None,
        },
    )
    payload = {k: audit_value(v) for k, v in msgspec.structs.asdict(data).items() if v is not None}
    await append_event(
        conn, row["id"], actor_record(caller.organisation_id, caller.key_id), "engagement_created", payload
    )
    return view(caller, row)


async def get_engagement(conn: Connection, caller: Caller, engagement_id: UUID) -> Engagement:
    return view(caller, await visible_engagement(conn, caller, engagement_id))


def parse_if_match(header: str | None) -> int | None:
    """``If-Match: "7"`` (or ``W/"7"``) -> 7; anything else is a 412, never a guess."""
    if header is None:
        return None
    tag = header.strip().removeprefix("W/").strip('"')
    if not tag.isdigit():
        raise PreconditionFailed(f"If-Match {header!r} is not an ETag this service issued")
    return int(tag)


def check_version(row: dict[str, Any], expected: int | None) -> None:
    if expected is not None and expected != row["version"]:
        raise PreconditionFailed(
            f"the engagement changed (version {row['version']}, If-Match named {expected}); reload and retry"
        )


async def patch_engagement(
    conn: Connection, caller: Caller, engagement_id: UUID, data: EngagementPatch, if_match: str | None
) -> Engagement:
    expected = parse_if_match(if_match)
    if expected is None:
        raise PreconditionRequired("PATCH needs If-Match with the engagement's ETag")
    row = await visible_engagement(conn, caller, engagement_id, lock=True)
    if not parties_of(row, caller.organisation_id) & {Party.VENDOR, Party.STARTUP}:
        raise Forbidden("only the vendor or the start-up may edit the engagement")
    check_version(row, expected)
    if EngagementState(row["state"]) not in _EDITABLE_STATES:
        raise InvalidTransition(
            f"the engagement is {row['state']}; it can be edited only before it is signed"
        )
    changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
    if (
        "reviewer_id" in changes
        and changes["reviewer_id"] != row["reviewer_id"]
        and row["state"] in _UNDER_REVIEW
    ):
        raise InvalidTransition(f"the reviewer cannot change while the contract is {row['state']}")
    errors = xml_illegal_fields(data)
    if "funding" in changes:
        errors += _funding_errors(changes["funding"])
    if changes.get("reviewer_id") is not None:
        errors += await _party_errors(conn, {"reviewer_id": changes["reviewer_id"]})
    if errors:
        raise RuleViolation(errors)
    if not changes:
        return view(caller, row)
    stored = dict(changes)
    if "funding" in stored:
        stored["funding"] = json_text(stored["funding"]) if stored["funding"] else None
    updated = await engagements.update(conn, engagement_id, stored)
    await append_event(
        conn,
        engagement_id,
        actor_record(caller.organisation_id, caller.key_id),
        "engagement_updated",
        {"changes": {k: audit_value(v) for k, v in changes.items()}, "version": updated["version"]},
    )
    return view(caller, updated)


async def list_engagements(
    conn: Connection,
    caller: Caller,
    *,
    state: str | None,
    counterparty_id: UUID | None,
    limit: int,
    cursor: str | None,
) -> Page[Engagement]:
    if caller.organisation_id is None:
        return Page(items=[], next_cursor=None)  # operators see no engagement content
    if state is not None and state not in EngagementState.__members__.values():
        raise RuleViolation.one("state", f"unknown state {state!r}")
    rows = await engagements.page_for(
        conn,
        caller.organisation_id,
        state=state,
        counterparty_id=counterparty_id,
        after=decode_cursor(cursor),
        limit=limit + 1,
    )
    return Page(items=[view(caller, r) for r in rows[:limit]], next_cursor=next_cursor(rows, limit))


def proposal_input(row: dict[str, Any]) -> ProposalInput:
    """A stored revision as the pure core's input type (exact Decimals, straight from the JSON text)."""
    return ProposalInput(
        scope=row["scope"],
        milestones=msgspec.json.decode(row["milestones"], type=tuple[MilestoneInput, ...]),
        ip_terms=msgspec.json.decode(row["ip_terms"], type=IpTerms),
    )
