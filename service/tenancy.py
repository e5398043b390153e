"""The tenant check, in one place: who may see an engagement, and as which party.

Every route under an engagement (or a resource that belongs to one) resolves it through
``visible_engagement``; the ``engagement_guard`` runs the same check before a handler's
body is even parsed, so a stranger gets 404 whatever it sends. Operators administer the
platform and see no engagement content.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from db import contracts, engagements
from db.engagements import EngagementRow, SnapshotFacts
from db.types import Connection
from service.auth import Caller
from workflows import Actor, NotFound, Party


def not_found(engagement_id: UUID) -> NotFound:
    return NotFound(f"engagement {engagement_id} not found")


async def visible_engagement(
    conn: Connection, caller: Caller, engagement_id: UUID, *, lock: bool = False
) -> EngagementRow:
    """The engagement row if the caller's organisation is a party to it; NotFound otherwise (never 403)."""
    if caller.organisation_id is None:
        raise not_found(engagement_id)
    row = await engagements.get_for(conn, engagement_id, caller.organisation_id, lock=lock)
    if row is None:
        raise not_found(engagement_id)
    return row


async def visible_engagement_with_facts(
    conn: Connection, caller: Caller, engagement_id: UUID
) -> tuple[EngagementRow, SnapshotFacts]:
    """``visible_engagement`` and what its guards read, in one round trip: the plain read's path."""
    found = None
    if caller.organisation_id is not None:
        found = await engagements.get_with_facts(conn, engagement_id, caller.organisation_id)
    if found is None:
        raise not_found(engagement_id)
    return found


def parties_of(row: EngagementRow, organisation_id: UUID | None) -> frozenset[Party]:
    """The parties ``organisation_id`` plays in the engagement (normally one, or none)."""
    if organisation_id is None:
        return frozenset()
    organisations = {
        Party.VENDOR: row.vendor_id,
        Party.STARTUP: row.startup_id,
        Party.REVIEWER: row.reviewer_id,
    }
    return frozenset(party for party, org in organisations.items() if org == organisation_id)


def actor_for(caller: Caller, row: EngagementRow) -> Actor:
    return Actor(
        parties=parties_of(row, caller.organisation_id),
        organisation_id=str(caller.organisation_id),
        key_id=str(caller.key_id),
    )


#: Methods whose requests carry a body: the guard answers them before the body is read.
_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


async def engagement_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Route guard: 404 before the body is even read when the caller is not a party to the
    engagement named by the path (``engagement_id``, or the engagement a ``contract_id`` belongs to).

    Requests without a body (GET, HEAD, DELETE; OPTIONS is unauthenticated and shows no content)
    skip it: every handler resolves the engagement through ``visible_engagement`` or
    ``visible_contract``, which give the same 404, so a read costs one connection, not two.
    ``tests/api/test_tenant_isolation.py`` holds every route to that.
    """
    params = connection.path_params
    if connection.scope.get("method") not in _WITH_BODY or not (
        {"engagement_id", "contract_id"} & set(params)
    ):
        return
    caller: Caller = connection.user
    async with connection.app.state.pool.acquire() as conn:
        if "engagement_id" in params:
            engagement_id: UUID | None = params["engagement_id"]
            missing = not_found(params["engagement_id"])
        else:
            engagement_id = await contracts.engagement_of(conn, params["contract_id"])
            missing = NotFound(f"contract {params['contract_id']} not found")
        if (
            engagement_id is None
            or caller.organisation_id is None
            or not await engagements.is_party(conn, engagement_id, caller.organisation_id)
        ):
            raise missing
