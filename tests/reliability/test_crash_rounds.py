"""Crash rounds: writes under load while ``jointip serve`` and, separately,
its embedded postmaster are killed with SIGKILL at random moments.

Every write carries an Idempotency-Key and its outcome is recorded:

- **acknowledged**: 201 (the change committed and the client was told so);
- **failed**: a 4xx (refused; nothing may be left of it);
- **indeterminate**: no answer (the server died), or 503 (the database went away, perhaps while the
  commit was on its way): settled afterwards by replaying the same key and body until it answers.

Then: every acknowledged write is present exactly once and as sent, nothing failed left a trace,
no write exists twice, no request got a 500, ``/ready`` was back to 200 within 10 s of each
postmaster kill without jointip restarting, and no PostgreSQL process is left after the final stop.

CI runs 5 server kills and 3 postmaster kills (about a minute). A longer run:
``JOINTIP_CRASH_SERVER_KILLS=40 JOINTIP_CRASH_POSTMASTER_KILLS=25 JOINTIP_CRASH_WRITERS=12 pytest
tests/reliability/test_crash_rounds.py`` (``JOINTIP_CRASH_SEED`` repeats a run's kill moments).
"""

from __future__ import annotations

import asyncio
import os
import random
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil
import pytest

from tests.support.factories import OPERATOR_KEY, bearer, engagement_body, organisation_body
from tests.support.serving import (
    Served,
    base_env,
    kill_postgres,
    postmaster_of,
    still_running,
    wait_no_postgres,
)

pytestmark = [pytest.mark.once, pytest.mark.slow]

SERVER_KILLS = int(os.environ.get("JOINTIP_CRASH_SERVER_KILLS", "5"))
POSTMASTER_KILLS = int(os.environ.get("JOINTIP_CRASH_POSTMASTER_KILLS", "3"))
WRITERS = int(os.environ.get("JOINTIP_CRASH_WRITERS", "6"))
SEED = int(os.environ.get("JOINTIP_CRASH_SEED", str(random.randrange(1_000_000))))
#: Seconds of load before each kill: the moment is random within this range.
LOAD_SECONDS = (0.2, 1.5)
#: /ready must be 200 again within this many seconds of a postmaster kill.
READY_AGAIN_SECONDS = 10.0


@dataclass
class Write:
    marker: str
    kind: str  # "organisation" | "engagement"
    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    outcome: str = "pending"  # acknowledged | failed | indeterminate
    first_outcome: str = "pending"  # before indeterminate writes were settled
    status: int | None = None
    created_id: str | None = None


class Load:
    """Writer threads sending keyed writes until stopped, recording every outcome."""

    def __init__(self, base: str, parties: dict[str, str]) -> None:
        self.base = base
        self.parties = parties
        self.writes: list[Write] = []
        self.server_errors: list[tuple[str, int, str]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(WRITERS)]

    def new_write(self, n: int) -> Write:
        marker = f"crash-{uuid.uuid4().hex[:12]}"
        headers = {"Idempotency-Key": marker}
        if n % 2:
            body = organisation_body("vendor", name=f"Crash {marker} UAB")
            return Write(
                marker, "organisation", "/api/v1/organisations", body, bearer(OPERATOR_KEY) | headers
            )
        vendor = _Org(self.parties["vendor_id"])
        startup = _Org(self.parties["startup_id"])
        body = engagement_body(vendor, startup, None, title=marker)  # type: ignore[arg-type]
        return Write(
            marker, "engagement", "/api/v1/engagements", body, bearer(self.parties["vendor_key"]) | headers
        )

    def send(self, client: httpx.Client, write: Write) -> None:
        try:
            r = client.post(write.path, json=write.body, headers=write.headers)
        except httpx.HTTPError:
            write.outcome = "indeterminate"
            return
        write.status = r.status_code
        if r.status_code >= 500 and r.status_code != 503:
            with self._lock:
                self.server_errors.append((write.path, r.status_code, r.text[:500]))
        if r.status_code == 201:
            write.outcome, write.created_id = "acknowledged", r.json()["id"]
        elif r.status_code == 503 or r.status_code == 409:  # 409: the key is still held (in flight)
            write.outcome = "indeterminate"
        else:
            write.outcome = "failed"

    def _run(self, n: int) -> None:
        with httpx.Client(base_url=self.base, timeout=15) as client:
            while not self._stop.is_set():
                write = self.new_write(n)
                with self._lock:
                    self.writes.append(write)
                self.send(client, write)
                write.first_outcome = write.outcome
                time.sleep(0.2 if write.outcome == "indeterminate" else 0.01)

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(30)

    def settle(self, seconds: float = 60) -> None:
        """Replay every indeterminate write's key and body until it gets an answer."""
        deadline = time.monotonic() + seconds
        with httpx.Client(base_url=self.base, timeout=15) as client:
            for write in self.writes:
                while write.outcome == "indeterminate" and time.monotonic() < deadline:
                    self.send(client, write)
                    if write.outcome == "indeterminate":
                        time.sleep(0.2)


@dataclass
class _Org:
    id: str


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "data"
    yield path
    kill_postgres(path)  # only after a failure half-way


