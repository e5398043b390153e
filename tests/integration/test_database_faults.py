"""Database faults are 503 with Retry-After, never 500, and a keyed write is all or nothing.

- every kind of connection failure maps to one 503 problem (the mapping in ``service/errors.py``);
- a connection that cannot be released (asyncpg's "another operation is in progress") is dropped
  without touching the request's answer; a pool with no free connection answers 503 in bounded time;
- the postmaster killed under a burst of writes: every answer is 2xx or 503, none 500;
- an Idempotency-Key's claim, the handler's writes and the stored response commit together.
"""

from __future__ import annotations

import asyncio
import os
import signal
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient, RequestFactory

import db.idempotency as idempotency_sql
import db.pool as pool_sql
from db import embedded_postgres, migrate
from db.embedded import EmbeddedServer
from db.pool import create_pool
from service import Settings, create_app
from service.errors import exception_to_problem
from tests.support.factories import OPERATOR_KEY, bearer, organisation_body


@pytest.fixture
async def app_client(settings: Settings) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    """An app of its own: the suite's shared client fails any 5xx, and these tests expect 503s."""
    async with AsyncTestClient(app=create_app(settings)) as client:
        yield client


FAULTS: list[BaseException] = [
    asyncpg.InternalClientError("cannot switch to state 15; another operation (2) is in progress"),
    asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    asyncpg.CannotConnectNowError("the database system is in recovery mode"),
    asyncpg.AdminShutdownError("terminating connection due to administrator command"),
    asyncpg.TooManyConnectionsError("sorry, too many clients already"),
    asyncpg.InterfaceError("pool is closing"),
    ConnectionRefusedError(111, "Connection refused"),
    OSError(2, "No such file or directory"),
    TimeoutError(),
    ExceptionGroup("from a task group", [ConnectionResetError(104, "reset")]),
]


@pytest.mark.parametrize("fault", FAULTS, ids=lambda e: type(e).__name__)
def test_every_connection_fault_is_a_503_problem_with_retry_after(fault: Exception) -> None:
    request = RequestFactory().post("/api/v1/organisations")
    response = exception_to_problem(request, fault)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.media_type == "application/problem+json"
    assert response.content["type"] == "urn:jointip:problem:database-unavailable"


def test_a_bug_is_still_a_500_not_hidden_as_unavailable() -> None:
    request = RequestFactory().get("/api/v1/me")
    assert exception_to_problem(request, KeyError("x")).status_code == 500
    assert exception_to_problem(request, ExceptionGroup("g", [ValueError("x")])).status_code == 500


async def test_a_connection_released_mid_query_is_dropped_without_an_error(database_url: str) -> None:
    pool = await create_pool(database_url, min_size=1, max_size=1)
    try:
        conn = await pool.acquire()
        running = asyncio.ensure_future(conn.fetchval("select pg_sleep(5)"))
        await asyncio.sleep(0.1)
        # asyncpg's own release would raise "another operation is in progress" here
        await pool.release(conn, timeout=0.5)
        running.cancel()
        with pytest.raises((asyncio.CancelledError, asyncpg.PostgresError, asyncpg.InterfaceError)):
            await running
        async with pool.acquire() as fresh:  # the one slot is usable again, with a new connection
            assert await fresh.fetchval("select 1") == 1
    finally:
        pool.terminate()


async def test_no_free_connection_is_a_503_in_bounded_time(
    database_url: str, db: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pool_sql, "ACQUIRE_TIMEOUT", 0.3)
    app = create_app(Settings(database_url=database_url, bootstrap_key=OPERATOR_KEY, pool_max_size=1))
    async with AsyncTestClient(app=app) as client:
        held = await app.state.pool.acquire()
        try:
            r = await client.post(
                "/api/v1/organisations", json=organisation_body("vendor"), headers=bearer(OPERATOR_KEY)
            )
        finally:
            await app.state.pool.release(held)
        assert r.status_code == 503, r.text
        assert r.headers["retry-after"] == "1"
        ok = await client.post(
            "/api/v1/organisations", json=organisation_body("vendor"), headers=bearer(OPERATOR_KEY)
        )
        assert ok.status_code == 201


