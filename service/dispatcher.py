"""The webhook dispatcher: delivers outbox rows, signed per Standard Webhooks.

Each worker claims one due message with ``FOR UPDATE SKIP LOCKED`` and keeps the row locked
(its transaction open) while it sends: another dispatcher, in this process or any other, skips
it, so a message is never sent twice at once; a dispatcher that dies mid-send drops its
connection, PostgreSQL releases the lock, and the message is due again (delivery is at least
once; receivers dedupe on ``webhook-id``). A 2xx deletes the row; anything else is a failed
attempt, retried after an exponential backoff with jitter, and parked after the last attempt.

Runs inside every ``jointip serve`` worker (an app lifespan task) and alone as ``jointip dispatch``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import msgspec
from standardwebhooks import Webhook

from db import create_pool, webhooks
from db.webhooks import Claimed
from service.audit import actor_record, shown_actor
from service.metrics import DISPATCH_ATTEMPTS, OUTBOX_DEPTH
from service.notify import OUTBOX, Notifications
from service.settings import Settings
from service.webhooks import TargetRefused, resolve_target
from workflows import format_event_time

log = logging.getLogger("jointip.dispatch")

TIMEOUT = httpx.Timeout(connect=5.0, read=10.0, write=10.0, pool=10.0)
#: At most this much of a receiver's answer is read (for ``last_error``); the rest is never fetched.
MAX_RESPONSE_BYTES = 1024
MAX_BACKOFF = timedelta(hours=6)
POLL_SECONDS = 5.0
USER_AGENT = "jointip-webhooks/1"


class Payload(msgspec.Struct, kw_only=True):
    """The body of every webhook (the Standard Webhooks shape: type, timestamp, data)."""

    type: str
    timestamp: str
    data: dict[str, Any]


def body_of(message: Claimed) -> bytes:
    at = format_event_time(message.at)
    data = {
        "engagement_id": str(message.engagement_id),
        "seq": message.seq,
        "type": message.event_type,
        "actor": shown_actor(actor_record(message.actor_org_id, message.actor_key_id)),
        "at": at,
        "payload": message.payload,
        "prev_hash": message.prev_hash,
        "hash": message.hash,
    }
    return msgspec.json.encode(Payload(type=message.event_type, timestamp=at, data=data))


def webhook_id(message: Claimed) -> str:
    """Stable across retries: the receiver's deduplication key."""
    return f"msg_{message.id.hex}"


def signed_headers(message: Claimed, body: bytes, now: datetime) -> dict[str, str]:
    """``webhook-id``, ``webhook-timestamp``, ``webhook-signature`` (one ``v1,`` signature per
    current secret: two during a rotation's overlap)."""
    msg_id = webhook_id(message)
    text = body.decode()
    secrets = [message.secret] + ([message.previous_secret] if message.previous_secret else [])
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": " ".join(Webhook(s).sign(msg_id, now, text) for s in secrets),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


def backoff(attempts: int, base_ms: int) -> timedelta:
    """After the n-th failed attempt: base * 2^(n-1), capped, times a jitter of 0.75 to 1.25."""
    delay: timedelta = min(timedelta(milliseconds=base_ms) * 2 ** min(attempts - 1, 30), MAX_BACKOFF)
    jitter = random.uniform(0.75, 1.25)  # noqa: S311 (jitter, not a secret)
    return delay * jitter


