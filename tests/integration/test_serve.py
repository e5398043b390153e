"""`jointip serve` as a real process: embedded PostgreSQL lifecycle, and concurrent starters."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
import httpx
import psutil
import pytest

from db.migrate import shipped_migrations
from tests.support.databases import fresh_database
from tests.support.factories import OPERATOR_KEY, bearer, organisation_body
from tests.support.serving import JOINTIP, free_port


def base_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "JOINTIP_DATA_DIR"}}
    env.update(JOINTIP_BOOTSTRAP_KEY=OPERATOR_KEY, JOINTIP_LOG_LEVEL="INFO", **extra)
    return env


def start_serve(env: dict[str, str], port: int, log: Path, *args: str) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [*JOINTIP, "serve", "--port", str(port), *args], env=env, stdout=out, stderr=out
        )


@contextmanager
def serving(env: dict[str, str], *args: str, log: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    proc = start_serve(env, port, log, *args)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, proc, log)
        yield base, proc
    finally:
        stop(proc)


def wait_ready(base: str, proc: subprocess.Popen[bytes], log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server exited with {proc.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(base + "/ready", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"server not ready in {seconds}s:\n{log.read_text()}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then wait until serve and every process it started are gone: what they print on the
    way out (workers, render pools, multiprocessing's resource tracker) is in the log by then."""
    if proc.poll() is None:
        family = _descendants(proc.pid)
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        psutil.wait_procs(family, timeout=15)


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return list(psutil.Process(pid).children(recursive=True))
    except psutil.NoSuchProcess:
        return []


def postgres_processes(data_dir: Path) -> list[psutil.Process]:
    found = []
    for p in psutil.process_iter(["name", "cmdline"]):
        cmdline = " ".join(p.info["cmdline"] or [])
        if "postgres" in (p.info["name"] or "") and str(data_dir) in cmdline:
            found.append(p)
    return found


def wait_no_postgres(data_dir: Path, seconds: float = 15) -> list[psutil.Process]:
    deadline = time.monotonic() + seconds
    while (left := postgres_processes(data_dir)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def test_embedded_serve_starts_stops_cleanly_and_keeps_data(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env = base_env(JOINTIP_DATA_DIR=str(data_dir))
    log = tmp_path / "serve.log"
    with serving(env, log=log) as (base, _):
        assert httpx.get(base + "/health").status_code == 200
        assert httpx.get(base + "/ready").status_code == 200
        assert postgres_processes(data_dir), "the embedded server should be running"
        r = httpx.post(
            base + "/api/v1/organisations", json=organisation_body("startup"), headers=bearer(OPERATOR_KEY)
        )
        assert r.status_code == 201, r.text
        org_id = r.json()["id"]
    assert wait_no_postgres(data_dir) == [], "stopping jointip must stop its PostgreSQL"
    with serving(env, log=log) as (base, _):
        again = httpx.get(f"{base}/api/v1/organisations/{org_id}", headers=bearer(OPERATOR_KEY))
        assert again.status_code == 200
        assert again.json()["id"] == org_id
    assert wait_no_postgres(data_dir) == []


async def test_two_processes_start_at_once_on_a_new_database(
    tmp_path: Path, db: asyncpg.Connection, database_url: str
) -> None:
    async with fresh_database(db, database_url) as url:
        env = base_env(DATABASE_URL=url)
        logs = [tmp_path / "a.log", tmp_path / "b.log"]
        ports = [free_port(), free_port()]
        procs = [start_serve(env, port, log) for port, log in zip(ports, logs, strict=True)]
        try:
            for port, proc, log in zip(ports, procs, logs, strict=True):
                wait_ready(f"http://127.0.0.1:{port}", proc, log)
        finally:
            for proc in procs:
                stop(proc)
        text = "".join(log.read_text() for log in logs)
        assert text.count("migrations: applied") == 1, text
        assert text.count("migrations: up to date") == 1, text
        conn = await asyncpg.connect(url)
        try:
            assert await conn.fetchval("select count(*) from schema_migrations") == len(shipped_migrations())
        finally:
            await conn.close()


def test_two_workers_share_one_embedded_server(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    log = tmp_path / "workers.log"
    with serving(base_env(JOINTIP_DATA_DIR=str(data_dir)), "--workers", "2", log=log) as (base, proc):
        for _ in range(10):
            assert httpx.get(base + "/ready").status_code == 200
        assert len(psutil.Process(proc.pid).children()) >= 2
    text = log.read_text()
    assert text.count("migrations: applied") == 1, text
    assert wait_no_postgres(data_dir) == []


def test_portal_sessions_forms_and_the_sign_in_limit_hold_across_workers(tmp_path: Path) -> None:
    """Sessions, CSRF tokens and failed sign-ins are shared by every worker: a fresh connection may
    reach either process, and each request must still be recognised (and counted)."""
    import re

    data_dir = tmp_path / "data"
    log = tmp_path / "portal-workers.log"
    with serving(base_env(JOINTIP_DATA_DIR=str(data_dir)), "--workers", "2", log=log) as (base, _):
        admin = bearer(OPERATOR_KEY)
        org = httpx.post(
            base + "/api/v1/organisations", json=organisation_body("legal"), headers=admin
        ).json()
        key = httpx.post(
            base + f"/api/v1/organisations/{org['id']}/api-keys",
            json={"name": "Reviewer", "role": "admin"},
            headers=admin,
        ).json()["key"]
        fresh = {"Connection": "close"}  # a new connection each time: the kernel picks the worker
        with httpx.Client(base_url=base, headers=fresh) as browser:
            form = browser.get("/portal/sign-in")
            token = re.search(r'name="_csrf_token" value="([^"]+)"', form.text)
            assert token
            signed_in = browser.post(
                "/portal/sign-in", data={"api_key": key, "_csrf_token": token.group(1), "next": "/portal"}
            )
            assert signed_in.status_code == 303, signed_in.text
            for _ in range(12):
                assert browser.get("/portal", follow_redirects=False).status_code == 200
            statuses = [  # the same form token, checked by whichever worker gets it
                browser.post(
                    "/portal/sign-in", data={"api_key": "jtp_wrong", "_csrf_token": token.group(1)}
                ).status_code
                for _ in range(6)
            ]
            assert statuses == [401] * 5 + [429]  # one limit for all workers
    secret = data_dir / "secret_key"
    assert secret.exists()
    assert secret.stat().st_mode & 0o077 == 0
    assert "no JOINTIP_SECRET_KEY" not in log.read_text()
