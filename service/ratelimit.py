"""Rate limits: requests per API key, and failed authentications per client address.

* Per API key: ``PerKeyLimit``, fixed one-minute windows counted in each process (``RateLimit-*``
  headers on every response, 429 with ``Retry-After`` past the limit): with ``--workers N`` a key
  may make up to N times the setting. A shared count would cost a database round trip on every
  request.
* Failed authentications per client address (brute force), shared by every worker and host: each
  failure is one atomic count in PostgreSQL (``db.kv_store.count``). Past the limit the address gets
  429 with ``Retry-After`` until the window ends, good keys included: the process that saw the
  count remembers the block, so a request that authenticates costs no database round trip; another
  process learns of the block at the address's next failure.
"""

from __future__ import annotations

import hashlib
import math
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import Headers
from litestar.enums import ScopeType
from litestar.exceptions import TooManyRequestsException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from db import kv_store
from db.types import Connection

AUTH_WINDOW = timedelta(minutes=1)
_WINDOW_SECONDS = 60


def _key_identifier(scope: Scope) -> str:
    """The API key a request authenticated with (the limiter runs after authentication)."""
    key_id = getattr(scope.get("user"), "key_id", None)
    if key_id is not None:
        return f"key:{key_id}"
    token = Headers.from_scope(scope).get("authorization", "")
    # The bootstrap key is not stored: its hash names it (never the secret itself).
    return "token:" + hashlib.sha256(token.encode()).hexdigest()[:32]


class PerKeyLimit(ASGIMiddleware):
    """Requests per API key in fixed one-minute windows, counted in this process.

    The headers are those of Litestar's ``RateLimitMiddleware`` (IETF RateLimit draft:
    ``RateLimit-Policy``, ``-Limit``, ``-Remaining``, ``-Reset``), and past the limit it raises the
    same 429. Litestar's middleware keeps every request's timestamp and re-encodes the list on each
    request, a cost that grows with the limit; a counter per window is enough for a fixed window.
    """

    scopes = (ScopeType.HTTP,)

    def __init__(self, requests_per_minute: int) -> None:
        self.limit = requests_per_minute
        self._windows: dict[str, list[int]] = {}  # key -> [window ends (epoch s), requests so far]

    def _window(self, key: str, now: int) -> list[int]:
        window = self._windows.get(key)
        if window is None or window[0] <= now:
            if len(self._windows) > 100_000:  # bounded: drop the ended windows
                self._windows = {k: w for k, w in self._windows.items() if w[0] > now}
            window = self._windows[key] = [now + _WINDOW_SECONDS, 0]
        return window

    def _headers(self, window: list[int], now: int) -> dict[str, str]:
        return {
            "RateLimit-Policy": f"{self.limit}; w={_WINDOW_SECONDS}",
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(max(self.limit - window[1], 0)),
            "RateLimit-Reset": str(window[0] - now),
        }

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if scope.get("method") == "OPTIONS":
            await next_app(scope, receive, send)
            return
        now = int(time.time())
        window = self._window(_key_identifier(scope), now)
        if window[1] >= self.limit:
            raise TooManyRequestsException(headers=self._headers(window, now))
        window[1] += 1
        headers = [(k.lower().encode(), v.encode()) for k, v in self._headers(window, now).items()]

        async def send_with_limits(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *headers]
            await send(message)

        await next_app(scope, receive, send_with_limits)


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
