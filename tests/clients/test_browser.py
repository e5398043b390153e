"""In headless Chromium (Debian's), the docs UI works with no other host reachable, and
a page on an allowed origin reads ETag and Location from a cross-origin fetch."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest
import pytest_asyncio

from tests.clients.conftest import PAGE_ORIGIN, PAGE_PORT, Seeded, chromium, require

pytestmark = pytest.mark.once

#: Chromium's flags on this kind of machine: no sandbox as root, and no background traffic.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

PAGE = b"""<!doctype html><html><head><meta charset="utf-8"><title>front end</title></head><body>
<script>
window.createEngagement = async (api, key, body) => {
  const r = await fetch(api + "/api/v1/engagements", {
    method: "POST",
    headers: {"Authorization": "Bearer " + key, "Content-Type": "application/json"},
    body: JSON.stringify(body),
  });
  return {status: r.status, etag: r.headers.get("ETag"), location: r.headers.get("Location"),
          requestId: r.headers.get("X-Request-ID"), id: (await r.json()).id};
};
window.download = async (api, key, contractId) => {
  const r = await fetch(api + "/api/v1/contracts/" + contractId + "/document",
                        {headers: {"Authorization": "Bearer " + key}});
  return {status: r.status, etag: r.headers.get("ETag"), disposition: r.headers.get("Content-Disposition"),
          digest: r.headers.get("Repr-Digest"), size: (await r.arrayBuffer()).byteLength};
};
</script></body></html>"""


class _Page(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def page_origin() -> Iterator[str]:
    """A front end on another origin (another port) that the live server's CORS allows."""
    server = ThreadingHTTPServer(("127.0.0.1", PAGE_PORT), _Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield PAGE_ORIGIN
    finally:
        server.shutdown()
        server.server_close()


@pytest_asyncio.fixture(loop_scope="session")
async def browser() -> AsyncIterator[Any]:
    executable = chromium()
    require(executable is not None, "Debian's chromium")
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        launched = await p.chromium.launch(executable_path=executable, headless=True, args=FLAGS)
        try:
            yield launched
        finally:
            await launched.close()


async def test_the_docs_ui_lists_the_operations_with_no_other_host_reachable(
    seeded: Seeded, browser: Any
) -> None:
    context = await browser.new_context()
    own = urlsplit(seeded.url).netloc
    elsewhere: list[str] = []

    async def only_this_server(route: Any) -> None:
        if urlsplit(route.request.url).netloc == own:
            await route.continue_()
        else:  # the network beyond this server is cut off
            elsewhere.append(route.request.url)
            await route.abort("internetdisconnected")

    await context.route("**/*", only_this_server)
    page = await context.new_page()
    await page.goto(f"{seeded.url}/schema", wait_until="networkidle")
    await page.wait_for_selector(".opblock", timeout=30_000)
    operations = await page.locator(".opblock").count()
    text = await page.locator("body").inner_text()
    await context.close()
    assert elsewhere == [], f"the docs UI reached for other hosts: {elsewhere}"
    assert operations >= 50
    for summary in (
        "Create an engagement",
        "Accept proposal (startup)",
        "Download a contract version as DOCX",
    ):
        assert summary in text


async def test_a_page_on_an_allowed_origin_reads_etag_and_location(
    seeded: Seeded, browser: Any, page_origin: str
) -> None:
    page = await browser.new_page()
    await page.goto(page_origin + "/")
    body = {
        "vendor_id": seeded.vendor_org,
        "startup_id": seeded.startup_org,
        "title": "Created from a browser",
        "currency": "NOK",
    }
    created = await page.evaluate(
        "([api, key, body]) => createEngagement(api, key, body)", [seeded.url, seeded.vendor_key, body]
    )
    assert created["status"] == 201
    assert created["etag"] == '"1"'
    assert created["location"] == f"/api/v1/engagements/{created['id']}"
    assert created["requestId"]
    got = await page.evaluate(
        "([api, key, id]) => download(api, key, id)", [seeded.url, seeded.vendor_key, seeded.contract_id]
    )
    assert got["status"] == 200
    etag = got["etag"]
    assert etag[0] == etag[-1] == '"'  # the SHA-256 in hex, quoted
    assert len(etag) == 66
    assert got["disposition"].startswith("attachment; filename=")
    assert got["digest"].startswith("sha-256=:")
    assert got["size"] > 10_000
    await page.close()
