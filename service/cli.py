"""jointip serve | migrate | operator-key | demo | dispatch"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import secrets
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import asyncpg
import psutil

from db import MigrationError, embedded_postgres, migrate
from db.embedded import STOP_TIMEOUT, EmbeddedServer
from service.logs import configure_logging
from service.server import SERVE_PID_VARIABLE, uvicorn_options
from service.settings import Settings
from workflows import RuleViolation

log = logging.getLogger("jointip.cli")
MULTIPROC_ENV = (
    "PROMETHEUS_MULTIPROC_DIR"  # = service.metrics.MULTIPROC_ENV (not imported: no prometheus here)
)


@contextmanager
def database_url(settings: Settings, *, supervise: bool = False) -> Iterator[str]:
    """DATABASE_URL when given; otherwise the embedded server (restarted whenever it dies if
    ``supervise``), left when this block ends: the last process using it stops it."""
    if settings.database_url:
        yield settings.database_url
        return
    with embedded_postgres(settings.data_dir, supervise=supervise) as url:
        yield url


class _Stopped(Exception):
    """A stop signal arrived: unwind so the embedded server is stopped by its context manager."""


_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def _raise_stopped(signum: int, frame: object) -> None:
    for sig in _STOP_SIGNALS:  # a second signal must not interrupt stopping PostgreSQL
        signal.signal(sig, signal.SIG_IGN)
    raise _Stopped(signal.Signals(signum).name)


def shared_secret(settings: Settings) -> str:
    """The secret every worker signs links and forms with: JOINTIP_SECRET_KEY, else one kept in the
    data dir (made on first start, readable by this user only), so links survive restarts."""
    if settings.secret_key:
        return settings.secret_key
    path = settings.data_dir / "secret_key"
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48))
    return path.read_text(encoding="utf-8").strip()


#: Seconds from the first stop signal to the end of ``jointip serve``, whatever hangs: uvicorn
#: waits up to ``GRACEFUL_SHUTDOWN_TIMEOUT`` for requests, the pool closes within 5 s, the embedded
#: server stops within ``db.embedded.STOP_TIMEOUT`` (or is killed); past this, the process is ended.
STOP_DEADLINE = 40.0


def _arm_stop_deadline(settings: Settings) -> None:
    """Start (once) the timer that ends the process if stopping takes longer than ``STOP_DEADLINE``."""
    global _deadline
    if _deadline is not None:
        return
    _deadline = threading.Timer(STOP_DEADLINE, _stop_now, args=(settings,))
    _deadline.daemon = True
    _deadline.start()


_deadline: threading.Timer | None = None


def _stop_now(settings: Settings) -> None:
    """The deadline passed: kill the workers, leave the embedded server (bounded), exit."""
    log.error("stopping took longer than %.0f s; ending the process", STOP_DEADLINE)
    for child in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            child.kill()
    if not settings.database_url:
        leaving = threading.Thread(target=EmbeddedServer(settings.data_dir).leave, daemon=True)
        leaving.start()
        leaving.join(STOP_TIMEOUT + 10)
    os._exit(1)


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    class _Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            _arm_stop_deadline(settings)
            super().handle_exit(sig, frame)

    class _Workers(Multiprocess):
        def handle_term(self) -> None:
            _arm_stop_deadline(settings)
            super().handle_term()

        def handle_int(self) -> None:
            _arm_stop_deadline(settings)
            super().handle_int()

    # uvicorn shuts down gracefully, then re-raises the signal to the handler that was there
    # before it: with the default handler the process would die before stopping PostgreSQL.
    for sig in _STOP_SIGNALS:
        signal.signal(sig, _raise_stopped)
    workers = args.workers or settings.workers
    started = True
    with (
        contextlib.suppress(_Stopped),
        database_url(settings, supervise=True) as url,
        worker_metrics(workers),
    ):
        # Workers are separate processes: they build their Settings from this environment.
        os.environ["DATABASE_URL"] = url
        os.environ["JOINTIP_SECRET_KEY"] = shared_secret(settings)
        os.environ[SERVE_PID_VARIABLE] = str(os.getpid())  # workers stop when this process is gone
        config = uvicorn.Config(
            "service.app:app_from_env",
            factory=True,
            host=args.host or settings.host,
            port=args.port or settings.port,
            workers=workers,
            log_level=settings.log_level.lower(),
            log_config=None,  # our JSON lines (service.logs), in this process and in each worker
            access_log=False,  # jointip.access writes each request's line, with its request id
            **uvicorn_options(),
        )
        # What uvicorn.run does, with the two classes above (their stop signal arms the deadline).
        if config.workers > 1:
            _Workers(config, sockets=[config.bind_socket()]).run()
        else:
            config.load_app()
            server = _Server(config)
            server.run()
            started = server.started
    return 0 if started else 3


@contextmanager
def worker_metrics(workers: int) -> Iterator[None]:
    """With several workers, prometheus_client's multiprocess mode: a fresh directory in
    ``PROMETHEUS_MULTIPROC_DIR`` before any worker starts (so each imports prometheus_client in that
    mode), removed when serving ends. One worker keeps its metrics in memory; a directory the
    environment already names is used as it is (wiping it between runs is then the operator's job)."""
    if workers <= 1 or os.environ.get(MULTIPROC_ENV):
        yield
        return
    directory = tempfile.mkdtemp(prefix="jointip-metrics-")
    os.environ[MULTIPROC_ENV] = directory
    try:
        yield
    finally:
        os.environ.pop(MULTIPROC_ENV, None)
        shutil.rmtree(directory, ignore_errors=True)


async def _demo(conn: asyncpg.Connection, data_dir: Path) -> str:
    from service.demo import run_demo, summary, write_env_file

    result = await run_demo(conn, data_dir / "demo", say=lambda line: print(line, flush=True))
    result.env_file = write_env_file(data_dir, result)
    print("\n".join(summary(result)))
    return f"demo engagement {result.engagement_id} is {result.state}"


async def _with_connection(url: str, work: str, name: str = "", data_dir: Path = Path(".jointip")) -> str:
    conn = await asyncpg.connect(url)
    try:
        applied = await migrate(conn)
        if work == "migrate":
            return f"applied {len(applied)} migration(s)"
        if work == "demo":
            return await _demo(conn, data_dir)
        from service.organisations import create_operator_key

        async with conn.transaction():
            return await create_operator_key(conn, name)
    finally:
        await conn.close()


async def _dispatch(settings: Settings, url: str) -> None:
    """Run a webhook dispatcher alone until SIGTERM or SIGINT."""
    from service.dispatcher import run_alone

    conn = await asyncpg.connect(url)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await run_alone(settings, url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="jointip", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the API (embedded PostgreSQL unless DATABASE_URL is set)")
    serve.add_argument("--host", help="interface to bind (default JOINTIP_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default JOINTIP_PORT or 8000)")
    serve.add_argument("--workers", type=int, help="worker processes (default JOINTIP_WORKERS or 1)")
    sub.add_parser("migrate", help="apply database migrations and exit")
    sub.add_parser(
        "demo", help="seed fictional organisations, walk one engagement to completed, print their keys"
    )
    sub.add_parser("dispatch", help="deliver webhooks (the server also does; run more of these to scale out)")
    key = sub.add_parser("operator-key", help="create an operator API key and print it once")
    key.add_argument("--name", default="operator", help="who holds the key")
    args = parser.parse_args(argv)

    try:
        settings = Settings.from_env()
    except RuleViolation as exc:
        print(f"jointip: {exc.detail}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    try:
        if args.command == "serve":
            return _serve(settings, args)
        if args.command == "dispatch":
            with database_url(settings) as url:
                asyncio.run(_dispatch(settings, url))
            return 0
        with database_url(settings) as url:
            print(
                asyncio.run(_with_connection(url, args.command, getattr(args, "name", ""), settings.data_dir))
            )
        return 0
    except MigrationError as exc:
        print(f"jointip: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
