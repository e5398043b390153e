"""Every failure is an RFC 9457 problem; the platform routes answer as documented."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from tests.support.factories import OPERATOR_KEY, Api, EngagementApi, bearer, organisation_body

PROBLEM = "application/problem+json"


def assert_problem(r: object, status: int) -> dict[str, object]:
    import httpx

    assert isinstance(r, httpx.Response)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["status"] == status
    assert {"type", "title", "status", "detail"} <= set(body)
    return dict(body)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer jtp_not-a-real-key"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer "},
    ],
)
async def test_missing_or_wrong_key_is_401(api: Api, headers: dict[str, str]) -> None:
    body = assert_problem(await api.client.get("/api/v1/me", headers=headers), 401)
    assert "Authorization" in str(body["detail"]) or "API key" in str(body["detail"])


async def test_401_carries_a_bearer_challenge(api: Api) -> None:
    r = await api.client.get("/api/v1/me")
    assert r.headers["www-authenticate"].startswith("Bearer")


async def test_unknown_path_is_a_404_problem(api: Api) -> None:
    assert_problem(await api.client.get("/api/v1/no-such-thing", headers=bearer(OPERATOR_KEY)), 404)
    assert_problem(await api.client.get("/nowhere"), 404)


async def test_wrong_method_is_a_405_problem(api: Api) -> None:
    assert_problem(await api.client.delete("/api/v1/me", headers=bearer(OPERATOR_KEY)), 405)


async def test_a_20_mb_body_is_413(api: Api) -> None:
    big = b'{"name": "' + b"x" * (20 * 1024 * 1024) + b'"}'
    r = await api.client.post(
        "/api/v1/organisations",
        content=big,
        headers={**bearer(OPERATOR_KEY), "content-type": "application/json"},
    )
    assert_problem(r, 413)


async def test_malformed_json_is_400(api: Api) -> None:
    r = await api.client.post(
        "/api/v1/organisations",
        content=b'{"name": ',
        headers={**bearer(OPERATOR_KEY), "content-type": "application/json"},
    )
    assert_problem(r, 400)


async def test_wrong_types_name_their_fields(api: Api) -> None:
    body = {**organisation_body(), "clusters": "ICT"}
    problem = assert_problem(
        await api.client.post("/api/v1/organisations", json=body, headers=bearer(OPERATOR_KEY)), 422
    )
    assert problem["errors"] == [{"field": "clusters", "message": problem["errors"][0]["message"]}]  # type: ignore[index]


async def test_missing_field_is_named(api: Api) -> None:
    body = organisation_body()
    del body["registration_code"]
    problem = assert_problem(
        await api.client.post("/api/v1/organisations", json=body, headers=bearer(OPERATOR_KEY)), 422
    )
    assert problem["errors"][0]["field"] == "registration_code"  # type: ignore[index]


async def test_malformed_path_id_is_a_4xx_problem(api: Api) -> None:
    r = await api.client.get("/api/v1/organisations/not-a-uuid", headers=bearer(OPERATOR_KEY))
    assert 400 <= r.status_code < 500
    assert r.headers["content-type"].startswith(PROBLEM)


async def test_health_and_ready(api: Api) -> None:
    assert (await api.client.get("/health")).json() == {"status": "ok"}
    ready = await api.client.get("/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready"}


async def test_every_response_carries_a_request_id(api: Api) -> None:
    r = await api.client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    assert len((await api.client.get("/health")).headers["x-request-id"]) == 32


async def test_openapi_is_valid_3_1_with_operation_ids(api: Api) -> None:
    r = await api.client.get("/schema/openapi.json")
    assert r.status_code == 200
    spec = r.json()
    assert spec["openapi"].startswith("3.1")
    validate(spec)
    operations = [op for path in spec["paths"].values() for op in path.values() if isinstance(op, dict)]
    ids = [op.get("operationId") for op in operations]
    assert all(ids)
    assert len(ids) == len(set(ids))
    assert {"createOrganisation", "getOrganisation", "createApiKey", "getMe", "health", "ready"} <= set(ids)
    docs = await api.client.get("/schema")
    assert docs.status_code == 200
    assert "text/html" in docs.headers["content-type"]


async def test_options_on_an_engagement_route_is_not_a_500(api: Api) -> None:
    r = await api.client.options("/api/v1/engagements/00000000-0000-4000-8000-000000000000/events")
    assert r.status_code < 500


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/engagements/{id}/events?cursor=99999999999999999999",
        "/api/v1/engagements/{id}/proposals?cursor=99999999999999999999",
        "/api/v1/engagements/{id}/proposals/99999999999999999999",
        "/api/v1/engagements?cursor=99999999999999999999",
        "/api/v1/engagements?limit=0",
    ],
)
async def test_out_of_range_numbers_are_4xx(api: EngagementApi, path: str) -> None:
    p = await api.parties()
    e = await api.create_engagement(p)
    r = await api.client.get(path.replace("{id}", e["id"]), headers=bearer(p.vendor.admin_key))
    assert 400 <= r.status_code < 500
    assert r.headers["content-type"].startswith(PROBLEM)


async def test_metrics_are_exposed_for_prometheus(api: Api) -> None:
    await api.client.get("/health")
    r = await api.client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    assert "jointip_requests_total" in r.text
    assert 'path="/health"' in r.text