def _setup_parties(base: str) -> dict[str, str]:
    ids = {}
    for kind in ("vendor", "startup"):
        r = httpx.post(
            base + "/api/v1/organisations", json=organisation_body(kind), headers=bearer(OPERATOR_KEY)
        )
        assert r.status_code == 201, r.text
        ids[f"{kind}_id"] = r.json()["id"]
    key = httpx.post(
        f"{base}/api/v1/organisations/{ids['vendor_id']}/api-keys",
        json={"name": "Crash writer", "role": "admin"},
        headers=bearer(OPERATOR_KEY),
    )
    assert key.status_code == 201, key.text
    return ids | {"vendor_key": key.json()["key"]}


def _ready_again_within(base: str, seconds: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        try:
            if httpx.get(base + "/ready", timeout=2).status_code == 200:
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    return float("inf")


async def _stored(pgdata: str) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
    conn = await asyncpg.connect(f"postgresql://postgres@/postgres?host={pgdata}")
    try:
        orgs = await conn.fetch(
            "select id::text, name, registration_code from organisations where name like 'Crash %'"
        )
        engagements = await conn.fetch(
            """select e.id::text, e.title, e.summary,
                      (select count(*) from audit_events a where a.engagement_id = e.id) as events
                 from engagements e where e.title like 'crash-%'"""
        )
    finally:
        await conn.close()
    by_org: dict[str, list[Any]] = {}
    for row in orgs:
        by_org.setdefault(row["name"].removeprefix("Crash ").removesuffix(" UAB"), []).append(row)
    by_engagement: dict[str, list[Any]] = {}
    for row in engagements:
        by_engagement.setdefault(row["title"], []).append(row)
    return by_org, by_engagement


def test_crash_rounds_lose_no_acknowledged_write(tmp_path: Path, data_dir: Path) -> None:
    rng = random.Random(SEED)
    env = base_env(JOINTIP_DATA_DIR=str(data_dir), JOINTIP_LOG_LEVEL="WARNING")
    log = tmp_path / "serve.log"
    served = Served(env, log).start()
    served.wait_ready()
    load = Load(served.base, _setup_parties(served.base))
    load.start()
    kinds = ["server"] * SERVER_KILLS + ["postmaster"] * POSTMASTER_KILLS
    rng.shuffle(kinds)
    ready_after: list[float] = []
    orphans: list[psutil.Process] = []  # what killed servers had started (render processes)
    try:
        for kind in kinds:
            time.sleep(rng.uniform(*LOAD_SECONDS))
            if kind == "server":
                orphans += served.kill()
                served = Served(env, log, port=served.port).start()
                served.wait_ready()
            else:
                pid = served.proc.pid if served.proc else None
                postmaster_of(data_dir).kill()
                ready_after.append(_ready_again_within(served.base, READY_AGAIN_SECONDS + 5))
                assert served.running(), "jointip serve must not restart"
                assert served.proc is not None
                assert served.proc.pid == pid
        time.sleep(rng.uniform(*LOAD_SECONDS))
    finally:
        load.stop()
    load.settle()

    outcomes = [w.outcome for w in load.writes]
    first = [w.first_outcome for w in load.writes]
    summary = (
        {f"first {o}": first.count(o) for o in set(first)}
        | {f"settled {o}": outcomes.count(o) for o in set(outcomes)}
        | {"seed": SEED}
    )
    assert load.server_errors == [], summary
    assert "indeterminate" not in outcomes, f"unsettled writes: {summary}"
    assert all(t <= READY_AGAIN_SECONDS for t in ready_after), f"/ready back after {ready_after} s"
    assert outcomes.count("acknowledged") > 50, f"too little load to judge: {summary}"

    orgs, engagements = asyncio.run(_stored(str(data_dir.resolve() / "pgdata")))
    stored = {"organisation": orgs, "engagement": engagements}
    lost, traces, duplicates, altered = [], [], [], []
    for write in load.writes:
        rows = stored[write.kind].get(write.marker, [])
        if write.outcome == "acknowledged":
            if not rows:
                lost.append(write.marker)
            elif len(rows) > 1:
                duplicates.append(write.marker)
            elif (
                rows[0]["id"] != write.created_id
                or (
                    write.kind == "organisation"
                    and rows[0]["registration_code"] != write.body["registration_code"]
                )
                or (
                    write.kind == "engagement"
                    and (rows[0]["summary"] != write.body["summary"] or rows[0]["events"] != 1)
                )
            ):
                altered.append(write.marker)
        elif rows:
            traces.append(write.marker)
    markers = {w.marker for w in load.writes}
    strangers = [m for kind in stored.values() for m in kind if m not in markers]
    assert (lost, duplicates, altered, traces, strangers) == ([], [], [], [], []), summary

    orphans += served.descendants()
    took = served.terminate(60)
    assert took < 30
    assert wait_no_postgres(data_dir) == [], "PostgreSQL left running after the final stop"
    assert still_running(orphans) == [], "processes of killed or stopped servers left running"
    print(f"crash rounds: {summary}, kills {kinds}, /ready back after {ready_after}")
