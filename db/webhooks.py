"""SQL for webhook subscriptions, the outbox the audit insert fills (``db.audit.insert``), and the
dispatchers' claims."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import msgspec

from db.rows import JsonColumns, typed, typed_all, typed_or_none
from db.types import Connection


class SubscriptionRow(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    organisation_id: UUID
    url: str
    events: list[str]
    created_at: datetime
    previous_secret_until: datetime | None


class MessageRow(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    subscription_id: UUID
    engagement_id: UUID
    seq: int
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime


class Claimed(msgspec.Struct, frozen=True, kw_only=True):
    """A claimed message with what sending it needs: the subscription's target and secrets, and the
    audit event it carries."""

    id: UUID
    attempts: int  # before this attempt
    url: str
    secret: str
    previous_secret: str | None
    engagement_id: UUID
    seq: int
    event_type: str
    at: datetime
    actor_org_id: UUID | None
    actor_key_id: UUID | None
    payload: dict[str, Any]
    prev_hash: str
    hash: str


_SUB = "id, organisation_id, url, events, created_at, previous_secret_until"
_MSG = """id, subscription_id, engagement_id, seq, event_type, status, attempts, next_attempt_at,
    last_attempt_at, last_error, created_at"""
_JSON: JsonColumns = {"payload": msgspec.json.Decoder(dict[str, Any])}


async def insert(
    conn: Connection, *, organisation_id: UUID, url: str, events: list[str], secret: str
) -> SubscriptionRow:
    record = await conn.fetchrow(
        f"""insert into webhook_subscriptions (organisation_id, url, events, secret)
            values ($1, $2, $3, $4) returning {_SUB}""",  # noqa: S608 (constant columns)
        organisation_id,
        url,
        events,
        secret,
    )
    assert record is not None
    return typed(SubscriptionRow, record)


async def get(conn: Connection, organisation_id: UUID, subscription_id: UUID) -> SubscriptionRow | None:
    record = await conn.fetchrow(
        f"select {_SUB} from webhook_subscriptions where id = $1 and organisation_id = $2",  # noqa: S608
        subscription_id,
        organisation_id,
    )
    return typed_or_none(SubscriptionRow, record)


async def page(
    conn: Connection, organisation_id: UUID, *, after: tuple[datetime, UUID] | None, limit: int
) -> list[SubscriptionRow]:
    records = await conn.fetch(
        f"""select {_SUB} from webhook_subscriptions
             where organisation_id = $1 and ($2::timestamptz is null or (created_at, id) > ($2, $3))
             order by created_at, id limit $4""",  # noqa: S608 (constant columns)
        organisation_id,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )
    return typed_all(SubscriptionRow, records)


async def delete(conn: Connection, organisation_id: UUID, subscription_id: UUID) -> bool:
    """Removes the subscription and its undelivered messages."""
    done = await conn.fetchval(
        "delete from webhook_subscriptions where id = $1 and organisation_id = $2 returning true",
        subscription_id,
        organisation_id,
    )
    return bool(done)


async def rotate(
    conn: Connection, organisation_id: UUID, subscription_id: UUID, *, secret: str, overlap: timedelta
) -> SubscriptionRow | None:
    """The new secret signs from now on; the current one keeps signing for ``overlap``."""
    record = await conn.fetchrow(
        f"""update webhook_subscriptions
               set previous_secret = secret, previous_secret_until = clock_timestamp() + $3, secret = $4
             where id = $1 and organisation_id = $2 returning {_SUB}""",  # noqa: S608
        subscription_id,
        organisation_id,
        overlap,
        secret,
    )
    return typed_or_none(SubscriptionRow, record)


async def messages(
    conn: Connection,
    subscription_id: UUID,
    *,
    status: str | None,
    after: tuple[datetime, UUID] | None,
    limit: int,
) -> list[MessageRow]:
    records = await conn.fetch(
        f"""select {_MSG} from webhook_outbox
             where subscription_id = $1 and ($2::text is null or status = $2)
               and ($3::timestamptz is null or (created_at, id) > ($3, $4))
             order by created_at, id limit $5""",  # noqa: S608 (constant columns)
        subscription_id,
        status,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )
    return typed_all(MessageRow, records)


async def requeue(conn: Connection, subscription_id: UUID, message_id: UUID) -> MessageRow | None:
    """A parked (or pending) message becomes due now with a fresh count of attempts; the dispatchers
    are told at commit."""
    record = await conn.fetchrow(
        f"""with m as (
                update webhook_outbox
                   set status = 'pending', attempts = 0, next_attempt_at = clock_timestamp()
                 where id = $1 and subscription_id = $2 returning {_MSG})
            select m.*, pg_notify('jointip_outbox', '')::text as notified from m""",  # noqa: S608
        message_id,
        subscription_id,
    )
    return typed_or_none(MessageRow, record)


async def claim(conn: Connection) -> Claimed | None:
    """The next due message, row-locked until the caller's transaction ends (other dispatchers skip
    it, so one message is never sent twice at once; a dispatcher that dies releases it)."""
    record = await conn.fetchrow(
        """with m as (
               select id from webhook_outbox
                where status = 'pending' and next_attempt_at <= clock_timestamp()
                order by next_attempt_at
                limit 1
                for update skip locked)
           select o.id, o.attempts, s.url, s.secret,
                  case when s.previous_secret_until > clock_timestamp() then s.previous_secret end
                      as previous_secret,
                  a.engagement_id, a.seq, a.type as event_type, a.at, a.actor_org_id, a.actor_key_id,
                  a.payload::text as payload, a.prev_hash, a.hash
             from m
             join webhook_outbox o on o.id = m.id
             join webhook_subscriptions s on s.id = o.subscription_id
             join audit_events a on a.engagement_id = o.engagement_id and a.seq = o.seq"""
    )
    return typed_or_none(Claimed, record, _JSON)


async def delivered(conn: Connection, message_id: UUID) -> None:
    await conn.execute("delete from webhook_outbox where id = $1", message_id)


async def failed(conn: Connection, message_id: UUID, *, error: str, retry_in: timedelta | None) -> None:
    """One more failed attempt: due again after ``retry_in``, or parked when it is None."""
    await conn.execute(
        """update webhook_outbox
              set attempts = attempts + 1, last_attempt_at = clock_timestamp(), last_error = $2,
                  status = case when $3::interval is null then 'parked' else 'pending' end,
                  next_attempt_at = clock_timestamp() + coalesce($3::interval, interval '0')
            where id = $1""",
        message_id,
        error,
        retry_in,
    )


async def next_due(conn: Connection) -> datetime | None:
    """When the earliest pending message comes due (a dispatcher sleeps until then)."""
    # Rows another dispatcher is sending are locked and skipped: waiting for them would be a busy loop.
    value = await conn.fetchval(
        """select next_attempt_at from webhook_outbox where status = 'pending'
            order by next_attempt_at limit 1 for key share skip locked"""
    )
    return value if isinstance(value, datetime) else None


async def depth(conn: Connection) -> dict[str, int]:
    """Messages in the outbox by status."""
    records = await conn.fetch("select status, count(*) as n from webhook_outbox group by status")
    counts = {"pending": 0, "parked": 0}
    counts.update({str(r["status"]): int(r["n"]) for r in records})
    return counts
