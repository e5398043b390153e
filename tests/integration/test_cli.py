"""The CLI's one-shot commands against the test server."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import asyncpg

from tests.integration.test_serve import JOINTIP
from tests.support.factories import EngagementApi, bearer


def run_cli(*args: str, database_url: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {
        "DATABASE_URL": database_url,
        **env,
    }
    return subprocess.run(
        [*JOINTIP, *args], env=environment, capture_output=True, text=True, timeout=120, check=False
    )


async def test_operator_key_is_printed_once_and_works(
    api: EngagementApi, database_url: str, db: asyncpg.Connection
) -> None:
    result = run_cli("operator-key", "--name", "Platform operator", database_url=database_url)
    assert result.returncode == 0, result.stderr
    key = result.stdout.strip().splitlines()[-1]
    assert key.startswith("jtp_")
    me = (await api.client.get("/api/v1/me", headers=bearer(key))).json()
    assert me["role"] == "operator"
    assert me["name"] == "Platform operator"
    assert await db.fetchval("select count(*) from api_keys where role = 'operator'") == 1


def test_migrate_is_idempotent(database_url: str) -> None:
    result = run_cli("migrate", database_url=database_url)
    assert result.returncode == 0, result.stderr
    assert "applied 0 migration(s)" in result.stdout


def test_bad_configuration_is_a_clear_error(database_url: str) -> None:
    result = run_cli("migrate", database_url=database_url, JOINTIP_PORT="eighty")
    assert result.returncode == 2
    assert "JOINTIP_PORT" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_lists_the_commands() -> None:
    result = subprocess.run([*JOINTIP, "--help"], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0
    for command in ("serve", "migrate", "operator-key"):
        assert command in result.stdout


async def test_demo_walks_an_engagement_to_completed(
    database_url: str, db: asyncpg.Connection, tmp_path: Path
) -> None:
    result = run_cli("demo", database_url=database_url, JOINTIP_DATA_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "chain valid" in result.stdout
    assert result.stdout.strip().endswith("is completed")
    assert await db.fetchval("select state from engagements") == "completed"
    assert await db.fetchval("select count(*) from signatures") == 2
    assert await db.fetchval("select count(*) from contract_versions") == 2
    assert await db.fetchval("select count(*) from milestones where state = 'paid'") == 3
    assert await db.fetchval("select count(*) from results_register") == 3
    for name in ("contract-v2.docx", "redline-v1-v2.docx", "results-schedule.docx"):
        assert (tmp_path / "demo" / name).read_bytes().startswith(b"PK")
    assert "VENDOR_KEY=jtp_" in (tmp_path / "demo.env").read_text()
    again = run_cli("demo", database_url=database_url, JOINTIP_DATA_DIR=str(tmp_path))  # fresh codes
    assert again.returncode == 0, again.stderr
    assert await db.fetchval("select count(*) from engagements where state = 'completed'") == 2
