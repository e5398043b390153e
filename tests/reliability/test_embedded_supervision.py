"""The embedded PostgreSQL under ``jointip serve`` survives faults: a killed postmaster is restarted, a killed serve leaves no
stray processes behind, and a stop ends in bounded time.

- a killed postmaster is restarted by the running ``jointip serve`` and ``/ready`` turns 200 again;
- a ``jointip serve`` killed with SIGKILL leaves no PostgreSQL behind once the next start or stop ran;
- SIGTERM ends ``jointip serve`` within a bound, also after the database was lost or hangs.
"""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from service.cli import STOP_DEADLINE
from service.server import GRACEFUL_SHUTDOWN_TIMEOUT
from tests.support.factories import OPERATOR_KEY, bearer, organisation_body
from tests.support.serving import (
    JOINTIP,
    base_env,
    kill_postgres,
    postgres_processes,
    postmaster_of,
    serving,
    still_running,
    wait_no_postgres,
)

pytestmark = [pytest.mark.once, pytest.mark.slow]


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "data"
    yield path
    kill_postgres(path)  # only when a test failed half-way


def create_org(base: str) -> httpx.Response:
    return httpx.post(
        base + "/api/v1/organisations",
        json=organisation_body("vendor"),
        headers=bearer(OPERATOR_KEY),
        timeout=10,
    )


def test_a_killed_postmaster_is_restarted_and_ready_turns_200_again(tmp_path: Path, data_dir: Path) -> None:
    with serving(base_env(JOINTIP_DATA_DIR=str(data_dir)), tmp_path / "serve.log") as served:
        before = create_org(served.base)
        assert before.status_code == 201
        for _ in range(2):  # twice: the supervisor keeps supervising after a restart
            old = postmaster_of(data_dir)
            old.kill()
            killed_at = time.monotonic()
            statuses = set()
            while time.monotonic() - killed_at < 10:
                r = httpx.get(served.base + "/ready", timeout=5)
                statuses.add(r.status_code)
                if r.status_code == 200 and postmaster_of(data_dir).pid != old.pid:
                    break
                time.sleep(0.1)
            assert time.monotonic() - killed_at < 10, f"/ready not back in 10 s: {statuses}"
            assert served.running(), "jointip serve itself must not restart"
            assert statuses <= {200, 503}
        again = httpx.get(
            f"{served.base}/api/v1/organisations/{before.json()['id']}", headers=bearer(OPERATOR_KEY)
        )
        assert again.status_code == 200
        assert create_org(served.base).status_code == 201
        assert served.terminate(30) < 30
    assert wait_no_postgres(data_dir) == []
    assert "embedded PostgreSQL restarted" in (tmp_path / "serve.log").read_text()


def users_listed(data_dir: Path) -> list[int]:
    return [int(entry[0]) for entry in json.loads((data_dir / "embedded-users.json").read_text())]


def test_a_serve_killed_with_sigkill_leaves_no_postgres_after_the_next_start_or_stop(
    tmp_path: Path, data_dir: Path
) -> None:
    env = base_env(JOINTIP_DATA_DIR=str(data_dir))
    log = tmp_path / "serve.log"

    # 1. killed, then a one-off command (a start and a stop of its own) runs: it stops the server.
    with serving(env, log) as served:
        assert served.proc is not None
        assert users_listed(data_dir) == [served.proc.pid]
        started = served.kill()
    assert postgres_processes(data_dir), "a killed serve cannot stop PostgreSQL itself"
    assert started, "serve had started its render process"
    assert still_running(started) == [], "a killed serve's render process must end by itself"
    migrate = subprocess.run([*JOINTIP, "migrate"], env=env, capture_output=True, timeout=60, check=False)
    assert migrate.returncode == 0, migrate.stderr
    assert wait_no_postgres(data_dir) == [], "the dead serve's entry was not pruned"
    assert users_listed(data_dir) == []

    # 2. killed, then served again (joins the orphaned server) and stopped cleanly: nothing left.
    with serving(env, log) as served:
        served.kill()
    with serving(env, log) as served:
        assert served.proc is not None
        assert users_listed(data_dir) == [served.proc.pid]  # the dead one is gone from the list
        assert create_org(served.base).status_code == 201
    assert wait_no_postgres(data_dir) == []

    # 3. with workers: they (and their render processes) stop by themselves, nothing holds the port.
    with serving(env, log, "--workers", "2") as served:
        assert create_org(served.base).status_code == 201
        started = served.kill()
    assert len(started) >= 2
    assert still_running(started, seconds=GRACEFUL_SHUTDOWN_TIMEOUT + 5) == []
    with pytest.raises(httpx.HTTPError):
        httpx.get(served.base + "/health", timeout=2)
    migrate = subprocess.run([*JOINTIP, "migrate"], env=env, capture_output=True, timeout=60, check=False)
    assert migrate.returncode == 0, migrate.stderr
    assert wait_no_postgres(data_dir) == []


def test_sigterm_ends_serve_in_bounded_time_after_the_database_is_lost(
    tmp_path: Path, data_dir: Path
) -> None:
    with serving(base_env(JOINTIP_DATA_DIR=str(data_dir)), tmp_path / "serve.log") as served:
        postmaster_of(data_dir).kill()
        time.sleep(0.2)  # the supervisor may be restarting it right now: SIGTERM must still end
        assert served.terminate(30) < 20
    assert wait_no_postgres(data_dir) == []


def test_sigterm_ends_serve_in_bounded_time_while_the_database_hangs(tmp_path: Path, data_dir: Path) -> None:
    """A postmaster that stops answering (SIGSTOP) with requests waiting on it: SIGTERM still ends
    jointip within its deadline, and the hung server is killed, not left behind."""
    with serving(base_env(JOINTIP_DATA_DIR=str(data_dir)), tmp_path / "serve.log") as served:
        postmaster = postmaster_of(data_dir)
        backends = postgres_processes(data_dir)
        for proc in backends:
            proc.send_signal(signal.SIGSTOP)
        answers: list[int | str] = []

        def waiting_request() -> None:
            try:
                answers.append(create_org(served.base).status_code)
            except httpx.HTTPError as exc:
                answers.append(type(exc).__name__)

        waiting = [threading.Thread(target=waiting_request) for _ in range(3)]
        for thread in waiting:
            thread.start()
        time.sleep(1)
        took = served.terminate(STOP_DEADLINE + 15)
        assert took < STOP_DEADLINE + 5
        for thread in waiting:
            thread.join(15)
        assert 500 not in answers
    assert not postmaster.is_running() or postmaster.status() == psutil.STATUS_ZOMBIE
    assert wait_no_postgres(data_dir) == []
