"""SQL for the append-only audit trail (the table refuses UPDATE and DELETE)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

from db.rows import JsonColumns, typed_all
from db.types import Connection


class AuditRow(msgspec.Struct, frozen=True, kw_only=True):
    engagement_id: UUID
    seq: int
    actor_org_id: UUID | None
    actor_key_id: UUID | None
    at: datetime
    type: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str


_COLUMNS = (
    "engagement_id, seq, actor_org_id, actor_key_id, at, type, payload::text as payload, prev_hash, hash"
)
# Payloads are JSON-native by construction (the chain hashes them): plain decoding keeps them exact.
_JSON: JsonColumns = {"payload": msgspec.json.Decoder(dict[str, Any])}


async def head(conn: Connection, engagement_id: UUID) -> tuple[int, str] | None:
    """The last (seq, hash) of an engagement's chain; call with the engagement row locked."""
    row = await conn.fetchrow(
        "select seq, hash from audit_events where engagement_id = $1 order by seq desc limit 1", engagement_id
    )
    return (int(row["seq"]), str(row["hash"])) if row else None


async def insert(
    conn: Connection,
    *,
    engagement_id: UUID,
    seq: int,
    actor_org_id: UUID | None,
    actor_key_id: UUID | None,
    at: datetime,
    type: str,
    payload_json: str,
    prev_hash: str,
    hash: str,
) -> None:
    # One statement writes the event and the outbox rows of every subscription that wants it, of
    # the organisations that can see the engagement (its parties, the reviewer included), and
    # NOTIFYs (delivered at commit) the event streams of those organisations and, when it wrote
    # outbox rows, the dispatchers. No subscription: no outbox row and no dispatcher wake-up.
    await conn.execute(
        """with e as (
               insert into audit_events
                   (engagement_id, seq, actor_org_id, actor_key_id, at, type, payload, prev_hash, hash)
               values ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9)
               returning engagement_id, seq, type),
           parties as (
               select distinct organisation_id from engagement_parties where engagement_id = $1),
           o as (
               insert into webhook_outbox (subscription_id, organisation_id, engagement_id, seq, event_type)
               select s.id, s.organisation_id, e.engagement_id, e.seq, e.type
                 from e, parties p
                 join webhook_subscriptions s on s.organisation_id = p.organisation_id
                where s.events && array[e.type, '*']
               returning 1)
           select pg_notify('jointip_events', (select string_agg(organisation_id::text, ',') from parties)),
                  (select pg_notify('jointip_outbox', '') where exists (select 1 from o))""",
        engagement_id,
        seq,
        actor_org_id,
        actor_key_id,
        at,
        type,
        payload_json,
        prev_hash,
        hash,
    )


async def page(conn: Connection, engagement_id: UUID, *, after: int | None, limit: int) -> list[AuditRow]:
    records = await conn.fetch(
        f"""select {_COLUMNS} from audit_events
             where engagement_id = $1 and seq > coalesce($2, 0)
             order by seq limit $3""",  # noqa: S608 (constant columns)
        engagement_id,
        after,
        limit,
    )
    return typed_all(AuditRow, records, _JSON)


async def stream(conn: Connection, engagement_id: UUID, batch: int = 500) -> AsyncIterator[AuditRow]:
    """Every event in seq order, in batches, so verifying a long chain holds little in memory."""
    after = 0
    while True:
        rows = await page(conn, engagement_id, after=after, limit=batch)
        for row in rows:
            yield row
        if len(rows) < batch:
            return
        after = rows[-1].seq
