"""SQL for portal sessions and the failed sign-ins the sign-in rate limit counts."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from db.api_keys import KeyHolder
from db.rows import typed_or_none
from db.types import Connection


async def insert(
    conn: Connection, *, token_hash: bytes, key_id: UUID, created_at: datetime, expires_at: datetime
) -> None:
    await conn.execute(
        """insert into portal_sessions (token_hash, key_id, created_at, expires_at)
           values ($1, $2, $3, $4)""",
        token_hash,
        key_id,
        created_at,
        expires_at,
    )


async def holder(conn: Connection, token_hash: bytes, now: datetime) -> KeyHolder | None:
    """The key (and its organisation) behind a live session; None when expired, unknown or the key
    was revoked since."""
    record = await conn.fetchrow(
        """select k.id as key_id, k.name, k.role, k.organisation_id, o.name as organisation_name,
                  o.kind as organisation_kind
             from portal_sessions s
             join api_keys k on k.id = s.key_id and k.revoked_at is null
             left join organisations o on o.id = k.organisation_id
            where s.token_hash = $1 and s.expires_at > $2""",
        token_hash,
        now,
    )
    return typed_or_none(KeyHolder, record)


async def delete(conn: Connection, token_hash: bytes) -> None:
    await conn.execute("delete from portal_sessions where token_hash = $1", token_hash)


async def purge_expired(conn: Connection, now: datetime) -> None:
    await conn.execute("delete from portal_sessions where expires_at <= $1", now)


async def failures_since(conn: Connection, client: str, since: datetime) -> tuple[int, datetime | None]:
    """How many sign-ins from ``client`` failed since ``since``, and when the oldest of them was."""
    record = await conn.fetchrow(
        "select count(*) as n, min(at) as oldest from portal_sign_in_failures where client = $1 and at > $2",
        client,
        since,
    )
    assert record is not None
    return int(record["n"]), record["oldest"]


async def record_failure(conn: Connection, client: str, at: datetime, window: timedelta) -> None:
    """Count one failed sign-in; rows older than the window are dropped on the way."""
    await conn.execute(
        "delete from portal_sign_in_failures where client = $1 and at <= $2", client, at - window
    )
    await conn.execute("insert into portal_sign_in_failures (client, at) values ($1, $2)", client, at)
