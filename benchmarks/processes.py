"""The processes a run starts: the embedded PostgreSQL, jointip itself, and the reference servers.

Every HTTP server is started the way ``jointip serve`` runs uvicorn (``service.server``), so a
ratio compares the application, not two server stacks.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import psutil

from db import embedded_postgres, migrate
from service.server import uvicorn_options

BOOTSTRAP_KEY = "benchmark-operator-key-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    name: str
    base: str
    process: subprocess.Popen[bytes]

    def cpu_seconds(self) -> float:
        """User + system CPU of the server and its worker processes so far."""
        total = 0.0
        try:
            root = psutil.Process(self.process.pid)
            for proc in [root, *root.children(recursive=True)]:
                times = proc.cpu_times()
                total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
        return total


def _wait(base: str, path: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}; see {log}")
        try:
            if httpx.get(base + path, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server at {base} did not answer {path} within {timeout} s; see {log}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def server_env(database_url: str) -> dict[str, str]:
    """The environment every benchmarked ``jointip serve`` runs with."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "JOINTIP_BOOTSTRAP_KEY": BOOTSTRAP_KEY,
        "JOINTIP_LOG_LEVEL": "WARNING",
        "JOINTIP_POOL_MAX_SIZE": "20",
        # The limiter still runs on every request, but no benchmark load may reach its limit.
        "JOINTIP_RATE_LIMIT_PER_MINUTE": "1000000",
    }


@contextmanager
def migrated_database(directory: Path) -> Iterator[str]:
    """An embedded PostgreSQL in ``directory`` with jointip's migrations applied; yields its URL."""
    with embedded_postgres(directory) as url:

        async def prepare() -> None:
            conn = await asyncpg.connect(url)
            try:
                await migrate(conn)
            finally:
                await conn.close()

        asyncio.run(prepare())
        yield url


def wait_ready(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Until ``/ready`` answers 200 (or the process exits)."""
    _wait(base, "/ready", process, log)


@contextmanager
def jointip(database_url: str, workers: int, logs: Path) -> Iterator[Server]:
    """``jointip serve`` on an existing database with ``workers`` worker processes."""
    port = free_port()
    env = server_env(database_url)
    log = logs / f"jointip-{workers}w-{port}.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "serve", "--port", str(port), "--workers", str(workers)],
            env=env,
            stdout=out,
            stderr=out,
        )
    server = Server(
        f"jointip ({workers} worker{'s' if workers > 1 else ''})", f"http://127.0.0.1:{port}", process
    )
    try:
        _wait(server.base, "/ready", process, log)
        yield server
    finally:
        _stop(process)


@contextmanager
def asgi_app(
    name: str, factory: str, logs: Path, env: dict[str, str] | None = None, workers: int = 1
) -> Iterator[Server]:
    """A reference ASGI app (``module:factory``) under uvicorn, configured as jointip serve configures it."""
    port = free_port()
    log = logs / f"{name}-{port}.log"
    code = (
        "import uvicorn, sys; from service.server import uvicorn_options; "
        f"uvicorn.run({factory!r}, factory=True, host='127.0.0.1', port={port}, workers={workers}, "
        "log_level='warning', **uvicorn_options())"
    )
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", code], env={**os.environ, **(env or {})}, stdout=out, stderr=out
        )
    server = Server(name, f"http://127.0.0.1:{port}", process)
    try:
        _wait(server.base, "/health", process, log)
        yield server
    finally:
        _stop(process)


__all__ = [
    "BOOTSTRAP_KEY",
    "Server",
    "asgi_app",
    "free_port",
    "jointip",
    "migrated_database",
    "server_env",
    "uvicorn_options",
    "wait_ready",
]
