"""Factories for test data and a thin API helper, instead of copied dicts."""

from __future__ import annotations

import hashlib
import io
import itertools
import zipfile
from dataclasses import dataclass
from typing import Any

import httpx
import msgspec
from litestar.testing import AsyncTestClient

from tests.unit.workflows import factories as workflow_factories
from workflows.organisations import norwegian_check_digit

OPERATOR_KEY = "test-operator-key-0123456789"
_serial = itertools.count(10_000_000)


def norwegian_org_number() -> str:
    """A fresh, valid organisasjonsnummer (mod-11 check digit)."""
    while True:
        first = f"9{next(_serial) % 10_000_000:07d}"
        check = norwegian_check_digit(first)
        if check is not None:
            return first + str(check)


def lithuanian_company_code() -> str:
    return f"30{next(_serial) % 10_000_000:07d}"


def organisation_body(kind: str = "vendor", **over: Any) -> dict[str, Any]:
    if kind == "startup":
        base = {"name": "Fjordkode AS", "country": "NO", "registration_code": norwegian_org_number()}
    elif kind == "legal":
        base = {
            "name": "Teisė ir partneriai UAB",
            "country": "LT",
            "registration_code": lithuanian_company_code(),
        }
    else:
        base = {"name": "Šiaurės kodas UAB", "country": "LT", "registration_code": lithuanian_company_code()}
    return {
        **base,
        "kind": kind,
        "address": "Gedimino pr. 1, Vilnius" if base["country"] == "LT" else "Karl Johans gate 1, Oslo",
        "clusters": ["ICT"],
        **over,
    }


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@dataclass
class Org:
    id: str
    admin_key: str
    body: dict[str, Any]


@dataclass
class Api:
    client: AsyncTestClient  # type: ignore[type-arg]

    async def create_org(self, kind: str = "vendor", **over: Any) -> Org:
        body = organisation_body(kind, **over)
        r = await self.client.post("/api/v1/organisations", json=body, headers=bearer(OPERATOR_KEY))
        assert r.status_code == 201, r.text
        org_id = r.json()["id"]
        key = await self.create_key(org_id, "admin", OPERATOR_KEY)
        return Org(org_id, key, r.json())

    async def create_key(self, org_id: str, role: str, as_key: str, name: str = "Rūta Jonaitė") -> str:
        r = await self.client.post(
            f"/api/v1/organisations/{org_id}/api-keys",
            json={"name": name, "role": role},
            headers=bearer(as_key),
        )
        assert r.status_code == 201, r.text
        return str(r.json()["key"])


_NUMBERS = msgspec.json.Encoder(decimal_format="number")
MODELS = ("client_owns", "vendor_owns_licensed", "joint", "field_split", "lead_exploiter")


def proposal_body(model: str = "joint", milestones: int = 2, **over: Any) -> dict[str, Any]:
    """A valid proposal as the wire carries it (money as JSON numbers), built from the unit factories."""
    terms = getattr(workflow_factories, model)()
    p = workflow_factories.proposal(
        ip_terms=terms, milestones=tuple(workflow_factories.milestone(i) for i in range(milestones))
    )
    body: dict[str, Any] = msgspec.json.decode(_NUMBERS.encode(p))
    return {**body, **over}


def engagement_body(vendor: Org, startup: Org, reviewer: Org | None = None, **over: Any) -> dict[str, Any]:
    return {
        "vendor_id": vendor.id,
        "startup_id": startup.id,
        "reviewer_id": reviewer.id if reviewer else None,
        "title": "Nordic payments MVP",
        "summary": "A card-less payments MVP for a Norwegian fintech start-up.",
        "currency": "EUR",
        **over,
    }


@dataclass
class Parties:
    vendor: Org
    startup: Org
    reviewer: Org
    stranger: Org


