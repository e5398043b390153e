"""SQL for the event feed: an organisation's visible audit events across engagements, in the order
their transactions are final.

A position is (txid, stream_id). A page holds only events whose transaction id is below
``pg_snapshot_xmin`` of the reader's snapshot: every transaction below it has ended, so no event
can still commit at a position before one already handed out (a plain sequence could: ids are
taken in one order and committed in another).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec

from db.audit import AuditRow
from db.rows import JsonColumns, typed_all
from db.types import Connection


class FeedRow(AuditRow, frozen=True, kw_only=True):
    """An audit event with its place in the feed."""

    txid: int
    stream_id: int


_JSON: JsonColumns = {"payload": msgspec.json.Decoder(dict[str, Any])}


async def horizon(conn: Connection) -> int:
    """The oldest transaction id still running (or the next one): events from it on may still come."""
    return int(await conn.fetchval("select pg_snapshot_xmin(pg_current_snapshot())::text::bigint"))


async def now(conn: Connection, organisation_id: UUID | None) -> tuple[int, frozenset[int]]:
    """Where "from now on" starts, in one snapshot: the horizon, and the stream ids of the
    organisation's events at or after it that have already committed (a new stream skips them)."""
    record = await conn.fetchrow(
        """with h as (select pg_snapshot_xmin(pg_current_snapshot()) as x)
           select (select x::text::bigint from h) as horizon,
                  array(select a.stream_id from audit_events a, h
                         where a.txid >= h.x
                           and exists (select 1 from engagement_parties p
                                        where p.engagement_id = a.engagement_id
                                          and p.organisation_id = $1)) as seen""",
        organisation_id,
    )
    assert record is not None
    return int(record["horizon"]), frozenset(record["seen"])


async def page(
    conn: Connection, organisation_id: UUID, *, after: tuple[int, int], limit: int
) -> tuple[list[FeedRow], bool]:
    """Events of engagements ``organisation_id`` is a party to, after the position ``after``; and
    whether more of them have committed but wait behind an older transaction still running (a
    stream then looks again shortly: that transaction's end sends no notification if it wrote no
    event). One statement, so both answers come from one snapshot."""
    records = await conn.fetch(
        """with x as (select pg_snapshot_xmin(pg_current_snapshot()) as h),
           visible as not materialized (
               select a.* from audit_events a
                where exists (select 1 from engagement_parties p
                               where p.engagement_id = a.engagement_id and p.organisation_id = $1)
                  and (a.txid, a.stream_id) > ($2::text::xid8, $3::bigint)),
           ready as (
               select * from visible where txid < (select h from x) order by txid, stream_id limit $4)
           select exists (select 1 from visible where txid >= (select h from x)) as held,
                  r.txid::text::bigint as txid, r.stream_id, r.engagement_id, r.seq, r.actor_org_id,
                  r.actor_key_id, r.at, r.type, r.payload::text as payload, r.prev_hash, r.hash
             from (select 1) one left join ready r on true
            order by r.txid, r.stream_id""",
        organisation_id,
        str(after[0]),
        after[1],
        limit,
    )
    held = bool(records[0]["held"]) if records else False
    # The ``held`` column is ignored by the conversion; the row of (select 1) alone is no event.
    return typed_all(FeedRow, [r for r in records if r["stream_id"] is not None], _JSON), held
