"""Rate limits: failed authentications per address (shared by every worker), requests per key (per process)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from litestar.testing import AsyncTestClient

from service import Settings, create_app
from tests.support.factories import OPERATOR_KEY, Api, bearer

Client = AsyncTestClient  # type: ignore[type-arg]


@pytest.fixture
async def workers(settings: Settings, db: object) -> AsyncIterator[tuple[Client, Client]]:
    """Two app instances on one database, as two ``--workers`` processes would be."""
    limited = replace(settings, auth_failures_per_minute=5, rate_limit_per_minute=4)
    async with AsyncTestClient(app=create_app(limited)) as a, AsyncTestClient(app=create_app(limited)) as b:
        yield a, b


async def test_repeated_bad_keys_get_429_with_retry_after_on_every_worker(
    api: Api, workers: tuple[Client, Client]
) -> None:
    a, b = workers
    org = await api.create_org("vendor")
    for i in range(5):  # the failures are counted across workers
        r = await (a if i % 2 else b).get("/api/v1/me", headers=bearer(f"jtp_wrong_{i}"))
        assert r.status_code == 401, r.text
    for client in (a, b):
        r = await client.get("/api/v1/me", headers=bearer("jtp_wrong_again"))
        assert r.status_code == 429
        assert r.headers["content-type"] == "application/problem+json"
        assert 1 <= int(r.headers["retry-after"]) <= 60
        assert r.json()["status"] == 429
    # While the window lasts the address is refused even with a good key (no guessing through).
    r = await a.get("/api/v1/me", headers=bearer(org.admin_key))
    assert r.status_code == 429


async def test_requests_per_key_are_limited_per_process_with_ratelimit_headers(
    api: Api, workers: tuple[Client, Client]
) -> None:
    a, b = workers
    org = await api.create_org("vendor")
    other = await api.create_key(org.id, "member", OPERATOR_KEY)
    seen = []
    for _ in range(4):
        r = await a.get("/api/v1/me", headers=bearer(org.admin_key))
        assert r.status_code == 200
        assert r.headers["ratelimit-limit"] == "4"
        seen.append(int(r.headers["ratelimit-remaining"]))
    assert seen == [3, 2, 1, 0]
    r = await a.get("/api/v1/me", headers=bearer(org.admin_key))
    assert r.status_code == 429
    assert r.headers["content-type"] == "application/problem+json"
    assert 1 <= int(r.headers["retry-after"]) <= 60
    assert r.headers["retry-after"] == r.headers["ratelimit-reset"]
    # Another key of the same organisation has its own budget.
    assert (await a.get("/api/v1/me", headers=bearer(other))).status_code == 200
    # The count is per process (a shared one would cost a database round trip per request): another
    # worker still serves the key, so with N workers a key may make N times the setting.
    r = await b.get("/api/v1/me", headers=bearer(org.admin_key))
    assert r.status_code == 200
    assert r.headers["ratelimit-remaining"] == "3"
