"""Funding with the Lithuanian vendor as project promoter, and signatories named before signing."""

from __future__ import annotations

import io
from typing import Any

import asyncpg
import docx
import pytest

from tests.api.test_engagements import FUNDING
from tests.support.factories import EngagementApi, Parties, bearer

VENDOR_SIGNATORY = {"name": "Rūta Jonaitė", "title": "Director", "authority": "Articles of association"}
STARTUP_SIGNATORY = {"name": "Ola Nordmann", "title": "Daglig leder", "authority": "Signaturrett"}


def _text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


async def _patch(api: EngagementApi, eid: str, key: str, body: dict[str, Any]) -> Any:
    current = await api.client.get(f"/api/v1/engagements/{eid}", headers=bearer(key))
    return await api.client.patch(
        f"/api/v1/engagements/{eid}", json=body, headers=bearer(key) | {"If-Match": current.headers["etag"]}
    )


async def test_the_start_up_as_promoter_is_refused_naming_the_field(
    api: EngagementApi, db: asyncpg.Connection
) -> None:
    p = await api.parties()
    body = {**FUNDING, "promoter": "startup"}
    r = await api.client.post(
        "/api/v1/engagements",
        json={
            "vendor_id": p.vendor.id,
            "startup_id": p.startup.id,
            "title": "T",
            "currency": "EUR",
            "funding": body,
        },
        headers=bearer(p.vendor.admin_key),
    )
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["funding.promoter"]
    assert "Lithuania" in r.json()["errors"][0]["message"]
    assert await db.fetchval("select count(*) from engagements") == 0
    # A patch refuses it too, and changes nothing.
    e = await api.create_engagement(p)
    r = await _patch(api, e["id"], p.startup.admin_key, {"funding": body})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "funding.promoter"
    assert await db.fetchval("select funding from engagements where id = $1", e["id"]) is None


