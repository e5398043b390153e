"""`jointip serve --workers 2`: /metrics adds up both workers; every log line is JSON with request ids."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from tests.integration.test_serve import base_env, serving
from tests.support.databases import fresh_database
from tests.support.factories import EngagementApi, bearer, walk_to_signed

FRESH = {"Connection": "close"}  # a new connection per request: the kernel picks the worker


def samples(text: str, name: str) -> Iterable[Sample]:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                yield sample


def health_count(text: str) -> float:
    return sum(s.value for s in samples(text, "jointip_requests_total") if s.labels.get("path") == "/health")


def log_lines(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


def health_pids(log: Path) -> set[int]:
    """The workers that answered /health, from their access lines."""
    return {
        line["pid"]
        for line in log_lines(log)
        if line["logger"] == "jointip.access" and line["path"] == "/health"
    }


@pytest.mark.slow
@pytest.mark.once
async def test_two_workers_metrics_add_up_and_log_lines_are_json(
    tmp_path: Path, db: asyncpg.Connection, database_url: str
) -> None:
    async with fresh_database(db, database_url) as url:
        log = tmp_path / "serve.log"
        with serving(base_env(DATABASE_URL=url), "--workers", "2", log=log) as (base, _):

            def health(_: int) -> int:
                return httpx.get(base + "/health", headers=FRESH, timeout=10).status_code

            sent = 0
            with ThreadPoolExecutor(8) as pool:
                for _ in range(20):  # until both workers have answered some (usually the first round)
                    assert set(pool.map(health, range(50))) == {200}
                    sent += 50
                    if len(health_pids(log)) >= 2:
                        break
            assert len(health_pids(log)) == 2  # both workers answered some
            async with httpx.AsyncClient(base_url=base, headers=FRESH) as client:
                for _ in range(4):  # whichever worker answers, it reports both workers' counts
                    assert health_count((await client.get("/metrics")).text) == sent

            async with httpx.AsyncClient(base_url=base, headers=FRESH, timeout=30) as client:
                api = EngagementApi(client)  # type: ignore[arg-type]
                p = await api.parties()
                eid = await walk_to_signed(api, p)
                assert (await api.act(eid, "start_development", p.vendor.admin_key)).status_code == 200
                for _ in range(6):
                    r = await client.get(
                        f"/api/v1/engagements/{eid}/results?format=docx", headers=bearer(p.vendor.admin_key)
                    )
                    assert r.status_code == 200, r.text
                missing = await client.get(
                    f"/api/v1/engagements/{uuid.uuid4()}", headers=bearer(p.vendor.admin_key)
                )
                assert missing.status_code == 404
                rid = missing.json()["request_id"]
                text = (await client.get("/metrics")).text
            renders = {s.labels["document"]: s.value for s in samples(text, "jointip_render_seconds_count")}
            assert renders == {"contract": 1, "results_schedule": 6}, renders
        lines = log_lines(log)
        assert lines, "the server wrote no log lines"
        with_rid = [line for line in lines if line.get("request_id") == rid]
        (access,) = with_rid if len(with_rid) == 1 else pytest.fail(str(with_rid))
        assert (access["logger"], access["status"], access["method"]) == ("jointip.access", 404, "GET")
        assert not [line for line in lines if line["logger"].startswith(("pgserver", "transitions"))]
