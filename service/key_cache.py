"""Authenticated keys cached per process, trusted only while revocations are sure to arrive.

A revocation fires ``NOTIFY jointip_api_keys`` (a trigger on ``api_keys``); every process hears it
on its one listening connection (``service.notify``) and forgets every cached key when one
arrives. While that connection is down, nothing is served from the cache (and the cache is
emptied), so a revoked key is refused as soon as its notification is delivered: milliseconds, not
a time-to-live. A generation counter
keeps a lookup that raced a revocation from putting a stale entry back.
"""

from __future__ import annotations

from typing import Any

from service.auth import Caller


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

    def notified(self) -> None:
        """A key was revoked somewhere: forget every cached key."""
        self.forget_all()

    def connection_changed(self, up: bool) -> None:
        """Serve from the cache only while revocations are sure to arrive (``service.notify``'s
        connection is up); anything cached before it came up may have missed one."""
        self.forget_all()
        self.listening = up
