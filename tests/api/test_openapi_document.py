"""The served OpenAPI document says what the wire does (the generated-client suites rest on it)."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from service.openapi_examples import ACTION_EXAMPLES, IP_TERMS_EXAMPLES, SCHEMA_EXAMPLES
from service.schemas.api_keys import ApiKeyCreate
from service.schemas.engagements import EngagementCreate, EngagementPatch
from service.schemas.links import LinkCreate
from service.schemas.organisations import OrganisationCreate
from service.schemas.webhooks import WebhookCreate
from tests.api.snapshots import OPENAPI_SNAPSHOT
from tests.support.openapi import input_schemas
from workflows import (
    MILESTONE_WORKFLOW,
    WORKFLOW,
    ActionInput,
    DeliveryInput,
    MilestoneActionInput,
    ProposalInput,
    validate_proposal,
)
from workflows.audit import ChainEvent, ChainVerdict, verify_chain

DOC: dict[str, Any] = json.loads(OPENAPI_SNAPSHOT.read_text(encoding="utf-8"))
OPERATIONS = [(path, method, op) for path, item in DOC["paths"].items() for method, op in item.items()]


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        _, _, section, name = node["$ref"].split("/")
        node = DOC["components"][section][name]
    return node


@pytest.mark.parametrize(("path", "method", "op"), OPERATIONS, ids=[f"{m} {p}" for p, m, _ in OPERATIONS])
def test_every_operation_is_described_and_documents_its_problems(
    path: str, method: str, op: dict[str, Any]
) -> None:
    assert all(op.get(key) for key in ("summary", "description", "operationId", "tags"))
    for status, response in op["responses"].items():
        response = resolve(response)
        assert response["description"]
        if status >= "400" and path != "/ready":  # /ready's 503 is its own JSON status
            assert list(response["content"]) == ["application/problem+json"]
            assert response["content"]["application/problem+json"]["schema"] == {
                "$ref": "#/components/schemas/Problem"
            }
    if path.startswith("/api/v1"):
        assert {"401", "429", "500", "503"} <= set(op["responses"])
        assert "security" not in op or op["security"] == [{"bearer": []}]
    else:
        assert op["security"] == []
    if "requestBody" in op:
        assert {"400", "413", "415", "422"} <= set(op["responses"])
        schema = resolve(op["requestBody"]["content"]["application/json"]["schema"])
        assert schema.get("examples"), f"{op['operationId']} has no body example"


def test_one_operation_per_workflow_action() -> None:
    ids = {op["operationId"] for _, _, op in OPERATIONS}
    for row in WORKFLOW:
        assert "fire" + "".join(w.capitalize() for w in row.action.split("_")) in ids
    for row in MILESTONE_WORKFLOW:
        assert "fireMilestone" + "".join(w.capitalize() for w in row.action.split("_")) in ids
    accept = DOC["paths"]["/api/v1/engagements/{engagement_id}/actions/accept_proposal"]["post"]
    body = resolve(accept["requestBody"]["content"]["application/json"]["schema"])
    assert body["required"] == ["revision"]
    assert body["properties"]["revision"] == {"type": "integer", "minimum": 1, "maximum": 2147483647}


def walk(node: Any, name: str = "") -> list[tuple[str, dict[str, Any]]]:
    found = []
    if isinstance(node, dict):
        found.append((name, node))
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                for prop, sub in value.items():
                    found += walk(sub, prop)
            else:
                found += walk(value, name)
    elif isinstance(node, list):
        for item in node:
            found += walk(item, name)
    return found


def test_money_is_a_number_with_its_scale_everywhere() -> None:
    money = ("fee", "total_fee", "paid_total", "amount", "grant_amount")
    seen = set()
    for name, schema in walk(DOC["components"]["schemas"]):
        if name in money and schema.get("type") == "number":
            seen.add(name)
            assert schema["x-decimal-places"] == 2
            assert schema["minimum"] == 0
        if name in money:
            assert schema.get("type") != "string", name
    assert seen == set(money)
    assert all(s.get("format") != "decimal" for _, s in walk(DOC))


def test_states_and_other_closed_values_are_enums() -> None:
    schemas = DOC["components"]["schemas"]
    assert resolve(schemas["Engagement"]["properties"]["state"])["enum"][0] == "draft"
    assert resolve(schemas["Milestone"]["properties"]["state"])["enum"][0] == "planned"
    assert schemas["Engagement"]["properties"]["currency"]["enum"] == ["EUR", "NOK"]
    assert "enum" in resolve(schemas["ContractVersion"]["properties"]["status"])
    assert schemas["Review"]["properties"]["decision"]["enum"] == ["approve", "request_revision"]
    assert "enum" in schemas["AuditEvent"]["properties"]["type"]
    availability = schemas["EngagementActionAvailability"]["properties"]
    assert availability["action"]["enum"] == [row.action for row in WORKFLOW]
    state_filter = next(
        p for p in DOC["paths"]["/api/v1/engagements"]["get"]["parameters"] if p["name"] == "state"
    )
    assert "enum" in resolve(state_filter["schema"])


def test_names_are_stable_and_ip_terms_are_discriminated() -> None:
    assert all("." not in name and "_" not in name for name in DOC["components"]["schemas"])
    ip_terms = DOC["components"]["schemas"]["IpTerms"]
    assert ip_terms["discriminator"]["propertyName"] == "model"
    assert set(ip_terms["discriminator"]["mapping"]) == {
        "client_owns", "vendor_owns_licensed", "joint", "field_split", "lead_exploiter"
    }  # fmt: skip


def test_downloads_are_binary_with_their_headers() -> None:
    op = DOC["paths"]["/api/v1/contracts/{contract_id}/document"]["get"]
    ok = op["responses"]["200"]
    (media,) = ok["content"]
    assert ok["content"][media]["schema"]["format"] == "binary"
    assert {"ETag", "Repr-Digest", "Content-Disposition", "X-Request-ID"} <= set(ok["headers"])
    assert "304" in op["responses"]
    engagement = DOC["paths"]["/api/v1/engagements/{engagement_id}"]
    assert "ETag" in engagement["get"]["responses"]["200"]["headers"]
    if_match = next(p for p in engagement["patch"]["parameters"] if p["name"] == "If-Match")
    assert if_match["required"] is True
    create = DOC["paths"]["/api/v1/engagements"]["post"]
    assert "Location" in create["responses"]["201"]["headers"]
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])


INPUTS = {
    "OrganisationCreate": OrganisationCreate,
    "ApiKeyCreate": ApiKeyCreate,
    "LinkCreate": LinkCreate,
    "EngagementCreate": EngagementCreate,
    "EngagementPatch": EngagementPatch,
    "ProposalInput": ProposalInput,
    "DeliveryInput": DeliveryInput,
    "ActionInput": ActionInput,
    "MilestoneActionInput": MilestoneActionInput,
    "WebhookCreate": WebhookCreate,
}


@pytest.mark.parametrize("name", sorted(SCHEMA_EXAMPLES))
def test_every_schema_example_is_valid_input(name: str) -> None:
    example = SCHEMA_EXAMPLES[name]
    if name in IP_TERMS_EXAMPLES:  # judged as the terms of the proposal example
        name, example = "ProposalInput", SCHEMA_EXAMPLES["ProposalInput"] | {"ip_terms": example}
    value = msgspec.json.decode(msgspec.json.encode(example), type=INPUTS[name])
    if isinstance(value, ProposalInput):
        validate_proposal(value)  # raises on any broken rule


def test_every_input_schema_has_an_example() -> None:
    schemas = DOC["components"]["schemas"]
    seen = input_schemas(DOC)
    assert "ProposalInput" in seen
    assert [name for name in sorted(seen) if not schemas[name].get("examples")] == []


@pytest.mark.parametrize("action", sorted(ACTION_EXAMPLES))
def test_every_action_example_is_a_valid_body(action: str) -> None:
    kind = MilestoneActionInput if action in {r.action for r in MILESTONE_WORKFLOW} else ActionInput
    body = msgspec.json.decode(msgspec.json.encode(ACTION_EXAMPLES[action]), type=kind)
    row = next(r for r in (*WORKFLOW, *MILESTONE_WORKFLOW) if r.action == action)
    assert all(getattr(body, field) is not None for field in row.requires)


def _strict(node: Any) -> Any:
    """The document with every object closed to properties it does not name: an example that
    carries a field the schema lost fails, as it would for a client generated from it."""
    if isinstance(node, dict):
        closed = {key: _strict(value) for key, value in node.items()}
        if "properties" in node and "additionalProperties" not in node:
            closed["additionalProperties"] = False
        return closed
    if isinstance(node, list):
        return [_strict(value) for value in node]
    return node


STRICT = Registry().with_resource(
    "urn:jointip:openapi", Resource.from_contents(_strict(DOC), default_specification=DRAFT202012)
)
EXAMPLES = [
    (name, example)
    for name, schema in DOC["components"]["schemas"].items()
    for example in schema.get("examples", [])
]


@pytest.mark.parametrize(("name", "example"), EXAMPLES, ids=[name for name, _ in EXAMPLES])
def test_every_schema_example_matches_its_schema_with_no_unknown_field(name: str, example: Any) -> None:
    validator = Draft202012Validator(
        {"$ref": f"urn:jointip:openapi#/components/schemas/{name}"},
        registry=STRICT,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    assert [
        f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(example)
    ] == []


def test_the_strict_check_catches_a_field_the_schema_does_not_name() -> None:
    validator = Draft202012Validator(
        {"$ref": "urn:jointip:openapi#/components/schemas/Engagement"}, registry=STRICT
    )
    example = DOC["components"]["schemas"]["Engagement"]["examples"][0]
    assert validator.is_valid(example)
    assert not validator.is_valid(example | {"stage": "in_review"})
    assert not validator.is_valid(example | {"version": "7"})


@pytest.mark.parametrize(("path", "method", "op"), OPERATIONS, ids=[f"{m} {p}" for p, m, _ in OPERATIONS])
def test_every_response_with_a_body_has_an_example(path: str, method: str, op: dict[str, Any]) -> None:
    for status, response in op["responses"].items():
        if not status.startswith("2"):
            continue  # problems share the Problem schema, which has its example
        for media_type, content in resolve(response).get("content", {}).items():
            if content["schema"].get("format") == "binary":
                continue  # a DOCX
            if media_type == "application/json":
                assert resolve(content["schema"]).get("examples"), f"{status} {media_type}"
            else:
                assert content.get("example"), f"{status} {media_type}"


def test_response_examples_are_the_cores_own_answers() -> None:
    """Not hand-copied: the available actions come from the guards, the chain verifies."""
    schemas = DOC["components"]["schemas"]
    engagement = schemas["Engagement"]["examples"][0]
    assert engagement["state"] == "in_review"
    assert [a["action"] for a in engagement["available_actions"]] == ["request_revision", "approve"]
    events = schemas["AuditEventPage"]["examples"][0]["items"]
    chain = [ChainEvent(engagement_id=engagement["id"], **event) for event in events]
    report = schemas["ChainReport"]["examples"][0]
    assert verify_chain(chain) == ChainVerdict(**report)
    assert report["valid"] is True
    assert [e["type"] for e in events] == ["engagement_created", "proposal_submitted", "proposal_accepted"]
    stream = DOC["paths"]["/api/v1/events/stream"]["get"]["responses"]["200"]["content"]["text/event-stream"]
    assert all(event["hash"] in stream["example"] for event in events[1:])
