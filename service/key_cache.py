"""Authenticated keys cached per process, trusted only while revocations are sure to arrive.

A revocation fires ``NOTIFY jointip_api_keys`` (a trigger on ``api_keys``); every process LISTENs
on its own connection and forgets every cached key when one arrives. While that connection is
down, nothing is served from the cache (and the cache is emptied), so a revoked key is refused
as soon as its notification is delivered: milliseconds, not a time-to-live. A generation counter
keeps a lookup that raced a revocation from putting a stale entry back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import asyncpg

from service.auth import Caller

CHANNEL = "jointip_api_keys"
log = logging.getLogger("jointip.keys")


class KeyCache:
    def __init__(self, max_entries: int = 10_000) -> None:
        self._entries: dict[bytes, Caller] = {}
        self._max = max_entries
        self.generation = 0
        self.listening = False

    def get(self, secret_hash: bytes) -> Caller | None:
        return self._entries.get(secret_hash) if self.listening else None

    def put(self, secret_hash: bytes, caller: Caller, generation: int) -> None:
        """Remember a key looked up while the cache was at ``generation``, unless a revocation came since."""
        if not self.listening or generation != self.generation:
            return
        if len(self._entries) >= self._max:
            self._entries.clear()  # rare; a bounded cache matters more than a clever eviction
        self._entries[secret_hash] = caller

    def forget_all(self, *_: Any) -> None:
        self.generation += 1
        self._entries.clear()

    async def listen(self, dsn: str) -> None:
        """Keep a LISTEN connection open (reconnecting with backoff) until cancelled."""
        delay = 0.5
        while True:
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(dsn)
                closed = asyncio.Event()
                conn.add_termination_listener(lambda _, closed=closed: closed.set())
                await conn.add_listener(CHANNEL, self.forget_all)
                self.forget_all()  # anything cached before this connection may have missed a revocation
                self.listening = True
                delay = 0.5
                await closed.wait()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("key revocation listener unavailable (%s); not caching keys", exc)
            finally:
                self.listening = False
                self.forget_all()
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await conn.close(timeout=1)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10)
