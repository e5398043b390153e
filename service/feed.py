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
import base64
import binascii
from collections.abc import AsyncIterator
from typing import Final

import asyncpg
import msgspec
from litestar.response import ServerSentEventMessage

from db import feed
from db.feed import FeedRow
from db.types import Connection
from service.audit import actor_record
from service.auth import Caller
from service.metrics import EVENT_STREAM_CLIENTS
from service.notify import EVENTS, Notifications
from service.schemas.events import EventActor
from service.schemas.webhooks import FeedEvent, FeedPage
from workflows import RuleViolation, format_event_time

Position = tuple[int, int]
START: Final[Position] = (0, 0)
_INT8_MAX = 2**63 - 1
#: After a wake-up that found nothing (its event is behind a transaction still running), look
#: again after these delays before waiting for the next notification.
RECHECKS = (0.05, 0.1, 0.2, 0.4, 0.8, 1.6)
BATCH = 100


def encode_cursor(position: Position) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(list(position))).decode().rstrip("=")


def decode_cursor(cursor: str, field: str) -> Position:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        txid, stream_id = msgspec.json.decode(raw, type=tuple[int, int])
    except (binascii.Error, msgspec.DecodeError, ValueError, TypeError) as exc:
        raise RuleViolation.one(field, "not a cursor this service issued") from exc
    if not (0 <= txid <= _INT8_MAX and 0 <= stream_id <= _INT8_MAX):
        raise RuleViolation.one(field, "not a cursor this service issued")
    return (txid, stream_id)


def _event(row: FeedRow) -> FeedEvent:
    actor = actor_record(row.actor_org_id, row.actor_key_id)
    return FeedEvent(
        cursor=encode_cursor((row.txid, row.stream_id)),
        engagement_id=row.engagement_id,
        seq=row.seq,
        type=row.type,
        actor=msgspec.convert(actor, EventActor) if actor is not None else "system",
        at=format_event_time(row.at),
        payload=row.payload,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


async def _page(conn: Connection, caller: Caller, after: Position, limit: int) -> list[FeedRow]:
    if caller.organisation_id is None:  # operators see no engagement content
        return []
    return await feed.page(conn, caller.organisation_id, after=after, limit=limit)


async def page(conn: Connection, caller: Caller, *, since: str | None, limit: int) -> FeedPage:
    """Events after ``since`` (from the first event without it), oldest first."""
    after = decode_cursor(since, "since") if since is not None else START
    rows = await _page(conn, caller, after, limit)
    return FeedPage(
        items=[_event(r) for r in rows],
        next_cursor=encode_cursor((rows[-1].txid, rows[-1].stream_id)) if rows else encode_cursor(after),
    )


async def start_position(pool: asyncpg.Pool, last_event_id: str | None) -> Position:
    """Where a stream starts: after ``Last-Event-ID``, else at what commits from now on."""
    if last_event_id is not None:
        return decode_cursor(last_event_id, "Last-Event-ID")
    async with pool.acquire() as conn:
        return (await feed.horizon(conn), 0)


async def stream(
    pool: asyncpg.Pool,
    notifications: Notifications,
    caller: Caller,
    position: Position,
    *,
    keepalive: float,
) -> AsyncIterator[ServerSentEventMessage]:
    """The SSE messages of one client: its position first (so a client that saw no event can still
    resume), then each event as it becomes final, and a comment when idle."""
    key = str(caller.organisation_id) if caller.organisation_id else "-"
    with notifications.subscribe(EVENTS, key) as wake:
        EVENT_STREAM_CLIENTS.inc()
        try:
            yield ServerSentEventMessage(data=None, id=encode_cursor(position), retry=2000)
            rechecks: list[float] = []
            woken = True
            while True:
                wake.clear()
                found = False
                while True:
                    async with pool.acquire() as conn:
                        rows = await _page(conn, caller, position, BATCH)
                    for row in rows:
                        position = (row.txid, row.stream_id)
                        event = _event(row)
                        yield ServerSentEventMessage(
                            data=msgspec.json.encode(event).decode(), id=event.cursor
                        )
                    found = found or bool(rows)
                    if len(rows) < BATCH:
                        break
                if woken and not found:
                    rechecks = list(RECHECKS)
                timeout = rechecks.pop(0) if rechecks else keepalive
                try:
                    await asyncio.wait_for(wake.wait(), timeout)
                    woken = True
                except TimeoutError:
                    woken = False
                    if not rechecks and timeout == keepalive:
                        yield ServerSentEventMessage(data=None, comment="keep-alive")
        finally:
            EVENT_STREAM_CLIENTS.dec()
