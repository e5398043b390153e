"""The key cache serves only while it listens for revocations, and a revocation wins every race."""

from __future__ import annotations

from uuid import uuid4

from service.auth import Caller
from service.key_cache import KeyCache

CALLER = Caller(uuid4(), "Rūta", "admin", uuid4(), "vendor")


def test_nothing_is_cached_or_served_while_not_listening() -> None:
    cache = KeyCache()
    cache.put(b"h", CALLER, cache.generation)
    assert cache.get(b"h") is None
    cache.listening = True
    assert cache.get(b"h") is None  # what was offered before listening was never kept


def test_a_listening_cache_serves_until_a_revocation() -> None:
    cache = KeyCache()
    cache.listening = True
    cache.put(b"h", CALLER, cache.generation)
    assert cache.get(b"h") is CALLER
    cache.forget_all()
    assert cache.get(b"h") is None


def test_a_lookup_that_raced_a_revocation_is_not_kept() -> None:
    cache = KeyCache()
    cache.listening = True
    seen = cache.generation  # a request starts its database lookup ...
    cache.forget_all()  # ... a revocation arrives before it finishes
    cache.put(b"h", CALLER, seen)
    assert cache.get(b"h") is None


def test_the_cache_stays_bounded() -> None:
    cache = KeyCache(max_entries=2)
    cache.listening = True
    for i in range(5):
        cache.put(bytes([i]), CALLER, cache.generation)
    assert sum(cache.get(bytes([i])) is not None for i in range(5)) <= 2


def test_the_shared_listening_connection_drives_the_cache() -> None:
    """``service.notify`` tells the cache when its connection comes and goes and when a key is revoked."""
    cache = KeyCache()
    cache.connection_changed(True)
    cache.put(b"h", CALLER, cache.generation)
    assert cache.get(b"h") is CALLER
    cache.notified()  # a revocation anywhere
    assert cache.get(b"h") is None
    cache.put(b"h", CALLER, cache.generation)
    cache.connection_changed(False)  # revocations could be missed from now on
    assert cache.get(b"h") is None
    cache.put(b"h", CALLER, cache.generation)
    assert cache.get(b"h") is None
