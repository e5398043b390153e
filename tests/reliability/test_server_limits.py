"""A real ``jointip serve`` under a large render and under slow clients.

- While the contract of the largest allowed proposal renders, ``/health`` keeps a p99
  under 50 ms (renders run in a process pool, not on the event loop or in a thread).
- Connections that never finish their headers are closed after ``HEADER_TIMEOUT``; the
  server keeps answering meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import socket
import statistics
import time
from collections.abc import AsyncIterator, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import msgspec
import msgspec.inspect
import psutil
import pytest

from service.schemas.engagements import EngagementCreate
from service.server import HEADER_TIMEOUT
from tests.support.databases import fresh_database
from tests.support.factories import EngagementApi, bearer, proposal_body
from tests.support.serving import Served, base_env
from workflows import Asset, MilestoneInput, PartyBackgroundIp, ProposalInput

pytestmark = [pytest.mark.once, pytest.mark.slow]


def _bound(struct: type, field: str, unbounded: int) -> int:
    """A field's ``max_length`` as the API enforces it (``unbounded`` where there is none yet)."""
    for info in msgspec.inspect.type_info(struct).fields:  # type: ignore[attr-defined]
        if info.name == field:
            return int(getattr(info.type, "max_length", None) or unbounded)
    raise KeyError(field)


# The largest proposal the API accepts: read from the input types themselves (SPEC 10's bounds,
# workflows/limits.py), so the test follows the bounds when they change.
LARGEST_MILESTONES = _bound(ProposalInput, "milestones", 100)
LARGEST_SCOPE = _bound(ProposalInput, "scope", 20_000)  # the engagement's summary too
LARGEST_NAME = _bound(MilestoneInput, "title", 200)
LARGEST_TEXT = _bound(MilestoneInput, "description", 10_000)  # and acceptance criteria
LARGEST_CRITERIA = _bound(MilestoneInput, "acceptance_criteria", 10_000)
# DOCX core properties take at most 255 characters of title: never more than 200 here.
LARGEST_TITLE = min(_bound(EngagementCreate, "title", 200), 200)
LARGEST_SUMMARY = _bound(EngagementCreate, "summary", 20_000)
LARGEST_ASSETS = _bound(PartyBackgroundIp, "assets", 20)  # background IP per party
LARGEST_ASSET_TITLE = _bound(Asset, "title", 200)
LARGEST_ASSET_TEXT = _bound(Asset, "description", 2_000)


