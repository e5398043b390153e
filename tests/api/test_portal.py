"""The reviewer portal over HTTP: sign-in, sessions, CSRF, inbox, engagement page, review forms,
downloads and mailable links, error pages."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import asyncpg
import pytest

from tests.support.factories import EngagementApi, bearer, proposal_body, walk_to_approved, walk_to_in_review
from tests.support.portal import SESSION_COOKIE, Portal

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


async def state_of(db: asyncpg.Connection, eid: str) -> str:
    return str(await db.fetchval("select state from engagements where id = $1", eid))


async def test_the_landing_page_links_the_portal_and_the_api_docs(portal: Portal) -> None:
    r = await portal.client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert 'href="/portal"' in r.text
    assert 'href="/schema"' in r.text
    assert "default-src 'self'" in r.headers["content-security-policy"]


async def test_pages_need_a_session_and_send_you_to_sign_in(portal: Portal) -> None:
    r = await portal.client.get("/portal", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/portal/sign-in?next=%2Fportal"


async def test_signing_in_sets_a_strict_session_cookie_and_signing_out_ends_it(
    api: EngagementApi, portal: Portal, db: asyncpg.Connection
) -> None:
    p = await api.parties()
    r = await portal.sign_in(p.reviewer.admin_key, "/portal?page=1")
    assert r.status_code == 303
    assert r.headers["location"] == "/portal?page=1"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE))
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert "httponly" in flags
    assert "samesite=lax" in flags
    assert "path=/portal" in flags
    assert "max-age=28800" in flags
    assert "secure" not in flags  # served over plain http here; Secure over https
    token = portal.client.cookies.get(SESSION_COOKIE)
    assert token
    stored = await db.fetchval("select token_hash from portal_sessions")
    assert bytes(stored) == hashlib.sha256(token.encode()).digest()  # only the hash is kept
    assert (await portal.client.get("/portal")).status_code == 200
    out = await portal.post("/portal/sign-out")
    assert out.status_code == 303
    assert await db.fetchval("select count(*) from portal_sessions") == 0
    portal.client.cookies.set(SESSION_COOKIE, token, path="/portal")  # a copied cookie no longer works
    assert (await portal.client.get("/portal", follow_redirects=False)).status_code == 303


async def test_a_session_ends_when_it_expires_or_its_key_is_revoked(
    api: EngagementApi, portal: Portal, clock: Any
) -> None:
    p = await api.parties()
    member = await api.create_key(p.reviewer.id, "member", p.reviewer.admin_key, name="Eglė Petraitė")
    await portal.signed_in(member)
    assert (await portal.client.get("/portal")).status_code == 200
    clock.advance(hours=8, seconds=1)
    assert (await portal.client.get("/portal", follow_redirects=False)).status_code == 303
    clock.advance(hours=-8, seconds=-1)
    await portal.signed_in(member)
    keys = await api.client.get(
        f"/api/v1/organisations/{p.reviewer.id}/api-keys", headers=bearer(p.reviewer.admin_key)
    )
    key_id = next(k["id"] for k in keys.json()["items"] if k["name"] == "Eglė Petraitė")
    revoked = await api.client.delete(
        f"/api/v1/organisations/{p.reviewer.id}/api-keys/{key_id}", headers=bearer(p.reviewer.admin_key)
    )
    assert revoked.status_code in (200, 204)
    assert (await portal.client.get("/portal", follow_redirects=False)).status_code == 303


@pytest.mark.parametrize(
    ("key", "status", "sentence"),
    [
        ("jtp_not-a-real-key", 401, "not valid"),
        ("test-operator-key-0123456789", 403, "Operator keys"),
        ("   ", 422, "Enter your API key"),
    ],
)
async def test_a_refused_sign_in_is_a_sentence_with_the_right_status(
    portal: Portal, db: asyncpg.Connection, key: str, status: int, sentence: str
) -> None:
    r = await portal.sign_in(key)
    assert r.status_code == status
    assert sentence in r.text
    assert r.headers["content-type"].startswith("text/html")
    assert await db.fetchval("select count(*) from portal_sessions") == 0


async def test_failed_sign_ins_are_rate_limited(api: EngagementApi, portal: Portal, clock: Any) -> None:
    p = await api.parties()
    for _ in range(5):
        assert (await portal.sign_in("jtp_wrong")).status_code == 401
    limited = await portal.sign_in(p.reviewer.admin_key)  # even the right key waits
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0
    assert "Too many failed sign-ins" in limited.text
    clock.advance(minutes=15, seconds=1)
    assert (await portal.sign_in(p.reviewer.admin_key)).status_code == 303


async def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(
    api: EngagementApi, portal: Portal, db: asyncpg.Connection
) -> None:
    p = await api.parties()
    eid, contract = await walk_to_in_review(api, p)
    await portal.signed_in(p.reviewer.admin_key)
    url = f"/portal/engagements/{eid}/approve"
    r = await portal.post(url, {"document_sha256": contract["sha256"]}, csrf=False)
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("text/html")
    assert "security token" in r.text
    forged = await portal.client.post(
        url, data={"document_sha256": contract["sha256"], "_csrf_token": "0" * 128}, follow_redirects=False
    )
    assert forged.status_code == 403
    assert await state_of(db, eid) == "in_review"
    signed_out = await portal.client.post("/portal/sign-in", data={"api_key": p.reviewer.admin_key})
    assert signed_out.status_code == 403  # the sign-in form is protected too


async def test_a_foreign_organisation_gets_a_404_page_for_another_engagement(
    api: EngagementApi, portal: Portal
) -> None:
    """The page says what happened and shows nothing of the engagement."""
    p = await api.parties()
    eid, _ = await walk_to_in_review(api, p)
    await portal.signed_in(p.stranger.admin_key)
    r = await portal.client.get(f"/portal/engagements/{eid}")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "<h1>Not found</h1>" in r.text
    assert f"engagement {eid} not found" in r.text
    assert "Nordic payments MVP" not in r.text
    assert p.vendor.body["name"] not in r.text
    missing = await portal.client.get("/portal/engagements/00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404
    inbox = await portal.client.get("/portal")
    assert "Nordic payments MVP" not in inbox.text


async def test_the_inbox_puts_engagements_in_review_first(api: EngagementApi, portal: Portal) -> None:
    p = await api.parties()
    waiting, _ = await walk_to_in_review(api, p)
    await walk_to_approved(api, p)  # newer, but not waiting
    await portal.signed_in(p.reviewer.admin_key)
    r = await portal.client.get("/portal")
    assert r.status_code == 200
    rows = re.findall(r'<a href="/portal/engagements/([0-9a-f-]+)">', r.text)
    assert len(rows) == 2
    assert rows[0] == waiting
    assert "in review" in r.text
    assert p.vendor.body["name"] in r.text
    assert "version 1" in r.text
    assert "waiting for your review first" in r.text


async def test_the_engagement_page_shows_terms_steps_versions_and_a_verified_trail(
    api: EngagementApi, portal: Portal
) -> None:
    p = await api.parties()
    eid, contract = await walk_to_in_review(api, p)
    await portal.signed_in(p.reviewer.admin_key)
    r = await portal.client.get(f"/portal/engagements/{eid}")
    assert r.status_code == 200
    text = r.text
    for expected in (
        p.vendor.body["name"],
        p.startup.body["registration_code"],
        "Joint ownership",
        "vendor 40 %, start-up 60 %",
        "Oslo District Court",
        f"/portal/contracts/{contract['id']}/document",
        contract["sha256"],
        "Verified:",
        "Approve version 1",
        "Request changes",
        'value="results_ip"' if 'value="results_ip"' in text else 'value="results_ip.',
    ):
        assert expected in text, expected
    current = re.search(r'<li class="step-current" aria-current="step">([^<]+)</li>', text)
    assert current
    assert current.group(1) == "in review"
    assert text.count("<label") >= text.count("<select") + text.count("<textarea")


async def test_vendors_and_start_ups_read_without_review_forms(api: EngagementApi, portal: Portal) -> None:
    p = await api.parties()
    eid, _ = await walk_to_in_review(api, p)
    await portal.signed_in(p.vendor.admin_key)
    r = await portal.client.get(f"/portal/engagements/{eid}")
    assert r.status_code == 200
    assert "Approve version" not in r.text
    assert "Download version 1" in r.text
    forbidden = await portal.post(f"/portal/engagements/{eid}/request-changes", {"comment": "no"})
    assert forbidden.status_code == 403
    assert "only the reviewer may" in forbidden.text.lower()


async def test_requesting_changes_with_a_clause_comment_then_approving_the_new_version(
    api: EngagementApi, portal: Portal, db: asyncpg.Connection
) -> None:
    p = await api.parties()
    eid, v1 = await walk_to_in_review(api, p)
    await portal.signed_in(p.reviewer.admin_key)
    url = f"/portal/engagements/{eid}/request-changes"
    # an unknown clause: a sentence beside the form, nothing changes
    bad = await portal.post(
        url, {"comment": "Shares", "clause_id": ["clause_99", ""], "clause_comment": ["60/40", ""]}
    )
    assert bad.status_code == 422
    assert 'id="changes_error"' in bad.text
    assert "Clause comment 1, clause" in bad.text
    assert "60/40" in bad.text  # what was typed is kept
    assert await state_of(db, eid) == "in_review"
    half = await portal.post(url, {"comment": "Shares", "clause_id": "", "clause_comment": "orphan"})
    assert half.status_code == 422
    assert "choose the clause" in half.text
    ok = await portal.post(
        url,
        {"comment": "Shares", "clause_id": ["results_ip.joint", ""], "clause_comment": ["60/40 please", ""]},
    )
    assert ok.status_code == 303, ok.text
    assert await state_of(db, eid) == "negotiating"
    reviews = (
        await api.client.get(f"/api/v1/contracts/{v1['id']}/reviews", headers=bearer(p.vendor.admin_key))
    ).json()["items"]
    assert reviews[0]["clause_comments"] == [{"clause_id": "results_ip.joint", "comment": "60/40 please"}]
    events = (
        await api.client.get(
            f"/api/v1/engagements/{eid}/events?limit=100", headers=bearer(p.vendor.admin_key)
        )
    ).json()["items"]
    assert events[-1]["actor"]["organisation_id"] == p.reviewer.id

    # a new version; approving the old one's hash is refused beside the form
    body = proposal_body("joint")
    body["ip_terms"]["shares"] = {"vendor": 60, "startup": 40}
    await api.propose(eid, p.vendor.admin_key, body)
    await api.act(eid, "submit_proposal", p.vendor.admin_key)
    await api.act(eid, "accept_proposal", p.startup.admin_key, {"revision": 2})
    await api.act(eid, "generate_contract", p.vendor.admin_key)
    await api.act(eid, "submit_for_review", p.vendor.admin_key)
    versions = (
        await api.client.get(f"/api/v1/engagements/{eid}/contracts", headers=bearer(p.vendor.admin_key))
    ).json()["items"]
    v2 = versions[-1]
    stale = await portal.post(f"/portal/engagements/{eid}/approve", {"document_sha256": v1["sha256"]})
    assert stale.status_code == 422
    assert 'id="approve_error"' in stale.text
    assert "Document:" in stale.text
    page = await portal.client.get(f"/portal/engagements/{eid}")
    assert f"/portal/contracts/{v1['id']}/compare/{v2['id']}/redline" in page.text
    redline = await portal.client.get(f"/portal/contracts/{v1['id']}/compare/{v2['id']}/redline")
    assert redline.status_code == 200
    assert redline.headers["content-type"].startswith(DOCX)
    compare = await portal.client.get(
        f"/portal/engagements/{eid}/compare", params={"from": v1["id"], "to": v2["id"]}
    )
    assert compare.status_code == 200
    assert "results_ip.joint" in compare.text
    approved = await portal.post(f"/portal/engagements/{eid}/approve", {"document_sha256": v2["sha256"]})
    assert approved.status_code == 303
    assert approved.headers["location"] == f"/portal/engagements/{eid}?done=approve"
    assert await state_of(db, eid) == "approved"


async def test_downloads_and_a_copied_link_from_the_portal(
    api: EngagementApi, portal: Portal, db: asyncpg.Connection
) -> None:
    p = await api.parties()
    eid, contract = await walk_to_in_review(api, p)
    await portal.signed_in(p.reviewer.admin_key)
    doc = await portal.client.get(f"/portal/contracts/{contract['id']}/document")
    assert doc.status_code == 200
    assert hashlib.sha256(doc.content).hexdigest() == contract["sha256"]
    made = await portal.post(f"/portal/contracts/{contract['id']}/links", {"expires_in_days": "3"})
    assert made.status_code == 201
    assert 'data-copy="link_url"' in made.text
    url = re.search(r'id="link_url" type="text" readonly value="([^"]+)"', made.text)
    assert url
    portal.sign_out_locally()
    by_link = await portal.client.get(url.group(1).split("testserver.local", 1)[-1])
    assert by_link.status_code == 200
    assert hashlib.sha256(by_link.content).hexdigest() == contract["sha256"]
    expiry = await db.fetchval("select expires_at - created_at from contract_links")
    assert expiry.days == 3
    await portal.signed_in(p.reviewer.admin_key)
    too_long = await portal.post(f"/portal/contracts/{contract['id']}/links", {"expires_in_days": "31"})
    assert too_long.status_code == 422
    assert "expires_in_days" in too_long.text
    link_id = await db.fetchval("select id from contract_links")
    revoke = await portal.post(f"/portal/contracts/{contract['id']}/links/{link_id}/revoke")
    assert revoke.status_code == 303
    assert await db.fetchval("select revoked_at is not null from contract_links")
    page = await portal.client.get(f"/portal/engagements/{eid}")
    assert "used 1 time" in page.text
    assert "revoked" in page.text
