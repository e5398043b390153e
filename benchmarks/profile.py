"""Where the time goes: the measurements behind "Where goals are missed" in README.md.

    python -m benchmarks.profile floor    # the GET's database work alone, one and two queries
    python -m benchmarks.profile get      # cProfile of jointip serving GET engagement under wrk
    python -m benchmarks.profile action   # cProfile of 600 sequential workflow actions

Each starts its own embedded PostgreSQL and ``jointip serve`` like the benchmark run does;
``get`` and ``action`` write a ``.prof`` file to read with ``python -m pstats``.
"""

from __future__ import annotations

import asyncio
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from uuid import UUID

import asyncpg
import httpx
import uvloop

from benchmarks import seed
from benchmarks.processes import BOOTSTRAP_KEY, free_port, jointip, migrated_database, server_env, wait_ready
from db import engagements


@contextmanager
def _database() -> Iterator[tuple[str, Path]]:
    with tempfile.TemporaryDirectory(prefix="jointip-profile-") as tmp, migrated_database(Path(tmp)) as url:
        yield url, Path(tmp)


@contextmanager
def _profiled_server(url: str, out: Path) -> Iterator[str]:
    """``jointip serve`` (one worker) under cProfile; the profile is written when it stops."""
    port = free_port()
    command = [sys.executable, "-m", "cProfile", "-o", str(out), "-m", "service.cli", "serve"]
    process = subprocess.Popen([*command, "--port", str(port), "--workers", "1"], env=server_env(url))
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, process, Path(os.devnull))
        yield base
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
        print(f"profile written to {out}")


def _operator(base: str) -> httpx.Client:
    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {BOOTSTRAP_KEY}"})


def profile_get(seconds: int = 15) -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    with _database() as (url, _), _profiled_server(url, Path("get.prof")) as base:
        with _operator(base) as client:
            parties = seed.parties(client)
            eid = seed.create_engagement(client, parties)
        auth = parties.vendor.auth["Authorization"]
        target = f"{base}/api/v1/engagements/{eid}"
        wrk = ["wrk", "-t1", "-c32", f"-d{seconds}s", "-H", f"Authorization: {auth}", target]
        print(subprocess.run(wrk, capture_output=True, text=True, check=True).stdout)


def profile_action(pairs: int = 300) -> None:
    with (
        _database() as (url, _),
        _profiled_server(url, Path("action.prof")) as base,
        _operator(base) as client,
    ):
        parties = seed.parties(client)
        eid = seed.in_development(client, parties)
        started = time.perf_counter()
        for _ in range(pairs):
            for action, who in (("raise_dispute", parties.vendor), ("resolve_dispute", parties.startup)):
                path = f"/api/v1/engagements/{eid}/actions/{action}"
                response = client.post(path, json={"reason": "profiling"}, headers=who.auth)
                response.raise_for_status()
        elapsed = (time.perf_counter() - started) / (2 * pairs) * 1000
        print(f"{elapsed:.2f} ms per action, sequential")


async def _floor(url: str, engagement_id: UUID, organisation_id: UUID, both: bool) -> None:
    pool = await asyncpg.create_pool(url, min_size=20, max_size=20, reset=None)
    done = 0
    stop = time.monotonic() + 10

    async def reader() -> None:
        nonlocal done
        while time.monotonic() < stop:
            async with pool.acquire() as conn:
                if both:
                    await engagements.get_for(conn, engagement_id, organisation_id)
                    await engagements.snapshot_facts(conn, [engagement_id])
                else:
                    await engagements.get_with_facts(conn, engagement_id, organisation_id)
            done += 1

    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()
    await asyncio.gather(*(reader() for _ in range(32)))
    elapsed = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    shape = "two queries" if both else "one query"
    print(f"{shape}: {done / elapsed:,.0f} reads/s, client CPU {cpu / done * 1000:.3f} ms each")
    await pool.close()


def profile_floor() -> None:
    with _database() as (url, tmp), ExitStack() as stack:
        server = stack.enter_context(jointip(url, 1, tmp))
        with _operator(server.base) as client:
            parties = seed.parties(client)
            eid = UUID(seed.create_engagement(client, parties))
        stack.close()  # the server's CPU is not part of the floor
        for both in (True, False):
            uvloop.run(_floor(url, eid, UUID(parties.vendor.id), both))


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else ""
    runs = {"floor": profile_floor, "get": profile_get, "action": profile_action}
    if what not in runs:
        raise SystemExit(__doc__)
    runs[what]()
