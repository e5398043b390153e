"""The caller's feed of audit events across the engagements its organisation can see: JSON pages
(``GET /events?since=``) and a Server-Sent Events stream (``GET /events/stream``).

The audit table is the source of truth; a NOTIFY from the audit insert (migration 0013) wakes the
streams of the organisations concerned through the process's one listening connection
(``service/notify.py``). Positions are opaque cursors over (transaction id, stream id), read only
below the oldest running transaction, so resuming from a cursor loses and repeats nothing (see
``db/feed.py``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Final, NamedTuple

import asyncpg
import msgspec
from litestar.response import ServerSentEventMessage

from db import api_keys, feed
from db.feed import FeedRow
from db.types import Connection
from service.audit import actor_record, shown_actor
from service.auth import Caller
from service.metrics import EVENT_STREAM_CLIENTS
from service.notify import EVENTS, Notifications
from service.pagination import NOT_ISSUED, unwrap, wrap
from service.schemas.webhooks import FeedEvent, FeedPage
from workflows import RuleViolation, format_event_time

Position = tuple[int, int]


class Start(NamedTuple):
    position: Position
    skip: frozenset[int]  # stream ids after ``position`` the client is not sent (already past)


START: Final[Position] = (0, 0)
_INT8_MAX = 2**63 - 1
#: While committed events wait behind an older transaction still running, look again this often
#: (that transaction's end sends no notification when it wrote no event).
RECHECK = 0.05
BATCH = 100


def encode_cursor(position: Position) -> str:
    return wrap(position)


def decode_cursor(cursor: str, field: str) -> Position:
    txid, stream_id = unwrap(cursor, tuple[int, int], field)
    if not (0 <= txid <= _INT8_MAX and 0 <= stream_id <= _INT8_MAX):
        raise RuleViolation.one(field, NOT_ISSUED)
    return (txid, stream_id)


def _event(row: FeedRow) -> FeedEvent:
    return FeedEvent(
        cursor=encode_cursor((row.txid, row.stream_id)),
        engagement_id=row.engagement_id,
        seq=row.seq,
        type=row.type,
        actor=shown_actor(actor_record(row.actor_org_id, row.actor_key_id)),
        at=format_event_time(row.at),
        payload=row.payload,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


async def _page(conn: Connection, caller: Caller, after: Position, limit: int) -> tuple[list[FeedRow], bool]:
    if caller.organisation_id is None:  # operators see no engagement content
        return [], False
    return await feed.page(conn, caller.organisation_id, after=after, limit=limit)


async def page(conn: Connection, caller: Caller, *, since: str | None, limit: int) -> FeedPage:
    """Events after ``since`` (from the first event without it), oldest first."""
    after = decode_cursor(since, "since") if since is not None else START
    rows, _ = await _page(conn, caller, after, limit)
    return FeedPage(
        items=[_event(r) for r in rows],
        next_cursor=encode_cursor((rows[-1].txid, rows[-1].stream_id)) if rows else encode_cursor(after),
    )


async def _still_valid(pool: asyncpg.Pool, caller: Caller) -> bool:
    if caller.key_id is None:  # the bootstrap operator key is not stored
        return True
    async with pool.acquire() as conn:
        return await api_keys.is_active(conn, caller.key_id)


async def start_position(pool: asyncpg.Pool, caller: Caller, last_event_id: str | None) -> Start:
    """Where a stream starts: after ``Last-Event-ID``; else with what commits from now on (the
    horizon, minus the events past it that had already committed)."""
    if last_event_id is not None:
        return Start(decode_cursor(last_event_id, "Last-Event-ID"), frozenset())
    async with pool.acquire() as conn:
        horizon, seen = await feed.now(conn, caller.organisation_id)
    return Start((horizon, 0), seen)


async def stream(
    pool: asyncpg.Pool,
    notifications: Notifications,
    caller: Caller,
    start: Start,
    *,
    keepalive: float,
) -> AsyncIterator[ServerSentEventMessage]:
    """The SSE messages of one client: its position first (so a client that saw no event can still
    resume), then each event as it becomes final, and a comment when idle."""
    position, skip = start
    key = str(caller.organisation_id) if caller.organisation_id else "-"
    with notifications.subscribe(EVENTS, key) as wake:
        EVENT_STREAM_CLIENTS.inc()
        try:
            yield ServerSentEventMessage(data=None, id=encode_cursor(position), retry=2000)
            while True:
                wake.clear()
                while True:
                    async with pool.acquire() as conn:
                        rows, held = await _page(conn, caller, position, BATCH)
                    for row in rows:
                        position = (row.txid, row.stream_id)
                        if row.stream_id in skip:
                            continue
                        event = _event(row)
                        yield ServerSentEventMessage(
                            data=msgspec.json.encode(event).decode(), id=event.cursor
                        )
                    if len(rows) < BATCH:
                        break
                try:
                    async with asyncio.timeout(
                        RECHECK if held else keepalive
                    ):  # not wait_for: see dispatcher
                        await wake.wait()
                except TimeoutError:
                    if not held:
                        if not await _still_valid(pool, caller):
                            return  # the key was revoked: the stream ends (a reconnect gets 401)
                        yield ServerSentEventMessage(data=None, comment="keep-alive")
        finally:
            EVENT_STREAM_CLIENTS.dec()
