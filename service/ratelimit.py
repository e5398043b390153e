"""Rate limits: requests per API key, and failed authentications per client address.

* Per API key: Litestar's ``RateLimitMiddleware`` (``RateLimit-*`` headers on every response,
  429 with ``Retry-After`` past the limit) over an in-memory store: the limit holds per process, so
  with ``--workers N`` a key may make up to N times the setting. A shared store would cost a
  database round trip on every request.
* Failed authentications per client address (brute force), shared by every worker and host: each
  failure is one atomic count in PostgreSQL (``db.kv_store.count``). Past the limit the address gets
  429 with ``Retry-After`` until the window ends, good keys included: the process that saw the
  count remembers the block, so a request that authenticates costs no database round trip; another
  process learns of the block at the address's next failure.
"""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.connection import ASGIConnection, Request
from litestar.exceptions import TooManyRequestsException
from litestar.middleware.rate_limit import RateLimitConfig

from db import kv_store
from db.types import Connection

AUTH_WINDOW = timedelta(minutes=1)


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


def address_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    return f"auth-failures:{connection.client.host if connection.client else 'unknown'}"


def _too_many(window_ends: datetime) -> TooManyRequestsException:
    retry = max(1, math.ceil((window_ends - datetime.now(UTC)).total_seconds()))
    return TooManyRequestsException(
        detail="too many failed authentications from this address; retry after the window ends",
        headers={"Retry-After": str(retry)},
    )


class AuthFailures:
    """The addresses this process knows to be blocked, until when."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._blocked: dict[str, datetime] = {}

    def refuse_if_blocked(self, address: str) -> None:
        """429 while ``address`` has used up its failures in this window (no database round trip)."""
        until = self._blocked.get(address)
        if until is None:
            return
        if until > datetime.now(UTC):
            raise _too_many(until)
        del self._blocked[address]

    async def count(self, conn: Connection, address: str) -> None:
        """Count a failure (shared by every worker); past the limit, block and answer 429 instead of 401."""
        if self.limit <= 0:
            return
        count, window_ends = await kv_store.count(conn, address, AUTH_WINDOW)
        if count >= self.limit:
            if len(self._blocked) > 10_000:  # bounded: forget ended windows, then everything
                now = datetime.now(UTC)
                self._blocked = (
                    {a: u for a, u in self._blocked.items() if u > now} if len(self._blocked) < 20_000 else {}
                )
            self._blocked[address] = window_ends
        if count > self.limit:
            raise _too_many(window_ends)