class EngagementApi(Api):
    async def parties(self) -> Parties:
        return Parties(
            await self.create_org("vendor"),
            await self.create_org("startup"),
            await self.create_org("legal"),
            await self.create_org("vendor", name="Svetimas UAB"),
        )

    async def create_engagement(self, p: Parties, **over: Any) -> dict[str, Any]:
        r = await self.client.post(
            "/api/v1/engagements",
            json=engagement_body(p.vendor, p.startup, p.reviewer, **over),
            headers=bearer(p.vendor.admin_key),
        )
        assert r.status_code == 201, r.text
        return dict(r.json())

    async def propose(
        self, engagement_id: str, key: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        r = await self.client.post(
            f"/api/v1/engagements/{engagement_id}/proposals",
            json=body or proposal_body(),
            headers=bearer(key),
        )
        assert r.status_code == 201, r.text
        return dict(r.json())

    async def act(
        self,
        engagement_id: str,
        action: str,
        key: str,
        body: dict[str, Any] | None = None,
        if_match: str | None = None,
    ) -> httpx.Response:
        headers = bearer(key) | ({"If-Match": if_match} if if_match else {})
        return await self.client.post(
            f"/api/v1/engagements/{engagement_id}/actions/{action}", json=body or {}, headers=headers
        )

    async def to_terms_agreed(
        self, p: Parties, body: dict[str, Any] | None = None, **engagement: Any
    ) -> dict[str, Any]:
        """A new engagement whose proposal (``body``, else the default) the start-up accepted."""
        e = await self.create_engagement(p, **engagement)
        await self.propose(e["id"], p.vendor.admin_key, body)
        assert (await self.act(e["id"], "submit_proposal", p.vendor.admin_key)).status_code == 200
        r = await self.act(e["id"], "accept_proposal", p.startup.admin_key, {"revision": 1})
        assert r.status_code == 200, r.text
        return dict(r.json())

    async def generated_document_xml(self, engagement_id: str, key: str) -> str:
        """Generate the engagement's contract as ``key``'s party; its ``word/document.xml``."""
        r = await self.act(engagement_id, "generate_contract", key)
        assert r.status_code == 200, r.text
        versions = await self.client.get(
            f"/api/v1/engagements/{engagement_id}/contracts", headers=bearer(key)
        )
        cid = versions.json()["items"][-1]["id"]
        document = await self.client.get(f"/api/v1/contracts/{cid}/document", headers=bearer(key))
        assert document.status_code == 200, document.text
        return zipfile.ZipFile(io.BytesIO(document.content)).read("word/document.xml").decode()


async def walk_to_approved(
    api: EngagementApi, p: Parties, body: dict[str, Any] | None = None
) -> tuple[str, dict[str, Any]]:
    """terms_agreed -> contract_drafted -> in_review -> approved; returns (engagement id, contract metadata)."""
    e = await api.to_terms_agreed(p, body)
    r = await api.act(e["id"], "generate_contract", p.startup.admin_key)
    assert r.status_code == 200, r.text
    contract = (
        await api.client.get(f"/api/v1/engagements/{e['id']}/contracts", headers=bearer(p.vendor.admin_key))
    ).json()["items"][-1]
    assert (await api.act(e["id"], "submit_for_review", p.vendor.admin_key)).status_code == 200
    r = await api.act(e["id"], "approve", p.reviewer.admin_key, {"document_sha256": contract["sha256"]})
    assert r.status_code == 200, r.text
    return str(e["id"]), dict(contract)


async def walk_to_in_review(
    api: EngagementApi, p: Parties, model: str = "joint", **engagement: Any
) -> tuple[str, dict[str, Any]]:
    """An engagement whose contract version 1 waits for the reviewer; (engagement id, contract metadata)."""
    e = await api.to_terms_agreed(p, proposal_body(model), **engagement)
    assert (await api.act(e["id"], "generate_contract", p.vendor.admin_key)).status_code == 200
    assert (await api.act(e["id"], "submit_for_review", p.vendor.admin_key)).status_code == 200
    versions = await api.client.get(
        f"/api/v1/engagements/{e['id']}/contracts", headers=bearer(p.vendor.admin_key)
    )
    return str(e["id"]), dict(versions.json()["items"][-1])


async def walk_to_signed(api: EngagementApi, p: Parties, body: dict[str, Any] | None = None) -> str:
    """... -> approved -> signed by both; returns the engagement id."""
    eid, contract = await walk_to_approved(api, p, body)
    for party, name in ((p.vendor, "Rūta Jonaitė"), (p.startup, "Ola Nordmann")):
        sign = {"document_sha256": contract["sha256"], "signer_name": name, "signer_title": "CEO"}
        r = await api.act(eid, "sign", party.admin_key, sign)
        assert r.status_code == 200, r.text
    return eid


def delivery_body(n: int = 1, **over: Any) -> dict[str, Any]:
    return {
        "artifact_uri": f"https://git.example.com/mvp/releases/v0.{n}.tar.gz",
        "checksum": "sha256:" + hashlib.sha256(f"release {n}".encode()).hexdigest(),
        "notes": f"Release candidate {n}",
        "components": [
            {"name": "litestar", "version": "2.12.0", "licence": "MIT"},
            {"name": "httpx", "version": "0.27.0", "licence": "BSD-3-Clause"},
        ],
        **over,
    }
