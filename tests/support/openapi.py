"""Reading the OpenAPI document in tests."""

from __future__ import annotations

from typing import Any

SCHEMA_REF = "#/components/schemas/"


def input_schemas(doc: dict[str, Any]) -> set[str]:
    """The component schemas a request body names, directly or through other schemas."""
    schemas = doc["components"]["schemas"]
    seen: set[str] = set()

    def refs(node: Any) -> None:
        if isinstance(node, dict):
            if (ref := node.get("$ref", "")).startswith(SCHEMA_REF):
                name = ref.removeprefix(SCHEMA_REF)
                if name not in seen:
                    seen.add(name)
                    refs(schemas[name])
            for value in node.values():
                refs(value)
        elif isinstance(node, list):
            for value in node:
                refs(value)

    for item in doc["paths"].values():
        for op in item.values():
            if isinstance(op, dict):
                refs(op.get("requestBody", {}))
    return seen
