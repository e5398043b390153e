"""``jointip serve`` as a real process for the reliability tests: start, wait, stop, kill, and the
embedded PostgreSQL's processes (found by their working directory, which PostgreSQL sets to its
data directory: backends whose postmaster died are found too)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

from tests.support.factories import OPERATOR_KEY

JOINTIP = (
    [str(Path(sys.executable).with_name("jointip"))]
    if Path(sys.executable).with_name("jointip").exists()
    else [sys.executable, "-m", "service.cli"]
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def base_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "JOINTIP_DATA_DIR"}}
    env.update(
        {
            "JOINTIP_BOOTSTRAP_KEY": OPERATOR_KEY,
            "JOINTIP_LOG_LEVEL": "INFO",
            "JOINTIP_RATE_LIMIT_PER_MINUTE": "0",
            "JOINTIP_AUTH_FAILURES_PER_MINUTE": "0",
            **extra,
        }
    )
    return env


@dataclass
class Served:
    """One ``jointip serve`` process."""

    env: dict[str, str]
    log: Path
    args: tuple[str, ...] = ()
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Served:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [*JOINTIP, "serve", "--port", str(self.port), *self.args],
                env=self.env,
                stdout=out,
                stderr=out,
            )
        return self

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait_ready(self, seconds: float = 60) -> float:
        """Seconds until ``/ready`` answers 200; fails the test if it never does."""
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            assert self.running(), f"server exited:\n{self.log.read_text()}"
            try:
                if httpx.get(self.base + "/ready", timeout=1).status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"server not ready in {seconds}s:\n{self.log.read_text()[-5000:]}")

    def terminate(self, seconds: float = 60) -> float:
        """SIGTERM; the seconds it took to end (fails the test past ``seconds``)."""
        assert self.proc is not None
        started = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(seconds)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
                raise AssertionError(f"SIGTERM did not end the server in {seconds}s") from None
        return time.monotonic() - started

    def descendants(self) -> list[psutil.Process]:
        """The server's child processes (workers, render processes, their helpers)."""
        assert self.proc is not None
        try:
            return list(psutil.Process(self.proc.pid).children(recursive=True))
        except psutil.NoSuchProcess:
            return []

    def kill(self) -> list[psutil.Process]:
        """SIGKILL; returns the processes it had started, which must end by themselves."""
        assert self.proc is not None
        children = self.descendants()
        self.proc.kill()
        self.proc.wait(10)
        return children


def still_running(processes: list[psutil.Process], seconds: float = 10) -> list[psutil.Process]:
    """Those of ``processes`` still alive after ``seconds`` (zombies count as ended)."""
    _, alive = psutil.wait_procs(processes, timeout=seconds)
    return [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


@contextmanager
def serving(env: dict[str, str], log: Path, *args: str) -> Iterator[Served]:
    served = Served(env, log, args).start()
    try:
        served.wait_ready()
        yield served
    finally:
        if served.running():
            with suppress(AssertionError):
                served.terminate(60)


def postgres_processes(data_dir: Path) -> list[psutil.Process]:
    """Every PostgreSQL process of the embedded server under ``data_dir``."""
    pgdata = (data_dir / "pgdata").resolve()
    found = []
    for proc in psutil.process_iter(["name"]):
        if proc.info["name"] != "postgres":
            continue
        try:
            if Path(proc.cwd()) == pgdata:
                found.append(proc)
        except psutil.Error:
            continue
    return found


def postmaster_of(data_dir: Path) -> psutil.Process:
    pid = int((data_dir / "pgdata" / "postmaster.pid").read_text().splitlines()[0])
    return psutil.Process(pid)


def wait_no_postgres(data_dir: Path, seconds: float = 15) -> list[psutil.Process]:
    deadline = time.monotonic() + seconds
    while (left := postgres_processes(data_dir)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def kill_postgres(data_dir: Path) -> None:
    """Cleanup after a failed test: nothing of this data dir may outlive it."""
    for proc in postgres_processes(data_dir):
        with suppress(psutil.Error):
            proc.kill()
