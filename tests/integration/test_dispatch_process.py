"""`jointip dispatch` as its own process: a dispatcher killed between claim and send loses nothing;
and `jointip serve` stops with an event stream open."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import time
from pathlib import Path

import asyncpg
import httpx
import pytest
from standardwebhooks import Webhook

from service.webhooks import new_secret
from tests.integration.test_serve import JOINTIP, base_env, free_port, start_serve, wait_ready
from tests.support.factories import OPERATOR_KEY, EngagementApi, bearer
from tests.support.servers import Receiver, serving

pytestmark = [pytest.mark.slow, pytest.mark.once]


def start_dispatch(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([*JOINTIP, "dispatch"], env=env, stdout=out, stderr=out)


def read(log: Path) -> str:
    return log.read_text(errors="replace")


async def wait_for_line(log: Path, text: str, proc: subprocess.Popen[bytes], within: float = 30) -> None:
    deadline = time.monotonic() + within
    while text not in (seen := await asyncio.to_thread(read, log)):
        assert proc.poll() is None, seen
        assert time.monotonic() < deadline, seen
        await asyncio.sleep(0.05)


async def test_a_dispatcher_killed_between_claim_and_send_loses_nothing(
    api: EngagementApi, db: asyncpg.Connection, database_url: str, tmp_path: Path
) -> None:
    receiver = Receiver()
    p = await api.parties()
    secret = new_secret()
    env = base_env(DATABASE_URL=database_url, JOINTIP_WEBHOOK_ALLOW_PRIVATE="1")
    async with serving(receiver) as base:
        await db.execute(
            """insert into webhook_subscriptions (organisation_id, url, events, secret)
               values ($1, $2, '{engagement_created}', $3)""",
            p.vendor.id,
            f"{base}/h",
            secret,
        )
        slow_log = tmp_path / "slow.log"
        slow = start_dispatch(env | {"JOINTIP_TEST_PAUSE_AFTER_CLAIM_MS": "60000"}, slow_log)
        try:
            e = await api.create_engagement(p)
            message_id = await db.fetchval("select id from webhook_outbox")
            await wait_for_line(slow_log, f"claimed webhook message {message_id}", slow)
            slow.send_signal(signal.SIGKILL)
            slow.wait(10)
        finally:
            if slow.poll() is None:
                slow.kill()
        assert receiver.deliveries == []
        # The row survived the crash, unlocked, with no attempt counted.
        row = await db.fetchrow("select status, attempts from webhook_outbox where id = $1", message_id)
        assert row is not None
        assert (row["status"], row["attempts"]) == ("pending", 0)

        again_log = tmp_path / "again.log"
        again = start_dispatch(env, again_log)
        try:
            await receiver.wait_for(1, within=30)
            deadline = time.monotonic() + 10
            while await db.fetchval("select count(*) from webhook_outbox"):
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)
            again.send_signal(signal.SIGTERM)
            assert again.wait(30) == 0, read(again_log)
        finally:
            if again.poll() is None:
                again.kill()
    [delivery] = receiver.deliveries
    assert delivery.headers["webhook-id"] == f"msg_{message_id.hex}"
    payload = Webhook(secret).verify(delivery.body, delivery.headers)
    assert payload["data"]["engagement_id"] == e["id"]


async def test_serve_stops_on_sigterm_with_an_event_stream_open(database_url: str, tmp_path: Path) -> None:
    """A stream never ends by itself: the server still stops (uvicorn's graceful-shutdown bound)."""
    log = tmp_path / "serve.log"
    port = free_port()
    proc = start_serve(base_env(DATABASE_URL=database_url), port, log)
    base = f"http://127.0.0.1:{port}"
    try:
        await asyncio.to_thread(wait_ready, base, proc, log)
        async with (
            httpx.AsyncClient(timeout=60) as client,
            client.stream("GET", f"{base}/api/v1/events/stream", headers=bearer(OPERATOR_KEY)) as response,
        ):
            assert response.status_code == 200
            lines = response.aiter_lines()
            assert (await anext(lines)).startswith("id: ")
            proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(httpx.HTTPError, StopAsyncIteration):
                async for _ in lines:
                    pass
        assert await asyncio.to_thread(proc.wait, 30) == 0, read(log)
    finally:
        if proc.poll() is None:
            proc.kill()
