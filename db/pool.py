"""The asyncpg pool: created in the app lifespan, closed in its finally."""

from __future__ import annotations

import asyncpg


async def _no_session_state(_: asyncpg.Connection) -> None:
    """Pool connections carry no session state: jointip never SETs, never takes session-level
    advisory locks (migrations lock per transaction) and LISTENs only on connections of its own.
    asyncpg still rolls back an open transaction and drops listeners before calling this, so
    skipping its default reset query saves a round trip on every release."""


async def create_pool(dsn: str, *, min_size: int, max_size: int) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, command_timeout=60, reset=_no_session_state
    )
    if pool is None:  # asyncpg types it Optional; it is never None when awaited
        raise RuntimeError("asyncpg returned no pool")
    return pool


async def database_answers(pool: asyncpg.Pool, wait_seconds: float = 2.0) -> bool:
    """True when a fresh round trip succeeds; used by /ready, so it must not raise."""
    try:
        async with pool.acquire(timeout=wait_seconds) as conn:
            return bool(await conn.fetchval("select 1", timeout=wait_seconds) == 1)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
        return False
