"""The one mapping from exceptions to RFC 9457 problem+json responses.

The error tree itself lives in ``workflows.errors`` (the pure core raises it);
this module adds the shell's two errors and turns everything into a problem::

    DomainError (workflows.errors)        -> 404 / 403 / 409 / 412 / 422
     +-- Unauthorized (here)              -> 401 with WWW-Authenticate
     +-- PreconditionRequired (here)      -> 428 (a write that needs If-Match came without one)
     +-- Gone (here)                      -> 410 (an expired download link)
     +-- TooManyRequests (here)           -> 429 with Retry-After (failed sign-ins)
    litestar HTTPException                -> its status (validation -> 422, bad JSON -> 400)
    lost / refused / busy database         -> 503 with Retry-After (``is_database_unavailable``)
    deadlock / serialization failure      -> 409 (nothing was committed; retry)
    any other Exception                   -> 500, logged with the request id, no internals
"""

from __future__ import annotations

import contextlib
import logging
import re
import uuid
from http import HTTPStatus
from typing import Any

import asyncpg
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from workflows import (
    Conflict,
    DomainError,
    FieldError,
    Forbidden,
    NotFound,
    PreconditionFailed,
    RuleViolation,
)

PROBLEM_MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("jointip.errors")


class Unauthorized(DomainError):
    title = "Unauthorized"


class PreconditionRequired(DomainError):
    title = "Precondition required"


class Gone(DomainError):
    title = "Gone"


class TooManyRequests(DomainError):
    title = "Too many requests"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


_DOMAIN_STATUS: tuple[tuple[type[DomainError], int, str], ...] = (
    (Unauthorized, 401, "unauthorized"),
    (PreconditionRequired, 428, "precondition-required"),
    (Gone, 410, "gone"),
    (TooManyRequests, 429, "too-many-requests"),
    (NotFound, 404, "not-found"),
    (Forbidden, 403, "forbidden"),
    (PreconditionFailed, 412, "precondition-failed"),
    (Conflict, 409, "conflict"),
    (RuleViolation, 422, "validation"),
)

# Litestar reports msgspec errors with a key like "sub[0].tags[0]" ("data" for the body itself)
# and a message that names the offending field for unknown and missing fields.
_NAMED_FIELD = re.compile(r"(?:unknown|missing required) field `(?P<field>[^`]+)`")


