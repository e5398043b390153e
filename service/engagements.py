"""Engagements: create, read, patch, list. The work behind the controllers, callable without HTTP."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

from db import engagements, organisations
from db.engagements import EngagementRow, SnapshotFacts
from db.types import Connection
from service.audit import append_event
from service.auth import Caller
from service.errors import PreconditionRequired
from service.http import parse_if_match
from service.pagination import decode_cursor, next_cursor_in
from service.responses import json_text
from service.schemas.common import Page, shaped
from service.schemas.engagements import Engagement, EngagementCreate, EngagementPatch, ListOrder
from service.snapshots import snapshot_of
from service.tenancy import actor_for, parties_of, visible_engagement, visible_engagement_with_facts
from workflows import (
    EngagementState,
    Funding,
    PartyLookup,
    RuleViolation,
    SignatoriesPatch,
    available_actions,
    check_creator,
    check_edit,
    check_engagement_fields,
    check_signatories,
    check_version,
    merged_signatories,
)


def view_with(caller: Caller, row: EngagementRow, facts: SnapshotFacts) -> Engagement:
    """The engagement as ``caller`` sees it, given the facts its guards read (no round trip)."""
    actions = available_actions(snapshot_of(row, facts), actor_for(caller, row))
    return shaped(row, Engagement, available_actions=actions)


#: What the guards read about an engagement that was just created: no proposal, no milestones.
NEW_ENGAGEMENT_FACTS = SnapshotFacts(
    latest_revision=None, latest_submitted=False, milestone_count=0, milestone_states=()
)


async def view(conn: Connection, caller: Caller, row: EngagementRow) -> Engagement:
    """The engagement as ``caller`` sees it: its actions with their guards run on the full snapshot."""
    facts = await engagements.snapshot_facts(conn, [row.id])
    return view_with(caller, row, facts[row.id])


async def views(conn: Connection, caller: Caller, rows: Sequence[EngagementRow]) -> list[Engagement]:
    """``view`` of many engagements, with their snapshot facts read in one query."""
    facts = await engagements.snapshot_facts(conn, [row.id for row in rows]) if rows else {}
    return [view_with(caller, row, facts[row.id]) for row in rows]


def audit_value(value: Any) -> Any:
    """JSON-native form for audit payloads: Decimals and dates as strings, UUIDs as text."""
    return msgspec.to_builtins(value)


async def _lookups(conn: Connection, named: Mapping[str, UUID | None]) -> dict[str, PartyLookup]:
    """The organisations a body names, by field, as the core's party rules take them."""
    given = {field: org_id for field, org_id in named.items() if org_id is not None}
    found = await organisations.identities(conn, list(given.values())) if given else {}
    return {
        field: PartyLookup(
            organisation_id=str(org_id),
            kind=found[org_id][0] if org_id in found else None,
            country=found[org_id][1] if org_id in found else None,
        )
        for field, org_id in given.items()
    }


async def create_engagement(conn: Connection, caller: Caller, data: EngagementCreate) -> Engagement:
    check_creator(caller.organisation_id, data.vendor_id, data.startup_id)
    named = {"vendor_id": data.vendor_id, "startup_id": data.startup_id, "reviewer_id": data.reviewer_id}
    check_engagement_fields(data, data.funding, await _lookups(conn, named))
    row = await engagements.insert(
        conn,
        vendor_id=data.vendor_id,
        startup_id=data.startup_id,
        reviewer_id=data.reviewer_id,
        title=data.title,
        summary=data.summary,
        currency=data.currency,
        funding_json=json_text(data.funding) if data.funding else None,
    )
    payload = {k: audit_value(v) for k, v in msgspec.structs.asdict(data).items() if v is not None}
    await append_event(conn, row.id, caller, "engagement_created", payload, head=None)  # its first event
    return view_with(caller, row, NEW_ENGAGEMENT_FACTS)  # nothing to read back: it has no proposal yet


