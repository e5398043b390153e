"""Load generators: ``wrk`` (C, cheap) when installed, else a small asyncio HTTP/1.1 client.

Both report the same ``LoadResult``. The asyncio client also drives the write scenarios, where each
virtual client owns its own engagement and requests depend on earlier responses.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit


@dataclass
class LoadResult:
    tool: str
    requests: int
    seconds: float
    errors: int  # transport errors and 5xx
    statuses: dict[int, int] = field(default_factory=dict)
    latencies_ms: dict[str, float] = field(default_factory=dict)  # p50, p90, p99

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "tool": self.tool,
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "rps": round(self.rps, 1),
            "errors": self.errors,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "latency_ms": {k: round(v, 3) for k, v in self.latencies_ms.items()},
        }


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


_UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0}
# wrk's done() hook prints exact percentiles; no per-response hook, which would slow wrk down.
_LUA = """
wrk.method = "%(method)s"
%(headers)s
done = function(summary, latency, requests)
  for _, p in ipairs({50, 90, 99}) do
    io.write(string.format("P%%d %%f\\n", p, latency:percentile(p) / 1000.0))
  end
  io.write(string.format("REQUESTS %%d\\n", summary.requests))
  io.write(string.format("ERRORS %%d\\n", summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout + summary.errors.status))
end
"""


def run_wrk(
    url: str, *, seconds: float, connections: int, headers: dict[str, str] | None = None
) -> LoadResult:
    """GET ``url`` for ``seconds`` over ``connections`` keep-alive connections (one wrk thread)."""
    lines = "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in (headers or {}).items())
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_LUA % {"method": "GET", "headers": lines})
    try:
        out = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s", "-s", script.name, url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        Path(script.name).unlink()
    values = dict(re.findall(r"^(P\d+|REQUESTS|ERRORS) (\S+)$", out, flags=re.M))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    requests = int(values["REQUESTS"])
    return LoadResult(
        tool="wrk",
        requests=requests,
        seconds=seconds,
        errors=int(values["ERRORS"]),
        statuses={200: requests - int(non2xx.group(1)) if non2xx else requests},
        latencies_ms={k.lower(): float(values[k]) for k in ("P50", "P90", "P99")},
    )


# --- the asyncio client ----------------------------------------------------------------------------


class Connection:
    """One keep-alive HTTP/1.1 connection; enough HTTP for this service's responses."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> tuple[int, dict[str, str], bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}", f"Content-Length: {len(body)}"]
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        response_headers: dict[str, str] = {}
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            response_headers[name.strip().lower()] = value.strip()
        length = int(response_headers.get("content-length", "0"))
        payload = await self.reader.readexactly(length) if length else b""
        if response_headers.get("connection", "").lower() == "close":
            await self.close()
        return status, response_headers, payload

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


Step = Callable[[Connection, int], Awaitable[int]]  # (connection, client index) -> status


async def drive(base: str, step: Step, *, clients: int, seconds: float) -> LoadResult:
    """Run ``step`` in a loop on ``clients`` connections for ``seconds``; time each step."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    deadline = time.perf_counter() + seconds

    async def client(index: int) -> None:
        nonlocal errors
        conn = Connection(base)
        try:
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                try:
                    status = await step(conn, index)
                except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                    errors += 1
                    await conn.close()
                    continue
                latencies.append((time.perf_counter() - start) * 1000)
                statuses[status] = statuses.get(status, 0) + 1
                errors += status >= 500
        finally:
            await conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    elapsed = time.perf_counter() - started
    return LoadResult(
        tool="asyncio",
        requests=len(latencies),
        seconds=elapsed,
        errors=errors,
        statuses=statuses,
        latencies_ms=percentiles(latencies),
    )


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    if len(samples_ms) < 2:
        return {"p50": samples_ms[0] if samples_ms else 0.0, "p90": 0.0, "p99": 0.0}
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return {"p50": cuts[49], "p90": cuts[89], "p99": cuts[98]}


async def get_loop(
    base: str, path: str, headers: dict[str, str], *, clients: int, seconds: float
) -> LoadResult:
    """The asyncio fallback for a plain GET load."""

    async def step(conn: Connection, _: int) -> int:
        return (await conn.request("GET", path, headers))[0]

    return await drive(base, step, clients=clients, seconds=seconds)


def get_load(base: str, path: str, headers: dict[str, str], *, clients: int, seconds: float) -> LoadResult:
    """GET load with wrk when installed, else the asyncio client."""
    if wrk_available():
        return run_wrk(base + path, seconds=seconds, connections=clients, headers=headers)
    return asyncio.run(get_loop(base, path, headers, clients=clients, seconds=seconds))
