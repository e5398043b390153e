"""Factories for test data and a thin API helper, instead of copied dicts."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from litestar.testing import AsyncTestClient

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
