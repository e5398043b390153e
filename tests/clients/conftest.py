"""A live `jointip serve` process on its own fresh database, with seeded data, for the client suites.

Node, npm packages (clients/typescript) and Debian's Chromium are CI's to install (``.ci/run``):
without them these suites skip locally, and with ``JOINTIP_REQUIRE_CLIENT_TOOLS=1`` (CI) they fail.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
import pytest_asyncio

from tests.api.test_delivery import signed
from tests.integration.test_serve import base_env, free_port, serving
from tests.support.databases import fresh_database
from tests.support.factories import OPERATOR_KEY, EngagementApi, bearer

ROOT = Path(__file__).resolve().parents[2]
TYPESCRIPT = ROOT / "clients" / "typescript"


def require(available: bool, what: str) -> None:
    """Skip locally when a client tool is missing; in CI (JOINTIP_REQUIRE_CLIENT_TOOLS=1) fail."""
    if available:
        return
    if os.environ.get("JOINTIP_REQUIRE_CLIENT_TOOLS") == "1":
        pytest.fail(f"{what} is missing; .ci/run installs it")
    pytest.skip(f"{what} is not installed here (.ci/run installs it)")


def chromium() -> str | None:
    return shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


@dataclass(frozen=True)
class Seeded:
    """Real ids and keys the suites aim at: an engagement in development with milestone m1 accepted."""

    url: str
    vendor_key: str
    startup_key: str
    reviewer_key: str
    vendor_member_key: str
    engagement_id: str
    contract_id: str
    vendor_org: str
    startup_org: str


#: The origin of the browser test's page, allowed by the live server's CORS.
PAGE_PORT = free_port()
PAGE_ORIGIN = f"http://127.0.0.1:{PAGE_PORT}"


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def live_database(db: asyncpg.Connection, database_url: str) -> AsyncIterator[str]:
    async with fresh_database(db, database_url) as url:
        yield url


@pytest.fixture(scope="package")
def live_url(live_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = base_env(
        DATABASE_URL=live_database,
        JOINTIP_CORS_ORIGINS=PAGE_ORIGIN,
        JOINTIP_RATE_LIMIT_PER_MINUTE="100000",
        JOINTIP_AUTH_FAILURES_PER_MINUTE="100000",
    )
    log = tmp_path_factory.mktemp("live") / "serve.log"
    with serving(env, log=log) as (base, _):
        yield base


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def seeded(live_url: str) -> Seeded:
    async with httpx.AsyncClient(base_url=live_url, timeout=30) as client:
        api = EngagementApi(client)  # type: ignore[arg-type]  # an httpx client speaks the same
        w = await signed(api, milestones=2)
        await w.act("m1", "start", "vendor")
        assert (await w.deliver("m1")).status_code == 201
        await w.act("m1", "submit", "vendor")
        await w.act("m1", "accept", "startup")
        contracts = await client.get(
            f"/api/v1/engagements/{w.eid}/contracts", headers=bearer(w.p.vendor.admin_key)
        )
        return Seeded(
            url=live_url,
            vendor_key=w.p.vendor.admin_key,
            startup_key=w.p.startup.admin_key,
            reviewer_key=w.p.reviewer.admin_key,
            vendor_member_key=await api.create_key(w.p.vendor.id, "member", w.p.vendor.admin_key),
            engagement_id=w.eid,
            contract_id=contracts.json()["items"][-1]["id"],
            vendor_org=w.p.vendor.id,
            startup_org=w.p.startup.id,
        )


__all__ = ["OPERATOR_KEY", "PAGE_ORIGIN", "PAGE_PORT", "TYPESCRIPT", "Seeded", "chromium", "require"]
