"""HTTP details every route keeps: JSON-only bodies, decoded strictly, entity tags and conditional
requests (RFC 9110)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal

import msgspec
from litestar import Request
from litestar.enums import ScopeType
from litestar.exceptions import HTTPException, ValidationException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from workflows import FieldError, PreconditionFailed, RuleViolation, xml_illegal_fields

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


# --- strict JSON bodies --------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _decoder(body_type: Any) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(body_type, strict=True)


# Numbers are read as Decimal when untyped, so the string check below sees what the client sent.
_RAW = msgspec.json.Decoder(float_hook=Decimal)
_AT = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_NAMED = re.compile(r"(?:unknown|missing required) field `(?P<field>[^`]+)`")


def _wire_path(path: str) -> list[str]:
    """msgspec's ``.milestones[0].fee`` as parts: ``["milestones", "0", "fee"]``."""
    return [part for part in re.split(r"[.\[\]]+", path) if part]


def _validation_error(error: msgspec.ValidationError) -> FieldError:
    message = str(error)
    parts: list[str] = []
    if at := _AT.search(message):
        parts = _wire_path(at["path"])
        message = message[: at.start()]
    if named := _NAMED.search(message):
        parts.append(named["field"])
    return FieldError(".".join(parts) or "body", message)


def _strings_for_numbers(value: Any, raw: Any, path: str) -> Iterator[FieldError]:
    """Every decimal the client sent as a JSON string: money and rates are numbers, never strings.

    msgspec reads a Decimal from a string as gladly as from a number, so the typed value is walked
    beside the untyped one to see which it was."""
    match value:
        case Decimal():
            if isinstance(raw, str):
                yield FieldError(path or "body", "must be a JSON number, not a string")
        case msgspec.Struct():
            if isinstance(raw, dict):
                kind = type(value)
                for name, wire in zip(kind.__struct_fields__, kind.__struct_encode_fields__, strict=True):
                    if wire in raw:
                        yield from _strings_for_numbers(getattr(value, name), raw[wire], _join(path, wire))
        case list() | tuple():
            if isinstance(raw, list):
                for i, (item, raw_item) in enumerate(zip(value, raw, strict=False)):
                    yield from _strings_for_numbers(item, raw_item, _join(path, str(i)))
        case _:
            return


def _join(path: str, part: str) -> str:
    return f"{path}.{part}" if path else part


def _illegal_text(body: bytes) -> list[FieldError]:
    """The fields of a body msgspec refused to read only for the text in them: JSON may escape a lone
    surrogate (``"\\ud800"``), which no decoder of ours takes; the standard library's reads it, so the
    refusal can name the field (422, as for any text that cannot go into a document)."""
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return []
    return xml_illegal_fields(value)


def decode_body(body: bytes, body_type: Any) -> Any:
    """The request body as ``body_type``, decoded strictly and exactly, or a 400/422 naming the field.

    Strict: no string is read as a number, boolean or date-less value, no float as an int, and a
    decimal is the exact number sent (``1e-400`` stays ``1E-400`` for the rules to refuse, a 30-digit
    rate keeps its digits), never a float on the way. The decoder is typed, so a nesting bomb fails
    at the first value of the wrong type instead of recursing (a 1,000-deep array is a 422, not a
    ``RecursionError``)."""
    try:
        value = _decoder(body_type).decode(body or b"null")
    except msgspec.ValidationError as error:
        raise RuleViolation([_validation_error(error)]) from None
    except msgspec.DecodeError as error:
        if errors := _illegal_text(body):
            raise RuleViolation(errors) from None
        # Not JSON at all: a 400 (``service.errors`` makes it the malformed-body problem).
        message = f"JSON is malformed: {error}"
        raise ValidationException(detail=message, extra=[{"key": "data", "message": message}]) from None
    # Only after the typed decode succeeded: its shape is bounded, so the untyped one cannot recurse deeply.
    if errors := list(_strings_for_numbers(value, _untyped(body or b"null"), "")):
        raise RuleViolation(errors)
    return value


def _untyped(body: bytes) -> Any:
    """The body as plain values, numbers as Decimal. msgspec's untyped decoder refuses integers past
    64 bits, which a decimal field takes (and its rules then refuse, naming it): then the standard
    library's, which reads them as Decimal too."""
    try:
        return _RAW.decode(body)
    except msgspec.MsgspecError:
        return json.loads(body, parse_float=Decimal, parse_int=Decimal)


class StrictJsonRequest(Request[Any, Any, Any]):
    """The API's request class: ``data`` is decoded by ``decode_body`` from the handler's own type.

    Litestar would decode the body to Python values first (numbers as floats: a 30-digit rate
    rounded, ``1e-400`` turned into 0) and then convert them leniently (``"7"`` for an int). The
    typed value returned here passes Litestar's conversion unchanged."""

    async def json(self) -> Any:
        parameter = self.route_handler.parsed_fn_signature.parameters.get("data")
        if parameter is None:
            return await super().json()
        return decode_body(await self.body(), parameter.annotation)


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


# A version is a PostgreSQL integer: ASCII digits only (str.isdigit() takes "\u00b2", which int()
# refuses), and at most 10 of them (int() of thousands of digits raises).
_VERSION_TAG = re.compile(r'"[0-9]{1,10}"')


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
    versions = {int(tag[1:-1]) for tag in tags if _VERSION_TAG.fullmatch(tag)}
    if not versions:
        weak = any(tag.startswith("W/") for tag in tags)
        why = "weak tags never match If-Match" if weak else "it is not an ETag this service issued"
        shown = header if len(header) <= 80 else header[:80] + "..."
        raise PreconditionFailed(f"If-Match {shown!r} cannot match: {why}")
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
