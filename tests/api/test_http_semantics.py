"""HTTP as RFC 9110 says: JSON-only bodies (415), HEAD on downloads, conditional requests, CORS."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from litestar.testing import AsyncTestClient

from service import Settings, create_app
from tests.support.factories import EngagementApi, bearer, engagement_body, walk_to_approved


async def test_a_body_that_is_not_json_is_a_415_and_changes_nothing(api: EngagementApi) -> None:
    p = await api.parties()
    e = await api.create_engagement(p)
    await api.propose(e["id"], p.vendor.admin_key)
    assert (await api.act(e["id"], "submit_proposal", p.vendor.admin_key)).status_code == 200
    url = f"/api/v1/engagements/{e['id']}/actions/accept_proposal"
    key = bearer(p.startup.admin_key)
    for content_type, body in (
        ("text/plain", '{"revision": 1}'),
        ("application/x-www-form-urlencoded", "revision=1"),
        (None, '{"revision": 1}'),
    ):
        headers = key | ({"Content-Type": content_type} if content_type else {})
        r = await api.client.post(url, content=body.encode(), headers=headers)
        assert r.status_code == 415, (content_type, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["type"] == "urn:jointip:problem:unsupported-media-type"
    r = await api.client.get(f"/api/v1/engagements/{e['id']}", headers=key)
    assert r.json()["state"] == "proposed"
    # A JSON media type with parameters, or a +json type, is JSON.
    r = await api.client.post(
        url, content=b'{"revision": 1}', headers=key | {"Content-Type": "application/json; charset=utf-8"}
    )
    assert r.status_code == 200, r.text


async def test_a_post_without_a_body_needs_no_content_type(api: EngagementApi) -> None:
    p = await api.parties()
    e = await api.create_engagement(p)
    r = await api.client.post(
        f"/api/v1/engagements/{e['id']}/actions/withdraw", headers=bearer(p.vendor.admin_key)
    )
    assert r.status_code == 422  # the body is optional; the reason is the guard's to ask for
    assert r.json()["errors"] == [{"field": "reason", "message": "is required"}]


async def test_a_415_on_a_body_creating_something(api: EngagementApi) -> None:
    p = await api.parties()
    r = await api.client.post(
        "/api/v1/engagements",
        data={"title": "Form"},
        headers=bearer(p.vendor.admin_key),
    )
    assert r.status_code == 415
    r = await api.client.get("/api/v1/engagements", headers=bearer(p.vendor.admin_key))
    assert r.json()["items"] == []


async def test_head_on_downloads_sends_the_headers_without_the_body(api: EngagementApi) -> None:
    p = await api.parties()
    eid, contract = await walk_to_approved(api, p)
    url = f"/api/v1/contracts/{contract['id']}/document"
    key = bearer(p.reviewer.admin_key)
    get = await api.client.get(url, headers=key)
    head = await api.client.head(url, headers=key)
    assert head.status_code == 200
    assert head.content == b""
    for name in ("etag", "content-type", "content-disposition", "repr-digest"):
        assert head.headers[name] == get.headers[name], name
    assert head.headers["content-length"] == str(len(get.content)) == str(contract["size"])

    results = f"/api/v1/engagements/{eid}/results"
    for fmt in ("json", "docx"):  # no register before signing: HEAD answers as GET does
        r = await api.client.head(results, params={"format": fmt}, headers=key)
        assert (
            r.status_code == (await api.client.get(results, params={"format": fmt}, headers=key)).status_code
        )
        assert r.content == b""
    stranger = await api.client.head(url, headers=bearer(p.stranger.admin_key))
    assert stranger.status_code == 404


async def test_if_none_match_on_an_engagement_gives_304_with_weak_comparison(api: EngagementApi) -> None:
    p = await api.parties()
    e = await api.create_engagement(p)
    url = f"/api/v1/engagements/{e['id']}"
    key = bearer(p.vendor.admin_key)
    first = await api.client.get(url, headers=key)
    tag = first.headers["etag"]
    assert tag == '"1"'
    for header in (tag, f"W/{tag}", f'"9", {tag}', "*"):
        r = await api.client.get(url, headers=key | {"If-None-Match": header})
        assert r.status_code == 304, header
        assert r.content == b""
        assert r.headers["etag"] == tag
    r = await api.client.get(url, headers=key | {"If-None-Match": '"2"'})
    assert r.status_code == 200
    assert r.json() == first.json()


async def test_if_none_match_on_a_download(api: EngagementApi) -> None:
    p = await api.parties()
    _, contract = await walk_to_approved(api, p)
    url = f"/api/v1/contracts/{contract['id']}/document"
    key = bearer(p.vendor.admin_key)
    r = await api.client.get(url, headers=key | {"If-None-Match": f'W/"{contract["sha256"]}"'})
    assert r.status_code == 304
    assert r.content == b""


async def test_if_match_star_matches_any_current_version_and_weak_tags_never_match(
    api: EngagementApi,
) -> None:
    p = await api.parties()
    e = await api.create_engagement(p)
    url = f"/api/v1/engagements/{e['id']}"
    key = bearer(p.vendor.admin_key)
    r = await api.client.patch(url, json={"title": "Any version"}, headers=key | {"If-Match": "*"})
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2
    r = await api.client.patch(url, json={"title": "Weak"}, headers=key | {"If-Match": 'W/"2"'})
    assert r.status_code == 412
    assert "weak tags never match" in r.json()["detail"]
    r = await api.client.patch(url, json={"title": "Listed"}, headers=key | {"If-Match": '"1", "2"'})
    assert r.status_code == 200
    assert r.json()["title"] == "Listed"
    r = await api.act(e["id"], "withdraw", p.vendor.admin_key, {"reason": "Stop"}, if_match="*")
    assert r.status_code == 200
    assert r.json()["state"] == "withdrawn"


@pytest.fixture
async def cors_client(settings: Settings, db: object) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    app = create_app(replace(settings, cors_origins=("https://app.example.no",)))
    async with AsyncTestClient(app=app) as c:
        yield c


async def test_cors_exposes_the_headers_a_client_reads_and_varies_on_origin(
    api: EngagementApi,
    cors_client: AsyncTestClient,  # type: ignore[type-arg]
) -> None:
    p = await api.parties()
    origin = {"Origin": "https://app.example.no"}
    r = await cors_client.post(
        "/api/v1/engagements",
        json=engagement_body(p.vendor, p.startup, p.reviewer),
        headers=bearer(p.vendor.admin_key) | origin,
    )
    assert r.status_code == 201
    assert r.headers["access-control-allow-origin"] == "https://app.example.no"
    exposed = {h.strip().lower() for h in r.headers["access-control-expose-headers"].split(",")}
    assert {
        "etag",
        "location",
        "content-disposition",
        "repr-digest",
        "x-request-id",
        "retry-after",
    } <= exposed
    assert r.headers["vary"] == "Origin"

    # Without an Origin the response still varies on it, so caches keep the two apart.
    r = await cors_client.get(r.headers["location"], headers=bearer(p.vendor.admin_key))
    assert r.headers["vary"] == "Origin"
    assert "access-control-allow-origin" not in r.headers

    preflight = await cors_client.options(
        "/api/v1/engagements",
        headers=origin
        | {
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "if-match, authorization",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-methods"] == "DELETE, GET, HEAD, PATCH, POST"
    foreign = await cors_client.get("/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in foreign.headers


async def test_options_lists_every_method_of_the_path(api: EngagementApi) -> None:
    p = await api.parties()
    e = await api.create_engagement(p)
    for path, allowed in (
        (f"/api/v1/engagements/{e['id']}/proposals", "GET, OPTIONS, POST"),
        (f"/api/v1/organisations/{p.vendor.id}/api-keys", "GET, OPTIONS, POST"),
        (f"/api/v1/engagements/{e['id']}", "GET, OPTIONS, PATCH"),
    ):
        r = await api.client.options(path)
        assert r.status_code == 204
        assert r.headers["allow"] == allowed, path


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("state=draft&state=signed", "state"),
        ("state=null", "state"),
        ("counterparty_id=null", "counterparty_id"),
    ],
)
async def test_a_query_parameter_takes_one_value_and_null_is_none(
    api: EngagementApi, query: str, field: str
) -> None:
    p = await api.parties()
    r = await api.client.get(f"/api/v1/engagements?{query}", headers=bearer(p.vendor.admin_key))
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == [field]