async def test_a_vendor_not_established_in_lithuania_cannot_be_promoter(api: EngagementApi) -> None:
    p = await api.parties()
    latvian = await api.create_org(
        "vendor", name="Ziemeļu Kods SIA", country="LV", registration_code="40003000000"
    )
    r = await api.client.post(
        "/api/v1/engagements",
        json={
            "vendor_id": latvian.id,
            "startup_id": p.startup.id,
            "title": "T",
            "currency": "EUR",
            "funding": FUNDING,
        },
        headers=bearer(latvian.admin_key),
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "funding.promoter"
    assert "LV" in r.json()["errors"][0]["message"]


async def _to_approved(api: EngagementApi, p: Parties, *, name_signatories: bool) -> tuple[str, str]:
    e = await api.create_engagement(p, funding=FUNDING)
    eid = e["id"]
    await api.propose(eid, p.vendor.admin_key)
    assert (await api.act(eid, "submit_proposal", p.vendor.admin_key)).status_code == 200
    assert (await api.act(eid, "accept_proposal", p.startup.admin_key, {"revision": 1})).status_code == 200
    if name_signatories:
        r = await _patch(api, eid, p.vendor.admin_key, {"signatories": {"vendor": VENDOR_SIGNATORY}})
        assert r.status_code == 200, r.text
        r = await _patch(api, eid, p.startup.admin_key, {"signatories": {"startup": STARTUP_SIGNATORY}})
        assert r.status_code == 200, r.text
        assert r.json()["signatories"] == {"vendor": VENDOR_SIGNATORY, "startup": STARTUP_SIGNATORY}
    assert (await api.act(eid, "generate_contract", p.vendor.admin_key)).status_code == 200
    contract = (
        await api.client.get(f"/api/v1/engagements/{eid}/contracts", headers=bearer(p.vendor.admin_key))
    ).json()["items"][-1]
    assert (await api.act(eid, "submit_for_review", p.vendor.admin_key)).status_code == 200
    r = await api.act(eid, "approve", p.reviewer.admin_key, {"document_sha256": contract["sha256"]})
    assert r.status_code == 200, r.text
    return eid, contract["id"]


async def _approved_document(
    api: EngagementApi, p: Parties, *, name_signatories: bool
) -> tuple[str, str, str]:
    """An approved, funded engagement: (engagement id, document sha256, document text)."""
    eid, contract_id = await _to_approved(api, p, name_signatories=name_signatories)
    key = bearer(p.vendor.admin_key)
    document = await api.client.get(f"/api/v1/contracts/{contract_id}/document", headers=key)
    sha = (await api.client.get(f"/api/v1/contracts/{contract_id}", headers=key)).json()["sha256"]
    return eid, sha, _text(document.content)


async def test_a_funded_contract_names_mita_and_the_vendor_as_promoter_and_the_named_signatories(
    api: EngagementApi,
) -> None:
    p = await api.parties()
    eid, sha, text = await _approved_document(api, p, name_signatories=True)
    assert "“Programme Operator” means the Agency for Science, Innovation and Technology" in text
    assert "MITA" in text
    assert "The Vendor is the Project Promoter." in text
    assert "“Project Promoter” means the Vendor" in text
    assert "The Start-up is the Project Partner." in text
    for signatory in (VENDOR_SIGNATORY, STARTUP_SIGNATORY):
        assert f"Name: {signatory['name']}" in text
        assert f"Title: {signatory['title']}" in text
        assert f"Authority: {signatory['authority']}" in text

    # Signing records the named signatory; the body need not repeat them, and may not name another.
    r = await api.act(
        eid, "sign", p.vendor.admin_key, {"document_sha256": sha, "signer_name": "Someone Else"}
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "signer_name"
    assert (await api.act(eid, "sign", p.vendor.admin_key, {"document_sha256": sha})).status_code == 200
    body = {"document_sha256": sha, "signer_name": "Ola Nordmann", "signer_title": "Daglig leder"}
    assert (await api.act(eid, "sign", p.startup.admin_key, body)).status_code == 200
    signatures = (
        await api.client.get(f"/api/v1/engagements/{eid}/signatures", headers=bearer(p.vendor.admin_key))
    ).json()
    recorded = {
        s["party"]: (s["signer_name"], s["signer_title"], s["signer_authority"])
        for s in signatures["signatures"]
    }
    assert recorded == {
        "vendor": tuple(VENDOR_SIGNATORY.values()),
        "startup": tuple(STARTUP_SIGNATORY.values()),
    }
    assert {s["signer_authority"] for s in signatures["record"]["signers"]} == {
        "Articles of association",
        "Signaturrett",
    }


async def test_without_named_signatories_the_blocks_are_blank_and_the_signer_is_required(
    api: EngagementApi,
) -> None:
    p = await api.parties()
    eid, sha, text = await _approved_document(api, p, name_signatories=False)
    assert "Name: ____" in text
    r = await api.act(eid, "sign", p.vendor.admin_key, {"document_sha256": sha})
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"signer_name", "signer_title"}


@pytest.mark.parametrize(
    ("who", "body", "status"),
    [
        ("startup", {"signatories": {"vendor": VENDOR_SIGNATORY}}, 403),  # only a party's own signatory
        ("vendor", {"signatories": {"vendor": {**VENDOR_SIGNATORY, "name": " "}}}, 422),
        ("vendor", {"signatories": {"vendor": {**VENDOR_SIGNATORY, "role": "x"}}}, 422),
    ],
)
async def test_naming_a_signatory_refusals(
    api: EngagementApi, db: asyncpg.Connection, who: str, body: dict[str, Any], status: int
) -> None:
    p = await api.parties()
    e = await api.create_engagement(p)
    key = p.vendor.admin_key if who == "vendor" else p.startup.admin_key
    r = await _patch(api, e["id"], key, body)
    assert r.status_code == status, r.text
    assert await db.fetchval("select signatories::text from engagements where id = $1", e["id"]) == "{}"


async def test_signatories_cannot_change_while_a_contract_is_out_for_review(api: EngagementApi) -> None:
    p = await api.parties()
    eid, _ = await _to_approved(api, p, name_signatories=False)
    r = await _patch(api, eid, p.vendor.admin_key, {"signatories": {"vendor": VENDOR_SIGNATORY}})
    assert r.status_code == 409
    assert "signatories" in r.json()["detail"]
