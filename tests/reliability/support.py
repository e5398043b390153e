"""What the reliability tests share: an engagement in development with every write route in reach,
the state of the database to prove a refusal changed nothing, and the routes' text fields."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx

from tests.support.factories import (
    OPERATOR_KEY,
    EngagementApi,
    Parties,
    bearer,
    delivery_body,
    engagement_body,
    organisation_body,
    proposal_body,
    walk_to_signed,
)

PROBLEM = "application/problem+json"


@dataclass
class World:
    """One engagement in development (m1 accepted, m2 in progress) and a draft one, with their parties."""

    api: EngagementApi
    p: Parties
    developing: str  # engagement id, in_development: m1 accepted (to pay), m2 in progress (to deliver)
    draft: str  # engagement id, draft, no proposal yet
    contract_id: str  # version 1 of the developing engagement

    async def etag(self, engagement_id: str) -> str:
        r = await self.api.client.get(
            f"/api/v1/engagements/{engagement_id}", headers=bearer(self.p.vendor.admin_key)
        )
        assert r.status_code == 200, r.text
        return str(r.headers["etag"])


async def make_world(api: EngagementApi) -> World:
    p = await api.parties()
    developing = await walk_to_signed(api, p)
    r = await api.act(developing, "start_development", p.vendor.admin_key)
    assert r.status_code == 200, r.text
    base = f"/api/v1/engagements/{developing}/milestones"
    steps = [
        ("m1/actions/start", p.vendor, {}),
        ("m1/deliveries", p.vendor, delivery_body()),
        ("m1/actions/submit", p.vendor, {}),
        ("m1/actions/accept", p.startup, {}),
        ("m2/actions/start", p.vendor, {}),
    ]
    for path, party, body in steps:
        r = await api.client.post(f"{base}/{path}", json=body, headers=bearer(party.admin_key))
        assert r.status_code in (200, 201), (path, r.text)
    contracts = await api.client.get(
        f"/api/v1/engagements/{developing}/contracts", headers=bearer(p.vendor.admin_key)
    )
    draft = await api.create_engagement(p)
    return World(api, p, developing, str(draft["id"]), str(contracts.json()["items"][-1]["id"]))


@dataclass(frozen=True)
class Route:
    """A write route: how to call it with a body, and a valid body to vary."""

    name: str
    method: str
    path: Callable[[World], str]
    key: Callable[[World], str]
    body: Callable[[World], dict[str, Any]]
    if_match: Callable[[World], str] | None = None  # which engagement's ETag to send

    async def call(
        self,
        w: World,
        *,
        json: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        sent = bearer(self.key(w)) | (headers or {})
        if self.if_match is not None and "If-Match" not in sent:
            sent["If-Match"] = await w.etag(self.if_match(w))
        if content is not None:
            sent.setdefault("content-type", "application/json")
            return await w.api.client.request(self.method, self.path(w), content=content, headers=sent)
        return await w.api.client.request(self.method, self.path(w), json=json, headers=sent)


def _payment(_: World) -> dict[str, Any]:
    return {"amount": 100, "paid_on": "2026-11-30", "reference": "INV-1"}


ROUTES: tuple[Route, ...] = (
    Route(
        "createOrganisation",
        "POST",
        lambda w: "/api/v1/organisations",
        lambda w: OPERATOR_KEY,
        lambda w: organisation_body("vendor"),
    ),
    Route(
        "createApiKey",
        "POST",
        lambda w: f"/api/v1/organisations/{w.p.vendor.id}/api-keys",
        lambda w: w.p.vendor.admin_key,
        lambda w: {"name": "Rūta Jonaitė", "role": "member"},
    ),
    Route(
        "createEngagement",
        "POST",
        lambda w: "/api/v1/engagements",
        lambda w: w.p.vendor.admin_key,
        lambda w: engagement_body(w.p.vendor, w.p.startup, w.p.reviewer),
    ),
    Route(
        "patchEngagement",
        "PATCH",
        lambda w: f"/api/v1/engagements/{w.draft}",
        lambda w: w.p.vendor.admin_key,
        lambda w: {"title": "Nordic payments MVP, phase 2", "summary": "More of it."},
        if_match=lambda w: w.draft,
    ),
    Route(
        "createProposal",
        "POST",
        lambda w: f"/api/v1/engagements/{w.draft}/proposals",
        lambda w: w.p.vendor.admin_key,
        lambda w: proposal_body(),
    ),
    Route(
        "fireAction",
        "POST",
        lambda w: f"/api/v1/engagements/{w.draft}/actions/withdraw",
        lambda w: w.p.vendor.admin_key,
        lambda w: {"reason": "The start-up found another vendor."},
    ),
    Route(
        "createDelivery",
        "POST",
        lambda w: f"/api/v1/engagements/{w.developing}/milestones/m2/deliveries",
        lambda w: w.p.vendor.admin_key,
        lambda w: delivery_body(),
    ),
    Route(
        "fireMilestoneAction",
        "POST",
        lambda w: f"/api/v1/engagements/{w.developing}/milestones/m1/actions/record_payment",
        lambda w: w.p.startup.admin_key,
        _payment,
    ),
    Route(
        "createWebhook",
        "POST",
        lambda w: "/api/v1/webhooks",
        lambda w: w.p.vendor.admin_key,
        lambda w: {"url": "https://93.184.216.34/hooks/jointip", "events": ["*"]},  # a public address
    ),
    Route(
        "createContractLink",
        "POST",
        lambda w: f"/api/v1/contracts/{w.contract_id}/links",
        lambda w: w.p.vendor.admin_key,
        lambda w: {"expires_in_days": 7},
    ),
)
ROUTE_BY_NAME = {r.name: r for r in ROUTES}


async def database_state(db: asyncpg.Connection) -> str:
    """Row counts of every table and every engagement's version, in one query: what a refused
    request must not move. The failed-authentication counters are left out (a refusal may count one)."""
    tables = await db.fetch(
        "select tablename from pg_tables where schemaname = 'public' "
        "and tablename not in ('schema_migrations', 'rate_counters') order by tablename"
    )
    counts = ", ".join(f"'{t['tablename']}', (select count(*) from \"{t['tablename']}\")" for t in tables)
    versions = "(select coalesce(json_agg(json_build_array(id, version) order by id), '[]') from engagements)"
    return str(await db.fetchval(f"select json_build_object({counts}, 'versions', {versions})::text"))


def problem_fields(r: httpx.Response, status: int | tuple[int, ...] = 422) -> list[str]:
    """Assert ``r`` is a problem with ``status`` and return the fields its errors name."""
    statuses = (status,) if isinstance(status, int) else status
    assert r.status_code in statuses, r.text
    assert r.headers["content-type"].startswith(PROBLEM), r.headers["content-type"]
    body = r.json()
    assert body["status"] == r.status_code
    return [e["field"] for e in body.get("errors", [])]


def nested(depth: int) -> bytes:
    """JSON arrays nested ``depth`` deep."""
    return b"[" * depth + b"]" * depth
