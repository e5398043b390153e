"""Data for the scenarios: organisations, keys and engagements through the API, bulk rows by SQL.

Everything a scenario reads or changes is created through jointip's own API, so it is valid in
every respect; only the large list sizes are written with one SQL statement each (through the API
they would take hours), in the shape ``db/engagements.py`` writes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg
import httpx
import msgspec

from benchmarks.processes import BOOTSTRAP_KEY
from contract_templates.samples import sample_proposal
from service.demo import random_registration_code

_NUMBERS = msgspec.json.Encoder(decimal_format="number")


@dataclass(frozen=True)
class Org:
    id: str
    key: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


@dataclass(frozen=True)
class Parties:
    vendor: Org
    startup: Org
    reviewer: Org


def _ok(response: httpx.Response, status: int = 200) -> Any:
    if response.status_code != status:
        raise RuntimeError(
            f"{response.request.method} {response.request.url} -> {response.status_code}: {response.text}"
        )
    return response.json()


def organisation(client: httpx.Client, kind: str, name: str, country: str) -> Org:
    operator = {"Authorization": f"Bearer {BOOTSTRAP_KEY}"}
    body = {
        "name": name,
        "kind": kind,
        "country": country,
        "registration_code": random_registration_code(country),
    }
    org = _ok(client.post("/api/v1/organisations", json=body, headers=operator), 201)
    key = _ok(
        client.post(
            f"/api/v1/organisations/{org['id']}/api-keys",
            json={"name": "bench", "role": "admin"},
            headers=operator,
        ),
        201,
    )
    return Org(org["id"], key["key"])


def parties(client: httpx.Client) -> Parties:
    return Parties(
        vendor=organisation(client, "vendor", "Bench Kodas UAB", "LT"),
        startup=organisation(client, "startup", "Bench Fintech AS", "NO"),
        reviewer=organisation(client, "legal", "Bench Teisė UAB", "LT"),
    )


def engagement_body(p: Parties) -> dict[str, Any]:
    return {
        "vendor_id": p.vendor.id,
        "startup_id": p.startup.id,
        "reviewer_id": p.reviewer.id,
        "title": "Benchmark payments MVP",
        "summary": "An engagement created by the benchmark harness.",
        "currency": "EUR",
    }


def create_engagement(client: httpx.Client, p: Parties) -> str:
    return str(
        _ok(client.post("/api/v1/engagements", json=engagement_body(p), headers=p.vendor.auth), 201)["id"]
    )


def _act(
    client: httpx.Client, eid: str, action: str, who: Org, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    result: dict[str, Any] = _ok(
        client.post(f"/api/v1/engagements/{eid}/actions/{action}", json=body or {}, headers=who.auth)
    )
    return result


def in_development(client: httpx.Client, p: Parties) -> str:
    """An engagement walked through the whole contract workflow to ``in_development``."""
    eid = create_engagement(client, p)
    proposal = msgspec.json.decode(_NUMBERS.encode(sample_proposal(date(2026, 1, 5))))
    _ok(client.post(f"/api/v1/engagements/{eid}/proposals", json=proposal, headers=p.vendor.auth), 201)
    _act(client, eid, "submit_proposal", p.vendor)
    _act(client, eid, "accept_proposal", p.startup, {"revision": 1})
    _act(client, eid, "generate_contract", p.vendor)
    sha = _ok(client.get(f"/api/v1/engagements/{eid}/contracts", headers=p.vendor.auth))["items"][-1][
        "sha256"
    ]
    _act(client, eid, "submit_for_review", p.vendor)
    _act(client, eid, "approve", p.reviewer, {"document_sha256": sha})
    for who, name in ((p.vendor, "Rūta Jonaitė"), (p.startup, "Ola Nordmann")):
        _act(client, eid, "sign", who, {"document_sha256": sha, "signer_name": name, "signer_title": "CEO"})
    _act(client, eid, "start_development", p.vendor)
    return eid


async def bulk_engagements(database_url: str, p: Parties, count: int) -> None:
    """``count`` engagements between the two parties, with their party rows (the list's index)."""
    conn = await asyncpg.connect(database_url)
    try:
        async with conn.transaction():
            await conn.execute(
                """with made as (
                       insert into engagements (vendor_id, startup_id, title, summary, currency, created_at,
                                                updated_at)
                       select $1::uuid, $2::uuid, 'Bulk engagement ' || n, '', 'EUR',
                              clock_timestamp() - make_interval(secs => $3 - n),
                              clock_timestamp() - make_interval(secs => $3 - n)
                         from generate_series(1, $3::int) n
                       returning id, vendor_id, startup_id, created_at, updated_at)
                   insert into engagement_parties (organisation_id, engagement_id, party, created_at, updated_at)
                   select vendor_id, id, 'vendor', created_at, updated_at from made
                   union all
                   select startup_id, id, 'startup', created_at, updated_at from made""",
                p.vendor.id,
                p.startup.id,
                count,
            )
        # Measure the steady state, not the aftermath of the bulk insert: vacuum sets the visibility
        # map (index-only scans) and the checkpoint writes the dirty pages before any timing starts.
        await conn.execute("vacuum (analyze) engagements")
        await conn.execute("vacuum (analyze) engagement_parties")
        await conn.execute("checkpoint")
    finally:
        await conn.close()


async def deep_cursor(database_url: str, vendor_id: str, position: int) -> str:
    """The list cursor that starts a page ``position`` rows into the vendor's list."""
    from service.pagination import encode_cursor

    conn = await asyncpg.connect(database_url)
    try:
        row = await conn.fetchrow(
            """select created_at, engagement_id from engagement_parties where organisation_id = $1
                order by created_at, engagement_id offset $2 limit 1""",
            vendor_id,
            position,
        )
    finally:
        await conn.close()
    assert row is not None
    return encode_cursor(row["created_at"], row["engagement_id"])
