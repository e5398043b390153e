"""The bad-input corpus on every text field of every write route (SPEC sections 5 and 10).

Each value either gets a 4xx problem naming the field, with the database exactly as before, or
is stored and read back exactly; and every accepted text still renders in the contract.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape

import asyncpg
import httpx
import pytest

from tests.reliability.support import (
    ROUTE_BY_NAME,
    World,
    database_state,
    make_world,
    nested,
    problem_fields,
)
from tests.support.factories import OPERATOR_KEY, EngagementApi, bearer, proposal_body

MB = 1024 * 1024

# Texts that must be refused naming the field, or kept exactly. The readable ones render too.
TEXTS: dict[str, str] = {
    "c0_controls": "a\x01b\x07c\x1f",
    "nul": "before\x00after",
    "tab_lf_cr": "line one\tcol\nline two\r\nend",
    "c1_controls": "a\x80b\x85c\x9f",
    "noncharacter_fffe": "a\ufffeb",
    "noncharacter_ffff": "a\uffffb",
    "lone_high_surrogate": "a\ud800b",
    "lone_low_surrogate": "a\udfffb",
    "rtl_override": "\u202eevil.exe\u202c",
    "rtl_marks": "\u200f\u05e9\u05dc\u05d5\u05dd\u200e abc \u061c",  # RLM, Hebrew, LRM, ALM
    "zero_width": "a\u200bb\ufeffc",
    "lithuanian": "ąčęėįšųūž ĄČĘĖĮŠŲŪŽ",
    "norwegian": "æøå ÆØÅ Blåbærsyltetøy",
    "astral": "😀 \U0001d518\U0001d52b",  # outside the BMP
    "combining": "e\u0301 a\u0328",
    "xml_markup": "<w:t>x</w:t>&amp; ]]> \"'",
    "blank": "   ",
    "empty": "",
    "one_mb": "x" * MB,
}
# Values of the wrong type, or that no text field can take.
OTHERS: dict[str, Any] = {
    "nesting_bomb": "__NESTED__",
    "huge_integer": "__HUGE__",
    "huge_float": "__HUGE_FLOAT__",
    "number": 42,
    "boolean": True,
    "object": {"a": "b"},
    "array": ["a"],
    "null": None,
}
RAW = {
    '"__NESTED__"': nested(1000).decode(),
    '"__HUGE__"': "9" * 5000,
    '"__HUGE_FLOAT__"': "1e999999",
}
# What no text field takes (null may be "not given" for an optional field).
NEVER = frozenset(
    {
        "c0_controls",
        "nul",
        "noncharacter_fffe",
        "noncharacter_ffff",
        "lone_high_surrogate",
        "lone_low_surrogate",
    }
    | {"one_mb"}
    | set(OTHERS) - {"null"}
)
# Fields with a format of their own (a slug, an SPDX id, a URI, a digest, a number).
FORMATTED = frozenset(
    {
        "milestones.0.key",
        "ip_terms.open_source_policy.allowed_licences.0",
        "artifact_uri",
        "checksum",
        "components.0.licence",
        "expires_in_days",
        "url",
        "events.0",
    }
)
READABLE = ("lithuanian", "norwegian", "astral", "combining", "xml_markup", "rtl_marks", "rtl_override")
# Readable texts the contract must show as sent (XML-escaped in the document body).
RENDERED = (
    "lithuanian",
    "norwegian",
    "astral",
    "combining",
    "xml_markup",
    "rtl_marks",
    "c1_controls",
    "zero_width",
)


def encode(body: Any) -> bytes:
    """JSON with every non-ASCII character escaped (so lone surrogates travel as ``\\ud800``)."""
    text = json.dumps(body, ensure_ascii=True)
    for marker, raw in RAW.items():
        text = text.replace(marker, raw)
    return text.encode()


def put(body: Any, path: str, value: Any) -> Any:
    target = body
    parts = path.split(".")
    for part in parts[:-1]:
        target = target[int(part)] if isinstance(target, list) else target[part]
    last = parts[-1]
    if isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return body


def get(body: Any, path: str) -> Any:
    for part in path.split("."):
        body = body[int(part)] if isinstance(body, list) else body[part]
    return body


# --- how each route's stored values are read back --------------------------------------------------


async def _read(w: World, url: str, key: str | None = None) -> Any:
    r = await w.api.client.get(url, headers=bearer(key or w.p.vendor.admin_key))
    assert r.status_code == 200, r.text
    return r.json()


async def _organisation(w: World, r: httpx.Response) -> Any:
    return await _read(w, f"/api/v1/organisations/{r.json()['id']}", OPERATOR_KEY)


async def _api_key(w: World, r: httpx.Response) -> Any:
    return await _read(w, f"/api/v1/organisations/{w.p.vendor.id}/api-keys/{r.json()['id']}")


async def _engagement(w: World, r: httpx.Response) -> Any:
    return await _read(w, f"/api/v1/engagements/{r.json()['id']}")


async def _proposal(w: World, r: httpx.Response) -> Any:
    return await _read(w, f"/api/v1/engagements/{w.draft}/proposals/{r.json()['revision']}")


async def _withdrawal(w: World, r: httpx.Response) -> Any:
    events = await _read(w, f"/api/v1/engagements/{r.json()['id']}/events?limit=100")
    return events["items"][-1]["payload"]


async def _delivery(w: World, r: httpx.Response) -> Any:
    milestone = await _read(w, f"/api/v1/engagements/{w.developing}/milestones/m2")
    return next(d for d in milestone["deliveries"] if d["id"] == r.json()["id"])


async def _payment(w: World, r: httpx.Response) -> Any:
    milestone = await _read(w, f"/api/v1/engagements/{w.developing}/milestones/m1")
    return milestone["payments"][-1]


async def _webhook(w: World, r: httpx.Response) -> Any:
    return await _read(w, f"/api/v1/webhooks/{r.json()['id']}")


async def _nothing_to_read(w: World, r: httpx.Response) -> Any:
    raise AssertionError(f"an integer field took a text: {r.text}")


ReadBack = Callable[[World, httpx.Response], Any]
# route name -> (text fields, how to read back, where the stored value sits in what is read back)
FIELDS: dict[str, tuple[tuple[str, ...], ReadBack, Callable[[str], str]]] = {
    "createOrganisation": (("name", "vat_code", "address", "clusters.0"), _organisation, str),
    "createApiKey": (("name",), _api_key, str),
    "createEngagement": (
        ("title", "summary", "funding.programme", "funding.call_code", "funding.programme_operator"),
        _engagement,
        str,
    ),
    "patchEngagement": (
        (
            "title",
            "summary",
            "signatories.vendor.name",
            "signatories.vendor.title",
            "signatories.vendor.authority",
        ),
        _engagement,
        str,
    ),
    "createProposal": (
        (
            "scope",
            "milestones.0.key",
            "milestones.0.title",
            "milestones.0.description",
            "milestones.0.acceptance_criteria",
            "ip_terms.background_ip.vendor.assets.0.title",
            "ip_terms.background_ip.vendor.assets.0.description",
            "ip_terms.background_ip.startup.licence",
            "ip_terms.open_source_policy.allowed_licences.0",
        ),
        _proposal,
        str,
    ),
    "fireAction": (("reason",), _withdrawal, str),
    "createDelivery": (
        (
            "artifact_uri",
            "checksum",
            "notes",
            "components.0.name",
            "components.0.version",
            "components.0.licence",
        ),
        _delivery,
        str,
    ),
    "fireMilestoneAction": (("reference",), _payment, str),
    "createContractLink": (("expires_in_days",), _nothing_to_read, str),
    "createWebhook": (("url", "events.0"), _webhook, str),
}


def _base_body(w: World, route_name: str) -> dict[str, Any]:
    body = ROUTE_BY_NAME[route_name].body(w)
    if route_name == "createEngagement":
        body["funding"] = {
            "programme": "Norway Grants",
            "call_code": "LT-INNO-2026-01",
            "scheme": "small_grant",
            "grant_bounds": {"minimum": 10000, "maximum": 200000},
            "grant_amount": 30000,
            "cofinancing_rate": 0.7,
            "aid_basis": "de_minimis",
            "programme_operator": "MITA",
        }
    if route_name == "patchEngagement":
        body = {
            "signatories": {"vendor": {"name": "Rūta Jonaitė", "title": "Director", "authority": "Articles"}}
        }
    return body


@pytest.fixture(scope="module")
async def corpus_world(settings: object, db: asyncpg.Connection, client: Any) -> World:
    """One world for the whole corpus (its routes accept many requests in the states it is in)."""
    tables = await db.fetch(
        "select tablename from pg_tables where schemaname = 'public' and tablename <> 'schema_migrations'"
    )
    await db.execute(
        f"truncate {', '.join(repr(t['tablename']).replace(chr(39), chr(34)) for t in tables)} cascade"
    )
    return await make_world(EngagementApi(client))


CASES = [(route, field) for route, (fields, _, _) in FIELDS.items() for field in fields]


@pytest.mark.parametrize(("route_name", "field"), CASES, ids=[f"{r}:{f}" for r, f in CASES])
async def test_every_corpus_value_is_refused_naming_the_field_or_kept_exactly(
    corpus_world: World, db: asyncpg.Connection, route_name: str, field: str
) -> None:
    w = corpus_world
    route = ROUTE_BY_NAME[route_name]
    _, read_back, _ = FIELDS[route_name]
    outcomes: dict[str, str] = {}
    for name, value in {**TEXTS, **OTHERS}.items():
        if route_name == "fireAction":  # a withdrawal ends an engagement: one fresh draft per value
            w.draft = str((await w.api.create_engagement(w.p))["id"])
        body = put(_base_body(w, route_name), field, value)
        if route_name == "createDelivery" and not field.startswith("components"):
            body["components"] = []  # a delivery's components are checked for duplicates across calls
        before = await database_state(db)
        r = await route.call(w, content=encode(body))
        assert r.status_code < 500, (name, r.text)
        if r.status_code >= 400:
            named = problem_fields(r, r.status_code)
            assert any(f == field or f.startswith(field + ".") for f in named), (name, r.text)
            assert await database_state(db) == before, name
            outcomes[name] = "refused"
            continue
        assert r.status_code in (200, 201), (name, r.text)
        stored = await read_back(w, r)
        assert get(stored, field) == value, (name, get(stored, field), value)
        outcomes[name] = "kept"
    # Whatever the field, these never get in: they cannot go into a document, or are not text.
    never = {*NEVER, *TEXTS} if route_name == "createContractLink" else NEVER
    assert {name: outcomes[name] for name in never} == dict.fromkeys(never, "refused")
    # And a free-text field takes every language and mark as it is, nothing stripped or folded.
    if field not in FORMATTED:
        assert {name: outcomes[name] for name in READABLE} == dict.fromkeys(READABLE, "kept")


async def test_accepted_texts_render_in_the_contract(api: EngagementApi) -> None:
    """Every readable corpus text, in every text field the contract shows, appears in it exactly."""
    p = await api.parties()
    for name in RENDERED:
        text = TEXTS[name]
        body = proposal_body(scope=f"scope {text}")
        m = body["milestones"][0]
        m |= {"title": f"title {text}", "description": f"desc {text}", "acceptance_criteria": f"crit {text}"}
        asset = {"title": f"asset {text}", "description": f"about {text}"}
        body["ip_terms"]["background_ip"]["vendor"] = {"assets": [asset], "licence": f"licence {text}"}
        e = await api.to_terms_agreed(p, body, title=f"T {text}"[:200], summary=f"summary {text}")
        xml = await api.generated_document_xml(e["id"], p.vendor.admin_key)
        shown = escape(text)
        for label in ("scope", "title", "desc", "crit", "asset", "about", "licence"):
            assert f"{label} {shown}" in xml, (name, label)


DATES: dict[str, Any] = {
    "year_0": "0000-01-01",
    "year_10000": "10000-01-01",
    "negative_year": "-0001-01-01",
    "month_13": "2026-13-01",
    "february_30": "2026-02-30",
    "unpadded": "2026-1-1",
    "with_time": "2026-01-01T00:00:00Z",
    "number": 20260101,
    "empty": "",
    "first_day": "0001-01-01",
    "last_day": "9999-12-31",
}
VALID_DATES = ("first_day", "last_day")


@pytest.mark.parametrize(
    ("route_name", "field"), [("createProposal", "milestones.0.due_date"), ("fireMilestoneAction", "paid_on")]
)
async def test_dates_out_of_range_are_refused_naming_the_field_or_kept_exactly(
    corpus_world: World, db: asyncpg.Connection, route_name: str, field: str
) -> None:
    w = corpus_world
    route = ROUTE_BY_NAME[route_name]
    _, read_back, _ = FIELDS[route_name]
    for name, value in DATES.items():
        before = await database_state(db)
        r = await route.call(w, content=encode(put(_base_body(w, route_name), field, value)))
        assert r.status_code < 500, (name, r.text)
        if name not in VALID_DATES:
            assert field in problem_fields(r, 422), (name, r.text)
            assert await database_state(db) == before, name
            continue
        if r.status_code >= 400:  # a valid date a rule refuses (e.g. a payment dated in the future)
            assert field in problem_fields(r, r.status_code), (name, r.text)
            continue
        assert get(await read_back(w, r), field) == value, name


async def test_the_extreme_valid_due_dates_render(api: EngagementApi) -> None:
    p = await api.parties()
    body = proposal_body()
    body["milestones"][0]["due_date"] = DATES["first_day"]
    body["milestones"][1]["due_date"] = DATES["last_day"]
    e = await api.to_terms_agreed(p, body)
    xml = await api.generated_document_xml(e["id"], p.vendor.admin_key)
    assert "9999" in xml
