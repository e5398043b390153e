"""Real PostgreSQL for every test that touches data.

One embedded server per session (pgserver) unless JOINTIP_TEST_DATABASE_URL
points at an existing one; migrations run once; every test sees clean tables.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest
from litestar.testing import AsyncTestClient

from db import embedded_postgres, migrate
from service import Settings, create_app
from tests.support.factories import OPERATOR_KEY, EngagementApi
from tests.support.portal import Portal

TEST_SECRET = "test-secret-for-links-and-forms-0123456789"


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    given = os.environ.get("JOINTIP_TEST_DATABASE_URL")
    if given:
        yield given
        return
    with tempfile.TemporaryDirectory(prefix="jointip-test-") as tmp, embedded_postgres(Path(tmp)) as url:
        yield url


@pytest.fixture(scope="session")
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(database_url)
    await migrate(conn)
    yield conn
    await conn.close()


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    # Rate limits high enough for the suite's bursts (test_rate_limits sets its own, low ones).
    return Settings(
        database_url=database_url,
        bootstrap_key=OPERATOR_KEY,
        pool_max_size=20,
        rate_limit_per_minute=100_000,
        auth_failures_per_minute=1_000,
        secret_key=TEST_SECRET,
        webhook_dispatcher=False,  # webhook tests run their own dispatchers
    )


class TestClock:
    """The app's clock in tests: real time plus an offset a test may advance."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


@pytest.fixture(scope="session")
def app_clock() -> TestClock:
    return TestClock()


@pytest.fixture
def clock(app_clock: TestClock) -> Iterator[TestClock]:
    """Per test: the app clock, reset afterwards."""
    yield app_clock
    app_clock.offset = timedelta(0)


@pytest.fixture(scope="session")
async def client(  # type: ignore[type-arg]
    settings: Settings, db: asyncpg.Connection, app_clock: TestClock
) -> AsyncIterator[AsyncTestClient]:
    async def no_server_errors(response: httpx.Response) -> None:
        # No request in the suite may get a 500: a 500 is a bug, whatever the test checks.
        assert response.status_code < 500, (
            f"{response.request.method} {response.request.url} -> {response.status_code}"
        )

    async with AsyncTestClient(app=create_app(settings, clock=app_clock)) as c:
        c.event_hooks["response"].append(no_server_errors)
        yield c


@pytest.fixture
async def clean_db(db: asyncpg.Connection) -> asyncpg.Connection:
    """Every table but the migration record, emptied; autouse in the folders that touch data."""
    tables = await db.fetch(
        "select tablename from pg_tables where schemaname = 'public' and tablename <> 'schema_migrations'"
    )
    if tables:
        names = ", ".join(f'"{t["tablename"]}"' for t in tables)
        await db.execute(f"truncate {names} restart identity cascade")
    return db


@pytest.fixture
def api(client: AsyncTestClient) -> EngagementApi:  # type: ignore[type-arg]
    return EngagementApi(client)


@pytest.fixture
def portal(client: AsyncTestClient) -> Iterator[Portal]:  # type: ignore[type-arg]
    """The portal through the shared client; its cookies (session, CSRF) never outlive the test."""
    client.cookies.clear()
    yield Portal(client)
    client.cookies.clear()