class Dispatcher:
    def __init__(
        self,
        settings: Settings,
        notifications: Notifications,
        *,
        concurrency: int = 4,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.notifications = notifications
        self.concurrency = concurrency
        self.transport = transport

    async def run(self, dsn: str) -> None:
        """Deliver until cancelled."""
        pool = await create_pool(dsn, min_size=1, max_size=self.concurrency + 1)
        client = httpx.AsyncClient(
            timeout=TIMEOUT,
            follow_redirects=False,
            trust_env=False,  # no proxy or netrc from the environment
            limits=httpx.Limits(max_connections=self.concurrency * 2),
            transport=self.transport,
        )
        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(self.concurrency):
                    group.create_task(self._worker(pool, client))
                group.create_task(self._gauge(pool))
        finally:
            await client.aclose()
            await pool.close()

    async def _gauge(self, pool: asyncpg.Pool) -> None:
        while True:
            with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                async with pool.acquire() as conn:
                    for status, n in (await webhooks.depth(conn)).items():
                        OUTBOX_DEPTH.labels(status).set(n)
            await asyncio.sleep(POLL_SECONDS)

    async def _worker(self, pool: asyncpg.Pool, client: httpx.AsyncClient) -> None:
        with self.notifications.subscribe(OUTBOX) as wake:
            while True:
                wake.clear()
                try:
                    if await self.deliver_one(pool, client):
                        continue
                    async with pool.acquire() as conn:
                        due = await webhooks.next_due(conn)
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                    log.warning("webhook dispatcher: database unavailable (%s)", exc)
                    due = None
                except Exception:  # a bug must not stop delivery for good: log it, go on
                    log.exception("webhook dispatcher: unexpected error")
                    due = None
                wait = POLL_SECONDS
                if due is not None:
                    wait = min(max((due - datetime.now(UTC)).total_seconds(), 0.05), POLL_SECONDS)
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that
                # arrives as the wake-up does, and the worker would never stop.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        await wake.wait()

    async def deliver_one(self, pool: asyncpg.Pool, client: httpx.AsyncClient) -> bool:
        """Claim, send and settle one due message; False when none was due."""
        async with pool.acquire() as conn, conn.transaction():
            message = await webhooks.claim(conn)
            if message is None:
                return False
            log.info("claimed webhook message %s (attempt %d)", message.id, message.attempts + 1)
            if self.settings.webhook_pause_after_claim_ms:
                await asyncio.sleep(self.settings.webhook_pause_after_claim_ms / 1000)
            error = await self.send(client, message)
            if error is None:
                await webhooks.delivered(conn, message.id)
                DISPATCH_ATTEMPTS.labels("delivered").inc()
                return True
            attempts = message.attempts + 1
            last = attempts >= self.settings.webhook_max_attempts
            retry_in = None if last else backoff(attempts, self.settings.webhook_retry_base_ms)
            await webhooks.failed(conn, message.id, error=error[:500], retry_in=retry_in)
            DISPATCH_ATTEMPTS.labels("parked" if last else "failed").inc()
            log.info("webhook message %s attempt %d failed: %s", message.id, attempts, error)
            return True

    async def send(self, client: httpx.AsyncClient, message: Claimed) -> str | None:
        """POST the message; None on a 2xx, else what went wrong."""
        try:
            addresses = await resolve_target(message.url, allow_private=self.settings.webhook_allow_private)
        except TargetRefused as exc:
            return f"refused: {exc}"
        body = body_of(message)
        headers = signed_headers(message, body, datetime.now(UTC))
        try:
            url = httpx.URL(message.url)
            # Connect to the address just checked, not to a second lookup (DNS rebinding); the Host
            # header and TLS (SNI and certificate check) keep the URL's own name.
            headers["host"] = url.netloc.decode("ascii")
            request = client.build_request(
                "POST",
                url.copy_with(host=addresses[0]),
                content=body,
                headers=headers,
                extensions={"sni_hostname": url.host} if url.scheme == "https" else {},
            )
        except (httpx.InvalidURL, ValueError, UnicodeError) as exc:
            return f"refused: the URL cannot be sent to ({exc})"
        try:
            response = await client.send(request, stream=True)
            try:
                head = b""
                async for chunk in response.aiter_raw():
                    head += chunk
                    if len(head) >= MAX_RESPONSE_BYTES:
                        break
            finally:
                await response.aclose()
        except httpx.TimeoutException as exc:
            return f"timed out ({type(exc).__name__})"
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"
        if 200 <= response.status_code < 300:
            return None
        if 300 <= response.status_code < 400:
            where = response.headers.get("location", "")
            return f"HTTP {response.status_code}: redirect to {where[:200]!r} not followed"
        text = head[:MAX_RESPONSE_BYTES].decode("utf-8", "replace")
        return f"HTTP {response.status_code}: {text[:200]}"


async def run_alone(settings: Settings, dsn: str) -> None:
    """``jointip dispatch``: a dispatcher with its own notification listener, until cancelled."""
    notifications = Notifications(channels=(OUTBOX,))
    listener = asyncio.create_task(notifications.listen(dsn))
    try:
        await Dispatcher(settings, notifications).run(dsn)
    finally:
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener
