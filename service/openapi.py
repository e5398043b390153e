"""The OpenAPI document a generated client can trust: Litestar's, refined to say what the wire does.

Litestar builds the document from the handlers and Structs. ``describe`` then adds what only the
service knows, each from one place:

* every problem an operation can answer, derived from the route (authentication, path and query
  parameters, a body, ``If-Match``, POST's ``Idempotency-Key``) plus the refusals its handler
  declares with ``refuses(...)``: one ``Problem`` schema, ``application/problem+json``;
* money and other decimals as JSON numbers with their scale and bounds (``DECIMALS``);
* the workflow: one operation per action, with that action's body (from the core's tables), and
  enums of actions, states and event types;
* request and response headers, binary downloads, the IP-terms discriminator, stable schema names,
  tags with descriptions, examples, and ``security: []`` on public routes.

``describe(app)`` is served at ``/schema/openapi.json`` and by the docs UI (see ``service.docs_ui``).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from litestar import Litestar
from litestar.openapi.spec import OpenAPIType, Schema
from litestar.plugins import OpenAPISchemaPlugin
from litestar.typing import FieldDefinition

from contract_templates import MEDIA_TYPE as DOCX
from service.audit import AUDIT_EVENT_TYPES
from service.openapi_examples import ACTION_EXAMPLES, SCHEMA_EXAMPLES
from service.openapi_response_examples import response_examples, text_examples
from workflows import (
    MAX_MONEY,
    MILESTONE_WORKFLOW,
    RATE_PLACES,
    WORKFLOW,
    ActionInput,
    MilestoneActionInput,
)

PROBLEM = "application/problem+json"
API = "/api/v1"

# --- money and other decimals ------------------------------------------------------------------


class DecimalSchemaPlugin(OpenAPISchemaPlugin):
    """Decimals travel as JSON numbers (``service.responses.JsonResponse``), never as strings."""

    @staticmethod
    def is_plugin_supported_type(value: Any) -> bool:
        return value is Decimal

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: Any) -> Schema:
        # "decimal" marks the field for ``_decimals`` below, which states its scale and bounds.
        return Schema(type=OpenAPIType.NUMBER, format="decimal")  # type: ignore[arg-type]


_MONEY = (2, 0, float(MAX_MONEY), "Money in major units of the engagement's currency")
_PERCENT = (2, 0, 100, "A percentage")
#: Every decimal property by name: (decimal places, minimum, maximum, what it is).
DECIMALS: dict[str, tuple[int | None, float, float, str]] = {
    "fee": _MONEY,
    "total_fee": _MONEY,
    "paid_total": _MONEY,
    "amount": _MONEY,
    "grant_amount": _MONEY,
    "vendor": _PERCENT,  # shares
    "startup": _PERCENT,
    "revenue_share_pct": _PERCENT,
    "share": _PERCENT,  # an owner's share in the results register
    "liability_cap_multiple": (2, 0, 10, "A multiple of the total fee"),
    "cofinancing_rate": (RATE_PLACES, 0, 1, "A rate from 0 to 1"),
    "minimum": _MONEY,  # a funding call's grant bounds
    "maximum": _MONEY,
    "percent_per_week": (2, 0, 5, "Delay damages: a percentage of the milestone's fee per week of delay"),
    "cap_percent": _PERCENT,  # delay damages' cap, as a percentage of the fee
}


def _decimal(name: str, schema: dict[str, Any]) -> None:
    if name not in DECIMALS:
        raise RuntimeError(f"decimal property {name!r} has no entry in service.openapi.DECIMALS")
    places, low, high, what = DECIMALS[name]
    schema.pop("format", None)
    scale = f", at most {places} decimal places" if places is not None else ""
    schema["description"] = f"{what}: a JSON number (never a string){scale}, from {low:g} to {high:,.2f}."
    schema["minimum"] = low
    schema["maximum"] = high
    if places is not None:
        schema["x-decimal-places"] = places


def _decimals(node: Any, name: str = "") -> None:
    """Every decimal in the schemas, named by the property it is (or is a variant of)."""
    if isinstance(node, dict):
        if node.get("format") == "decimal":
            _decimal(name, node)
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                for prop, sub in value.items():
                    _decimals(sub, prop)
            else:
                _decimals(value, name)
    elif isinstance(node, list):
        for item in node:
            _decimals(item, name)


# --- problems ------------------------------------------------------------------------------------

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "description": "An RFC 9457 problem: every error the API answers, with application/problem+json.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {
            "type": "string",
            "format": "uri",
            "description": "urn:jointip:problem:<slug>; docs/api.md lists every slug",
            "examples": ["urn:jointip:problem:conflict"],
        },
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string", "description": "What went wrong, for a person"},
        "errors": {
            "type": "array",
            "description": "For 422 validation problems: every field that broke a rule",
            "items": {"$ref": "#/components/schemas/ProblemField"},
        },
        "request_id": {"type": "string", "description": "The X-Request-ID of the request, to quote"},
    },
    "examples": [
        {
            "type": "urn:jointip:problem:validation",
            "title": "Validation failed",
            "status": 422,
            "detail": "milestones: 1 of 2 milestones are not yet submitted",
            "errors": [{"field": "milestones", "message": "1 of 2 milestones are not yet submitted"}],
            "request_id": "6f1c0c7e8f9a4d2b9b0e6c1d2a3b4c5d",
        }
    ],
}
PROBLEM_FIELD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "ProblemField",
    "required": ["field", "message"],
    "properties": {
        "field": {"type": "string", "description": "dotted path: ip_terms.shares, milestones.0.fee"},
        "message": {"type": "string"},
    },
}

STATUS_TEXT = {
    304: "Not modified: the If-None-Match names the current ETag",
    400: "The body is not valid JSON",
    401: "No valid API key (WWW-Authenticate: Bearer)",
    403: "The caller's role or party may not do this",
    404: "Not found, or not visible to the caller's organisation",
    409: "Conflicts with the current state (or an Idempotency-Key still in flight)",
    412: "If-Match names a version that is not the current one",
    413: "The body is larger than the configured limit",
    415: "The body is not application/json",
    422: "A field breaks a rule; `errors` names every field",
    428: "This write needs If-Match",
    429: "Too many requests (per API key) or failed authentications (per address)",
    500: "An unexpected error; quote the request id",
    503: "The database is unavailable; nothing was changed",
}


def refuses(*statuses: int) -> dict[str, Any]:
    """Handler ``opt`` for the refusals the domain adds to what the route implies (403, 409, ...)."""
    return {"refuses": frozenset(statuses)}


def _statuses(method: str, path: str, op: dict[str, Any], declared: Iterable[int]) -> set[int]:
    """Every error status an operation can answer, from the shape of the route and its handler."""
    statuses = set(declared)
    if not path.startswith(API):
        return statuses
    statuses |= {401, 429, 500, 503}
    params = op.get("parameters", [])
    if any(p["in"] == "path" for p in params):
        statuses.add(404)
    if any(p["in"] in ("query", "header") and p["name"] != "Idempotency-Key" for p in params):
        statuses.add(422)
    if "requestBody" in op:
        statuses |= {400, 413, 415, 422}
    if method == "post":
        statuses |= {409, 422}  # Idempotency-Key: still in flight / reused with another body
    if any(p["name"] == "If-Match" for p in params):
        statuses.add(412)
        if p_required(params, "If-Match"):
            statuses.add(428)
    return statuses


def p_required(params: list[dict[str, Any]], name: str) -> bool:
    return any(p["name"] == name and p.get("required") for p in params)


def _header(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"description": description, "schema": schema or {"type": "string"}}


REQUEST_ID = _header("The request's id (the client's X-Request-ID when sane, else a new one)")
RATE_HEADERS = {
    "RateLimit-Limit": _header("Requests allowed per window for this API key", {"type": "integer"}),
    "RateLimit-Remaining": _header("Requests left in this window", {"type": "integer"}),
    "RateLimit-Reset": _header("Seconds until the window resets", {"type": "integer"}),
    "RateLimit-Policy": _header("The limit and window, e.g. `600; w=60`"),
}
RETRY_AFTER = _header("Seconds to wait before retrying", {"type": "integer", "minimum": 1})


def _problem_response(status: int) -> dict[str, Any]:
    headers: dict[str, Any] = {"X-Request-ID": REQUEST_ID}
    if status == 401:
        headers["WWW-Authenticate"] = _header('`Bearer realm="jointip"`')
    if status in (429, 503):
        headers["Retry-After"] = RETRY_AFTER
    if status == 415:
        headers["Accept-Post"] = _header("application/json")
    return {
        "description": STATUS_TEXT[status],
        "headers": headers,
        "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


# --- the workflow: one operation per action ---------------------------------------------------------

ENGAGEMENT_ACTIONS = [row.action for row in WORKFLOW]
MILESTONE_ACTIONS = [row.action for row in MILESTONE_WORKFLOW]
EVENT_TYPES = sorted(AUDIT_EVENT_TYPES)
ACTION_FIELDS = list(ActionInput.__struct_fields__)
MILESTONE_ACTION_FIELDS = list(MilestoneActionInput.__struct_fields__)


def _camel(action: str) -> str:
    return "".join(part.capitalize() for part in action.split("_"))


def _action_body(name: str, base: dict[str, Any], requires: tuple[str, ...], action: str) -> dict[str, Any]:
    schema = copy.deepcopy(base)
    schema["title"] = name
    schema["description"] = f"The body of `{action}`" + (
        f": it needs {', '.join(f'`{f}`' for f in requires)}." if requires else "; every field is optional."
    )
    schema["required"] = list(requires)
    for field in requires:  # a required field is not null
        prop = schema["properties"][field]
        if "oneOf" in prop:
            schema["properties"][field] = _not_null(prop)
        elif isinstance(prop.get("type"), list):
            prop["type"] = [t for t in prop["type"] if t != "null"]
    if action in ACTION_EXAMPLES:
        schema["examples"] = [ACTION_EXAMPLES[action]]
    return schema


def _per_action(
    doc: dict[str, Any], generic_path: str, rows: Iterable[Any], base_name: str, prefix: str
) -> dict[str, str]:
    """Replace ``.../actions/{action}`` with one documented operation per action of the table;
    returns each new operationId with the generic one whose handler serves it."""
    item = doc["paths"].pop(generic_path)
    generic = item["post"]
    handled_by = {}
    schemas = doc["components"]["schemas"]
    base = schemas[base_name]
    for row in rows:
        op = copy.deepcopy(generic)
        op["parameters"] = [p for p in op["parameters"] if p["name"] != "action"]
        op["operationId"] = f"{prefix}{_camel(row.action)}"
        if prefix == "fire":
            op["tags"] = ["workflow"]
        roles = " or ".join(sorted(p.value for p in row.roles))
        sources = ", ".join(s.value for s in row.sources)
        to = row.to.value if row.to is not None else "the state it came from"
        op["summary"] = f"{row.action.replace('_', ' ').capitalize()} ({roles})"
        op["description"] = (
            f"Fires `{row.action}`: from {sources} to {to}; only the {roles} may. "
            + (op.get("description") or "")
        ).strip()
        body_name = f"{_camel(row.action)}{'Milestone' if prefix.endswith('Milestone') else ''}Body"
        schemas[body_name] = _action_body(body_name, base, row.requires, row.action)
        op["requestBody"] = {
            "required": bool(row.requires),
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{body_name}"}}},
        }
        doc["paths"][generic_path.replace("{action}", row.action)] = {"post": op}
        handled_by[op["operationId"]] = generic["operationId"]
    return handled_by


def _availability(name: str, actions: list[str], fields: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "title": name,
        "description": "An action the caller may fire from the current state, with its guards run now: "
        "`enabled` false and the `reason` when it would be refused; `requires` names the body "
        "fields it needs.",
        "required": ["action", "enabled"],
        "properties": {
            "action": {"type": "string", "enum": actions},
            "enabled": {"type": "boolean"},
            "reason": {"type": "string", "description": "why it would be refused now (when not enabled)"},
            "requires": {
                "type": "array",
                "items": {"type": "string", "enum": fields},
                "description": "the body fields the action needs (omitted when none)",
            },
        },
    }


# --- the rest --------------------------------------------------------------------------------------

TAGS = [
    {
        "name": "organisations",
        "description": "Organisations the operator admits: vendors, start-ups, legal reviewers.",
    },
    {"name": "api-keys", "description": "API keys of an organisation; a secret is shown once, at creation."},
    {"name": "me", "description": "Who the caller is."},
    {"name": "engagements", "description": "Engagements, their proposal revisions and the audit trail."},
    {
        "name": "workflow",
        "description": "The engagement workflow: one operation per action, and its description.",
    },
    {
        "name": "contracts",
        "description": "Contract versions (DOCX), reviews, signatures, and the clauses comments cite.",
    },
    {"name": "delivery", "description": "Milestones, deliveries, payments and the IP results register."},
    {
        "name": "webhooks",
        "description": "An organisation's webhook subscriptions (Standard Webhooks signatures) and "
        "their undelivered messages; see docs/webhooks.md.",
    },
    {
        "name": "events",
        "description": "The caller's audit events across engagements: JSON pages and a Server-Sent "
        "Events stream.",
    },
    {"name": "health", "description": "Liveness, readiness and Prometheus metrics (no key needed)."},
]

_GENERIC = re.compile(r"^Page_(?:[a-z_]+\.)+(?P<name>[A-Za-z]+)_$")


def _rename_generics(doc: dict[str, Any]) -> dict[str, Any]:
    """``Page_service.schemas.engagements.Engagement_`` -> ``EngagementPage``, references too."""
    renames = {old: f"{m['name']}Page" for old in doc["components"]["schemas"] if (m := _GENERIC.match(old))}
    text = json.dumps(doc)
    for old, new in renames.items():
        text = text.replace(f'"#/components/schemas/{old}"', f'"#/components/schemas/{new}"')
    doc = json.loads(text)
    schemas = doc["components"]["schemas"]
    for old, new in renames.items():
        schemas[new] = schemas.pop(old)
        schemas[new]["title"] = new
    return doc


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """The non-null branch of a nullable schema, with what the wrapper says (bounds, description)."""
    if "oneOf" in schema:
        rest = [s for s in schema["oneOf"] if s.get("type") != "null"]
        if len(rest) == 1 and "$ref" in rest[0]:
            return dict(rest[0])
        if len(rest) == 1:  # what the parameter's declaration adds (format, maxLength) stays
            return {**rest[0], **{k: v for k, v in schema.items() if k != "oneOf"}}
    return schema


def _ip_terms_discriminator(doc: dict[str, Any]) -> None:
    variants = {
        "client_owns": "ClientOwns",
        "vendor_owns_licensed": "VendorOwnsLicensed",
        "joint": "Joint",
        "field_split": "FieldSplit",
        "lead_exploiter": "LeadExploiter",
    }
    refs = [{"$ref": f"#/components/schemas/{name}"} for name in variants.values()]
    schemas = doc["components"]["schemas"]
    schemas["IpTerms"] = {
        "title": "IpTerms",
        "description": "The IP terms, one object tagged by `model`.",
        "oneOf": refs,
        "discriminator": {
            "propertyName": "model",
            "mapping": {tag: f"#/components/schemas/{name}" for tag, name in variants.items()},
        },
    }

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if node.get("oneOf") == refs:
                return {"$ref": "#/components/schemas/IpTerms"}
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    for name, schema in list(schemas.items()):
        if name != "IpTerms":
            schemas[name] = walk(schema)


def _binary() -> dict[str, Any]:
    return {"type": "string", "format": "binary", "contentMediaType": DOCX}


def _download_headers() -> dict[str, Any]:
    return {
        "ETag": _header("The document's SHA-256 (lowercase hex), quoted"),
        "Repr-Digest": _header("`sha-256=:<base64>:` (RFC 9530)"),
        "Content-Disposition": _header("attachment; an ASCII `filename` and an RFC 6266 `filename*`"),
        "Cache-Control": _header("private, max-age=0, must-revalidate"),
    }


def _handler_facts(app: Litestar) -> dict[str, frozenset[int]]:
    """operationId -> the refusals its handler declares (``refuses``)."""
    facts: dict[str, frozenset[int]] = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            operation_id = getattr(handler, "operation_id", None)
            if isinstance(operation_id, str):
                facts[operation_id] = frozenset(handler.opt.get("refuses", ()))
    return facts


def _operations(doc: dict[str, Any]) -> Iterable[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and "responses" in op:
                yield path, method, op


def _refine_operation(path: str, method: str, op: dict[str, Any], declared: Iterable[int]) -> None:
    params = op.setdefault("parameters", [])
    for p in params:
        p.pop("deprecated", None)
        if p["in"] != "path":
            p["schema"] = _not_null(p["schema"])
    if "requestBody" in op:  # an optional body is documented as such, not as "null"
        media = op["requestBody"]["content"]["application/json"]
        schema = media["schema"]
        if _not_null(schema) is not schema:
            media["schema"] = _not_null(schema)
            op["requestBody"]["required"] = False
    op.pop("deprecated", None)
    if method == "patch":
        for p in params:
            if p["name"] == "If-Match":
                p["required"] = True
    if method == "post" and path.startswith(API):
        params.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "Retry-safe POSTs: the same key and body replay the first response "
                "(with `Idempotent-Replayed: true`); another body gets 422; one still in flight 409.",
                "schema": {"type": "string", "minLength": 1, "maxLength": 255},
            }
        )
    for p in params:
        if p["name"] == "If-Match":
            p["description"] = "The ETag the client last saw (a list, or `*` for any); strong comparison"
        if p["name"] == "If-None-Match":
            p["description"] = "ETags the client has: 304 when one is current (weak comparison)"
    responses = op["responses"]
    responses.pop("400", None)  # Litestar's default shape; our 400 is a Problem
    for status in sorted(_statuses(method, path, op, declared)):
        responses[str(status)] = {"$ref": f"#/components/responses/Problem{status}"}
    for status, response in responses.items():
        if not status.startswith("2") or "$ref" in response:
            continue
        headers = response.setdefault("headers", {})
        headers["X-Request-ID"] = REQUEST_ID
        if path.startswith(API):
            headers.update(RATE_HEADERS)
        if method == "post" and path.startswith(API):
            headers["Idempotent-Replayed"] = _header("`true` when this is a stored response replayed")
        if status == "201":
            headers["Location"] = _header("The URL of what was created")
    if not path.startswith(API):
        op["security"] = []


def _engagement_headers(doc: dict[str, Any]) -> None:
    """Every response that is an engagement carries its version as ETag; GET answers 304 too."""
    etag = _header('The engagement\'s version, quoted (`"7"`): send it back in If-Match')
    engagement = {"$ref": "#/components/schemas/Engagement"}
    for _, _, op in _operations(doc):
        for status in ("200", "201"):
            ok = op["responses"].get(status, {})
            if ok.get("content", {}).get("application/json", {}).get("schema") == engagement:
                ok["headers"]["ETag"] = etag
        if op.get("operationId") == "getEngagement":
            op["responses"]["304"] = {"description": STATUS_TEXT[304], "headers": {"ETag": etag}}


def _downloads(doc: dict[str, Any]) -> None:
    for _, _, op in _operations(doc):
        oid = op.get("operationId")
        ok = op["responses"].get("200", {})
        if oid == "downloadContract":
            ok["content"] = {DOCX: {"schema": _binary()}}
            ok["description"] = "The DOCX"
            ok["headers"].update(_download_headers())
            op["responses"]["304"] = {
                "description": STATUS_TEXT[304],
                "headers": {"ETag": _download_headers()["ETag"]},
            }
        elif oid == "headContract":
            ok.pop("content", None)
            ok["description"] = "The headers of the DOCX, no body"
            ok["headers"].update(_download_headers())
            ok["headers"]["Content-Length"] = _header("The DOCX's size in bytes", {"type": "integer"})
        elif oid == "getResultsRegister":
            ok["content"] = {
                "application/json": {"schema": {"$ref": "#/components/schemas/ResultEntryPage"}},
                DOCX: {"schema": _binary()},
            }
            ok["description"] = "The register as JSON (default) or, with `format=docx`, as a DOCX schedule"
            ok["headers"]["Content-Disposition"] = _header("With `format=docx`: the schedule's file name")
        elif oid == "compareContracts":
            ok["content"] = {
                "application/json": {"schema": {"$ref": "#/components/schemas/Comparison"}},
                DOCX: {"schema": _binary()},
            }
            ok["description"] = (
                "The clause-level differences (JSON, the default) or, with `format=docx`, the redline: "
                "version `other_id` with every difference from `contract_id` as a tracked change"
            )
            ok["headers"].update(
                {k: v for k, v in _download_headers().items() if k in {"Content-Disposition", "Repr-Digest"}}
            )
        elif oid == "headResultsRegister":
            ok.pop("content", None)
            ok["description"] = "The headers of the register in the format asked for, no body"
            ok["headers"]["Content-Length"] = _header("The size in bytes", {"type": "integer"})
        elif oid == "MetricsGet":
            op["operationId"] = "metrics"
            op["summary"] = "Prometheus metrics"
            op["description"] = "Counters and histograms per route template, in the Prometheus text format."
            op["tags"] = ["health"]
            ok["content"] = {
                "text/plain": {"schema": {"type": "string"}, "example": text_examples()["metrics"]}
            }
        elif oid == "streamEvents":
            ok["description"] = (
                "A `text/event-stream` that does not end: first a message with only an `id` (the "
                "position to resume from), then one message per audit event (`id:` its cursor, `data:` "
                "a `FeedEvent` as JSON), and a `: keep-alive` comment when idle"
            )
            # OpenAPI 3.1 has no way to type the messages of a stream (3.2's `itemSchema`): the
            # extension names the schema of each message's `data`.
            ok["content"] = {
                "text/event-stream": {
                    "schema": {"type": "string"},
                    "x-item-schema": {"$ref": "#/components/schemas/FeedEvent"},
                    "example": text_examples()["stream"],
                }
            }
            ok["headers"]["Cache-Control"] = _header("no-cache")
        elif oid == "ready":
            op["responses"]["503"] = {
                "description": "The database does not answer",
                "headers": {"X-Request-ID": REQUEST_ID},
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}},
            }


def _bounded_tuple_items(node: Any) -> None:
    """A bounded variable-length tuple (``Annotated[tuple[X, ...], Meta(max_length=n)]``) reaches
    Litestar as a union of ``X`` and the ``...``, which it writes as ``items: {oneOf: [X, {}]}``
    (an array of anything): its items are ``X``."""
    if isinstance(node, dict):
        items = node.get("items")
        if isinstance(items, dict) and isinstance(one_of := items.get("oneOf"), list) and {} in one_of:
            kept = [o for o in one_of if o != {}]
            if len(kept) == 1 and set(items) == {"oneOf"}:
                node["items"] = kept[0]
        for value in node.values():
            _bounded_tuple_items(value)
    elif isinstance(node, list):
        for value in node:
            _bounded_tuple_items(value)


_CONSTRAINTS = ("maxLength", "minLength", "maxItems", "minItems", "pattern", "minimum", "maximum")


def _nullable_constraints(node: Any) -> None:
    """Litestar writes a bounded nullable value as ``{maxLength: n, oneOf: [string, null]}``: the
    bound goes where it applies, onto the non-null branch."""
    if isinstance(node, dict):
        one_of = node.get("oneOf")
        moved = [key for key in _CONSTRAINTS if key in node]
        if moved and isinstance(one_of, list):
            values = [o for o in one_of if o != {"type": "null"}]
            if len(values) == 1 and "$ref" not in values[0]:
                for key in moved:
                    values[0][key] = node.pop(key)
        for value in node.values():
            _nullable_constraints(value)
    elif isinstance(node, list):
        for value in node:
            _nullable_constraints(value)


def _schemas(doc: dict[str, Any]) -> None:
    _bounded_tuple_items(doc)
    _nullable_constraints(doc)
    doc["components"]["responses"] = {
        f"Problem{status}": _problem_response(status) for status in STATUS_TEXT if status != 304
    }
    schemas = doc["components"]["schemas"]
    schemas["Problem"] = PROBLEM_SCHEMA
    schemas["ProblemField"] = PROBLEM_FIELD_SCHEMA
    schemas["EngagementActionAvailability"] = _availability(
        "EngagementActionAvailability", ENGAGEMENT_ACTIONS, ACTION_FIELDS
    )
    schemas["MilestoneActionAvailability"] = _availability(
        "MilestoneActionAvailability", MILESTONE_ACTIONS, MILESTONE_ACTION_FIELDS
    )
    schemas.pop("Availability", None)
    schemas["Engagement"]["properties"]["available_actions"]["items"] = {
        "$ref": "#/components/schemas/EngagementActionAvailability"
    }
    schemas["Milestone"]["properties"]["available_actions"]["items"] = {
        "$ref": "#/components/schemas/MilestoneActionAvailability"
    }
    schemas["WorkflowAction"]["properties"]["action"]["enum"] = ENGAGEMENT_ACTIONS
    schemas["MilestoneWorkflowAction"]["properties"]["action"]["enum"] = MILESTONE_ACTIONS
    event = schemas["AuditEvent"]["properties"]
    event["type"] = {"type": "string", "enum": EVENT_TYPES}
    event["payload"] = {
        "type": "object",
        "additionalProperties": True,
        "description": "What the event records, by `type`: state changes carry `from_state` and "
        "`to_state`; the rest are the action's inputs and facts (money and dates as strings).",
        "properties": {"from_state": {"type": "string"}, "to_state": {"type": "string"}},
    }
    event["at"]["format"] = "date-time"
    feed = schemas["FeedEvent"]["properties"]
    feed["type"] = event["type"]
    feed["payload"] = event["payload"]
    feed["at"]["format"] = "date-time"
    schemas["WebhookCreate"]["properties"]["events"]["items"] = {
        "type": "string",
        "enum": ["*", *EVENT_TYPES],
    }
    schemas["WebhookMessage"]["properties"]["event_type"] = {"type": "string", "enum": EVENT_TYPES}
    for name, example in SCHEMA_EXAMPLES.items():
        schemas[name]["examples"] = [example]


def _targets(node: dict[str, Any], value: Any) -> Iterable[tuple[str, Any]]:
    """The components a property's schema names, with the part of the example each describes."""
    if "$ref" in node:
        yield node["$ref"].rsplit("/", 1)[1], value
    elif node.get("type") == "array" and isinstance(value, list) and value:
        yield from _targets(node["items"], value[0])
    options = [o for o in node.get("oneOf", []) if o.get("type") != "null"]
    if len(options) == 1:  # a nullable value
        yield from _targets(options[0], value)


