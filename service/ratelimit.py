"""Rate limits, shared by every worker and host through PostgreSQL.

* Per API key: Litestar's ``RateLimitMiddleware`` (``RateLimit-*`` headers on every response,
  429 with ``Retry-After`` past the limit) over ``PostgresStore``, Litestar's ``Store`` interface on
  ``db.kv_store``. The middleware reads, then writes, its window: two workers serving one key in the
  same instant can each miss the other's request, so a burst may pass the limit by a request or two
  per worker; the limit itself is one, not one per worker.
* Authentication failures per client address (brute force): an atomic counter per window
  (``db.kv_store.count``), so no failure is lost between workers. Past the limit the address gets
  429 with ``Retry-After``, even for a good key, until the window ends.
"""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.connection import ASGIConnection, Request
from litestar.datastructures import State
from litestar.exceptions import TooManyRequestsException
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.stores.base import Store

from db import kv_store
from db.types import Connection

AUTH_WINDOW = timedelta(minutes=1)


def _delta(expires_in: int | timedelta | None) -> timedelta | None:
    return timedelta(seconds=expires_in) if isinstance(expires_in, int) else expires_in


class PostgresStore(Store):
    """Litestar's ``Store`` on the app's PostgreSQL pool (taken from the app state at call time)."""

    def __init__(self, state: State) -> None:
        self._state = state

    async def set(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None) -> None:
        data = value.encode() if isinstance(value, str) else value
        async with self._state.pool.acquire() as conn:
            await kv_store.put(conn, key, data, _delta(expires_in))

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        async with self._state.pool.acquire() as conn:
            return await kv_store.get(conn, key, _delta(renew_for))

    async def delete(self, key: str) -> None:
        async with self._state.pool.acquire() as conn:
            await kv_store.delete(conn, key)

    async def delete_all(self) -> None:
        async with self._state.pool.acquire() as conn:
            await kv_store.delete_all(conn)

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        async with self._state.pool.acquire() as conn:
            seconds = await kv_store.expires_in(conn, key)
        return None if seconds is None else math.ceil(seconds)


def _key_identifier(request: Request[Any, Any, Any]) -> str:
    """The API key a request authenticated with (the middleware runs after authentication)."""
    caller = request.scope.get("user")
    key_id = getattr(caller, "key_id", None)
    if key_id is not None:
        return f"key:{key_id}"
    token = request.headers.get("authorization", "")
    # The bootstrap key is not stored: its hash names it (never the secret itself).
    return "token:" + hashlib.sha256(token.encode()).hexdigest()[:32]


def per_key_limit(requests_per_minute: int) -> RateLimitConfig:
    return RateLimitConfig(
        rate_limit=("minute", requests_per_minute),
        identifier_for_request=_key_identifier,
        check_throttle_handler=lambda request: request.method != "OPTIONS",
        store="rate_limit",
    )


def _address(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    return f"auth-failures:{connection.client.host if connection.client else 'unknown'}"


def _retry_after(window_ends: datetime) -> str:
    return str(max(1, math.ceil((window_ends - datetime.now(UTC)).total_seconds())))


async def refuse_if_blocked(
    conn: Connection, connection: ASGIConnection[Any, Any, Any, Any], limit: int
) -> None:
    """429 while the client's address has used up its authentication failures in this window."""
    if limit <= 0:
        return
    found = await kv_store.current(conn, _address(connection))
    if found is not None and found[0] >= limit:
        raise TooManyRequestsException(
            detail="too many failed authentications from this address; retry after the window ends",
            headers={"Retry-After": _retry_after(found[1])},
        )


async def count_failure(conn: Connection, connection: ASGIConnection[Any, Any, Any, Any], limit: int) -> None:
    if limit > 0:
        await kv_store.count(conn, _address(connection), AUTH_WINDOW)
