"""SQL for Idempotency-Key records (scoped to the API key; expired after 24 hours)."""

from __future__ import annotations

from datetime import timedelta

import msgspec

from db.rows import typed_or_none
from db.types import Connection

RETENTION = timedelta(hours=24)


class IdempotencyRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A claimed key: the request it was claimed for and, once complete, the response to replay."""

    request_hash: bytes | None = None
    status: int | None = None  # None: the first request is still in flight
    response_body: bytes | None = None
    response_headers: str | None = None  # JSON text: [[name, value], ...]


async def lock(conn: Connection, api_key_id: str, key: str) -> bool:
    """Take the key's lock for the current transaction; False when another request holds it."""
    return bool(
        await conn.fetchval(
            "select pg_try_advisory_xact_lock(hashtextextended($1 || ':' || $2, 7321))",
            api_key_id,
            key,
        )
    )


async def reserve(
    conn: Connection, api_key_id: str, key: str, request_hash: bytes
) -> IdempotencyRecord | None:
    """Claim the key for this request (inside the caller's transaction, under ``lock``); returns
    None when claimed, else the existing record."""
    await conn.execute(
        "delete from idempotency_keys where api_key_id = $1 and key = $2 and created_at < now() - $3::interval",
        api_key_id,
        key,
        RETENTION,
    )
    claimed = await conn.fetchval(
        """insert into idempotency_keys (api_key_id, key, request_hash) values ($1, $2, $3)
           on conflict do nothing returning true""",
        api_key_id,
        key,
        request_hash,
    )
    if claimed:
        return None
    record = await conn.fetchrow(
        """select request_hash, status, response_body, response_headers::text as response_headers
             from idempotency_keys where api_key_id = $1 and key = $2""",
        api_key_id,
        key,
    )
    # Gone between the two statements (expired and purged): nothing to compare, still in flight.
    return typed_or_none(IdempotencyRecord, record) or IdempotencyRecord()


async def complete(
    conn: Connection, api_key_id: str, key: str, status: int, body: bytes, headers_json: str
) -> None:
    await conn.execute(
        """update idempotency_keys
              set status = $3, response_body = $4, response_headers = $5::jsonb, completed_at = now()
            where api_key_id = $1 and key = $2""",
        api_key_id,
        key,
        status,
        body,
        headers_json,
    )


async def release(conn: Connection, api_key_id: str, key: str) -> None:
    """Forget a claim whose request failed unexpectedly, so the client may retry it."""
    await conn.execute("delete from idempotency_keys where api_key_id = $1 and key = $2", api_key_id, key)


async def purge_expired(conn: Connection) -> int:
    status = await conn.execute(
        "delete from idempotency_keys where created_at < now() - $1::interval", RETENTION
    )
    return int(status.split()[-1])
