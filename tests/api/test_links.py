"""Mailable download links: created over the API, used without a key, expiring and revocable,
every use in the audit trail; and the redline DOCX over the API."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import pytest

from tests.support.factories import EngagementApi, Parties, bearer, proposal_body, walk_to_approved
from tests.unit.contract_templates.revisions import texts

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


async def _link(api: EngagementApi, key: str, contract_id: str, **body: Any) -> dict[str, Any]:
    r = await api.client.post(
        f"/api/v1/contracts/{contract_id}/links", json=body or None, headers=bearer(key)
    )
    assert r.status_code == 201, r.text
    assert r.headers["location"] == f"/api/v1/contracts/{contract_id}/links/{r.json()['id']}"
    return dict(r.json())


def _path(url: str) -> str:
    return urlsplit(url).path


async def _events(api: EngagementApi, eid: str, key: str) -> list[dict[str, Any]]:
    r = await api.client.get(f"/api/v1/engagements/{eid}/events", headers=bearer(key), params={"limit": 100})
    return list(r.json()["items"])


async def test_a_mailed_link_downloads_without_a_key_until_it_expires(api: EngagementApi, clock: Any) -> None:
    p = await api.parties()
    eid, contract = await walk_to_approved(api, p)
    link = await _link(api, p.reviewer.admin_key, contract["id"])
    assert link["url"].startswith("http")
    for _ in range(2):
        r = await api.client.get(_path(link["url"]))  # no Authorization header
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith(DOCX)
        assert hashlib.sha256(r.content).hexdigest() == contract["sha256"]
        assert r.headers["etag"] == f'"{contract["sha256"]}"'
        assert "filename*=UTF-8''" in r.headers["content-disposition"]
    uses = [e for e in await _events(api, eid, p.vendor.admin_key) if e["type"] == "contract_link_used"]
    assert len(uses) == 2
    assert {u["payload"]["link_id"] for u in uses} == {link["id"]}
    assert uses[0]["payload"]["sha256"] == contract["sha256"]
    assert uses[0]["actor"] == "system"
    assert uses[0]["payload"]["link_created_by"]["organisation_id"] == p.reviewer.id
    listed = (
        await api.client.get(f"/api/v1/contracts/{contract['id']}/links", headers=bearer(p.vendor.admin_key))
    ).json()
    assert [(item["id"], item["uses"]) for item in listed["items"]] == [(link["id"], 2)]
    verify = await api.client.get(
        f"/api/v1/engagements/{eid}/events/verify", headers=bearer(p.vendor.admin_key)
    )
    assert verify.json()["valid"] is True

    clock.advance(days=7, seconds=1)
    expired = await api.client.get(_path(link["url"]))
    assert expired.status_code == 410
    assert "expired" in expired.text
    uses_after = [e for e in await _events(api, eid, p.vendor.admin_key) if e["type"] == "contract_link_used"]
    assert len(uses_after) == 2  # a refused use changes nothing


async def test_a_revoked_link_is_404_and_only_its_maker_may_revoke_it(api: EngagementApi) -> None:
    p = await api.parties()
    eid, contract = await walk_to_approved(api, p)
    link = await _link(api, p.reviewer.admin_key, contract["id"], expires_in_days=30)
    url = f"/api/v1/contracts/{contract['id']}/links/{link['id']}"
    assert (await api.client.delete(url, headers=bearer(p.vendor.admin_key))).status_code == 403
    assert (await api.client.get(_path(link["url"]))).status_code == 200
    assert (await api.client.delete(url, headers=bearer(p.reviewer.admin_key))).status_code == 204
    assert (await api.client.delete(url, headers=bearer(p.reviewer.admin_key))).status_code == 204
    gone = await api.client.get(_path(link["url"]))
    assert gone.status_code == 404
    assert "revoked" in gone.text
    types = [e["type"] for e in await _events(api, eid, p.vendor.admin_key)]
    assert types.count("contract_link_created") == 1
    assert types.count("contract_link_revoked") == 1
    assert types.count("contract_link_used") == 1
    read = (await api.client.get(url, headers=bearer(p.startup.admin_key))).json()
    assert read["revoked_at"] is not None


@pytest.mark.parametrize("tamper", ["signature", "id", "truncated", "garbage"])
async def test_a_tampered_link_is_404_and_records_nothing(
    api: EngagementApi, db: asyncpg.Connection, tamper: str
) -> None:
    p = await api.parties()
    _, contract = await walk_to_approved(api, p)
    token = _path((await _link(api, p.vendor.admin_key, contract["id"]))["url"]).rsplit("/", 1)[1]
    link_id, signature = token.split(".")
    bad = {
        "signature": f"{link_id}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}",
        "id": f"{'0' * 32}.{signature}",
        "truncated": link_id,
        "garbage": "x" * 300,
    }[tamper]
    before = await db.fetchval("select count(*) from audit_events")
    r = await api.client.get(f"/portal/links/{bad}")
    assert r.status_code == 404
    assert await db.fetchval("select count(*) from audit_events") == before


@pytest.mark.parametrize("days", [0, 31, -1, 1.5])
async def test_link_lifetime_is_bounded(api: EngagementApi, days: object) -> None:
    p = await api.parties()
    _, contract = await walk_to_approved(api, p)
    r = await api.client.post(
        f"/api/v1/contracts/{contract['id']}/links",
        json={"expires_in_days": days},
        headers=bearer(p.vendor.admin_key),
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "expires_in_days"


async def test_links_are_404_for_strangers(api: EngagementApi) -> None:
    p = await api.parties()
    _, contract = await walk_to_approved(api, p)
    link = await _link(api, p.vendor.admin_key, contract["id"])
    base = f"/api/v1/contracts/{contract['id']}/links"
    for method, url in (
        ("POST", base),
        ("GET", base),
        ("GET", f"{base}/{link['id']}"),
        ("DELETE", f"{base}/{link['id']}"),
    ):
        r = await api.client.request(method, url, headers=bearer(p.stranger.admin_key))
        assert r.status_code == 404, (method, url)


async def _two_versions(api: EngagementApi, p: Parties) -> tuple[str, list[dict[str, Any]]]:
    e = await api.create_engagement(p)
    eid = e["id"]
    body = proposal_body("joint")
    await api.propose(eid, p.vendor.admin_key, body)
    await api.act(eid, "submit_proposal", p.vendor.admin_key)
    await api.act(eid, "accept_proposal", p.startup.admin_key, {"revision": 1})
    await api.act(eid, "generate_contract", p.vendor.admin_key)
    await api.act(eid, "submit_for_review", p.vendor.admin_key)
    r = await api.act(eid, "request_revision", p.reviewer.admin_key, {"comment": "Use client ownership"})
    assert r.status_code == 200, r.text
    await api.propose(eid, p.vendor.admin_key, proposal_body("client_owns", milestones=3))
    await api.act(eid, "submit_proposal", p.vendor.admin_key)
    await api.act(eid, "accept_proposal", p.startup.admin_key, {"revision": 2})
    assert (await api.act(eid, "generate_contract", p.vendor.admin_key)).status_code == 200
    versions = (
        await api.client.get(f"/api/v1/engagements/{eid}/contracts", headers=bearer(p.reviewer.admin_key))
    ).json()["items"]
    return eid, list(versions)


async def test_the_redline_docx_accepts_to_b_and_rejects_to_a(api: EngagementApi) -> None:
    p = await api.parties()
    _, (v1, v2) = await _two_versions(api, p)
    key = bearer(p.reviewer.admin_key)
    r = await api.client.get(
        f"/api/v1/contracts/{v1['id']}/compare/{v2['id']}", params={"format": "docx"}, headers=key
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(DOCX)
    assert "redline" in r.headers["content-disposition"]
    assert r.headers["etag"] == f'"{hashlib.sha256(r.content).hexdigest()}"'
    docs = [
        (await api.client.get(f"/api/v1/contracts/{v['id']}/document", headers=key)).content for v in (v1, v2)
    ]
    assert texts(r.content, "accept") == texts(docs[1])
    assert texts(r.content, "reject") == texts(docs[0])
    again = await api.client.get(f"/api/v1/contracts/{v1['id']}/compare/{v2['id']}?format=docx", headers=key)
    assert again.content == r.content  # deterministic
    plain = await api.client.get(f"/api/v1/contracts/{v1['id']}/compare/{v2['id']}", headers=key)
    assert plain.headers["content-type"].startswith("application/json")
    assert plain.json()["changes"]
    bad = await api.client.get(f"/api/v1/contracts/{v1['id']}/compare/{v2['id']}?format=pdf", headers=key)
    assert bad.status_code in (400, 422)


async def test_comparing_versions_of_two_engagements_is_refused(api: EngagementApi) -> None:
    p = await api.parties()
    _, mine = await walk_to_approved(api, p)
    # a second engagement with the same parties: both visible, still not comparable
    _, also_mine = await walk_to_approved(api, p)
    for fmt in ("json", "docx"):
        r = await api.client.get(
            f"/api/v1/contracts/{mine['id']}/compare/{also_mine['id']}",
            params={"format": fmt},
            headers=bearer(p.reviewer.admin_key),
        )
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"] == "other_id"
    other = await api.parties()
    _, foreign = await walk_to_approved(api, other)
    r = await api.client.get(
        f"/api/v1/contracts/{mine['id']}/compare/{foreign['id']}",
        params={"format": "docx"},
        headers=bearer(p.reviewer.admin_key),
    )
    assert r.status_code == 404