def _nested_examples(schemas: dict[str, Any]) -> None:
    """Every input schema gets an example: the part of its parent's example that it describes."""

    def give(name: str, value: Any) -> None:
        schema = schemas[name]
        schema.setdefault("examples", [value])
        if (tagged := schema.get("discriminator")) and isinstance(value, dict):
            variant = tagged["mapping"].get(value.get(tagged["propertyName"]), "")
            if variant:
                give(variant.rsplit("/", 1)[1], value)
            return
        if isinstance(value, dict):
            for prop, part in value.items():
                node = schema.get("properties", {}).get(prop)
                if node is not None and part is not None:
                    for target, item in _targets(node, part):
                        give(target, item)

    for name in [n for n, schema in schemas.items() if schema.get("examples")]:
        give(name, schemas[name]["examples"][0])


def _response_examples(doc: dict[str, Any]) -> None:
    """An example for every JSON response, on its component schema (the schemas nested in it take
    theirs from it). The text bodies (event stream, metrics) get theirs in ``_downloads``."""
    schemas = doc["components"]["schemas"]
    for name, example in response_examples().items():
        schemas[name].setdefault("examples", [example])


def _refine(doc: dict[str, Any], declared: Mapping[str, frozenset[int]]) -> dict[str, Any]:
    doc = _rename_generics(doc)
    actions = f"{API}/engagements/{{engagement_id}}"
    # Each per-action operation refuses what the generic handler it documents declares.
    handled_by = _per_action(doc, f"{actions}/actions/{{action}}", WORKFLOW, "ActionInput", "fire")
    handled_by |= _per_action(
        doc,
        f"{actions}/milestones/{{key}}/actions/{{action}}",
        MILESTONE_WORKFLOW,
        "MilestoneActionInput",
        "fireMilestone",
    )
    for path, method, op in _operations(doc):
        oid = op.get("operationId", "")
        _refine_operation(path, method, op, declared.get(handled_by.get(oid, oid), frozenset()))
    _schemas(doc)
    _ip_terms_discriminator(doc)
    _response_examples(doc)
    _nested_examples(doc["components"]["schemas"])
    _engagement_headers(doc)
    _downloads(doc)
    _decimals(doc["components"]["schemas"])
    doc["tags"] = TAGS
    return doc


def describe(app: Litestar) -> dict[str, Any]:
    """The served OpenAPI document (built once per app, kept in its state)."""
    document: dict[str, Any] | None = app.state.get("openapi_document")
    if document is None:
        document = _refine(app.openapi_schema.to_schema(), _handler_facts(app))
        app.state["openapi_document"] = document
    return document
