"""HTTP details every route keeps: JSON-only bodies, entity tags and conditional requests (RFC 9110)."""

from __future__ import annotations

from typing import Any, Literal

from litestar import Request
from litestar.enums import ScopeType
from litestar.exceptions import HTTPException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from workflows import FieldError, PreconditionFailed, RuleViolation

JSON_MEDIA_TYPES = ("application/json",)


class UnsupportedMediaType(HTTPException):
    status_code = 415


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type in JSON_MEDIA_TYPES or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def _has_body(request: Request[Any, Any, Any]) -> bool:
    length = request.headers.get("content-length")
    if length is not None:
        return length.strip() not in ("", "0")
    return "transfer-encoding" in request.headers


def _query_errors(request: Request[Any, Any, Any]) -> list[FieldError]:
    """Every query parameter of this API takes one value, and ``null`` is none of them (Litestar would
    read ``?state=null`` as "no filter" and a repeated parameter as one of its values)."""
    errors = []
    for name in dict.fromkeys(request.query_params.keys()):
        values = request.query_params.getall(name)
        if len(values) > 1:
            errors.append(FieldError(name, "give this query parameter once"))
        elif values[0] == "null":
            errors.append(FieldError(name, "'null' is not a value; leave the parameter out instead"))
    return errors


async def check_request(request: Request[Any, Any, Any]) -> None:
    """Before-request hook, after the route's guards: query parameters one value each; a handler that
    reads a body reads JSON only, anything else is a 415 (text or a form is never parsed as JSON).
    A request without a body passes (optional bodies)."""
    if errors := _query_errors(request):
        raise RuleViolation(errors)
    if "data" not in request.route_handler.parsed_fn_signature.parameters or not _has_body(request):
        return
    content_type = request.headers.get("content-type", "")
    if not _is_json(content_type):
        given = content_type.split(";", 1)[0].strip() or "none"
        raise UnsupportedMediaType(
            detail=f"the request body must be application/json (Content-Type was {given})",
            headers={"Accept-Post": "application/json", "Accept-Patch": "application/json"},
        )


# --- entity tags ---------------------------------------------------------------------------------


def _tags(header: str) -> list[str]:
    return [tag.strip() for tag in header.split(",") if tag.strip()]


def _opaque(tag: str) -> str:
    """The tag without a weak marker: what weak comparison compares."""
    return tag.removeprefix("W/")


def none_match(header: str | None, etag: str) -> bool:
    """Whether ``If-None-Match`` names the current ``etag`` (or is ``*``): weak comparison (RFC 9110 13.1.2),
    so a GET answers 304."""
    if header is None:
        return False
    tags = _tags(header)
    return "*" in tags or _opaque(etag) in {_opaque(tag) for tag in tags}


def parse_if_match(header: str | None) -> frozenset[int] | Literal["*"] | None:
    """``If-Match`` on an engagement: None when absent, ``"*"`` (any current version), or the versions named.

    Strong comparison (RFC 9110 13.1.1): a weak tag (``W/"7"``) never matches, so a header naming
    only weak tags, or tags this service never issued, fails with 412.
    """
    if header is None:
        return None
    tags = _tags(header)
    if tags == ["*"]:
        return "*"
    versions = {
        int(tag.strip('"'))
        for tag in tags
        if tag.startswith('"') and tag.endswith('"') and tag[1:-1].isdigit()
    }
    if not versions:
        weak = any(tag.startswith("W/") for tag in tags)
        why = "weak tags never match If-Match" if weak else "it is not an ETag this service issued"
        raise PreconditionFailed(f"If-Match {header!r} cannot match: {why}")
    return frozenset(versions)


# --- OPTIONS -------------------------------------------------------------------------------------


class AllowHeaderMiddleware(ASGIMiddleware):
    """``Allow`` on OPTIONS lists every method of the path.

    Litestar builds each path's OPTIONS handler when the path's first handler is registered, and
    that handler keeps the methods known then: a path whose GET and POST are registered apart would
    answer ``Allow: OPTIONS, POST``. This takes the methods from the finished route table instead.
    """

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if scope.get("method") != "OPTIONS":
            await next_app(scope, receive, send)
            return
        template = scope.get("path_template")
        methods = {
            method
            for route in scope["litestar_app"].routes
            if route.path_format == template
            for method in getattr(route, "methods", ())
        }

        async def send_allow(message: Any) -> None:
            if message["type"] == "http.response.start" and methods:
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"allow"]
                message["headers"] = [*headers, (b"allow", ", ".join(sorted(methods)).encode())]
            await send(message)

        await next_app(scope, receive, send_allow)
