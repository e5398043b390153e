"""Real HTTP servers in the test's event loop: uvicorn on 127.0.0.1, and a webhook receiver."""

from __future__ import annotations

import asyncio
import collections
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn


@asynccontextmanager
async def serving(app: Any, *, lifespan: str = "off") -> AsyncIterator[str]:
    """Serve ``app`` on a free port of 127.0.0.1; yields its base URL."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan=lifespan)
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("server did not start")
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes
    path: str


@dataclass
class Receiver:
    """An ASGI webhook receiver: records every request, answers from ``answers`` (then 200), and
    notes a webhook-id being handled twice at the same time."""

    delay: float = 0.0
    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    overlaps: list[str] = field(default_factory=list)
    _in_flight: collections.Counter[str] = field(default_factory=collections.Counter)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def ids(self) -> list[str]:
        return [d.headers["webhook-id"] for d in self.deliveries]

    async def wait_for(self, count: int, within: float = 10.0) -> None:
        async with asyncio.timeout(within):
            while len(self.deliveries) < count:
                self.arrived.clear()
                await self.arrived.wait()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        msg_id = headers.get("webhook-id", "")
        self._in_flight[msg_id] += 1
        if self._in_flight[msg_id] > 1:
            self.overlaps.append(msg_id)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            status, extra = self.answers.pop(0) if self.answers else (200, {})
        finally:
            self._in_flight[msg_id] -= 1
        self.deliveries.append(Delivery(headers, body, scope["path"]))
        self.arrived.set()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(k.encode(), v.encode()) for k, v in extra.items()],
            }
        )
        await send({"type": "http.response.body", "body": b"x" * 10_000 if status >= 400 else b"ok"})
