"""A legal reviewer's whole round in headless Chromium, with an accessibility
check (axe-core, from the axe-playwright-python package: nothing loaded from a CDN) on every page."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import httpx
import pytest
from axe_playwright_python.async_playwright import Axe

from tests.support.factories import EngagementApi, Parties, bearer, proposal_body, walk_to_in_review
from tests.unit.contract_templates.revisions import texts

pytestmark = pytest.mark.once

# WCAG 2.1 A and AA rules plus axe's best practices (headings in order, landmarks, one h1 ...).
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}
}


async def accessible(page: Any, what: str) -> None:
    results = await Axe().run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, f"{what}:\n{results.generate_report()}"
    checked = {rule["id"] for rule in results.response["passes"]} | {
        rule["id"] for rule in results.response["inapplicable"]
    }
    assert {"label", "color-contrast", "page-has-heading-one", "heading-order"} <= checked, what


async def fits(page: Any, width: int, what: str) -> None:
    """Nothing wider than the window (no sideways scrolling of the page itself)."""
    await page.set_viewport_size({"width": width, "height": 900})
    scroll = await page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{what} is {scroll}px wide at {width}px"


async def focus_is_visible(page: Any) -> None:
    await page.keyboard.press("Tab")
    outline = await page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement); return [s.outlineStyle, s.outlineWidth]; })()"
    )
    assert outline[0] != "none", outline
    assert outline[1] != "0px", outline


async def new_version(api: EngagementApi, p: Parties, eid: str) -> dict[str, Any]:
    body = proposal_body("joint", milestones=3)
    body["ip_terms"]["shares"] = {"vendor": 60, "startup": 40}
    await api.propose(eid, p.vendor.admin_key, body)
    await api.act(eid, "submit_proposal", p.vendor.admin_key)
    await api.act(eid, "accept_proposal", p.startup.admin_key, {"revision": 2})
    await api.act(eid, "generate_contract", p.vendor.admin_key)
    assert (await api.act(eid, "submit_for_review", p.vendor.admin_key)).status_code == 200
    versions = await api.client.get(
        f"/api/v1/engagements/{eid}/contracts", headers=bearer(p.vendor.admin_key)
    )
    return dict(versions.json()["items"][-1])


async def download(page: Any, link_text: str, into: Path) -> bytes:
    async with page.expect_download() as info:
        await page.get_by_role("link", name=link_text).click()
    saved = into / (await info.value).suggested_filename
    await (await info.value).save_as(saved)
    return saved.read_bytes()


async def test_a_reviewer_signs_in_reads_downloads_requests_changes_and_approves_the_redlined_version(
    api: EngagementApi, live_server: str, browser: Any, artifacts: Path, tmp_path: Path
) -> None:
    p = await api.parties()
    eid, v1 = await walk_to_in_review(api, p, title="Fjordpay wallet MVP")
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = await context.new_page()

    # sign in: the inbox asks for it first
    await page.goto(f"{live_server}/portal")
    assert "/portal/sign-in" in page.url
    await accessible(page, "sign-in page")
    await focus_is_visible(page)
    await page.get_by_label("API key").fill(p.reviewer.admin_key)
    await page.get_by_role("button", name="Sign in").click()

    # the inbox
    await page.wait_for_url(f"{live_server}/portal")
    assert await page.get_by_role("heading", level=1).inner_text() == "Inbox"
    await page.screenshot(path=str(artifacts / "portal-inbox.png"), full_page=True)
    await accessible(page, "inbox")
    await fits(page, 375, "inbox")
    await page.set_viewport_size({"width": 1280, "height": 900})

    # the engagement
    await page.get_by_role("link", name="Fjordpay wallet MVP").click()
    await page.wait_for_url(f"{live_server}/portal/engagements/{eid}")
    assert await page.locator('[aria-current="step"]').inner_text() == "in review"
    await page.screenshot(path=str(artifacts / "portal-engagement.png"), full_page=True)
    await accessible(page, "engagement page")
    await fits(page, 375, "engagement page")
    await page.screenshot(path=str(artifacts / "portal-engagement-375.png"), full_page=True)
    await page.set_viewport_size({"width": 1280, "height": 900})

    # download the contract: the same bytes the API serves
    document = await download(page, "Download version 1 (Word)", tmp_path)
    assert hashlib.sha256(document).hexdigest() == v1["sha256"]
    async with httpx.AsyncClient(base_url=live_server) as http:
        via_api = await http.get(
            f"/api/v1/contracts/{v1['id']}/document", headers=bearer(p.reviewer.admin_key)
        )
    assert hashlib.sha256(document).hexdigest() == hashlib.sha256(via_api.content).hexdigest()

    # request changes with a comment on a clause
    await page.get_by_label("What must change").fill("The shares should favour the vendor.")
    await page.get_by_label("Clause for comment 1").select_option("results_ip.joint")
    await page.get_by_label("Comment 1", exact=True).fill("60/40 in the vendor's favour")
    await page.get_by_role("button", name="Request changes").click()
    await page.wait_for_url(f"{live_server}/portal/engagements/{eid}?done=request_revision")
    assert "Your request for changes was sent" in await page.locator("main").inner_text()
    assert (
        "60/40 in the vendor's favour" in await page.locator("section[aria-labelledby=versions]").inner_text()
    )

    # a new version arrives; open the redline against version 1
    v2 = await new_version(api, p, eid)
    await page.reload()
    redline = await download(page, "Redline against version 1 (Word)", tmp_path)
    v2_document = (
        await api.client.get(f"/api/v1/contracts/{v2['id']}/document", headers=bearer(p.reviewer.admin_key))
    ).content
    assert texts(redline, "accept") == texts(v2_document)
    assert texts(redline, "reject") == texts(document)

    # compare page, then approve the version shown
    await page.get_by_role("link", name="Compare with version 1").click()
    await accessible(page, "compare page")
    await page.go_back()
    await page.get_by_role("button", name="Approve version 2").click()
    await page.wait_for_url(f"{live_server}/portal/engagements/{eid}?done=approve")
    assert "You approved the contract" in await page.locator("main").inner_text()
    engagement = (
        await api.client.get(f"/api/v1/engagements/{eid}", headers=bearer(p.vendor.admin_key))
    ).json()
    assert engagement["state"] == "approved"
    await context.close()


async def test_error_pages_and_the_landing_page_are_accessible(
    api: EngagementApi, live_server: str, browser: Any, artifacts: Path
) -> None:
    p = await api.parties()
    eid, _ = await walk_to_in_review(api, p, title="Fjordpay wallet MVP")
    context = await browser.new_context(viewport={"width": 375, "height": 800})
    page = await context.new_page()
    await page.goto(f"{live_server}/")
    await accessible(page, "landing page")
    await page.goto(f"{live_server}/portal/sign-in")
    await page.get_by_label("API key").fill("jtp_wrong")
    await page.get_by_role("button", name="Sign in").click()
    assert "not valid" in await page.get_by_role("alert").inner_text()
    await accessible(page, "refused sign-in")
    await page.get_by_label("API key").fill(p.stranger.admin_key)
    await page.get_by_role("button", name="Sign in").click()
    response = await page.goto(f"{live_server}/portal/engagements/{eid}")
    assert response.status == 404
    await accessible(page, "404 page")
    await page.screenshot(path=str(artifacts / "portal-404.png"))
    await context.close()
