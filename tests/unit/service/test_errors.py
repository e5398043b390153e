"""The one error mapping, exercised on a tiny app without a database."""

from __future__ import annotations

import logging

import asyncpg
import msgspec
import pytest
from litestar import Litestar, get, post
from litestar.params import JSONBody
from litestar.testing import TestClient

from service.errors import Unauthorized, exception_to_problem
from workflows.errors import (
    Conflict,
    DomainError,
    FieldError,
    Forbidden,
    InvalidTransition,
    NotFound,
    PreconditionFailed,
    RuleViolation,
)


class Body(msgspec.Struct, forbid_unknown_fields=True):
    name: str


def raiser(exc: Exception) -> Litestar:
    @get("/boom", sync_to_thread=False)
    def boom() -> None:
        raise exc

    @post("/body", sync_to_thread=False)
    def body(data: JSONBody[Body]) -> str:
        return data.name

    return Litestar([boom, body], exception_handlers={Exception: exception_to_problem}, logging_config=None)


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (NotFound("no such engagement"), 404),
        (Forbidden("not your role"), 403),
        (Conflict("already signed"), 409),
        (InvalidTransition("cannot approve a draft"), 409),
        (PreconditionFailed("stale version"), 412),
        (RuleViolation.one("ip_terms.shares", "must sum to 100"), 422),
        (Unauthorized("bad key"), 401),
    ],
)
def test_domain_errors_map_to_their_status(exc: DomainError, status: int) -> None:
    with TestClient(raiser(exc)) as client:
        r = client.get("/boom")
    assert r.status_code == status
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status
    assert body["detail"] == exc.detail
    assert body["title"] == exc.title
    assert body["type"].startswith("urn:jointip:problem:")


def test_rule_violation_lists_every_field() -> None:
    exc = RuleViolation([FieldError("a", "bad"), FieldError("b.0.c", "worse")])
    with TestClient(raiser(exc)) as client:
        body = client.get("/boom").json()
    assert body["errors"] == [{"field": "a", "message": "bad"}, {"field": "b.0.c", "message": "worse"}]


def test_unexpected_exception_is_a_generic_500_without_internals(caplog: pytest.LogCaptureFixture) -> None:
    with (
        caplog.at_level(logging.ERROR, logger="jointip.errors"),
        TestClient(raiser(RuntimeError("db password=hunter2"))) as client,
    ):
        r = client.get("/boom", headers={"X-Request-ID": "req-42"})
    assert r.status_code == 500
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "hunter2" not in r.text
    assert "RuntimeError" not in r.text
    body = r.json()
    assert body["request_id"]
    assert body["request_id"] in caplog.text
    assert "hunter2" in caplog.text  # the log keeps the detail for the operator


def test_unknown_field_names_the_field() -> None:
    with TestClient(raiser(RuntimeError())) as client:
        r = client.post("/body", json={"name": "x", "extra": 1})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "extra"


def test_rule_violation_needs_an_error() -> None:
    with pytest.raises(ValueError, match="at least one"):
        RuleViolation([])


@pytest.mark.parametrize(
    "exc",
    [
        asyncpg.CannotConnectNowError("starting up"),
        ConnectionRefusedError(111, "refused"),
        asyncpg.ConnectionDoesNotExistError("gone"),
    ],
)
def test_a_lost_database_is_503_with_retry_after(exc: Exception) -> None:
    with TestClient(raiser(exc)) as client:
        r = client.get("/boom")
    assert r.status_code == 503
    assert r.headers["retry-after"] == "1"
    assert r.json()["type"] == "urn:jointip:problem:database-unavailable"


def test_a_deadlock_is_a_retryable_409() -> None:
    with TestClient(raiser(asyncpg.DeadlockDetectedError("deadlock"))) as client:
        r = client.get("/boom")
    assert r.status_code == 409