async def test_a_postmaster_killed_under_writes_gives_503s_never_500s() -> None:
    with tempfile.TemporaryDirectory(prefix="jointip-faults-") as tmp:
        data_dir = Path(tmp)
        with embedded_postgres(data_dir) as url:
            conn = await asyncpg.connect(url)
            await migrate(conn)
            await conn.close()
            app = create_app(
                Settings(
                    database_url=url, bootstrap_key=OPERATOR_KEY, pool_max_size=8, rate_limit_per_minute=0
                )
            )
            async with AsyncTestClient(app=app, timeout=30) as client:
                statuses: list[int] = []
                done = asyncio.Event()

                async def writer(n: int) -> None:
                    i = 0
                    while not done.is_set():
                        i += 1
                        r = await client.post(
                            "/api/v1/organisations",
                            json=organisation_body("vendor"),
                            headers=bearer(OPERATOR_KEY) | {"Idempotency-Key": f"w{n}-{i}"},
                        )
                        statuses.append(r.status_code)
                        if r.status_code == 503:
                            assert r.headers["retry-after"] == "1"
                            assert r.headers["content-type"].startswith("application/problem+json")
                        await asyncio.sleep(0.01)

                async def killer() -> None:
                    await asyncio.sleep(0.4)
                    server = EmbeddedServer(data_dir)
                    postmaster = server.postmaster()
                    assert postmaster is not None
                    os.kill(postmaster.pid, signal.SIGKILL)
                    await asyncio.sleep(1.0)
                    await asyncio.to_thread(server.restart_if_dead)
                    await asyncio.sleep(1.0)  # writes go on against the restarted server
                    done.set()

                await asyncio.gather(killer(), *(writer(n) for n in range(8)))
                assert 500 not in statuses
                assert set(statuses) <= {201, 503}, set(statuses)
                assert 503 in statuses, "the kill should have hit some requests"
                assert (await client.get("/ready")).status_code == 200


async def test_a_keyed_write_whose_commit_fails_leaves_nothing_and_replays_cleanly(
    app_client: AsyncTestClient,  # type: ignore[type-arg]
    db: asyncpg.Connection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = app_client
    body = organisation_body("vendor", name="Atomiškas UAB")
    headers = bearer(OPERATOR_KEY) | {"Idempotency-Key": "atomic-1"}
    real_complete = idempotency_sql.complete

    async def connection_lost(*args: Any) -> None:
        raise asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation")

    monkeypatch.setattr(idempotency_sql, "complete", connection_lost)
    lost = await client.post("/api/v1/organisations", json=body, headers=headers)
    assert lost.status_code == 503
    assert await db.fetchval("select count(*) from organisations where name = 'Atomiškas UAB'") == 0
    assert await db.fetchval("select count(*) from idempotency_keys where key = 'atomic-1'") == 0

    monkeypatch.setattr(idempotency_sql, "complete", real_complete)
    first = await client.post("/api/v1/organisations", json=body, headers=headers)
    assert first.status_code == 201
    again = await client.post("/api/v1/organisations", json=body, headers=headers)
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert await db.fetchval("select count(*) from organisations where name = 'Atomiškas UAB'") == 1


async def test_a_key_whose_first_request_still_runs_is_409(
    client: AsyncTestClient,  # type: ignore[type-arg]
    db: asyncpg.Connection,
) -> None:
    """The first request holds the key's lock for its transaction; a second one meanwhile is 409."""
    async with db.transaction():
        assert await idempotency_sql.lock(db, "bootstrap", "running")
        r = await client.post(
            "/api/v1/organisations",
            json=organisation_body("vendor"),
            headers=bearer(OPERATOR_KEY) | {"Idempotency-Key": "running"},
        )
        assert r.status_code == 409
    r = await client.post(
        "/api/v1/organisations",
        json=organisation_body("vendor"),
        headers=bearer(OPERATOR_KEY) | {"Idempotency-Key": "running"},
    )
    assert r.status_code == 201
