"""A database restart under a running app: /ready tells the truth, requests get 503 (never 500), and
the pool recovers by itself once the server is back."""

from __future__ import annotations

import asyncio
import os
import subprocess
import tempfile
from pathlib import Path

import asyncpg
import httpx
from litestar.testing import AsyncTestClient

from db import embedded_postgres, migrate
from db.embedded import _pgserver
from service import Settings, create_app
from tests.support.factories import OPERATOR_KEY, bearer, organisation_body


async def wait_for(client: AsyncTestClient, path: str, status: int, seconds: float = 20) -> httpx.Response:  # type: ignore[type-arg]
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        r = await client.get(path, headers=bearer(OPERATOR_KEY))
        if r.status_code == status or asyncio.get_running_loop().time() > deadline:
            return r
        await asyncio.sleep(0.2)


async def test_restart_is_reported_honestly_and_survived() -> None:
    with tempfile.TemporaryDirectory(prefix="jointip-restart-") as tmp:
        data_dir = Path(tmp)
        with embedded_postgres(data_dir) as url:
            conn = await asyncpg.connect(url)
            await migrate(conn)
            await conn.close()
            app = create_app(Settings(database_url=url, bootstrap_key=OPERATOR_KEY, pool_min_size=2))
            async with AsyncTestClient(app=app) as client:
                assert (await client.get("/ready")).status_code == 200
                created = await client.post(
                    "/api/v1/organisations", json=organisation_body("vendor"), headers=bearer(OPERATOR_KEY)
                )
                assert created.status_code == 201

                # stop the server under the running app (the context manager's own stop)
                await asyncio.to_thread(_stop, data_dir)
                assert (await wait_for(client, "/ready", 503)).status_code == 503
                r = await client.get(
                    f"/api/v1/organisations/{created.json()['id']}", headers=bearer(OPERATOR_KEY)
                )
                assert r.status_code == 503, r.text  # a lost database is 503 with Retry-After, not a 500
                assert r.headers["retry-after"] == "1"

                await asyncio.to_thread(_start, data_dir)
                assert (await wait_for(client, "/ready", 200)).status_code == 200
                again = await wait_for(client, f"/api/v1/organisations/{created.json()['id']}", 200)
                assert again.status_code == 200
                assert again.json()["id"] == created.json()["id"]


def _pg_ctl(data_dir: Path, *args: str) -> None:
    """pg_ctl on the embedded server, as the user pgserver runs it as (``pgserver`` when we are root)."""
    command = " ".join(
        [
            str(Path(_pgserver().__file__).parent / "pginstall" / "bin" / "pg_ctl"),
            "-D",
            str(data_dir / "pgdata"),
            "-w",
            *args,
        ]
    )
    as_user = (
        ["su", "pgserver", "-s", "/bin/sh", "-c", command]
        if os.geteuid() == 0
        else ["/bin/sh", "-c", command]
    )
    subprocess.run(as_user, check=True, capture_output=True, timeout=60)


def _stop(data_dir: Path) -> None:
    _pg_ctl(data_dir, "-m", "fast", "stop")


def _start(data_dir: Path) -> None:
    pgdata = data_dir / "pgdata"
    _pg_ctl(data_dir, "-o", f"'-h \"\" -k {pgdata}'", "-l", str(pgdata / "log"), "start")
