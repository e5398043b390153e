"""How ``jointip serve`` runs uvicorn: one place, so the benchmarks serve their references the same way.

Connection limits (SPEC 10). uvicorn bounds idle keep-alive connections and, with
``limit_concurrency``, answers 503 once too many connections are open, but only after a request's
headers are complete: a connection that never finishes its headers (slowloris) stays open for
good. ``BoundedHttpToolsProtocol`` adds the two missing bounds: a connection must complete each
request's headers within ``HEADER_TIMEOUT`` seconds, and a connection beyond the limit is closed
as soon as it is accepted. ``docs/operations.md`` says what a reverse proxy in front should add.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
import time
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

#: Seconds a client has to send a request's line and headers (from connecting, or from its first byte).
HEADER_TIMEOUT = 10.0
#: Seconds an idle keep-alive connection stays open between requests.
KEEP_ALIVE_TIMEOUT = 5
#: Open connections (and running requests) per server process; beyond it, new ones are refused.
MAX_CONNECTIONS = 1000
#: Seconds a stopping process waits for running requests before cancelling them.
GRACEFUL_SHUTDOWN_TIMEOUT = 10
#: ``jointip serve`` puts its pid here for its workers (``stop_with_serve``).
SERVE_PID_VARIABLE = "JOINTIP_SERVE_PID"

log = logging.getLogger("jointip.server")


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a header-read deadline and a hard connection limit."""

    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        limit = self.limit_concurrency
        if limit is not None and len(self.connections) > limit:
            self.logger.warning("connection limit (%d) reached; closing a new connection", limit)
            transport.abort()
            return
        self._arm_header_timer()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._header_timer is None:
            self._arm_header_timer()

    def on_headers_complete(self) -> None:
        self._cancel_header_timer()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)

    def _arm_header_timer(self) -> None:
        self._cancel_header_timer()
        self._header_timer = self.loop.call_later(HEADER_TIMEOUT, self._headers_too_slow)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()


def stop_with_serve() -> None:
    """In a worker of ``jointip serve --workers N``: stop when the ``serve`` process is gone.

    uvicorn's workers never notice their supervisor's death (each holds both ends of its health-check
    pipe), so after a SIGKILL of ``serve`` they would go on serving, holding the port, with nobody to
    stop them. A thread here watches the parent pid and, once it changes, stops the worker like a
    SIGTERM would (and ends it outright if that has not worked in ``GRACEFUL_SHUTDOWN_TIMEOUT`` + 10 s).
    Does nothing in ``serve``'s own process (one worker) or outside ``serve``.
    """
    serve_pid = os.environ.get(SERVE_PID_VARIABLE, "")
    if not serve_pid.isdigit() or int(serve_pid) == os.getpid() or int(serve_pid) != os.getppid():
        return

    def watch() -> None:
        while os.getppid() == int(serve_pid):
            time.sleep(0.5)
        log.error("jointip serve (pid %s) is gone; stopping this worker", serve_pid)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(GRACEFUL_SHUTDOWN_TIMEOUT + 10)
        os._exit(1)

    threading.Thread(target=watch, name="serve-watch", daemon=True).start()


def uvicorn_options() -> dict[str, Any]:
    """Event loop, HTTP parser and connection handling for every jointip server process."""
    # uvloop and httptools (both dependencies) roughly halve the server's own cost per request.
    return {
        "loop": "uvloop",
        "http": "service.server:BoundedHttpToolsProtocol",  # a string: workers import it themselves
        "lifespan": "on",
        "proxy_headers": False,
        "timeout_keep_alive": KEEP_ALIVE_TIMEOUT,
        "limit_concurrency": MAX_CONNECTIONS,
        # An event stream never ends by itself: without a bound, a stop signal would wait for every
        # connected client to leave. After this many seconds the remaining requests are cancelled.
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_TIMEOUT,
    }
