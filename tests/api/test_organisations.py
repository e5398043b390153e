from __future__ import annotations

import asyncpg
import pytest

from tests.support.factories import OPERATOR_KEY, Api, bearer, organisation_body


async def test_operator_creates_and_reads_an_organisation(api: Api) -> None:
    body = organisation_body("startup", name="Nordlys Analytics AS", clusters=["fintech", "ICT"])
    r = await api.client.post("/api/v1/organisations", json=body, headers=bearer(OPERATOR_KEY))
    assert r.status_code == 201
    org = r.json()
    assert r.headers["location"] == f"/api/v1/organisations/{org['id']}"
    assert {k: org[k] for k in body} == body
    again = await api.client.get(f"/api/v1/organisations/{org['id']}", headers=bearer(OPERATOR_KEY))
    assert again.status_code == 200
    assert again.json() == org


@pytest.mark.parametrize(
    ("country", "code", "message"),
    [
        ("NO", "923609017", "mod-11"),  # 923609016 is valid; the last digit is off by one
        ("NO", "92360901", "9 digits"),
        ("NO", "92360901A", "9 digits"),
        ("LT", "30123456", "9 digits"),
        ("LT", "3012345678", "9 digits"),
    ],
)
async def test_bad_registration_code_is_422_naming_the_field(
    api: Api, db: asyncpg.Connection, country: str, code: str, message: str
) -> None:
    body = organisation_body("startup", country=country, registration_code=code)
    r = await api.client.post("/api/v1/organisations", json=body, headers=bearer(OPERATOR_KEY))
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["status"] == 422
    assert [e["field"] for e in problem["errors"]] == ["registration_code"]
    assert message in problem["errors"][0]["message"]
    assert await db.fetchval("select count(*) from organisations") == 0


async def test_other_countries_accept_free_form_codes(api: Api) -> None:
    body = organisation_body("legal", country="SE", registration_code="556677-8899")
    r = await api.client.post("/api/v1/organisations", json=body, headers=bearer(OPERATOR_KEY))
    assert r.status_code == 201


async def test_unknown_country_and_bad_kind_are_refused(api: Api) -> None:
    r = await api.client.post(
        "/api/v1/organisations",
        json=organisation_body(country="XX", registration_code="1"),
        headers=bearer(OPERATOR_KEY),
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "country"
    r = await api.client.post(
        "/api/v1/organisations", json=organisation_body(kind="bank"), headers=bearer(OPERATOR_KEY)
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "kind"


async def test_unknown_json_field_is_a_4xx_problem_naming_it(api: Api) -> None:
    body = {**organisation_body(), "fax": "+370 5 000000"}
    r = await api.client.post("/api/v1/organisations", json=body, headers=bearer(OPERATOR_KEY))
    assert 400 <= r.status_code < 500
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["field"] == "fax"


async def test_duplicate_registration_code_is_409(api: Api) -> None:
    body = organisation_body("startup")
    first = await api.client.post("/api/v1/organisations", json=body, headers=bearer(OPERATOR_KEY))
    assert first.status_code == 201
    again = await api.client.post("/api/v1/organisations", json=body, headers=bearer(OPERATOR_KEY))
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")


async def test_xml_illegal_text_is_refused_naming_the_field(api: Api) -> None:
    body = organisation_body(address="Gedimino pr. 1\x0b Vilnius")
    r = await api.client.post("/api/v1/organisations", json=body, headers=bearer(OPERATOR_KEY))
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "address"


async def test_lithuanian_and_norwegian_letters_round_trip(api: Api) -> None:
    name = "Ąžuolas ir Ærlig Øvergård UAB — čęėįšųūž åæø"
    org = await api.create_org("vendor", name=name)
    r = await api.client.get(f"/api/v1/organisations/{org.id}", headers=bearer(org.admin_key))
    assert r.json()["name"] == name


async def test_only_the_operator_creates_organisations(api: Api) -> None:
    org = await api.create_org("vendor")
    r = await api.client.post(
        "/api/v1/organisations", json=organisation_body(), headers=bearer(org.admin_key)
    )
    assert r.status_code == 403
    assert r.json()["status"] == 403


async def test_members_see_their_own_organisation_and_not_others(api: Api) -> None:
    mine = await api.create_org("vendor")
    other = await api.create_org("startup")
    assert (
        await api.client.get(f"/api/v1/organisations/{mine.id}", headers=bearer(mine.admin_key))
    ).status_code == 200
    hidden = await api.client.get(f"/api/v1/organisations/{other.id}", headers=bearer(mine.admin_key))
    assert hidden.status_code == 404
    assert hidden.headers["content-type"].startswith("application/problem+json")
