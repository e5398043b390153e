"""SQL for the portal's inbox: an organisation's engagements with their parties' names and the
latest contract version, in one query."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from db.rows import typed_all
from db.types import Connection


class InboxRow(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    title: str
    state: str
    party: str  # what the organisation is in this engagement: vendor, startup or reviewer
    vendor_name: str
    startup_name: str
    reviewer_name: str | None
    updated_at: datetime
    contract_version: int | None
    contract_created_at: datetime | None


async def inbox(conn: Connection, organisation_id: UUID, *, offset: int, limit: int) -> list[InboxRow]:
    """Engagements the organisation is a party to or reviews: those in review first, then the most
    recently changed."""
    records = await conn.fetch(
        """select e.id, e.title, e.state, p.party, v.name as vendor_name, s.name as startup_name,
                  r.name as reviewer_name, e.updated_at, c.version as contract_version,
                  c.created_at as contract_created_at
             from engagement_parties p
             join engagements e on e.id = p.engagement_id
             join organisations v on v.id = e.vendor_id
             join organisations s on s.id = e.startup_id
             left join organisations r on r.id = e.reviewer_id
             left join lateral (
                   select version, created_at from contract_versions cv
                    where cv.engagement_id = e.id order by version desc limit 1) c on true
            where p.organisation_id = $1
            order by (e.state = 'in_review') desc, e.updated_at desc, e.id
            offset $2 limit $3""",
        organisation_id,
        offset,
        limit,
    )
    return typed_all(InboxRow, records)
