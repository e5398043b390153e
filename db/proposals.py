"""SQL for proposal revisions. Content is immutable once submitted (a trigger enforces it)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

import msgspec

from db.rows import JsonColumns, typed, typed_all, typed_or_none
from db.types import Connection
from workflows import Advisory, IpTerms, MilestoneInput


class ProposalRow(msgspec.Struct, frozen=True, kw_only=True):
    engagement_id: UUID
    revision: int
    scope: str
    milestones: tuple[MilestoneInput, ...]
    ip_terms: IpTerms
    total_fee: Decimal
    advisories: tuple[Advisory, ...]
    created_at: datetime
    submitted_at: datetime | None
    accepted_at: datetime | None


_COLUMNS = """engagement_id, revision, scope, milestones::text as milestones, ip_terms::text as ip_terms,
    total_fee, advisories::text as advisories, created_at, submitted_at, accepted_at"""
_JSON: JsonColumns = {
    "milestones": msgspec.json.Decoder(tuple[MilestoneInput, ...]),
    "ip_terms": msgspec.json.Decoder(IpTerms),
    "advisories": msgspec.json.Decoder(tuple[Advisory, ...]),
}


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
) -> ProposalRow:
    """Revision n+1; the caller holds the engagement row lock, so numbers cannot collide."""
    record = await conn.fetchrow(
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
    assert record is not None
    return typed(ProposalRow, record, _JSON)


async def latest(conn: Connection, engagement_id: UUID) -> ProposalRow | None:
    record = await conn.fetchrow(
        f"select {_COLUMNS} from proposal_revisions where engagement_id = $1 order by revision desc limit 1",  # noqa: S608
        engagement_id,
    )
    return typed_or_none(ProposalRow, record, _JSON)


async def get(conn: Connection, engagement_id: UUID, revision: int) -> ProposalRow | None:
    record = await conn.fetchrow(
        f"select {_COLUMNS} from proposal_revisions where engagement_id = $1 and revision = $2",  # noqa: S608
        engagement_id,
        revision,
    )
    return typed_or_none(ProposalRow, record, _JSON)


async def page(conn: Connection, engagement_id: UUID, *, after: int | None, limit: int) -> list[ProposalRow]:
    records = await conn.fetch(
        f"""select {_COLUMNS} from proposal_revisions
             where engagement_id = $1 and revision > coalesce($2, 0)
             order by revision limit $3""",  # noqa: S608
        engagement_id,
        after,
        limit,
    )
    return typed_all(ProposalRow, records, _JSON)


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


async def latest_accepted(conn: Connection, engagement_id: UUID) -> ProposalRow | None:
    """The revision the parties agreed (and so signed): the newest one with accepted_at set."""
    record = await conn.fetchrow(
        f"""select {_COLUMNS} from proposal_revisions
             where engagement_id = $1 and accepted_at is not null
             order by revision desc limit 1""",  # noqa: S608
        engagement_id,
    )
    return typed_or_none(ProposalRow, record, _JSON)
