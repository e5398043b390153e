"""SQL for mailable contract download links."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from db.rows import typed, typed_all, typed_or_none
from db.types import Connection


class LinkRow(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    contract_id: UUID
    engagement_id: UUID
    created_by_org: UUID
    created_by_key: UUID | None
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    uses: int


# A link's uses are its audit events (the one record of what happened), counted on read.
_SELECT = """select l.id, l.contract_id, l.engagement_id, l.created_by_org, l.created_by_key, l.created_at,
           l.expires_at, l.revoked_at,
           (select count(*) from audit_events a
             where a.engagement_id = l.engagement_id and a.type = 'contract_link_used'
               and a.payload ->> 'link_id' = l.id::text) as uses
      from contract_links l"""


async def insert(
    conn: Connection,
    *,
    contract_id: UUID,
    engagement_id: UUID,
    created_by_org: UUID,
    created_by_key: UUID | None,
    created_at: datetime,
    expires_at: datetime,
) -> LinkRow:
    record = await conn.fetchrow(
        """insert into contract_links
               (contract_id, engagement_id, created_by_org, created_by_key, created_at, expires_at)
           values ($1, $2, $3, $4, $5, $6)
           returning id, contract_id, engagement_id, created_by_org, created_by_key, created_at, expires_at,
                     revoked_at, 0 as uses""",
        contract_id,
        engagement_id,
        created_by_org,
        created_by_key,
        created_at,
        expires_at,
    )
    assert record is not None
    return typed(LinkRow, record)


async def get(conn: Connection, link_id: UUID) -> LinkRow | None:
    record = await conn.fetchrow(_SELECT + " where l.id = $1", link_id)
    return typed_or_none(LinkRow, record)


async def for_contract(
    conn: Connection, contract_id: UUID, *, after: tuple[datetime, UUID] | None, limit: int
) -> list[LinkRow]:
    records = await conn.fetch(
        _SELECT
        + """ where l.contract_id = $1
                and ($2::timestamptz is null or (l.created_at, l.id) > ($2::timestamptz, $3::uuid))
              order by l.created_at, l.id limit $4""",
        contract_id,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )
    return typed_all(LinkRow, records)


async def revoke(conn: Connection, link_id: UUID, key_id: UUID | None, at: datetime) -> None:
    await conn.execute(
        "update contract_links set revoked_at = $3, revoked_by_key = $2 where id = $1 and revoked_at is null",
        link_id,
        key_id,
        at,
    )


async def lock_engagement(conn: Connection, engagement_id: UUID) -> None:
    """Lock the engagement row a link belongs to, so its audit event gets the next seq in order.

    (A link use has no signed-in caller, so the tenant-scoped ``engagements.get_for`` does not apply;
    the link itself is the authority.)
    """
    await conn.execute("select 1 from engagements where id = $1 for update", engagement_id)
