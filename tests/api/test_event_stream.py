"""The event feed: Server-Sent Events from a real server on 127.0.0.1, and the JSON pages."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest

from service import Settings, create_app
from service.audit import append_event
from service.auth import Caller
from service.feed import page
from tests.support.factories import OPERATOR_KEY, EngagementApi, bearer
from tests.support.servers import serving

ORIGIN = "https://app.fjordkode.example"


@pytest.fixture(scope="module")
async def base_url(settings: Settings, db: asyncpg.Connection) -> AsyncIterator[str]:
    """A served app (lifespan on: its pool and its one listening connection), keep-alive each second."""
    served = dataclasses.replace(settings, event_stream_keepalive_seconds=1, cors_origins=(ORIGIN,))
    async with serving(create_app(served), lifespan="on") as url:
        yield url


@dataclasses.dataclass
class Message:
    id: str | None
    data: dict[str, Any] | None
    comments: list[str]


class Stream:
    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.lines = response.aiter_lines()

    async def next(self, within: float = 5.0) -> Message:
        """The next message (id and/or data); comments before it are collected on it."""
        message = Message(None, None, [])
        async with asyncio.timeout(within):
            while True:
                line = await anext(self.lines)
                if line == "":
                    if message.id is not None or message.data is not None:
                        return message
                    continue
                field, _, value = line.partition(":")
                value = value.removeprefix(" ")
                if field == "":
                    message.comments.append(value)
                elif field == "id":
                    message.id = value
                elif field == "data":
                    message.data = json.loads(value)

    async def event(self, within: float = 5.0) -> Message:
        while True:
            message = await self.next(within)
            if message.data is not None:
                return message

    async def comment(self, within: float = 5.0) -> str:
        async with asyncio.timeout(within):
            while True:
                line = await anext(self.lines)
                if line.startswith(":"):
                    return line


@asynccontextmanager
async def stream(base_url: str, key: str, last_event_id: str | None = None) -> AsyncIterator[Stream]:
    headers = bearer(key) | ({"Last-Event-ID": last_event_id} if last_event_id else {})
    async with (
        httpx.AsyncClient(base_url=base_url, timeout=10) as client,
        client.stream("GET", "/api/v1/events/stream", headers=headers) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        s = Stream(response)
        first = await s.next()  # the starting position, so even a silent stream can be resumed
        assert first.id
        assert first.data is None
        yield s


async def test_a_connected_client_receives_an_action_within_one_second(
    api: EngagementApi, base_url: str
) -> None:
    p = await api.parties()
    e = await api.create_engagement(p)
    await api.propose(e["id"], p.vendor.admin_key)
    async with stream(base_url, p.startup.admin_key) as s:
        started = time.monotonic()
        assert (await api.act(e["id"], "submit_proposal", p.vendor.admin_key)).status_code == 200
        message = await s.event(within=1.0)
        assert time.monotonic() - started < 1.0
    assert message.data is not None
    assert message.data["type"] == "proposal_submitted"
    assert message.data["engagement_id"] == e["id"]
    assert message.data["cursor"] == message.id
    trail = (
        await api.client.get(f"/api/v1/engagements/{e['id']}/events", headers=bearer(p.startup.admin_key))
    ).json()["items"]
    assert {k: message.data[k] for k in trail[-1]} == trail[-1]  # the audit event, as the trail shows it


async def test_a_client_resumes_with_last_event_id_without_loss_or_repeats(
    api: EngagementApi, base_url: str
) -> None:
    p = await api.parties()
    async with stream(base_url, p.stranger.admin_key) as foreign:
        async with stream(base_url, p.vendor.admin_key) as s:
            first = await api.create_engagement(p)
            seen = await s.event()
            assert seen.data is not None
            assert seen.data["engagement_id"] == first["id"]
        missed = [await api.create_engagement(p, title=f"Engagement {i}") for i in range(5)]
        assert seen.id is not None
        async with stream(base_url, p.vendor.admin_key, last_event_id=seen.id) as again:
            got = [await again.event() for _ in range(5)]
            assert [m.data["engagement_id"] for m in got if m.data] == [e["id"] for e in missed]
            assert all(m.data and m.data["type"] == "engagement_created" for m in got)
            # Nothing else: the next thing on the stream is a keep-alive comment, not an event.
            comment = await again.comment(within=3.0)
            assert comment == ": keep-alive"
        # The foreign organisation's stream showed none of it; its own engagement it does see.
        own = await api.create_engagement(
            type(p)(p.stranger, p.startup, p.reviewer, p.vendor), title="Stranger's own"
        )
        message = await foreign.event()
        assert message.data is not None
        assert message.data["engagement_id"] == own["id"]


async def test_the_stream_works_through_cors_for_an_allowed_origin(base_url: str, api: EngagementApi) -> None:
    org = await api.create_org("vendor")
    async with httpx.AsyncClient(base_url=base_url) as client:
        preflight = await client.options(
            "/api/v1/events/stream",
            headers={
                "Origin": ORIGIN,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "authorization, last-event-id",
            },
        )
        assert preflight.status_code in (200, 204)
        assert preflight.headers["access-control-allow-origin"] == ORIGIN
        allowed = preflight.headers["access-control-allow-headers"].lower()
        assert "last-event-id" in allowed
        assert "authorization" in allowed
        async with client.stream(
            "GET", "/api/v1/events/stream", headers=bearer(org.admin_key) | {"Origin": ORIGIN}
        ) as response:
            assert response.status_code == 200
            assert response.headers["access-control-allow-origin"] == ORIGIN
        refused = await client.options(
            "/api/v1/events/stream",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
        )
        assert refused.headers.get("access-control-allow-origin") != "https://evil.example"


async def test_the_stream_counts_its_clients_in_metrics(api: EngagementApi, base_url: str) -> None:
    org = await api.create_org("vendor")

    async def clients() -> float:
        async with httpx.AsyncClient(base_url=base_url) as client:
            text = (await client.get("/metrics")).text
        return next(
            float(line.split()[-1])
            for line in text.splitlines()
            if line.startswith("jointip_event_stream_clients ")
        )

    before = await clients()
    async with stream(base_url, org.admin_key):
        assert await clients() == before + 1
    for _ in range(100):
        if await clients() == before:
            break
        await asyncio.sleep(0.02)
    assert await clients() == before


async def test_a_bad_cursor_is_a_422_naming_where_it_came_from(api: EngagementApi, base_url: str) -> None:
    org = await api.create_org("vendor")
    r = await api.client.get("/api/v1/events", params={"since": "nonsense"}, headers=bearer(org.admin_key))
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "since"
    async with httpx.AsyncClient(base_url=base_url) as client:
        r = await client.get(
            "/api/v1/events/stream", headers=bearer(org.admin_key) | {"Last-Event-ID": "WzEsMl0x"}
        )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "Last-Event-ID"


async def test_the_json_feed_pages_the_visible_events_in_order(api: EngagementApi) -> None:
    p = await api.parties()
    made = [await api.create_engagement(p, title=f"E{i}") for i in range(3)]
    key = bearer(p.reviewer.admin_key)
    for _ in range(100):  # an event waits while any older transaction of the cluster still runs
        everything = (await api.client.get("/api/v1/events", headers=key)).json()
        if len(everything["items"]) == 3:
            break
        await asyncio.sleep(0.02)
    first = (await api.client.get("/api/v1/events", params={"limit": 2}, headers=key)).json()
    assert [i["engagement_id"] for i in first["items"]] == [e["id"] for e in made[:2]]
    rest = (
        await api.client.get("/api/v1/events", params={"since": first["next_cursor"]}, headers=key)
    ).json()
    assert [i["engagement_id"] for i in rest["items"]] == [made[2]["id"]]
    idle = (await api.client.get("/api/v1/events", params={"since": rest["next_cursor"]}, headers=key)).json()
    assert idle == {"items": [], "next_cursor": rest["next_cursor"]}  # poll again from the same place
    for key in (bearer(p.stranger.admin_key), bearer(OPERATOR_KEY)):
        assert (await api.client.get("/api/v1/events", headers=key)).json()["items"] == []


async def test_an_event_that_commits_late_is_not_skipped(
    api: EngagementApi, db: asyncpg.Connection, database_url: str
) -> None:
    """Transactions take their positions in one order and commit in another: a cursor handed out
    after the later one committed must still lead to the earlier one once it commits."""
    p = await api.parties()
    a, b = await api.create_engagement(p), await api.create_engagement(p)
    caller = Caller(None, "reader", "admin", UUID(p.vendor.id))
    for _ in range(100):  # both creations are final (no older transaction of the cluster runs)
        so_far = await page(db, caller, since=None, limit=100)
        if len(so_far.items) == 2:
            break
        await asyncio.sleep(0.02)
    start = so_far.next_cursor
    slow = await asyncpg.connect(database_url)
    try:
        tx = slow.transaction()
        await tx.start()
        await append_event(slow, UUID(a["id"]), None, "engagement_updated", {"n": "slow"})
        async with db.transaction():
            await append_event(db, UUID(b["id"]), None, "engagement_updated", {"n": "fast"})
        held = await page(db, caller, since=start, limit=100)
        assert held.items == []  # the fast one waits behind the transaction still running
        await tx.commit()
    finally:
        await slow.close()
    for _ in range(100):  # until no other transaction of the cluster holds the horizon back
        after = await page(db, caller, since=start, limit=100)
        if len(after.items) == 2:
            break
        await asyncio.sleep(0.02)
    assert [(str(i.engagement_id), i.payload) for i in after.items] == [
        (a["id"], {"n": "slow"}),
        (b["id"], {"n": "fast"}),
    ]


async def test_a_revoked_key_s_stream_ends(api: EngagementApi, base_url: str) -> None:
    org = await api.create_org("vendor")
    member = await api.create_key(org.id, "member", org.admin_key)
    async with stream(base_url, member) as s:
        key_id = (await api.client.get("/api/v1/me", headers=bearer(member))).json()["key_id"]
        r = await api.client.delete(
            f"/api/v1/organisations/{org.id}/api-keys/{key_id}", headers=bearer(org.admin_key)
        )
        assert r.status_code == 200
        with pytest.raises(StopAsyncIteration):  # within the keep-alive interval (1 s here)
            await s.next(within=3.0)
