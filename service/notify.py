"""One LISTEN connection per process, shared by everything that waits for a PostgreSQL NOTIFY.

A notification only says "look again": the tables stay the source of truth, so a lost
notification costs latency, never data. Every waiter is woken when the connection is
(re)established, since notifications sent while it was down are gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from typing import Any, Protocol

import asyncpg

#: Audit events were appended (the audit insert, `db.audit.insert`, names the organisations).
EVENTS = "jointip_events"
#: Webhook messages were written to the outbox or re-queued (`db.audit.insert`, `db.webhooks.requeue`).
OUTBOX = "jointip_outbox"
#: An API key was revoked (a trigger on `api_keys`, migration 0010); `service.key_cache` listens.
KEYS = "jointip_api_keys"

log = logging.getLogger("jointip.notify")


class Listener(Protocol):
    """Told of every notification on its channel, and of the connection going up or down."""

    def notified(self) -> None: ...

    def connection_changed(self, up: bool) -> None: ...


class Notifications:
    def __init__(self, channels: tuple[str, ...] = (EVENTS, OUTBOX, KEYS)) -> None:
        self.channels = channels
        # channel -> key (None: every notification) -> the events to set
        self._waiters: dict[str, dict[str | None, set[asyncio.Event]]] = {c: {} for c in channels}
        self._listeners: dict[str, list[Listener]] = {c: [] for c in channels}
        self.connected = asyncio.Event()

    def attach(self, channel: str, listener: Listener) -> None:
        """Call ``listener`` on every notification on ``channel`` and when the connection changes."""
        self._listeners[channel].append(listener)

    def _connection_changed(self, up: bool) -> None:
        for listeners in self._listeners.values():
            for listener in listeners:
                listener.connection_changed(up)

    @contextlib.contextmanager
    def subscribe(self, channel: str, key: str | None = None) -> Iterator[asyncio.Event]:
        """An event set on notifications on ``channel`` (with ``key``: only those whose payload names it,
        or carry none); the subscriber clears it before looking."""
        wake = asyncio.Event()
        self._waiters[channel].setdefault(key, set()).add(wake)
        try:
            yield wake
        finally:
            waiters = self._waiters[channel].get(key, set())
            waiters.discard(wake)
            if not waiters:
                self._waiters[channel].pop(key, None)

    def _wake(self, channel: str, keys: list[str] | None = None) -> None:
        by_key = self._waiters[channel]
        for key in list(by_key) if keys is None else [None, *keys]:
            for wake in by_key.get(key, ()):
                wake.set()

    def _on_notify(self, _conn: Any, _pid: int, channel: str, payload: object) -> None:
        for listener in self._listeners[channel]:
            listener.notified()
        self._wake(channel, str(payload).split(",") if payload else None)

    async def listen(self, dsn: str) -> None:
        """Keep the LISTEN connection open (reconnecting with backoff) until cancelled."""
        delay = 0.5
        while True:
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(dsn)
                closed = asyncio.Event()
                conn.add_termination_listener(lambda _, closed=closed: closed.set())
                for channel in self.channels:
                    await conn.add_listener(channel, self._on_notify)
                self.connected.set()
                self._connection_changed(True)
                for channel in self.channels:  # anything may have happened while we were not listening
                    self._wake(channel)
                delay = 0.5
                await closed.wait()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("notification listener unavailable (%s); falling back to polling", exc)
            finally:
                self.connected.clear()
                self._connection_changed(False)
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await conn.close(timeout=1)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10)
