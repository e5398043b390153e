"""SQL for proposal revisions. Content is immutable once submitted (a trigger enforces it)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from db.types import Connection

_COLUMNS = """engagement_id, revision, scope, milestones::text as milestones, ip_terms::text as ip_terms,
    total_fee, advisories::text as advisories, created_at, submitted_at, accepted_at"""


async def insert_next(
    conn: Connection,
    engagement_id: UUID,
    *,
    scope: str,
    milestones_json: str,
    ip_terms_json: str,
    total_fee: Decimal,
    advisories_json: str,
    created_by: UUID | None,
) -> dict[str, Any]:
    """Revision n+1; the caller holds the engagement row lock, so numbers cannot collide."""
    row = await conn.fetchrow(
        f"""insert into proposal_revisions
                (engagement_id, revision, scope, milestones, ip_terms, total_fee, advisories, created_by)
            select $1, coalesce(max(revision), 0) + 1, $2, $3::jsonb, $4::jsonb, $5, $6::jsonb, $7
              from proposal_revisions where engagement_id = $1
            returning {_COLUMNS}""",  # noqa: S608 (constant columns)
        engagement_id,
        scope,
        milestones_json,
        ip_terms_json,
        total_fee,
        advisories_json,
        created_by,
    )
    assert row is not None
    return dict(row)


async def latest(conn: Connection, engagement_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        f"select {_COLUMNS} from proposal_revisions where engagement_id = $1 order by revision desc limit 1",  # noqa: S608
        engagement_id,
    )
    return dict(row) if row else None


async def get(conn: Connection, engagement_id: UUID, revision: int) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        f"select {_COLUMNS} from proposal_revisions where engagement_id = $1 and revision = $2",  # noqa: S608
        engagement_id,
        revision,
    )
    return dict(row) if row else None


async def page(
    conn: Connection, engagement_id: UUID, *, after: int | None, limit: int
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"""select {_COLUMNS} from proposal_revisions
             where engagement_id = $1 and revision > coalesce($2, 0)
             order by revision limit $3""",  # noqa: S608
        engagement_id,
        after,
        limit,
    )
    return [dict(r) for r in rows]


async def mark_submitted(conn: Connection, engagement_id: UUID, revision: int) -> None:
    await conn.execute(
        "update proposal_revisions set submitted_at = clock_timestamp() where engagement_id = $1 and revision = $2",
        engagement_id,
        revision,
    )


async def mark_accepted(conn: Connection, engagement_id: UUID, revision: int) -> None:
    await conn.execute(
        "update proposal_revisions set accepted_at = clock_timestamp() where engagement_id = $1 and revision = $2",
        engagement_id,
        revision,
    )


async def latest_accepted(conn: Connection, engagement_id: UUID) -> dict[str, Any] | None:
    """The revision the parties agreed (and so signed): the newest one with accepted_at set."""
    row = await conn.fetchrow(
        f"""select {_COLUMNS} from proposal_revisions
             where engagement_id = $1 and accepted_at is not null
             order by revision desc limit 1""",  # noqa: S608
        engagement_id,
    )
    return dict(row) if row else None
