"""One benchmark run: start everything, run every scenario side by side, write the results.

Ratios only compare numbers taken in the same run on the same machine. Durations and sizes come
from ``Plan`` (``--quick`` for a smoke run in under three minutes on two cores).
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from benchmarks import docx_reference, seed
from benchmarks.load import Connection, LoadResult, drive, get_load, percentiles, wrk_available
from benchmarks.processes import Server, asgi_app, jointip, migrated_database
from contract_templates.samples import sample_contract

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "latest.json"


@dataclass(frozen=True)
class Plan:
    seconds: float  # per load run
    connections: int  # for GET loads
    writers: int  # concurrent clients of the write scenarios
    list_sizes: tuple[int, int]
    list_samples: int  # sequential requests per list measurement
    render_runs: int
    docx_seconds: float

    @staticmethod
    def of(quick: bool) -> Plan:
        if quick:
            return Plan(4, 16, 8, (10_000, 200_000), 150, 8, 4)
        return Plan(15, 32, 8, (10_000, 1_000_000), 600, 40, 15)


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_tool": "wrk" if wrk_available() else "asyncio client",
    }


def _pgbench() -> str:
    import pgserver

    bundled = Path(pgserver.__file__).parent / "pginstall" / "bin" / "pgbench"
    return str(bundled) if bundled.exists() else (shutil.which("pgbench") or "pgbench")


def pgbench(
    database_url: str, script: Path, *, clients: int, seconds: float, variables: dict[str, str]
) -> dict[str, Any]:
    """pgbench running ``script`` (prepared statements) against the same server."""
    parts = urlsplit(database_url)
    host = parse_qs(parts.query).get("host", [parts.hostname or "127.0.0.1"])[0]
    args = [
        _pgbench(),
        "-n",
        "-M",
        "prepared",
        "-c",
        str(clients),
        "-j",
        str(min(clients, 2)),
        "-T",
        str(int(seconds)),
    ]
    args += ["-h", host, "-U", parts.username or "postgres", "-f", str(script)]
    args += [f"-D{k}={v}" for k, v in variables.items()]
    out = subprocess.run(
        [*args, (parts.path or "/postgres").lstrip("/") or "postgres"], capture_output=True, text=True
    )
    if out.returncode != 0:
        raise RuntimeError(f"pgbench failed: {out.stderr}")
    tps = float(
        next(line.split("=")[1].split()[0] for line in out.stdout.splitlines() if line.startswith("tps"))
    )
    failed = next((line for line in out.stdout.splitlines() if "failed" in line), "")
    return {"tps": round(tps, 1), "clients": clients, "failed": failed.strip()}


@contextmanager
def _cpu(server: Server, out: dict[str, Any], requests: Any) -> Iterator[None]:
    """Add the server's CPU seconds per request of the block to ``out``."""
    before = server.cpu_seconds()
    yield
    used = server.cpu_seconds() - before
    count = requests()
    out["cpu_ms_per_request"] = round(used * 1000 / count, 3) if count else None


