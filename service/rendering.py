"""Document renders run in a process pool, so a large render never stalls the event loop.

A contract of the largest allowed proposal is seconds of pure-Python CPU (python-docx, lxml). A
thread does not help: it holds the GIL most of that time, and ``/health`` stalled to seconds
behind one. Each server process therefore keeps a small
``concurrent.futures.ProcessPoolExecutor`` (``JOINTIP_RENDER_PROCESSES``, default 1), started
with the app's lifespan and shut down with it; the renderers are pure functions of picklable
inputs, so they run there unchanged. With ``--workers N`` every worker has its own pool.

Processes are started with ``spawn`` (never ``fork``: the server process has threads and an event
loop); one is started (warmed up) when the app starts, so the first render does not wait for
Python's imports. ``render_processes = 0`` renders in a thread instead.

Measured (tests/reliability/test_server_limits.py, 2 cores): the largest allowed proposal
(100 milestones, every text at its bound) rendered in about 0.3 s with python-docx elements; in a
thread, ``/health``'s p99 meanwhile was 28 ms (lxml's serialisation holds the GIL in long
stretches), in the pool 10-17 ms. Since the text-writer renderer it costs 15-40 ms of
CPU, still off the loop; the worst-case redline (1.5-2 s) is where the pool matters most now.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import asynccontextmanager
from functools import partial
from typing import Any, TypeVar

log = logging.getLogger("jointip.rendering")

T = TypeVar("T")
#: How much lower a render process's CPU priority is than the server's (``nice``).
RENDER_NICENESS = 10
#: How often a render process checks that its server process still exists.
PARENT_CHECK_SECONDS = 0.5


class RenderPool:
    """The process pool of one server process (``None`` inside: render in a thread)."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self._executor: ProcessPoolExecutor | None = None

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self.processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_render_process_setup,
                initargs=(os.getpid(),),
            )
        return self._executor

    def warm_up(self) -> None:
        """Start a render process now, so the first render does not pay for its start (about a second
        of imports) while requests wait; nothing waits for it."""
        if self.processes > 0:
            self._pool().submit(_load_renderer)

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` in the pool (a thread when the pool has no processes)."""
        call = partial(fn, *args, **kwargs)
        if self.processes <= 0:
            return await asyncio.to_thread(call)
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool(), call)
        except BrokenProcessPool:
            # A render process died (killed, out of memory): start a fresh pool and try once more.
            log.warning("the render process pool broke; starting a new one")
            self.shutdown()
            return await asyncio.get_running_loop().run_in_executor(self._pool(), call)

    def shutdown(self) -> None:
        """Let go of a broken pool without waiting (its processes are dead or dying)."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    async def close(self) -> None:
        """Stop the pool and wait, off the event loop, until its processes have ended (a render under
        way finishes first; pending ones are cancelled). Not waiting leaks the pool's semaphores when
        the process exits right after: multiprocessing's resource tracker then prints a warning,
        not a JSON line, on the shared stderr. A render that never ended would be cut off by
        ``jointip serve``'s stop deadline."""
        executor, self._executor = self._executor, None
        if executor is not None:
            await asyncio.to_thread(executor.shutdown, wait=True, cancel_futures=True)


def _render_process_setup(server_pid: int) -> None:
    """In each render process: lower CPU priority (renders are background work; on a busy machine the
    server's event loop gets the CPU first), and exit when the server process is gone. A server
    killed with SIGKILL cannot shut its pool down, and a pool process never notices by itself (it
    holds both ends of its own task queue), so without this it would wait for work for ever."""
    with contextlib.suppress(OSError):
        os.nice(RENDER_NICENESS)
    threading.Thread(target=_exit_with, args=(server_pid,), name="server-watch", daemon=True).start()


def _exit_with(server_pid: int) -> None:
    while os.getppid() == server_pid:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(0)


def _load_renderer() -> None:
    from contract_templates import load_library

    load_library()


#: The pool of this process: shared by every app the process runs (tests run several), started by
#: the first app's lifespan and shut down when the last one ends; outside an app, a thread.
_shared = RenderPool(0)
_users = 0


@asynccontextmanager
async def render_pool(processes: int) -> AsyncIterator[RenderPool]:
    """The app lifespan's part: renders go to this process's pool until the block ends."""
    global _shared, _users
    if _users == 0:
        _shared = RenderPool(processes)
        _shared.warm_up()
    _users += 1
    try:
        yield _shared
    finally:
        _users -= 1
        if _users == 0:
            closing, _shared = _shared, RenderPool(0)
            await closing.close()


async def render(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a renderer off the event loop: in this process's render pool."""
    return await _shared.run(fn, *args, **kwargs)