def _text(length: int) -> str:
    words = "Lietuvos ir Norvegijos komanda kuria produktą, æøå ąčęėįšųūž. "
    return (words * (length // len(words) + 1))[:length]


#: The bound on /health's p99 while the largest allowed contract renders: renders stay off the loop.
HEALTH_P99_MS = 50.0
#: Concurrent /health probes: enough samples that the p99 is not just the slowest one.
PROBERS = 4
#: The largest contracts generated in turn: a window of renders long enough for a p99.
RENDERS = 12


def largest_proposal() -> dict[str, Any]:
    body = proposal_body("joint")
    body["scope"] = _text(LARGEST_SCOPE)
    body["milestones"] = [
        {
            "key": f"m{i + 1}",
            "title": f"{i + 1:03d} " + _text(LARGEST_NAME - 4),
            "description": _text(LARGEST_TEXT),
            "due_date": (date(2027, 1, 4) + timedelta(days=7 * i)).isoformat(),
            "fee": 1000.00,
            "acceptance_criteria": _text(LARGEST_CRITERIA),
            "acceptance_days": 14,
        }
        for i in range(LARGEST_MILESTONES)
    ]
    for party in ("vendor", "startup"):
        body["ip_terms"]["background_ip"][party]["assets"] = [
            {"title": f"{i:02d} " + _text(LARGEST_ASSET_TITLE - 3), "description": _text(LARGEST_ASSET_TEXT)}
            for i in range(LARGEST_ASSETS)
        ]
    return body


@pytest.fixture(scope="module")
async def served(
    tmp_path_factory: pytest.TempPathFactory, db: asyncpg.Connection, database_url: str
) -> AsyncIterator[Served]:
    log = tmp_path_factory.mktemp("limits") / "serve.log"
    async with fresh_database(db, database_url) as url:
        server = Served(base_env(DATABASE_URL=url), log).start()
        try:
            await asyncio.to_thread(server.wait_ready)
            yield server
        finally:
            if server.running():
                await asyncio.to_thread(server.terminate, 60)


@pytest.fixture
async def http(served: Served) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=served.base, timeout=60) as client:
        yield client


async def _accepted_largest(api: EngagementApi, p: Any) -> str:
    """An engagement whose accepted proposal is the largest the API takes: ready to generate."""
    e = await api.to_terms_agreed(
        p, largest_proposal(), title=_text(LARGEST_TITLE), summary=_text(LARGEST_SUMMARY)
    )
    return str(e["id"])


async def test_health_p99_stays_under_50ms_while_the_largest_contract_renders(
    http: httpx.AsyncClient,
    served: Served,
) -> None:
    api = EngagementApi(http)  # type: ignore[arg-type]  # the same calls over a real socket
    p = await api.parties()
    # One largest generate takes 30-100 ms on a 2-core machine: too short a window to judge a p99
    # by (CI once saw 32 probes in 0.08 s). So several are generated one after another, and the
    # event loop has to stay free for a window several renders long. (Generated all at once on 2
    # cores they would measure CPU starvation by the render processes, not the loop.)
    engagements = await asyncio.gather(*(_accepted_largest(api, p) for _ in range(RENDERS)))

    probes: list[tuple[float, float]] = []  # (sent at, milliseconds)
    rendering = True

    async def probe() -> None:
        async with httpx.AsyncClient(base_url=str(http.base_url), timeout=10) as health:
            while rendering:
                sent = time.perf_counter()
                assert (await health.get("/health")).status_code == 200
                probes.append((sent, (time.perf_counter() - sent) * 1000))
                await asyncio.sleep(0.005)

    # The probes time this test process too: a full collection of the whole suite's heap stalls
    # every probe at once for 50-100 ms (measured), which is the client's pause, not the server's.
    gc.disable()
    probers = [asyncio.create_task(probe()) for _ in range(PROBERS)]
    await asyncio.sleep(0.2)  # the probe is under way before the renders start
    renderers = served.descendants()  # the render processes (and multiprocessing's tracker)
    cpu_before = _cpu_seconds(renderers)
    started = time.perf_counter()
    try:
        generated = [await api.act(e, "generate_contract", p.vendor.admin_key) for e in engagements]
    finally:
        gc.enable()
    render_seconds = time.perf_counter() - started
    render_cpu = _cpu_seconds(renderers) - cpu_before
    rendering = False
    await asyncio.gather(*probers)
    assert [g.status_code for g in generated] == [200] * RENDERS, [g.text for g in generated]

    for e in engagements:
        contracts = await http.get(f"/api/v1/engagements/{e}/contracts", headers=bearer(p.vendor.admin_key))
        document = await http.get(
            f"/api/v1/contracts/{contracts.json()['items'][-1]['id']}/document",
            headers=bearer(p.vendor.admin_key),
        )
        assert document.status_code == 200
        assert len(document.content) > 50_000  # the whole proposal is in it

    during = [ms for sent, ms in probes if started <= sent <= started + render_seconds]
    # A render on the event loop would let hardly any probe through while it runs.
    assert len(during) >= 50, f"too few probes ({len(during)}) in {render_seconds:.2f}s of renders"
    p99 = statistics.quantiles(during, n=100, method="inclusive")[98]
    assert p99 < HEALTH_P99_MS, f"/health p99 {p99:.1f} ms during {render_seconds:.2f}s of renders"
    # A largest render costs 15-40 ms of CPU here: below the p99 bound even if it ran on the loop.
    # So the test also checks where the CPU went: into the render processes, not the server's.
    assert render_cpu >= 0.05, f"the render processes used only {render_cpu:.2f}s of CPU"


def _cpu_seconds(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            times = process.cpu_times()
            total += times.user + times.system
    return total


def _half_open_connections(base: str, count: int) -> list[socket.socket]:
    host, port = base.removeprefix("http://").split(":")
    sockets = []
    for i in range(count):
        s = socket.create_connection((host, int(port)), timeout=5)
        if i % 2:  # half send an unfinished request, half nothing at all
            s.sendall(b"GET /health HTTP/1.1\r\nHost: jointip\r\nX-Slow: ")
        sockets.append(s)
    return sockets


def _closed_by_server(s: socket.socket) -> bool:
    s.settimeout(0.5)
    try:
        return s.recv(1024) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False


@pytest.fixture
def half_open(served: Served) -> Iterator[list[socket.socket]]:
    sockets = _half_open_connections(served.base, 300)
    yield sockets
    for s in sockets:
        s.close()


def test_connections_with_unfinished_headers_are_closed_after_the_header_timeout(
    served: Served, half_open: list[socket.socket]
) -> None:
    opened = time.monotonic()
    # The server still answers others meanwhile.
    assert httpx.get(served.base + "/health", timeout=5).status_code == 200
    time.sleep(max(0.0, HEADER_TIMEOUT + 2 - (time.monotonic() - opened)))
    still_open = [s for s in half_open if not _closed_by_server(s)]
    assert still_open == [], f"{len(still_open)} of 300 slow connections still open"
    assert httpx.get(served.base + "/health", timeout=5).status_code == 200


async def test_renders_work_with_several_workers_and_leave_no_process_behind(
    tmp_path: Path, db: asyncpg.Connection, database_url: str
) -> None:
    """``--workers 2``: each worker renders in its own pool; SIGTERM ends every process of the tree."""
    async with fresh_database(db, database_url) as url:
        server = Served(base_env(DATABASE_URL=url), tmp_path / "workers.log", ("--workers", "2")).start()
        try:
            await asyncio.to_thread(server.wait_ready)
            assert server.proc is not None
            async with httpx.AsyncClient(base_url=server.base, timeout=60) as http:
                api = EngagementApi(http)  # type: ignore[arg-type]
                p = await api.parties()
                for _ in range(4):  # fresh connections: the kernel spreads them over the workers
                    e = await api.to_terms_agreed(p)
                    async with httpx.AsyncClient(base_url=server.base, timeout=60) as fresh:
                        generated = await fresh.post(
                            f"/api/v1/engagements/{e['id']}/actions/generate_contract",
                            json={},
                            headers=bearer(p.vendor.admin_key) | {"Connection": "close"},
                        )
                    assert generated.status_code == 200, generated.text
            tree = psutil.Process(server.proc.pid).children(recursive=True)
            renderers = [c for c in tree if "multiprocessing" in " ".join(c.cmdline())]
            assert len(renderers) >= 2, "each worker keeps a render process"
        finally:
            took = await asyncio.to_thread(server.terminate, 60)
        assert took < 15
        _, alive = psutil.wait_procs(tree, timeout=5)
        assert alive == [], f"left running after SIGTERM: {alive}"
