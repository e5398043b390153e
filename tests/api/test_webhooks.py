"""Webhooks: subscriptions, the outbox written with each audit event, and delivery by real
dispatchers to a real HTTP receiver on 127.0.0.1 (so private targets are allowed here)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient
from standardwebhooks import Webhook

from service import Settings, create_app
from service.audit import append_event
from service.dispatcher import Dispatcher
from service.notify import Notifications
from tests.support.factories import OPERATOR_KEY, EngagementApi, Parties, bearer
from tests.support.servers import Receiver, serving


@pytest.fixture(scope="module")
def private_settings(settings: Settings) -> Settings:
    return dataclasses.replace(
        settings, webhook_allow_private=True, webhook_retry_base_ms=50, webhook_max_attempts=3
    )


@pytest.fixture(scope="module")
async def local_api(private_settings: Settings, db: asyncpg.Connection) -> AsyncIterator[EngagementApi]:
    """The API of an app that accepts webhook URLs on 127.0.0.1 (its own dispatcher is off)."""
    async with AsyncTestClient(app=create_app(private_settings)) as client:
        yield EngagementApi(client)


@contextlib.asynccontextmanager
async def dispatching(settings: Settings, count: int = 1, concurrency: int = 4) -> AsyncIterator[None]:
    """``count`` dispatchers (each with its own listener, as separate processes would have)."""
    assert settings.database_url is not None
    tasks = []
    for _ in range(count):
        notifications = Notifications()
        tasks.append(asyncio.create_task(notifications.listen(settings.database_url)))
        dispatcher = Dispatcher(settings, notifications, concurrency=concurrency)
        tasks.append(asyncio.create_task(dispatcher.run(settings.database_url)))
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def until(db: asyncpg.Connection, query: str, within: float = 5.0) -> None:
    """Wait until ``query`` answers true."""
    deadline = time.monotonic() + within
    while not await db.fetchval(query):
        assert time.monotonic() < deadline, f"still false after {within} s: {query}"
        await asyncio.sleep(0.02)


async def subscribe(
    api: EngagementApi, key: str, url: str, events: list[str] | None = None
) -> dict[str, Any]:
    r = await api.client.post(
        "/api/v1/webhooks", json={"url": url, "events": events or ["*"]}, headers=bearer(key)
    )
    assert r.status_code == 201, r.text
    assert r.headers["location"] == f"/api/v1/webhooks/{r.json()['id']}"
    return dict(r.json())


async def test_an_action_reaches_the_receiver_signed_within_two_seconds(
    local_api: EngagementApi, private_settings: Settings
) -> None:
    receiver = Receiver()
    p = await local_api.parties()
    e = await local_api.create_engagement(p)
    async with serving(receiver) as base, dispatching(private_settings):
        hook = await subscribe(
            local_api, p.startup.admin_key, f"{base}/hooks/jointip", ["proposal_submitted"]
        )
        assert hook["secret"].startswith("whsec_")
        await local_api.propose(e["id"], p.vendor.admin_key)
        started = time.monotonic()
        r = await local_api.act(e["id"], "submit_proposal", p.vendor.admin_key)
        assert r.status_code == 200
        await receiver.wait_for(1, within=2.0)
        assert time.monotonic() - started < 2.0
    delivery = receiver.deliveries[0]
    assert delivery.path == "/hooks/jointip"
    payload = Webhook(hook["secret"]).verify(delivery.body, delivery.headers)
    assert payload["type"] == "proposal_submitted"
    assert payload["data"]["engagement_id"] == e["id"]
    assert payload["data"]["actor"]["organisation_id"] == p.vendor.id
    trail = (
        await local_api.client.get(
            f"/api/v1/engagements/{e['id']}/events", headers=bearer(p.vendor.admin_key)
        )
    ).json()["items"]
    assert payload["data"]["hash"] == trail[-1]["hash"]  # the audit event itself, not a copy of it
    # A wrong secret does not verify.
    with pytest.raises(Exception, match="signature"):
        Webhook("whsec_" + "A" * 43 + "=").verify(delivery.body, delivery.headers)
    assert len(receiver.deliveries) == 1  # only the subscribed type


async def test_a_failing_receiver_gets_the_message_again_until_it_answers(
    local_api: EngagementApi, private_settings: Settings, db: asyncpg.Connection
) -> None:
    receiver = Receiver(answers=[(500, {}), (503, {})])
    p = await local_api.parties()
    async with serving(receiver) as base, dispatching(private_settings):
        await subscribe(local_api, p.vendor.admin_key, f"{base}/h")
        await local_api.create_engagement(p)
        await receiver.wait_for(3)
        await until(db, "select count(*) = 0 from webhook_outbox")  # the 200 deleted the row
    ids = receiver.ids()
    assert len(set(ids)) == 1
    assert len(ids) == 3


async def test_the_last_failure_parks_a_message_and_requeuing_delivers_it(
    local_api: EngagementApi, private_settings: Settings
) -> None:
    receiver = Receiver(answers=[(500, {})] * 3)
    p = await local_api.parties()
    admin = bearer(p.vendor.admin_key)
    async with serving(receiver) as base, dispatching(private_settings):
        hook = await subscribe(local_api, p.vendor.admin_key, f"{base}/h", ["engagement_created"])
        e = await local_api.create_engagement(p)
        await receiver.wait_for(3)
        url = f"/api/v1/webhooks/{hook['id']}/messages"
        for _ in range(100):
            parked = (await local_api.client.get(url, params={"status": "parked"}, headers=admin)).json()
            if parked["items"]:
                break
            await asyncio.sleep(0.05)
        [message] = parked["items"]
        assert message["status"] == "parked"
        assert message["attempts"] == 3
        assert message["last_error"].startswith("HTTP 500")
        assert len(message["last_error"]) <= 500  # the 10 kB answer was not kept
        assert message["engagement_id"] == e["id"]
        assert message["event_type"] == "engagement_created"
        assert (await local_api.client.get(url, params={"status": "pending"}, headers=admin)).json()[
            "items"
        ] == []
        r = await local_api.client.post(f"{url}/{message['id']}/requeue", headers=admin)
        assert r.status_code == 200
        assert r.json()["status"] == "pending"
        assert r.json()["attempts"] == 0
        await receiver.wait_for(4)
        for _ in range(100):
            if not (await local_api.client.get(url, headers=admin)).json()["items"]:
                break
            await asyncio.sleep(0.05)
        assert (await local_api.client.get(url, headers=admin)).json()["items"] == []
    assert len(set(receiver.ids())) == 1


async def test_two_dispatchers_never_send_one_message_twice_at_once(
    local_api: EngagementApi, private_settings: Settings, db: asyncpg.Connection
) -> None:
    receiver = Receiver(delay=0.005)
    p = await local_api.parties()
    e = await local_api.create_engagement(p)
    async with serving(receiver) as base:
        await subscribe(local_api, p.vendor.admin_key, f"{base}/h", ["engagement_updated"])
        async with dispatching(private_settings, count=2):
            async with db.transaction():
                for i in range(200):
                    await append_event(db, e["id"], None, "engagement_updated", {"n": i})
            await receiver.wait_for(200, within=30)
            await asyncio.sleep(0.2)  # a duplicate would arrive now
    assert receiver.overlaps == []
    assert len(receiver.ids()) == len(set(receiver.ids())) == 200
    seqs = sorted(json.loads(d.body)["data"]["seq"] for d in receiver.deliveries)
    assert seqs == list(range(2, 202))


async def test_only_organisations_that_see_the_engagement_get_its_events(
    local_api: EngagementApi, db: asyncpg.Connection
) -> None:
    p = await local_api.parties()
    hooks = {
        who: await subscribe(local_api, org.admin_key, "http://127.0.0.1:9/h")
        for who, org in {
            "vendor": p.vendor,
            "startup": p.startup,
            "reviewer": p.reviewer,
            "stranger": p.stranger,
        }.items()
    }
    only_created = await subscribe(
        local_api, p.startup.admin_key, "http://127.0.0.1:9/h", ["engagement_created"]
    )
    e = await local_api.create_engagement(p)
    await local_api.propose(e["id"], p.vendor.admin_key)
    rows = await db.fetch("select subscription_id::text as s, event_type from webhook_outbox")
    by_hook: dict[str, list[str]] = {}
    for row in rows:
        by_hook.setdefault(row["s"], []).append(row["event_type"])
    for who in ("vendor", "startup", "reviewer"):
        assert sorted(by_hook[hooks[who]["id"]]) == ["engagement_created", "proposal_revision_created"]
    assert hooks["stranger"]["id"] not in by_hook
    assert by_hook[only_created["id"]] == ["engagement_created"]


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://localhost:8080/hook", "private"),
        ("http://127.0.0.1/hook", "private"),
        ("http://10.1.2.3/hook", "private"),
        ("http://169.254.169.254/latest/meta-data", "private"),
        ("http://[::1]:8080/hook", "private"),
        ("http://[::ffff:192.168.0.1]/hook", "private"),
        ("ftp://example.com/hook", "http or https"),
        ("https://user:pw@example.com/hook", "credentials"),
        ("not a url", "http or https"),
        ("http://no-such-host.invalid/hook", "does not resolve"),
    ],
)
async def test_a_target_that_is_not_public_is_refused(
    api: EngagementApi, db: asyncpg.Connection, url: str, why: str
) -> None:
    org = await api.create_org("vendor")
    r = await api.client.post(
        "/api/v1/webhooks", json={"url": url, "events": ["*"]}, headers=bearer(org.admin_key)
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    [error] = r.json()["errors"]
    assert error["field"] == "url"
    assert why in error["message"]
    assert await db.fetchval("select count(*) from webhook_subscriptions") == 0


async def test_private_targets_are_accepted_when_the_setting_allows_them(local_api: EngagementApi) -> None:
    org = await local_api.create_org("vendor")
    for url in ("http://localhost:8080/hook", "http://10.1.2.3/hook", "http://[::1]:8080/hook"):
        await subscribe(local_api, org.admin_key, url)
    r = await local_api.client.post(
        "/api/v1/webhooks",
        json={"url": "ftp://localhost/hook", "events": ["*"]},
        headers=bearer(org.admin_key),
    )
    assert r.status_code == 422  # the scheme is still checked


async def test_the_address_is_checked_again_when_sending(
    local_api: EngagementApi, private_settings: Settings
) -> None:
    """A subscription made while private targets were allowed is not sent to once they are not."""
    receiver = Receiver()
    p = await local_api.parties()
    strict = dataclasses.replace(private_settings, webhook_allow_private=False)
    async with serving(receiver) as base, dispatching(strict):
        hook = await subscribe(local_api, p.vendor.admin_key, f"{base}/h", ["engagement_created"])
        await local_api.create_engagement(p)
        url = f"/api/v1/webhooks/{hook['id']}/messages"
        for _ in range(200):
            items = (
                await local_api.client.get(
                    url, params={"status": "parked"}, headers=bearer(p.vendor.admin_key)
                )
            ).json()["items"]
            if items:
                break
            await asyncio.sleep(0.05)
    assert "private, loopback or link-local" in items[0]["last_error"]
    assert receiver.deliveries == []


async def test_a_redirect_is_a_failed_attempt_and_is_not_followed(
    local_api: EngagementApi, private_settings: Settings
) -> None:
    elsewhere = Receiver()
    async with serving(elsewhere) as other:
        receiver = Receiver(answers=[(307, {"location": f"{other}/stolen"})] * 3)
        p = await local_api.parties()
        async with serving(receiver) as base, dispatching(private_settings):
            hook = await subscribe(local_api, p.vendor.admin_key, f"{base}/h", ["engagement_created"])
            await local_api.create_engagement(p)
            await receiver.wait_for(3)
            url = f"/api/v1/webhooks/{hook['id']}/messages"
            for _ in range(100):
                items = (await local_api.client.get(url, headers=bearer(p.vendor.admin_key))).json()["items"]
                if items and items[0]["status"] == "parked":
                    break
                await asyncio.sleep(0.05)
    assert elsewhere.deliveries == []
    assert "redirect" in items[0]["last_error"]
    assert "not followed" in items[0]["last_error"]


async def test_a_rotated_secret_signs_beside_the_old_one(
    local_api: EngagementApi, private_settings: Settings
) -> None:
    receiver = Receiver()
    p = await local_api.parties()
    async with serving(receiver) as base, dispatching(private_settings):
        hook = await subscribe(local_api, p.vendor.admin_key, f"{base}/h", ["engagement_created"])
        r = await local_api.client.post(
            f"/api/v1/webhooks/{hook['id']}/rotate-secret", headers=bearer(p.vendor.admin_key)
        )
        assert r.status_code == 200, r.text
        rotated = r.json()
        assert rotated["secret"] != hook["secret"]
        assert rotated["previous_secret_until"] is not None
        await local_api.create_engagement(p)
        await receiver.wait_for(1)
    delivery = receiver.deliveries[0]
    assert len(delivery.headers["webhook-signature"].split(" ")) == 2
    Webhook(hook["secret"]).verify(delivery.body, delivery.headers)
    Webhook(rotated["secret"]).verify(delivery.body, delivery.headers)


async def test_who_may_manage_webhooks(api: EngagementApi, db: asyncpg.Connection) -> None:
    p: Parties = await api.parties()
    member = await api.create_key(p.vendor.id, "member", p.vendor.admin_key)
    body = {"url": "https://example.com/hook", "events": ["*"]}
    for key in (member, OPERATOR_KEY):
        r = await api.client.post("/api/v1/webhooks", json=body, headers=bearer(key))
        assert r.status_code == 403, r.text
        assert (await api.client.get("/api/v1/webhooks", headers=bearer(key))).status_code == 403
    assert await db.fetchval("select count(*) from webhook_subscriptions") == 0
    r = await api.client.post(
        "/api/v1/webhooks",
        json={
            "url": "https://example.com/h",
            "events": ["nope", "*", "engagement_created", "engagement_created"],
        },
        headers=bearer(p.vendor.admin_key),
    )
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["events.0", "events.1", "events.3"]
    hook = await subscribe(api, p.vendor.admin_key, "https://93.184.215.14/hook", ["engagement_created"])
    listed = (await api.client.get("/api/v1/webhooks", headers=bearer(p.vendor.admin_key))).json()
    assert [h["id"] for h in listed["items"]] == [hook["id"]]
    assert "secret" not in listed["items"][0]
    one = (await api.client.get(f"/api/v1/webhooks/{hook['id']}", headers=bearer(p.vendor.admin_key))).json()
    assert one["events"] == ["engagement_created"]
    assert "secret" not in one
    assert (await api.client.get("/api/v1/webhooks", headers=bearer(p.startup.admin_key))).json()[
        "items"
    ] == []
    r = await api.client.get(
        f"/api/v1/webhooks/{hook['id']}/messages",
        params={"status": "lost"},
        headers=bearer(p.vendor.admin_key),
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "status"
    r = await api.client.delete(f"/api/v1/webhooks/{hook['id']}", headers=bearer(member))
    assert r.status_code == 403
    r = await api.client.delete(f"/api/v1/webhooks/{hook['id']}", headers=bearer(p.vendor.admin_key))
    assert r.status_code == 204
    assert (
        await api.client.get(f"/api/v1/webhooks/{hook['id']}", headers=bearer(p.vendor.admin_key))
    ).status_code == 404


async def test_metrics_expose_the_outbox_dispatch_and_stream_series(
    local_api: EngagementApi, private_settings: Settings
) -> None:
    receiver = Receiver(answers=[(500, {})])
    p = await local_api.parties()
    async with serving(receiver) as base, dispatching(private_settings):
        await subscribe(local_api, p.vendor.admin_key, f"{base}/h", ["engagement_created"])
        before = await _metrics(local_api)
        await local_api.create_engagement(p)
        await receiver.wait_for(2)
        await asyncio.sleep(0.1)
        after = await _metrics(local_api)
    assert after['jointip_webhook_dispatch_attempts_total{outcome="delivered"}'] == (
        before['jointip_webhook_dispatch_attempts_total{outcome="delivered"}'] + 1
    )
    assert after['jointip_webhook_dispatch_attempts_total{outcome="failed"}'] == (
        before['jointip_webhook_dispatch_attempts_total{outcome="failed"}'] + 1
    )
    assert 'jointip_webhook_outbox_depth{status="pending"}' in after
    assert 'jointip_webhook_outbox_depth{status="parked"}' in after
    assert "jointip_event_stream_clients" in after


async def _metrics(api: EngagementApi) -> dict[str, float]:
    text = (await api.client.get("/metrics")).text
    values = {}
    for line in text.splitlines():
        if line.startswith("jointip_") and " " in line:
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values