async def get_engagement(conn: Connection, caller: Caller, engagement_id: UUID) -> Engagement:
    return view_with(caller, *await visible_engagement_with_facts(conn, caller, engagement_id))


async def patch_engagement(
    conn: Connection, caller: Caller, engagement_id: UUID, data: EngagementPatch, if_match: str | None
) -> Engagement:
    expected = parse_if_match(if_match)
    if expected is None:
        raise PreconditionRequired("PATCH needs If-Match with the engagement's ETag (or *)")
    row = await visible_engagement(conn, caller, engagement_id, lock=True)
    check_version(row.version, None if expected == "*" else expected)
    swaps_reviewer = data.reviewer_id is not msgspec.UNSET and data.reviewer_id != row.reviewer_id
    parties = parties_of(row, caller.organisation_id)
    check_edit(row.state, parties, swaps_reviewer=swaps_reviewer)
    if isinstance(data.signatories, SignatoriesPatch):
        check_signatories(row.state, parties, data.signatories)
    named: dict[str, UUID | None] = {}
    if isinstance(data.reviewer_id, UUID):
        named["reviewer_id"] = data.reviewer_id
    if isinstance(data.funding, Funding):
        named["vendor_id"] = row.vendor_id  # the promoter rule needs where the vendor is established
    check_engagement_fields(data, data.funding, await _lookups(conn, named))
    changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
    if not changes:
        return await view(conn, caller, row)
    stored = dict(changes)
    if "funding" in stored:
        stored["funding"] = json_text(stored["funding"]) if stored["funding"] else None
    if isinstance(data.signatories, SignatoriesPatch):
        signatories = merged_signatories(row.signatories, data.signatories)
        stored["signatories"] = json_text(signatories)
        changes["signatories"] = signatories
    updated = await engagements.update(conn, engagement_id, stored)
    await append_event(
        conn,
        engagement_id,
        caller,
        "engagement_updated",
        {"changes": {k: audit_value(v) for k, v in changes.items()}, "version": updated.version},
    )
    return await view(conn, caller, updated)


_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})", re.ASCII)


def timestamp_param(name: str, raw: str | None) -> datetime | None:
    """An RFC 3339 date-time with its offset (``2026-11-30T12:00:00Z``, ``...+02:00``); anything
    else (a date, no offset, an epoch number) is a 422 naming ``name``."""
    if raw is None:
        return None
    refusal = RuleViolation.one(
        name, "must be an RFC 3339 timestamp with a time zone offset, e.g. 2026-11-30T12:00:00Z"
    )
    text = raw.upper()  # RFC 3339 allows "t" and "z"
    if not _RFC3339.fullmatch(text):
        raise refusal
    try:
        return datetime.fromisoformat(text)  # a fraction finer than microseconds is cut, not rounded
    except ValueError:  # month 13, February 30, hour 24
        raise refusal from None


async def list_engagements(
    conn: Connection,
    caller: Caller,
    *,
    state: str | None,
    counterparty_id: UUID | None,
    limit: int,
    cursor: str | None,
    order: ListOrder = "created_at",
    updated_since: datetime | None = None,
) -> Page[Engagement]:
    """A keyset page of the engagements the caller sees, in ``order``: ``created_at`` (oldest
    first) or ``-updated_at`` (most recently changed first); ``updated_since`` (inclusive) must
    carry a time zone. A cursor continues only the order it was issued for."""
    if caller.organisation_id is None:
        return Page(items=[], next_cursor=None)  # operators see no engagement content
    if state is not None and state not in EngagementState.__members__.values():
        raise RuleViolation.one("state", f"unknown state {state!r}")
    rows = await engagements.page_for(
        conn,
        caller.organisation_id,
        state=state,
        counterparty_id=counterparty_id,
        after=decode_cursor(cursor, order),
        limit=limit + 1,
        order=order,
        updated_since=updated_since,
    )
    return Page(items=await views(conn, caller, rows[:limit]), next_cursor=next_cursor_in(rows, limit, order))
