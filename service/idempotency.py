"""Idempotency-Key on every POST, in one middleware (after authentication, so keys are per API key).

The same key with the same request replays the stored response; with another request it is a
422; while the first is still running it is a 409. A request that fails with a 5xx (or raises)
releases its key so the client may retry. Records live 24 hours.
"""

from __future__ import annotations

import hashlib
from typing import cast

import msgspec
from litestar.enums import ScopeType
from litestar.exceptions import ClientException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, HTTPScope, Message, Receive, ReceiveMessage, Scope, Send

from db import idempotency
from db.idempotency import IdempotencyRecord
from service.auth import Caller
from workflows import Conflict, RuleViolation

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
        pool = app.state.pool
        async with pool.acquire() as conn:
            existing = await idempotency.reserve(conn, owner, key, fingerprint)
        if existing is not None:
            await self._replay(existing, fingerprint, send)
            return

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
            await send(message)

        try:
            await next_app(scope, replay_body, capture)
        except BaseException:
            async with pool.acquire() as conn:
                await idempotency.release(conn, owner, key)
            raise
        async with pool.acquire() as conn:
            if status >= 500:
                await idempotency.release(conn, owner, key)
            else:
                kept = [
                    [k.decode("latin-1"), v.decode("latin-1")]
                    for k, v in headers
                    if k.lower() not in _NOT_REPLAYED
                ]
                await idempotency.complete(
                    conn, owner, key, status, b"".join(chunks), msgspec.json.encode(kept).decode()
                )

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
