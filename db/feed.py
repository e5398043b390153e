"""SQL for the event feed: an organisation's visible audit events across engagements, in the order
their transactions are final.

A position is (txid, stream_id). A page holds only events whose transaction id is below
``pg_snapshot_xmin`` of the reader's snapshot: every transaction below it has ended, so no event
can still commit at a position before one already handed out (a plain sequence could: ids are
taken in one order and committed in another).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

from db.rows import JsonColumns, typed_all
from db.types import Connection


class FeedRow(msgspec.Struct, frozen=True, kw_only=True):
    txid: int
    stream_id: int
    engagement_id: UUID
    seq: int
    actor_org_id: UUID | None
    actor_key_id: UUID | None
    at: datetime
    type: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str


_JSON: JsonColumns = {"payload": msgspec.json.Decoder(dict[str, Any])}


async def horizon(conn: Connection) -> int:
    """The oldest transaction id still running (or the next one): events from it on may still come."""
    return int(await conn.fetchval("select pg_snapshot_xmin(pg_current_snapshot())::text::bigint"))


async def page(
    conn: Connection, organisation_id: UUID, *, after: tuple[int, int], limit: int
) -> list[FeedRow]:
    """Events of engagements ``organisation_id`` is a party to, after the position ``after``."""
    records = await conn.fetch(
        """select a.txid::text::bigint as txid, a.stream_id, a.engagement_id, a.seq, a.actor_org_id,
                  a.actor_key_id, a.at, a.type, a.payload::text as payload, a.prev_hash, a.hash
             from audit_events a
            where (a.txid, a.stream_id) > ($2::text::xid8, $3::bigint)
              and a.txid < pg_snapshot_xmin(pg_current_snapshot())
              and exists (select 1 from engagement_parties p
                           where p.engagement_id = a.engagement_id and p.organisation_id = $1)
            order by a.txid, a.stream_id
            limit $4""",
        organisation_id,
        str(after[0]),
        after[1],
        limit,
    )
    return typed_all(FeedRow, records, _JSON)
