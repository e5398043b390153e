"""The connection bounds uvicorn lacks, on the protocol itself: a connection that does
not finish its headers in time is closed, and one beyond the connection limit is refused at once.
(tests/reliability/test_server_limits.py checks the header bound against a real ``jointip serve``.)"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from uvicorn.config import Config
from uvicorn.server import ServerState

import service.server
from service.server import BoundedHttpToolsProtocol, uvicorn_options


class Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.closed = self.aborted = False
        self.written = b""

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(name, default)

    def is_closing(self) -> bool:
        return self.closed or self.aborted

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += bytes(data)

    def pause_reading(self) -> None: ...

    def resume_reading(self) -> None: ...


async def never_answers(scope: Any, receive: Any, send: Any) -> None:
    await asyncio.Event().wait()


def _config(limit: int) -> Config:
    options = uvicorn_options() | {"limit_concurrency": limit, "http": BoundedHttpToolsProtocol}
    config = Config(app=never_answers, interface="asgi3", **options)
    config.load()
    return config


def _connect(config: Config, state: ServerState) -> tuple[BoundedHttpToolsProtocol, Transport]:
    protocol = BoundedHttpToolsProtocol(config=config, server_state=state, app_state={})
    transport = Transport()
    protocol.connection_made(transport)
    return protocol, transport


async def test_unfinished_headers_are_closed_after_the_header_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(service.server, "HEADER_TIMEOUT", 0.05)
    config, state = _config(100), ServerState()
    silent, silent_transport = _connect(config, state)
    slow, slow_transport = _connect(config, state)
    slow.data_received(b"GET /health HTTP/1.1\r\nHost: jointip\r\nX-Slow: ")
    await asyncio.sleep(0.15)
    assert silent_transport.closed
    assert slow_transport.closed
    for protocol in (silent, slow):
        protocol.connection_lost(None)


async def test_finished_headers_cancel_the_header_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service.server, "HEADER_TIMEOUT", 0.05)
    config, state = _config(100), ServerState()
    protocol, transport = _connect(config, state)
    protocol.data_received(b"GET /health HTTP/1.1\r\nHost: jointip\r\n\r\n")
    assert protocol._header_timer is None
    await asyncio.sleep(0.15)
    assert not transport.closed  # the request is the app's now (here: a task that never answers)
    for task in list(state.tasks):
        task.cancel()
    protocol.connection_lost(None)


async def test_a_connection_beyond_the_limit_is_refused_at_once() -> None:
    config, state = _config(3), ServerState()
    connections = [_connect(config, state) for _ in range(4)]
    assert [t.aborted for _, t in connections] == [False, False, False, True]
    for protocol, _ in connections:
        protocol.connection_lost(None)
    assert not state.connections


def test_serve_uses_the_bounded_protocol_and_timeouts() -> None:
    options = uvicorn_options()
    assert options["http"] == "service.server:BoundedHttpToolsProtocol"
    assert options["limit_concurrency"] == service.server.MAX_CONNECTIONS
    assert options["timeout_keep_alive"] == service.server.KEEP_ALIVE_TIMEOUT
    assert options["timeout_graceful_shutdown"] == service.server.GRACEFUL_SHUTDOWN_TIMEOUT
