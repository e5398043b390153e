"""The embedded PostgreSQL (binaries from the ``pgserver`` wheel): used when no DATABASE_URL is given.

pgserver provides the binaries, ``initdb`` and the socket directory; jointip owns the rest, because
pgserver's bookkeeping cannot survive a crash: its ``pgdata/.handle_pids.json`` keeps
the pid of a process killed with SIGKILL for good, so the server was never stopped again.

- **Users.** Several processes may share one data directory (``jointip serve`` with its workers, a
  ``jointip migrate`` meanwhile, a test session). Each one that uses the server is listed in
  ``<data dir>/embedded-users.json`` as (pid, process start time), changed only under the file lock
  ``<data dir>/embedded.lock``. Joining and leaving first drop every listed process that no longer
  exists (killed, crashed; the start time tells a reused pid apart), so a killed user is forgotten
  by the next start or stop. The last user to leave stops the server.
- **Supervision.** ``jointip serve`` runs ``Supervisor``: a thread that checks the postmaster twice
  a second and, when it has died, removes what is left of it (backends whose postmaster died) and
  starts it again, with backoff (0.5 s doubling to 8 s). Its socket path does not change, so the
  workers' pools reconnect by themselves and ``/ready`` turns 200 again.
- **Bounded stops.** Every pg_ctl call has a timeout; a server that does not stop in time is
  killed (SIGTERM, then SIGKILL), with its backends.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import signal
import subprocess
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil

log = logging.getLogger("jointip.embedded")

#: Seconds pg_ctl may take to start (crash recovery included) or to stop the server.
START_TIMEOUT = 30
STOP_TIMEOUT = 5
#: How often the supervisor looks, and its restart backoff.
CHECK_INTERVAL = 0.5
BACKOFF_FIRST, BACKOFF_MAX = 0.5, 8.0


def _pgserver() -> Any:
    # pgserver asks platformdirs for a runtime dir at import; without XDG_RUNTIME_DIR
    # that only warns (and falls back to /tmp), which must not fail a warnings-as-errors run.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

        return pgserver


class EmbeddedServer:
    """One data directory's PostgreSQL and the processes using it."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.expanduser().resolve()
        self.pgdata = self.data_dir / "pgdata"
        self.users_path = self.data_dir / "embedded-users.json"
        self.lock_path = self.data_dir / "embedded.lock"
        # As root, pgserver runs PostgreSQL as a system user of its own (PostgreSQL refuses root).
        self.system_user = "pgserver" if os.geteuid() == 0 else None
        self._socket_dir: Path | None = None

    # -- locking and the user list ------------------------------------------------------------
    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.lock_path.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _live_users(self) -> list[tuple[int, float]]:
        """The listed users still alive (a dead pid, or a pid now used by another process, is dropped)."""
        try:
            listed = json.loads(self.users_path.read_text())
        except (FileNotFoundError, ValueError):
            listed = []
        alive = []
        for entry in listed:
            try:
                pid, started = int(entry[0]), float(entry[1])
                if abs(psutil.Process(pid).create_time() - started) < 1:
                    alive.append((pid, started))
            except (psutil.Error, ValueError, TypeError, IndexError):
                continue
        return alive

    def _write_users(self, users: list[tuple[int, float]]) -> None:
        tmp = self.users_path.with_suffix(".tmp")
        tmp.write_text(json.dumps([[pid, started] for pid, started in users]))
        tmp.replace(self.users_path)

    @staticmethod
    def _me() -> tuple[int, float]:
        return os.getpid(), psutil.Process().create_time()

    def users(self) -> list[int]:
        with self._locked():
            return [pid for pid, _ in self._live_users()]

    # -- the postmaster -----------------------------------------------------------------------
    def postmaster(self) -> psutil.Process | None:
        """The running postmaster of this data directory, if any (read from ``postmaster.pid``)."""
        try:
            lines = (self.pgdata / "postmaster.pid").read_text().splitlines()
            pid = int(lines[0])
            proc = psutil.Process(pid)
            if proc.status() == psutil.STATUS_ZOMBIE or proc.name() != "postgres":
                return None
            return proc
        except (OSError, ValueError, IndexError, psutil.Error):
            return None

    def processes(self) -> list[psutil.Process]:
        """Every PostgreSQL process of this data directory: the postmaster and its children,
        including backends whose postmaster died (PostgreSQL processes run in their data directory)."""
        found = []
        for proc in psutil.process_iter(["name"]):
            if proc.info["name"] != "postgres":
                continue
            with contextlib.suppress(psutil.Error):
                if Path(proc.cwd()) == self.pgdata:
                    found.append(proc)
        return found

    def uri(self) -> str:
        socket_dir = self._socket_dir or self._find_socket_dir()
        return f"postgresql://postgres:@/postgres?host={socket_dir}"

    def _find_socket_dir(self) -> Path:
        _pgserver()
        from pgserver.postgres_server import PostgresServer
        from pgserver.utils import find_suitable_socket_dir

        self._socket_dir = Path(find_suitable_socket_dir(self.pgdata, PostgresServer.runtime_path))
        if self.system_user is not None and self._socket_dir != self.pgdata:
            from pgserver.utils import ensure_prefix_permissions

            ensure_prefix_permissions(self._socket_dir)
            self._socket_dir.chmod(0o777)
        return self._socket_dir

    def _init_if_needed(self) -> None:
        """pgserver's own initialisation: initdb with trust auth, permissions for its system user."""
        _pgserver()
        from pgserver.postgres_server import PostgresServer

        self.pgdata.mkdir(parents=True, exist_ok=True)
        bare = object.__new__(PostgresServer)  # only the initdb part; the bookkeeping is ours
        bare.pgdata = self.pgdata
        bare.log = self.pgdata / "log"
        bare.postgres_user = "postgres"
        bare.system_user = self.system_user
        if self.system_user is not None:
            from pgserver.utils import ensure_user_exists

            ensure_user_exists(self.system_user)
        bare.ensure_pgdata_inited()

    def _pg_ctl(self, *args: str, timeout: float) -> None:
        _pgserver()
        from pgserver._commands import POSTGRES_BIN_PATH

        subprocess.run(  # noqa: S603 (pgserver's own pg_ctl, arguments built here)
            [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(self.pgdata), *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            timeout=timeout,
            user=self.system_user,
        )

    def _start(self) -> None:
        """Start the postmaster (caller holds the lock and has checked that none runs)."""
        self._kill(self.processes())  # backends left by a dead postmaster keep its shared memory
        # PostgreSQL refuses to start while the pid in postmaster.pid exists, and a killed postmaster
        # is an unreaped zombie for as long as its adoptive parent does not wait for it (seen with
        # a container's init). None of its processes runs any more (killed above): the files are stale.
        socket_dir = self._find_socket_dir()
        for stale in [self.pgdata / "postmaster.pid", *socket_dir.glob(".s.PGSQL.*.lock")]:
            stale.unlink(missing_ok=True)
        log.info("starting embedded PostgreSQL in %s", self.pgdata)
        self._pg_ctl(
            "-w",
            "-t",
            str(START_TIMEOUT),
            "-o",
            '-h ""',
            "-o",
            f"-k {socket_dir}",
            "-l",
            str(self.pgdata / "log"),
            "start",
            timeout=START_TIMEOUT + 5,
        )
        if self.postmaster() is None:
            raise RuntimeError(f"embedded PostgreSQL did not start; see {self.pgdata / 'log'}")

    def _stop(self) -> None:
        """Stop the server within a bounded time (caller holds the lock)."""
        if self.postmaster() is not None:
            log.info("stopping embedded PostgreSQL in %s", self.pgdata)
            try:
                self._pg_ctl("-w", "-t", str(STOP_TIMEOUT), "-m", "fast", "stop", timeout=STOP_TIMEOUT + 5)
            except (subprocess.SubprocessError, OSError) as exc:
                log.warning("pg_ctl stop failed (%r); killing the server", exc)
        self._kill(self.processes())

    @staticmethod
    def _kill(procs: list[psutil.Process]) -> None:
        if not procs:
            return
        for proc in procs:
            with contextlib.suppress(psutil.Error):
                proc.send_signal(signal.SIGTERM)
        _, alive = psutil.wait_procs(procs, timeout=3)
        for proc in alive:
            with contextlib.suppress(psutil.Error):
                proc.kill()
        psutil.wait_procs(alive, timeout=3)

    # -- what callers use ---------------------------------------------------------------------
    def join(self) -> str:
        """Use the server (starting it if nobody runs it); returns its DSN."""
        with self._locked():
            self._init_if_needed()
            users = [u for u in self._live_users() if u[0] != os.getpid()]
            if self.postmaster() is None:
                self._start()
            self._write_users([*users, self._me()])
        log.info("embedded PostgreSQL running with data in %s", self.pgdata)
        return self.uri()

    def leave(self) -> None:
        """Stop using the server; the last live user stops it."""
        with self._locked():
            others = [u for u in self._live_users() if u[0] != os.getpid()]
            self._write_users(others)
            if not others:
                self._stop()
        log.info("embedded PostgreSQL released")

    def restart_if_dead(self) -> bool:
        """Start the server again if it is not running; True when it had to."""
        if self.postmaster() is not None:
            return False
        with self._locked():
            if self.postmaster() is not None:  # another supervisor was quicker
                return False
            log.warning("embedded PostgreSQL is not running; restarting it")
            self._start()
            return True


class Supervisor:
    """A thread that keeps the embedded server running while ``jointip serve`` runs."""

    def __init__(self, server: EmbeddedServer) -> None:
        self.server = server
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="postgres-supervisor", daemon=True)
        self.restarts = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self, seconds: float = 5.0) -> None:
        """Ask the thread to stop; a start it is running finishes under the lock, which ``leave`` waits for."""
        self._stopping.set()
        self._thread.join(seconds)

    def _run(self) -> None:
        backoff = BACKOFF_FIRST
        while not self._stopping.wait(CHECK_INTERVAL):
            try:
                if self.server.restart_if_dead():
                    self.restarts += 1
                    log.warning("embedded PostgreSQL restarted (%d so far)", self.restarts)
                backoff = BACKOFF_FIRST
            except Exception as exc:  # keep supervising whatever happened to one attempt
                log.error("restarting embedded PostgreSQL failed (%r); next try in %.1f s", exc, backoff)
                if self._stopping.wait(backoff):
                    return
                backoff = min(backoff * 2, BACKOFF_MAX)


@contextmanager
def embedded_postgres(data_dir: Path, *, supervise: bool = False) -> Iterator[str]:
    """Start (or join) the embedded server under ``data_dir``; yield its DSN; the last user out stops it.

    ``supervise``: restart the server whenever it dies, until the block ends (``jointip serve``).
    """
    server = EmbeddedServer(data_dir)
    url = server.join()
    supervisor = Supervisor(server) if supervise else None
    try:
        if supervisor is not None:
            supervisor.start()
        yield url
    finally:
        if supervisor is not None:
            supervisor.stop()
        server.leave()
