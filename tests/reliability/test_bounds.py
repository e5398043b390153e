"""Every input is bounded (SPEC section 10): nesting, header lengths, titles, numbers, sizes,
artifact locations, failed authentication, and the smaller items.

Each refused case is a 4xx problem naming the field, and the database is exactly as before it.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import asyncpg
import docx
import pytest
from litestar.testing import AsyncTestClient

from service import Settings, create_app
from tests.reliability.support import (
    ROUTE_BY_NAME,
    ROUTES,
    Route,
    World,
    database_state,
    make_world,
    nested,
    problem_fields,
)
from tests.support.factories import (
    EngagementApi,
    bearer,
    delivery_body,
    engagement_body,
    proposal_body,
    walk_to_signed,
)
from tests.support.openapi import input_schemas
from workflows import (
    MAX_ASSETS,
    MAX_LICENCES,
    MAX_LONG_TEXT,
    MAX_MILESTONES,
    MAX_NAME,
    MAX_PARAGRAPH,
    MAX_TITLE,
)

pytestmark = pytest.mark.usefixtures("clean_db")
MIGRATION_0011 = next((Path(__file__).parents[2] / "db" / "migrations").glob("0011_*.sql"))


@pytest.fixture
async def world(api: EngagementApi) -> World:
    return await make_world(api)


async def assert_refused(
    db: asyncpg.Connection,
    w: World,
    route: Route,
    field: str,
    *,
    json_body: Any = None,
    content: bytes | None = None,
    headers: dict[str, str] | None = None,
    status: int = 422,
) -> None:
    """``route`` refuses the request with ``status`` naming ``field``, and nothing changed."""
    before = await database_state(db)
    r = await route.call(w, json=json_body, content=content, headers=headers)
    assert field in problem_fields(r, status), r.text
    assert await database_state(db) == before


# A text field of each write route, to carry the bombs below.
TEXT_FIELD = {
    "createOrganisation": "name",
    "createApiKey": "name",
    "createEngagement": "title",
    "patchEngagement": "title",
    "createProposal": "scope",
    "fireAction": "reason",
    "createDelivery": "notes",
    "fireMilestoneAction": "reference",
    "createContractLink": "expires_in_days",
    "createWebhook": "url",
}


# --- nesting depth ----------------------------------------------------------------------------


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
async def test_json_nested_1000_deep_is_a_422_on_every_write_route(
    world: World, clean_db: asyncpg.Connection, route: Route
) -> None:
    # As the whole body: the body is named.
    await assert_refused(clean_db, world, route, "body", content=nested(1000))
    # Inside a field of a valid body: that field is named.
    field = TEXT_FIELD[route.name]
    body = json.dumps(route.body(world) | {field: None}).encode()
    bomb = body.replace(f'"{field}": null'.encode(), f'"{field}": '.encode() + nested(1000))
    await assert_refused(clean_db, world, route, field, content=bomb)
    # A 100,000-deep object under an unknown name: the unknown field is named, nothing recurses.
    unknown = b'{"surprise": ' + b'{"a": ' * 100_000 + b"1" + b"}" * 100_000 + b"}"
    await assert_refused(clean_db, world, route, "surprise", content=unknown)


# --- header lengths ---------------------------------------------------------------------------


@pytest.mark.parametrize("route", [ROUTE_BY_NAME["patchEngagement"], ROUTE_BY_NAME["fireAction"]], ids=str)
async def test_an_if_match_of_5000_digits_is_a_422_naming_it(
    world: World, clean_db: asyncpg.Connection, route: Route
) -> None:
    huge = {"If-Match": '"' + "9" * 5000 + '"'}
    await assert_refused(clean_db, world, route, "If-Match", json_body=route.body(world), headers=huge)


@pytest.mark.parametrize(
    "tag", ['"' + "9" * 11 + '"', '"' + "9" * 900 + '"', '"0", "99999999999999999999"', 'W/"1"', '"x"']
)
async def test_an_if_match_no_version_can_have_is_a_412(
    world: World, clean_db: asyncpg.Connection, tag: str
) -> None:
    route = ROUTE_BY_NAME["fireAction"]
    before = await database_state(clean_db)
    r = await route.call(world, json=route.body(world), headers={"If-Match": tag})
    problem_fields(r, 412)
    assert len(r.json()["detail"]) < 200  # the header is not echoed whole
    assert await database_state(clean_db) == before


@pytest.mark.parametrize("key", ["k" * 256, "k" * 5000, "ключ", ""])
async def test_an_idempotency_key_outside_1_to_255_ascii_is_a_422_naming_it(
    world: World, clean_db: asyncpg.Connection, key: str
) -> None:
    route = ROUTE_BY_NAME["createEngagement"]
    before = await database_state(clean_db)
    r = await world.api.client.post(
        route.path(world),
        json=route.body(world),
        headers=bearer(route.key(world)) | {"Idempotency-Key": key.encode()},  # type: ignore[dict-item]
    )
    assert problem_fields(r, (400, 422)) in (["Idempotency-Key"], []), r.text
    assert await database_state(clean_db) == before


# --- a title the DOCX accepts -----------------------------------------------------------------


@pytest.mark.parametrize("length", [MAX_TITLE + 1, 256, 300, 100_000])
async def test_a_title_longer_than_the_documents_accept_is_a_422(
    world: World, clean_db: asyncpg.Connection, length: int
) -> None:
    title = "Ž" * length
    for name in ("createEngagement", "patchEngagement"):
        route = ROUTE_BY_NAME[name]
        await assert_refused(clean_db, world, route, "title", json_body=route.body(world) | {"title": title})


async def test_the_longest_title_renders_in_the_contract_and_the_results_schedule(
    api: EngagementApi,
) -> None:
    p = await api.parties()
    title = ("Šiaurės mokėjimai ÆØÅ " * 20)[:MAX_TITLE]
    api_engagement = api.create_engagement

    async def titled(parties: Any, **over: Any) -> dict[str, Any]:
        return await api_engagement(parties, **({"title": title} | over))

    api.create_engagement = titled  # type: ignore[method-assign]
    eid = await walk_to_signed(api, p)
    assert (await api.act(eid, "start_development", p.vendor.admin_key)).status_code == 200
    contracts = await api.client.get(
        f"/api/v1/engagements/{eid}/contracts", headers=bearer(p.vendor.admin_key)
    )
    cid = contracts.json()["items"][-1]["id"]
    contract = await api.client.get(f"/api/v1/contracts/{cid}/document", headers=bearer(p.vendor.admin_key))
    assert contract.status_code == 200
    schedule = await api.client.get(
        f"/api/v1/engagements/{eid}/results?format=docx", headers=bearer(p.vendor.admin_key)
    )
    assert schedule.status_code == 200, schedule.text
    for download, field in ((contract, "subject"), (schedule, "title")):
        props = docx.Document(io.BytesIO(download.content)).core_properties
        value = getattr(props, field)
        assert title in value
        setattr(props, field, value)  # python-docx refuses more than 255 characters here


# --- exact numbers, never strings, never rounded ----------------------------------------------


def _funding(**over: Any) -> dict[str, Any]:
    return {
        "programme": "Norway Grants: Business Development, Innovation and SMEs",
        "call_code": "LT-INNO-2026-01",
        "scheme": "small_grant",
        "grant_bounds": {"minimum": 10000, "maximum": 200000},
        "grant_amount": 30000,
        "cofinancing_rate": 0.7,
        "aid_basis": "de_minimis",
        **over,
    }


def _with_raw(body: dict[str, Any], path: tuple[str, ...], raw: str) -> bytes:
    """``body`` as JSON with the value at ``path`` written as the raw JSON text ``raw``."""
    marker = "__RAW__"
    target = body
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = marker
    return json.dumps(body).replace(f'"{marker}"', raw).encode()


@pytest.mark.parametrize(
    ("path", "raw"),
    [
        (("funding", "cofinancing_rate"), "0.123456789012345678901234567890"),
        (("funding", "cofinancing_rate"), "0.85251"),
        (("funding", "cofinancing_rate"), '"0.7"'),
        (("funding", "cofinancing_rate"), "1e400"),
        (("funding", "grant_amount"), "1e-400"),
        (("funding", "grant_amount"), '"30000.00"'),
        (("funding", "grant_amount"), "30000.001"),
        (("funding", "grant_amount"), "1" * 400),
        (("funding", "grant_amount"), "9" * 5000),
        (("funding", "grant_amount"), "1e999999999"),
        (("funding", "grant_bounds", "maximum"), '"200000"'),
        (("funding", "grant_amount"), '"NaN"'),
    ],
)
async def test_funding_numbers_are_exact_json_numbers(
    world: World, clean_db: asyncpg.Connection, path: tuple[str, ...], raw: str
) -> None:
    route = ROUTE_BY_NAME["createEngagement"]
    body = _with_raw(route.body(world) | {"funding": _funding()}, path, raw)
    await assert_refused(clean_db, world, route, ".".join(path), content=body)


async def test_a_rate_with_four_places_is_stored_exactly(world: World) -> None:
    route = ROUTE_BY_NAME["createEngagement"]
    body = _with_raw(route.body(world) | {"funding": _funding()}, ("funding", "cofinancing_rate"), "0.8525")
    r = await route.call(world, content=body)
    assert r.status_code == 201, r.text
    assert b'"cofinancing_rate":0.8525' in r.content


@pytest.mark.parametrize(
    ("route_name", "path", "raw"),
    [
        ("createProposal", ("milestones", 0, "fee"), '"12500.00"'),
        ("createProposal", ("milestones", 0, "fee"), "1e-400"),
        ("createProposal", ("milestones", 0, "acceptance_days"), '"14"'),
        ("createProposal", ("milestones", 0, "acceptance_days"), "14.0"),
        ("createProposal", ("milestones", 0, "acceptance_days"), "9" * 30),
        ("createProposal", ("ip_terms", "shares", "vendor"), '"50"'),
        ("createProposal", ("ip_terms", "confidentiality_years"), "true"),
        ("fireMilestoneAction", ("amount",), '"100.00"'),
        ("fireMilestoneAction", ("amount",), "1e-400"),
        ("fireMilestoneAction", ("amount",), "9" * 5000),
        ("fireMilestoneAction", ("paid_on",), '"2026-02-30"'),
        ("fireMilestoneAction", ("paid_on",), '"10000-01-01"'),
        ("fireMilestoneAction", ("paid_on",), "20261130"),
        ("createContractLink", ("expires_in_days",), '"7"'),
    ],
)
async def test_numbers_and_dates_are_refused_in_any_other_shape(
    world: World, clean_db: asyncpg.Connection, route_name: str, path: tuple[Any, ...], raw: str
) -> None:
    route = ROUTE_BY_NAME[route_name]
    body = route.body(world)
    marker = "__RAW__"
    target: Any = body
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = marker
    content = json.dumps(body).replace(f'"{marker}"', raw).encode()
    await assert_refused(clean_db, world, route, ".".join(map(str, path)), content=content)


async def test_the_action_revision_must_be_a_json_integer(world: World, clean_db: asyncpg.Connection) -> None:
    route = ROUTE_BY_NAME["fireAction"]
    await assert_refused(clean_db, world, route, "revision", json_body={"reason": "x", "revision": "1"})


@pytest.mark.parametrize("media_type", ["text/plain", "application/x-www-form-urlencoded", "text/json"])
async def test_a_json_body_sent_as_another_media_type_is_never_parsed(
    world: World, clean_db: asyncpg.Connection, media_type: str
) -> None:
    for route in ROUTES:
        before = await database_state(clean_db)
        content = json.dumps(route.body(world)).encode()
        r = await route.call(world, content=content, headers={"content-type": media_type})
        problem_fields(r, 415)
        assert await database_state(clean_db) == before


# --- sizes -------------------------------------------------------------------------------------


async def test_5000_milestones_are_refused(world: World, clean_db: asyncpg.Connection) -> None:
    route = ROUTE_BY_NAME["createProposal"]
    one = proposal_body(milestones=1)["milestones"][0]
    for count in (5000, MAX_MILESTONES + 1):
        body = proposal_body(milestones=1) | {"milestones": [one | {"key": f"m{i}"} for i in range(count)]}
        await assert_refused(clean_db, world, route, "milestones", json_body=body)


@pytest.mark.parametrize("length", [20_001, 1024 * 1024])
async def test_a_1_mb_scope_is_refused(world: World, clean_db: asyncpg.Connection, length: int) -> None:
    route = ROUTE_BY_NAME["createProposal"]
    await assert_refused(clean_db, world, route, "scope", json_body=proposal_body(scope="ą" * length))


@pytest.mark.parametrize(
    ("route_name", "field", "value"),
    [
        ("createEngagement", "summary", "s" * 20_001),
        ("createOrganisation", "clusters", ["ICT"] * 21),
        ("createOrganisation", "address", "a" * 1001),
        ("createApiKey", "name", "n" * 201),
        ("fireAction", "reason", "r" * 10_001),
        (
            "createDelivery",
            "components",
            [{"name": f"c{i}", "version": "1", "licence": "MIT"} for i in range(1001)],
        ),
        ("createDelivery", "notes", "n" * 10_001),
        ("createDelivery", "artifact_uri", "https://example.com/" + "a" * 2100),
        ("fireMilestoneAction", "reference", "r" * 201),
        ("createProposal", "milestones.0.description", None),
        ("createProposal", "ip_terms.background_ip.vendor.assets", None),
        ("createProposal", "ip_terms.open_source_policy.allowed_licences", None),
    ],
)
async def test_every_list_and_text_has_a_bound(
    world: World, clean_db: asyncpg.Connection, route_name: str, field: str, value: Any
) -> None:
    route = ROUTE_BY_NAME[route_name]
    body = route.body(world)
    if value is None:  # nested: past the bound of a proposal's part
        body = proposal_body()
        terms = body["ip_terms"]
        over = {
            "milestones.0.description": (body["milestones"][0], "description", "d" * (MAX_PARAGRAPH + 1)),
            "ip_terms.background_ip.vendor.assets": (
                terms["background_ip"]["vendor"],
                "assets",
                [{"title": "A", "description": "B"}] * (MAX_ASSETS + 1),
            ),
            "ip_terms.open_source_policy.allowed_licences": (
                terms["open_source_policy"],
                "allowed_licences",
                ["MIT"] * (MAX_LICENCES + 1),
            ),
        }
        target, name, too_much = over[field]
        target[name] = too_much
        await assert_refused(clean_db, world, route, field, json_body=body)
        return
    await assert_refused(clean_db, world, route, field, json_body=body | {field: value})


async def test_clause_comments_are_bounded(world: World, clean_db: asyncpg.Connection) -> None:
    route = ROUTE_BY_NAME["fireAction"]
    comments = [{"clause_id": "results_ip", "comment": "?"}] * 501
    await assert_refused(clean_db, world, route, "clause_comments", json_body={"clause_comments": comments})


async def test_the_largest_allowed_proposal_is_accepted_and_renders(api: EngagementApi) -> None:
    p = await api.parties()
    one = proposal_body(milestones=1)["milestones"][0]
    longest = {
        "title": "T" * MAX_NAME,
        "description": "d" * MAX_PARAGRAPH,
        "acceptance_criteria": "c" * MAX_PARAGRAPH,
    }
    milestones = [one | longest | {"key": f"m{i}"} for i in range(MAX_MILESTONES)]
    body = proposal_body(milestones=1, scope="ž" * MAX_LONG_TEXT) | {"milestones": milestones}
    asset = {"title": "A" * MAX_NAME, "description": "å" * MAX_PARAGRAPH}
    for party in ("vendor", "startup"):
        body["ip_terms"]["background_ip"][party] = {
            "assets": [asset] * MAX_ASSETS,
            "licence": "l" * MAX_PARAGRAPH,
        }
    e = await api.to_terms_agreed(p, body)
    body_xml = await api.generated_document_xml(e["id"], p.vendor.admin_key)
    assert body_xml.count("d" * MAX_PARAGRAPH) == MAX_MILESTONES
    assert "ž" * MAX_LONG_TEXT in body_xml
    assert body_xml.count("å" * MAX_PARAGRAPH) == 2 * MAX_ASSETS


# --- artifact locations -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "uri",
    [
        "file:///etc/passwd",
        "file://localhost/etc/passwd",
        "http://artifacts.example.lt/m1.tar.gz",
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "https://user:secret@artifacts.example.lt/m1.tar.gz",
    ],
)
async def test_artifact_uris_outside_the_allow_list_are_refused(
    world: World, clean_db: asyncpg.Connection, uri: str
) -> None:
    route = ROUTE_BY_NAME["createDelivery"]
    await assert_refused(clean_db, world, route, "artifact_uri", json_body=delivery_body(artifact_uri=uri))


async def test_an_https_artifact_is_recorded(world: World) -> None:
    route = ROUTE_BY_NAME["createDelivery"]
    r = await route.call(world, json=delivery_body(artifact_uri="https://artifacts.example.lt/m1.tar.gz"))
    assert r.status_code == 201, r.text


# --- failed authentication is rate-limited ----------------------------------------------------


@pytest.fixture
async def strict_client(settings: Settings, db: object) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    async with AsyncTestClient(app=create_app(replace(settings, auth_failures_per_minute=3))) as c:
        yield c


async def test_guessing_keys_is_stopped_with_429(
    api: EngagementApi,
    strict_client: AsyncTestClient,  # type: ignore[type-arg]
) -> None:
    org = await api.create_org("vendor")
    guesses = [await strict_client.get("/api/v1/me", headers=bearer(f"jtp_guess_{i}")) for i in range(3)]
    assert [r.status_code for r in guesses] == [401, 401, 401]
    for key in ("jtp_guess_again", org.admin_key, "x" * 10_000):  # a right key does not get through either
        r = await strict_client.get("/api/v1/me", headers=bearer(key))
        assert r.status_code == 429
        assert r.headers["content-type"] == "application/problem+json"
        assert int(r.headers["retry-after"]) >= 1


# --- smaller items -----------------------------------------------------------------------------------


async def test_downloads_and_json_carry_nosniff(world: World) -> None:
    key = bearer(world.p.vendor.admin_key)
    paths = [
        f"/api/v1/contracts/{world.contract_id}/document",
        f"/api/v1/engagements/{world.developing}/results?format=docx",
        f"/api/v1/contracts/{world.contract_id}/compare/{world.contract_id}?format=docx",
        f"/api/v1/engagements/{world.developing}",
        f"/api/v1/engagements/{world.developing}/proposals/999",
        "/api/v1/no-such-route",
    ]
    for path in paths:
        r = await world.api.client.get(path, headers=key)
        assert r.status_code < 500, (path, r.text)
        assert r.headers.get_list("x-content-type-options") == ["nosniff"], path


async def test_key_listings_show_a_public_id_not_the_secret(world: World) -> None:
    org = world.p.vendor
    r = await world.api.client.post(
        f"/api/v1/organisations/{org.id}/api-keys",
        json={"name": "Jonas", "role": "member"},
        headers=bearer(org.admin_key),
    )
    created = r.json()
    key, prefix = created["key"], created["prefix"]
    assert re.fullmatch(r"jtp_[0-9a-f]{8}", prefix)
    secret = key.removeprefix(prefix + "_")
    assert key == f"{prefix}_{secret}"
    assert len(secret) == 43  # 32 random bytes, base64url
    listing = await world.api.client.get(
        f"/api/v1/organisations/{org.id}/api-keys", headers=bearer(org.admin_key)
    )
    listed = {k["id"]: k["prefix"] for k in listing.json()["items"]}
    assert listed[created["id"]] == prefix
    assert all(secret[:4] not in shown for shown in listed.values())
    me = await world.api.client.get("/api/v1/me", headers=bearer(key))
    assert me.status_code == 200


async def test_migration_0011_drops_secret_characters_from_older_prefixes(
    clean_db: asyncpg.Connection,
) -> None:
    sql = MIGRATION_0011.read_text()
    async with clean_db.transaction():
        await clean_db.execute(
            "insert into api_keys (name, role, secret_hash, prefix) values "
            "('old', 'operator', '\\x01', 'jtp_Ab-9_xYz'), ('new', 'operator', '\\x02', 'jtp_0a1b2c3d')"
        )
        await clean_db.execute(sql)
        rows = dict(await clean_db.fetch("select name, prefix from api_keys order by name"))
    assert rows == {"new": "jtp_0a1b2c3d", "old": "jtp_"}


async def test_a_wrong_format_names_the_format_parameter(world: World) -> None:
    for path in (
        f"/api/v1/engagements/{world.developing}/results?format=pdf",
        f"/api/v1/contracts/{world.contract_id}/compare/{world.contract_id}?format=pdf",
    ):
        r = await world.api.client.get(path, headers=bearer(world.p.vendor.admin_key))
        assert problem_fields(r) == ["format"], path


async def test_unknown_fields_are_named_not_ignored(world: World, clean_db: asyncpg.Connection) -> None:
    route = ROUTE_BY_NAME["createEngagement"]
    body = engagement_body(world.p.vendor, world.p.startup) | {"funding": _funding(grant=1)}
    await assert_refused(clean_db, world, route, "funding.grant", json_body=body)


# --- the bounds are in the OpenAPI document ---------------------------------------------------------


def _unbounded(schema: dict[str, Any], where: str) -> list[str]:
    """Where ``schema`` (a property's) admits a value of any size: a string without a length, enum,
    anchored pattern or fixed format, an array without ``maxItems``, a number without ``maximum``.
    Array items that Litestar cannot bound in the schema must say their bound in the description."""
    if "$ref" in schema:
        return []
    found = [e for option in schema.get("oneOf", []) for e in _unbounded(option, where)]
    kind = schema.get("type")
    if kind == "string":
        fixed = schema.get("format") in ("uuid", "date") or str(schema.get("pattern", "")).endswith("$")
        if not ({"maxLength", "enum", "const"} & set(schema) or fixed):
            found.append(where)
    elif kind == "array":
        if "maxItems" not in schema:
            found.append(where)
        items = schema.get("items", {})
        if items.get("type") == "string" and "maxLength" not in items:
            if "characters" not in schema.get("description", ""):
                found.append(where + "[]")
        else:
            found += _unbounded(items, where + "[]")
    elif kind in ("integer", "number") and "maximum" not in schema:
        found.append(where)
    return found


async def test_every_input_field_states_its_bound_in_openapi(api: EngagementApi) -> None:
    doc = (await api.client.get("/schema/openapi.json")).json()
    schemas = doc["components"]["schemas"]
    inputs = input_schemas(doc)
    unbounded = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            for p in op.get("parameters", []):
                if p["in"] in ("query", "header"):
                    unbounded += _unbounded(p["schema"], f"{method} {path} {p['name']}")
    assert {"ProposalInput", "DeliveryInput", "EngagementCreate", "WithdrawBody"} <= inputs
    for name in sorted(inputs):
        for prop, schema in schemas[name].get("properties", {}).items():
            unbounded += _unbounded(schema, f"{name}.{prop}")
    assert unbounded == []
