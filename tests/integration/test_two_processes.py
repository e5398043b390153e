"""Two `jointip serve` processes on one PostgreSQL serve the same data correctly (the scale-out shape)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.integration.test_serve import base_env, free_port, start_serve, stop, wait_ready
from tests.support.databases import fresh_database
from tests.support.factories import (
    OPERATOR_KEY,
    Org,
    bearer,
    engagement_body,
    organisation_body,
    proposal_body,
)

pytestmark = pytest.mark.slow


async def _org(client: httpx.AsyncClient, base: str, kind: str) -> Org:
    org = await client.post(
        f"{base}/api/v1/organisations", json=organisation_body(kind), headers=bearer(OPERATOR_KEY)
    )
    assert org.status_code == 201, org.text
    key = await client.post(
        f"{base}/api/v1/organisations/{org.json()['id']}/api-keys",
        json={"name": "Rūta Jonaitė", "role": "admin"},
        headers=bearer(OPERATOR_KEY),
    )
    assert key.status_code == 201, key.text
    return Org(org.json()["id"], key.json()["key"], org.json())


async def test_two_processes_share_data_races_and_revocations(
    tmp_path: Path, db: asyncpg.Connection, database_url: str
) -> None:
    async with fresh_database(db, database_url) as url:
        env = base_env(DATABASE_URL=url)
        ports = [free_port(), free_port()]
        logs = [tmp_path / "a.log", tmp_path / "b.log"]
        procs = [start_serve(env, port, log) for port, log in zip(ports, logs, strict=True)]
        a, b = (f"http://127.0.0.1:{port}" for port in ports)
        try:
            for base, proc, log in zip((a, b), procs, logs, strict=True):
                await asyncio.to_thread(wait_ready, base, proc, log)
            async with httpx.AsyncClient(timeout=30) as client:
                vendor, startup = await _org(client, a, "vendor"), await _org(client, b, "startup")
                created = await client.post(
                    f"{a}/api/v1/engagements",
                    json=engagement_body(vendor, startup),
                    headers=bearer(vendor.admin_key),
                )
                assert created.status_code == 201, created.text
                eid = created.json()["id"]

                # What one process wrote, the other reads, with the same version.
                seen = await client.get(f"{b}/api/v1/engagements/{eid}", headers=bearer(startup.admin_key))
                assert seen.status_code == 200
                assert seen.headers["etag"] == created.headers["etag"]
                listed = await client.get(f"{b}/api/v1/engagements", headers=bearer(vendor.admin_key))
                assert [e["id"] for e in listed.json()["items"]] == [eid]
                proposal = await client.post(
                    f"{b}/api/v1/engagements/{eid}/proposals",
                    json=proposal_body(),
                    headers=bearer(vendor.admin_key),
                )
                assert proposal.status_code == 201, proposal.text

                # The same action fired through both processes at once: the database picks one winner.
                responses = await asyncio.gather(
                    *(
                        client.post(
                            f"{base}/api/v1/engagements/{eid}/actions/submit_proposal",
                            json={},
                            headers=bearer(vendor.admin_key),
                        )
                        for base in [a, b] * 10
                    )
                )
                assert sorted(r.status_code for r in responses) == [200] + [409] * 19
                events = await client.get(
                    f"{a}/api/v1/engagements/{eid}/events", headers=bearer(vendor.admin_key)
                )
                assert [e["type"] for e in events.json()["items"]].count("proposal_submitted") == 1

                # A key revoked through one process is refused by the other as soon as the NOTIFY lands.
                member = (
                    await client.post(
                        f"{a}/api/v1/organisations/{vendor.id}/api-keys",
                        json={"name": "Jonas", "role": "member"},
                        headers=bearer(vendor.admin_key),
                    )
                ).json()
                assert (await client.get(f"{b}/api/v1/me", headers=bearer(member["key"]))).status_code == 200
                revoked = await client.delete(
                    f"{a}/api/v1/organisations/{vendor.id}/api-keys/{member['id']}",
                    headers=bearer(vendor.admin_key),
                )
                assert revoked.status_code == 200
                deadline = time.monotonic() + 1.0
                while (
                    status := (await client.get(f"{b}/api/v1/me", headers=bearer(member["key"]))).status_code
                ) == 200:
                    assert time.monotonic() < deadline, "process b still accepts a key revoked a second ago"
                    await asyncio.sleep(0.02)
                assert status == 401
        finally:
            for proc in procs:
                stop(proc)
