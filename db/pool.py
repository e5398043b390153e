"""The asyncpg pool: created in the app lifespan, closed in its finally.

A lost database must never turn into a 500 (SPEC 10). Two things here see to that on the pool side:
a connection that cannot be released cleanly is dropped without raising (``JointipPool.release``),
and acquiring waits a bounded time (``ACQUIRE_TIMEOUT``), so a request fails with a ``TimeoutError``
(mapped to 503 by ``service/errors.py``) instead of queueing for ever behind a dead server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import asyncpg
from asyncpg.pool import PoolAcquireContext

log = logging.getLogger("jointip.pool")

#: Seconds a request waits for a pool connection (all in use, or the server not answering).
ACQUIRE_TIMEOUT = 10.0
#: Seconds to open a new connection (asyncpg's default is 60: far too long for a dead server).
CONNECT_TIMEOUT = 5.0
#: Seconds ``close_pool`` waits for connections in use before it terminates them.
CLOSE_TIMEOUT = 5.0


async def _no_session_state(_: asyncpg.Connection) -> None:
    """Pool connections carry no session state: jointip never SETs, never takes session-level
    advisory locks (migrations lock per transaction) and LISTENs only on connections of its own.
    asyncpg still rolls back an open transaction and drops listeners before calling this, so
    skipping its default reset query saves a round trip on every release."""


class JointipPool(asyncpg.Pool):
    """asyncpg's pool with a bounded default acquire wait and a release that never raises.

    On release asyncpg rolls back an open transaction; when the connection is broken (the server
    died, or a cancelled query left the protocol mid-operation: ``InternalClientError: cannot
    switch to state ...; another operation is in progress``) it terminates the connection and
    re-raises. By then the request's work is either committed or rolled back with the connection,
    so the error says nothing the request must answer for: letting it escape would replace a
    finished request's response (a committed write reported as failed). Logged and dropped.
    """

    def acquire(self, *, timeout: float | None = None) -> PoolAcquireContext:
        return super().acquire(timeout=ACQUIRE_TIMEOUT if timeout is None else timeout)

    async def release(self, connection: Any, *, timeout: float | None = None) -> None:  # noqa: ASYNC109 (asyncpg's signature)
        try:
            await super().release(connection, timeout=timeout)
        except (Exception, asyncio.CancelledError) as exc:  # the holder has terminated the connection
            log.warning("dropped a pool connection that could not be released: %r", exc)
            task = asyncio.current_task()
            if isinstance(exc, asyncio.CancelledError) and task is not None and task.cancelling():
                raise  # our task is being cancelled: swallowing that would keep it running for ever


async def create_pool(dsn: str, *, min_size: int, max_size: int) -> asyncpg.Pool:
    # What asyncpg.create_pool does, with our pool class.
    pool = JointipPool(
        dsn,
        connection_class=asyncpg.Connection,
        record_class=asyncpg.Record,
        init_size=None,
        min_size=min_size,
        max_size=max_size,
        max_queries=50000,
        max_inactive_connection_lifetime=300.0,
        loop=None,
        connect=None,
        setup=None,
        init=None,
        reset=_no_session_state,
        command_timeout=60,
        timeout=CONNECT_TIMEOUT,
    )
    return await pool


async def close_pool(pool: asyncpg.Pool, seconds: float = CLOSE_TIMEOUT) -> None:
    """Close gracefully, but never wait longer than ``seconds`` (a lost server must not hold up a stop)."""
    try:
        await asyncio.wait_for(pool.close(), seconds)
    except (Exception, asyncio.CancelledError) as exc:
        log.warning("pool did not close cleanly in %.0f s (%r); terminating its connections", seconds, exc)
        with contextlib.suppress(Exception):
            pool.terminate()


async def database_answers(pool: asyncpg.Pool, wait_seconds: float = 2.0) -> bool:
    """True when a fresh round trip succeeds; used by /ready, so it must not raise."""
    try:
        async with pool.acquire(timeout=wait_seconds) as conn:
            return bool(await conn.fetchval("select 1", timeout=wait_seconds) == 1)
    except (
        OSError,
        TimeoutError,
        asyncpg.PostgresError,
        asyncpg.InterfaceError,
        asyncpg.InternalClientError,
    ):
        return False
