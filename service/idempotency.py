"""Idempotency-Key on every POST, in one middleware (after authentication, so keys are per API key).

The same key with the same request replays the stored response; with another request it is a
422; while the first is still running it is a 409. Records live 24 hours.

**One transaction.** The claim, everything the handler writes and the stored response commit
together: the middleware opens a transaction on the request's connection, the handler gets that
connection (``current_connection``; its own ``conn.transaction()`` blocks become savepoints), and
the response is sent only after the commit. So a crash at any moment (the server killed, the
database lost) leaves either all three or none: a client that got no answer replays its key and
gets the stored response, or the request runs for the first time (the crash-round tests settle
indeterminate writes this way). A 5xx rolls everything back. A second request with the key while
the first runs finds its advisory lock taken: 409.
"""

from __future__ import annotations

import contextlib
import hashlib
from contextvars import ContextVar
from typing import cast

import msgspec
from asyncpg.transaction import Transaction
from litestar.enums import ScopeType
from litestar.exceptions import ClientException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, HTTPScope, Message, Receive, ReceiveMessage, Scope, Send
from litestar.utils.scope.state import ScopeState

from db import idempotency
from db.idempotency import IdempotencyRecord
from db.types import Connection
from service.auth import Caller
from service.errors import is_database_unavailable
from workflows import Conflict, RuleViolation

#: The connection (inside the middleware's transaction) of a request with an Idempotency-Key;
#: ``service.deps.provide_api_conn`` hands it to the handler instead of a connection of its own.
current_connection: ContextVar[Connection | None] = ContextVar("idempotent_connection", default=None)

HEADER = b"idempotency-key"
_NOT_REPLAYED = {b"x-request-id", b"date"}


def _key_of(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == HEADER:
            key = value.decode("latin-1").strip()
            if not (1 <= len(key) <= 255 and key.isascii() and key.isprintable()):
                raise RuleViolation.one("Idempotency-Key", "must be 1-255 printable ASCII characters")
            return key
    return None


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)
        size += len(message.get("body", b""))
        if size > limit:
            raise ClientException(status_code=413, detail="Request Entity Too Large")
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _rollback(transaction: Transaction) -> None:
    """Roll back; on a broken connection there is nothing to roll back (the server does it)."""
    with contextlib.suppress(Exception):
        await transaction.rollback()


class IdempotencyMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        http = cast("HTTPScope", scope)  # scopes = HTTP only
        key = _key_of(scope) if http["method"] == "POST" else None
        if key is None:
            await next_app(scope, receive, send)
            return
        app = scope["litestar_app"]
        caller: Caller = scope["user"]
        owner = str(caller.key_id or "bootstrap")
        body = await _read_body(receive, app.state.settings.max_body_bytes)
        fingerprint = hashlib.sha256(
            b"\0".join([http["method"].encode(), http["raw_path"], http.get("query_string", b""), body])
        ).digest()
        async with app.state.pool.acquire() as conn:
            transaction = conn.transaction()
            await transaction.start()
            try:
                messages = await self._first_run(
                    conn, owner, key, fingerprint, body, scope, receive, send, next_app
                )
            except BaseException:
                await _rollback(transaction)
                raise
            if messages is None:  # replayed, or refused before anything ran
                await _rollback(transaction)
                return
            status, headers, chunks = messages
            if status >= 500:
                await _rollback(transaction)
            else:
                try:
                    kept = [
                        [k.decode("latin-1"), v.decode("latin-1")]
                        for k, v in headers
                        if k.lower() not in _NOT_REPLAYED
                    ]
                    body_bytes = b"".join(chunks)
                    await idempotency.complete(
                        conn, owner, key, status, body_bytes, msgspec.json.encode(kept).decode()
                    )
                    await transaction.commit()
                except Exception as exc:
                    await _rollback(transaction)
                    if is_database_unavailable(exc) or status < 400:
                        raise  # nothing (or, if the commit was cut off, perhaps everything) stored: 503
                    # A refusal whose transaction could not be completed: nothing was written.
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"".join(chunks), "more_body": False})

    async def _first_run(
        self,
        conn: Connection,
        owner: str,
        key: str,
        fingerprint: bytes,
        body: bytes,
        scope: Scope,
        receive: Receive,
        send: Send,
        next_app: ASGIApp,
    ) -> tuple[int, list[tuple[bytes, bytes]], list[bytes]] | None:
        """Claim the key and run the request inside the transaction; its response, not yet sent
        (None when the key's stored response was sent instead)."""
        if not await idempotency.lock(conn, owner, key):
            raise Conflict("a request with this Idempotency-Key is still being processed; retry later")
        existing = await idempotency.reserve(conn, owner, key, fingerprint)
        if existing is not None:
            await self._replay(existing, fingerprint, send)
            return None

        delivered = False

        async def replay_body() -> ReceiveMessage:
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        status = 500
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [(bytes(k), bytes(v)) for k, v in message.get("headers", [])]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        token = current_connection.set(conn)
        try:
            await next_app(scope, replay_body, capture)
        finally:
            current_connection.reset(token)
            # Litestar marks the response started when the handler's reached ``capture``; nothing has
            # gone to the client yet, so an error while committing must still get its problem answer.
            ScopeState.from_scope(scope).response_started = False
        return status, headers, chunks

    @staticmethod
    async def _replay(existing: IdempotencyRecord, fingerprint: bytes, send: Send) -> None:
        if existing.request_hash is not None and existing.request_hash != fingerprint:
            raise RuleViolation.one("Idempotency-Key", "was already used for a different request")
        if existing.status is None:
            raise Conflict("a request with this Idempotency-Key is still being processed; retry later")
        stored: list[list[str]] = msgspec.json.decode(existing.response_headers or "[]")
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in stored]
        await send(
            {
                "type": "http.response.start",
                "status": existing.status,
                "headers": [*headers, (b"idempotent-replayed", b"true")],
            }
        )
        await send(
            {
                "type": "http.response.body",
                "body": existing.response_body or b"",
                "more_body": False,
            }
        )