class Run:
    def __init__(self, quick: bool, database_url: str, logs: Path, stack: ExitStack) -> None:
        self.plan = Plan.of(quick)
        self.quick = quick
        self.database_url = database_url
        self.logs = logs
        self.stack = stack
        self.scenarios: dict[str, Any] = {}
        self.ratios: dict[str, float | None] = {}
        self.one = stack.enter_context(jointip(database_url, 1, logs))
        self.client = stack.enter_context(httpx.Client(base_url=self.one.base, timeout=60))
        self.parties = seed.parties(self.client)
        self.engagement = seed.create_engagement(self.client, self.parties)
        self.get_path = f"/api/v1/engagements/{self.engagement}"

    def say(self, text: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)

    def get(
        self,
        server: Server,
        path: str | None = None,
        connections: int | None = None,
        seconds: float | None = None,
    ) -> dict[str, Any]:
        result: dict[str, Any] = {}
        load: list[LoadResult] = []
        with _cpu(server, result, lambda: load[0].requests if load else 0):
            load.append(
                get_load(
                    server.base,
                    path or self.get_path,
                    self.parties.vendor.auth,
                    clients=connections or self.plan.connections,
                    seconds=seconds or self.plan.seconds,
                )
            )
        return {**load[0].as_dict(), **result}

    # --- scenarios ---------------------------------------------------------------------------

    def get_vs_plaintext(self) -> None:
        self.say("get_vs_plaintext")
        plain = self.stack.enter_context(
            asgi_app("plaintext", "benchmarks.peers.plaintext:create_app", self.logs)
        )
        ours = self.get(self.one)
        reference = self.get(plain, "/plaintext")
        self.scenarios["get_vs_plaintext"] = {"jointip_get_engagement": ours, "litestar_plaintext": reference}
        self.ratios["get_vs_plaintext"] = round(ours["rps"] / reference["rps"], 3)
        for path, name in (
            ("/health", "jointip_health"),
            ("/api/v1/workflow", "jointip_workflow"),
            ("/api/v1/me", "jointip_me"),
        ):
            self.scenarios["get_vs_plaintext"][name] = self.get(self.one, path)

    def get_vs_fastapi(self) -> None:
        self.say("get_vs_fastapi")
        peer = self.stack.enter_context(
            asgi_app(
                "fastapi",
                "benchmarks.peers.fastapi_peer:create_app",
                self.logs,
                {"DATABASE_URL": self.database_url},
            )
        )
        ours = self.get(self.one)
        theirs = self.get(peer)
        if theirs["statuses"].get("200", 0) != theirs["requests"]:
            raise RuntimeError(f"the FastAPI peer did not answer 200: {theirs}")
        self.scenarios["get_vs_fastapi"] = {"jointip": ours, "fastapi_sqlalchemy_pydantic": theirs}
        self.ratios["get_vs_fastapi"] = round(ours["rps"] / theirs["rps"], 3)

    def writes(self) -> None:
        self.say("write_vs_pgbench")
        p = self.parties
        body = json.dumps(seed.engagement_body(p)).encode()
        headers = {**p.vendor.auth, "Content-Type": "application/json"}

        async def create(conn: Connection, _: int) -> int:
            return (await conn.request("POST", "/api/v1/engagements", headers, body))[0]

        result: dict[str, Any] = {}
        load: list[LoadResult] = []
        with _cpu(self.one, result, lambda: load[0].requests if load else 0):
            load.append(
                asyncio.run(
                    drive(self.one.base, create, clients=self.plan.writers, seconds=self.plan.seconds)
                )
            )
        database = pgbench(
            self.database_url,
            HERE / "pgbench" / "create_engagement.sql",
            clients=self.plan.writers,
            seconds=self.plan.seconds,
            variables={"vendor": p.vendor.id, "startup": p.startup.id, "reviewer": p.reviewer.id},
        )
        self.scenarios["write_vs_pgbench"] = {
            "jointip_create": {**load[0].as_dict(), **result},
            "pgbench": database,
        }
        self.ratios["write_vs_pgbench"] = round(load[0].rps / database["tps"], 3)

    def transitions(self) -> None:
        self.say("transition_vs_pgbench (walking engagements to in_development)")
        p, clients = self.parties, self.plan.writers
        owned = [seed.in_development(self.client, p) for _ in range(clients)]
        reason = json.dumps({"reason": "benchmark"}).encode()
        headers = {**p.vendor.auth, "Content-Type": "application/json"}
        disputed = [False] * clients

        async def flip(conn: Connection, index: int) -> int:
            action = "resolve_dispute" if disputed[index] else "raise_dispute"
            status = (
                await conn.request(
                    "POST", f"/api/v1/engagements/{owned[index]}/actions/{action}", headers, reason
                )
            )[0]
            if status == 200:
                disputed[index] = not disputed[index]
            return status

        result: dict[str, Any] = {}
        load: list[LoadResult] = []
        with _cpu(self.one, result, lambda: load[0].requests if load else 0):
            load.append(asyncio.run(drive(self.one.base, flip, clients=clients, seconds=self.plan.seconds)))
        database = (
            pgbench(
                self.database_url,
                HERE / "pgbench" / "transition.sql",
                clients=clients,
                seconds=self.plan.seconds,
                variables={},
            )
            if self._targets(owned)
            else {}
        )

        hot = owned[0]
        state = {"disputed": disputed[0]}

        async def contend(conn: Connection, _: int) -> int:
            action = "resolve_dispute" if state["disputed"] else "raise_dispute"
            status = (
                await conn.request("POST", f"/api/v1/engagements/{hot}/actions/{action}", headers, reason)
            )[0]
            if status == 200:
                state["disputed"] = not state["disputed"]
            return status

        contention = asyncio.run(drive(self.one.base, contend, clients=clients, seconds=self.plan.seconds))
        ok = contention.statuses.get(200, 0)
        self.scenarios["transition_vs_pgbench"] = {
            "jointip_action": {**load[0].as_dict(), **result},
            "pgbench": database,
            "one_hot_engagement": {
                **contention.as_dict(),
                "successful_per_second": round(ok / contention.seconds, 1),
                "conflict_rate": round(contention.statuses.get(409, 0) / max(contention.requests, 1), 3),
            },
        }
        self.ratios["transition_vs_pgbench"] = round(load[0].rps / database["tps"], 3)

    def _targets(self, owned: list[str]) -> bool:
        """pgbench's own engagements in in_development, one per client, like the HTTP clients'."""
        import asyncpg

        async def make() -> None:
            conn = await asyncpg.connect(self.database_url)
            try:
                await conn.execute(
                    "create table if not exists bench_targets (n integer primary key, id uuid not null)"
                )
                await conn.execute("truncate bench_targets")
                for n in range(1, len(owned) + 1):
                    eid = seed.create_engagement(self.client, self.parties)
                    await conn.execute("update engagements set state = 'in_development' where id = $1", eid)
                    await conn.execute("insert into bench_targets values ($1, $2)", n, eid)
            finally:
                await conn.close()

        asyncio.run(make())
        return True

    def list_latency_growth(self) -> None:
        small, large = self.plan.list_sizes
        self.say(f"list_latency_growth (seeding {small:,} and {large:,} engagements)")
        measured: dict[str, Any] = {}
        for size in (small, large):
            p = seed.parties(self.client)
            asyncio.run(seed.bulk_engagements(self.database_url, p, size))
            deep = asyncio.run(seed.deep_cursor(self.database_url, p.vendor.id, size - 60))
            for page, query in (("first", "?limit=50"), ("deep", f"?limit=50&cursor={deep}")):
                measured[f"{page}_page_{size}"] = self._sequential(
                    f"/api/v1/engagements{query}", p.vendor.auth
                )
        growth = max(
            measured[f"{page}_page_{large}"]["p99"] / measured[f"{page}_page_{small}"]["p99"]
            for page in ("first", "deep")
        )
        self.scenarios["list_latency_growth"] = {"sizes": [small, large], "latency_ms": measured}
        self.ratios["list_latency_growth"] = round(growth, 3)

    def _sequential(self, path: str, headers: dict[str, str]) -> dict[str, float]:
        samples = []
        for _ in range(self.plan.list_samples):
            start = time.perf_counter()
            response = self.client.get(path, headers=headers)
            samples.append((time.perf_counter() - start) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"GET {path} -> {response.status_code}")
        return {k: round(v, 3) for k, v in percentiles(samples).items()}

    def docx(self) -> None:
        self.say("docx_vs_docxtpl_speedup and docx_workers_2_vs_1")
        in_process = docx_reference.compare(sample_contract(10), self.plan.render_runs)
        eid = seed.in_development(self.client, self.parties)
        path = f"/api/v1/engagements/{eid}/results?format=docx"
        one = self.get(self.one, path, connections=4, seconds=self.plan.docx_seconds)
        two_server = self.stack.enter_context(jointip(self.database_url, 2, self.logs))
        two = self.get(two_server, path, connections=4, seconds=self.plan.docx_seconds)
        self.scenarios["docx"] = {
            "in_process": in_process,
            "http_results_schedule": {"workers_1": one, "workers_2": two},
        }
        self.ratios["docx_vs_docxtpl_speedup"] = round(in_process["docxtpl_ms"] / in_process["jointip_ms"], 3)
        self.ratios["docx_workers_2_vs_1"] = round(two["rps"] / one["rps"], 3)
        self.docx_path = path

    def get_with_render(self) -> None:
        self.say("get_p99_with_render_vs_without")
        without = self.get(self.one, connections=8)
        render_headers = self.parties.vendor.auth

        async def renders(stop: asyncio.Event) -> int:
            count = 0
            conn = Connection(self.one.base)
            while not stop.is_set():
                await conn.request("GET", self.docx_path, render_headers)
                count += 1
            await conn.close()
            return count

        async def together() -> tuple[LoadResult, int]:
            stop = asyncio.Event()
            background = [asyncio.create_task(renders(stop)) for _ in range(2)]
            loop = asyncio.get_running_loop()
            load = await loop.run_in_executor(
                None,
                lambda: get_load(
                    self.one.base,
                    self.get_path,
                    self.parties.vendor.auth,
                    clients=8,
                    seconds=self.plan.seconds,
                ),
            )
            stop.set()
            return load, sum(await asyncio.gather(*background))

        with_render, rendered = asyncio.run(together())
        self.scenarios["get_p99_with_render_vs_without"] = {
            "without": without,
            "with_2_concurrent_renders": {**with_render.as_dict(), "renders": rendered},
        }
        self.ratios["get_p99_with_render_vs_without"] = round(
            with_render.latencies_ms["p99"] / without["latency_ms"]["p99"], 3
        )

    def workers(self) -> None:
        self.say("workers_2_vs_1")
        two_server = self.stack.enter_context(jointip(self.database_url, 2, self.logs))
        one = self.get(self.one)
        two = self.get(two_server)
        self.scenarios["workers_2_vs_1"] = {"workers_1": one, "workers_2": two}
        self.ratios["workers_2_vs_1"] = round(two["rps"] / one["rps"], 3)


def run(quick: bool, only: list[str] | None = None) -> dict[str, Any]:
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="jointip-bench-") as tmp, ExitStack() as stack:
        logs = Path(tmp) / "logs"
        logs.mkdir()
        database_url = stack.enter_context(migrated_database(Path(tmp)))
        run = Run(quick, database_url, logs, stack)
        steps = [
            run.get_vs_plaintext,
            run.get_vs_fastapi,
            run.writes,
            run.transitions,
            run.list_latency_growth,
            run.docx,
            run.get_with_render,
            run.workers,
        ]
        for step in steps:
            if (
                only
                and step.__name__ not in only
                and not (step.__name__ == "get_with_render" and "docx" in only)
            ):
                continue
            step()
        result = {
            "machine": {**machine(), "quick": quick, "seconds": round(time.time() - started, 1)},
            "plan": asdict(run.plan),
            "scenarios": run.scenarios,
            "ratios": run.ratios,
        }
    return result