def problem(
    status: int,
    slug: str,
    detail: str,
    *,
    title: str | None = None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "type": f"urn:jointip:problem:{slug}",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = [{"field": e.field, "message": e.message} for e in errors]
    if extra:
        body.update(extra)
    return Response(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _domain_problem(exc: DomainError) -> Response[dict[str, Any]]:
    for cls, status, slug in _DOMAIN_STATUS:
        if isinstance(exc, cls):
            errors = exc.errors if isinstance(exc, RuleViolation) else None
            headers = {"WWW-Authenticate": 'Bearer realm="jointip"'} if status == 401 else None
            if isinstance(exc, TooManyRequests):
                headers = {"Retry-After": str(exc.retry_after)}
            return problem(status, slug, exc.detail, title=exc.title, errors=errors, headers=headers)
    return problem(400, "bad-request", exc.detail, title=exc.title)


def _field_of(item: dict[str, Any]) -> str:
    """Name the field of one Litestar/msgspec validation message as a dotted path (``milestones.0.fee``)."""
    key = str(item.get("key") or "")
    parts = [] if key == "data" else [p for p in re.split(r"[.\[\]]+", key) if p]
    if named := _NAMED_FIELD.search(str(item.get("message", ""))):
        parts.append(named["field"])
    return ".".join(parts) or "body"


def _wire_names(request: Request[Any, Any, Any]) -> dict[str, str]:
    """Handler parameter names -> the names clients send (``state_filter`` -> ``state``)."""
    names = {}
    with contextlib.suppress(Exception):  # no handler resolved (e.g. an error before routing)
        for name, param in request.route_handler.parsed_fn_signature.parameters.items():
            alias = getattr(param.kwarg_definition, "name", None) or getattr(
                param.kwarg_definition, "query", None
            )
            if isinstance(alias, str):
                names[name] = alias
    return names


def _validation_problem(
    request: Request[Any, Any, Any], exc: ValidationException
) -> Response[dict[str, Any]]:
    items = exc.extra if isinstance(exc.extra, list) else []
    wire = _wire_names(request)
    errors = [
        FieldError(wire.get(field, field), str(i.get("message", "")))
        for i in items
        if isinstance(i, dict)
        for field in [_field_of(i)]
    ]
    if not errors or any("malformed" in e.message.lower() for e in errors):
        return problem(400, "malformed-body", f"The request body could not be read: {exc.detail}")
    detail = "; ".join(f"{e.field}: {e.message}" for e in errors)
    return problem(422, "validation", detail, title="Validation failed", errors=errors)


def _http_problem(exc: HTTPException) -> Response[dict[str, Any]]:
    status = exc.status_code
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    detail = exc.detail if exc.detail and exc.detail != phrase else phrase
    slug = phrase.lower().replace(" ", "-")
    headers = dict(exc.headers or {})
    if status == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="jointip"')
    if status == 429 and "Retry-After" not in headers and "RateLimit-Reset" in headers:
        headers["Retry-After"] = headers[
            "RateLimit-Reset"
        ]  # Litestar's limiter sends only the draft's header
    return problem(status, slug, detail, headers=headers or None)


# The database went away (restart, failover, network), is starting up or shutting down, has no
# connection to spare, or a connection broke mid-protocol: the request may be retried. OSError
# includes TimeoutError (asyncio's too), so pool and connect timeouts are here as well.
_UNAVAILABLE = (
    OSError,
    asyncpg.PostgresConnectionError,  # ConnectionDoesNotExistError, ConnectionFailureError, ...
    asyncpg.CannotConnectNowError,  # the server is starting, stopping or in recovery
    asyncpg.InterfaceError,  # "connection is closed", "pool is closing", ...
    asyncpg.InternalClientError,  # "cannot switch to state ...; another operation is in progress"
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
)


def is_database_unavailable(exc: BaseException) -> bool:
    """A fault of the database connection, not of the request (also when wrapped in a group)."""
    if isinstance(exc, BaseExceptionGroup):
        return bool(exc.exceptions) and all(is_database_unavailable(e) for e in exc.exceptions)
    return isinstance(exc, _UNAVAILABLE)


_RETRYABLE = (asyncpg.DeadlockDetectedError, asyncpg.SerializationError)


def request_id(request: Request[Any, Any, Any]) -> str:
    rid = request.scope.get("state", {}).get("request_id")
    return str(rid) if rid else uuid.uuid4().hex


def exception_to_problem(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """The single exception handler registered on the app; every problem carries the request id."""
    response = _problem_for(request, exc)
    response.content.setdefault("request_id", request_id(request))
    # Also on answers no route's middleware wraps (a path that matches no route).
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


def _problem_for(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    if isinstance(exc, DomainError):
        return _domain_problem(exc)
    if isinstance(exc, ValidationException):
        return _validation_problem(request, exc)
    if isinstance(exc, HTTPException) and exc.status_code < 500:
        return _http_problem(exc)
    rid = request_id(request)
    if is_database_unavailable(exc):
        log.warning(
            "database unavailable in %s %s (request %s): %r", request.method, request.url.path, rid, exc
        )
        return problem(
            503,
            "database-unavailable",
            "The database is unavailable; nothing was changed. Retry shortly.",
            headers={"Retry-After": "1", "X-Request-ID": rid},
        )
    if isinstance(exc, _RETRYABLE):
        return problem(
            409, "retry", "The request collided with a concurrent change and was rolled back; retry it."
        )
    log.error("unhandled error in %s %s (request %s)", request.method, request.url.path, rid, exc_info=exc)
    return problem(
        500,
        "internal",
        f"An unexpected error occurred. Quote request id {rid} when reporting it.",
        extra={"request_id": rid},
        headers={"X-Request-ID": rid},
    )
