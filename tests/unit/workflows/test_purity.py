"""The pure core imports no I/O framework and no shell module (SPEC section 1)."""

from __future__ import annotations

import ast
from pathlib import Path

import workflows

FORBIDDEN = {"asyncpg", "litestar", "docx", "service", "db", "contract_templates", "httpx", "socket", "os"}


def test_workflows_imports_nothing_impure() -> None:
    package = Path(workflows.__file__).parent
    found: dict[str, set[str]] = {}
    for module in package.rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = {node.module}
            else:
                continue
            roots = {name.split(".")[0] for name in names} & FORBIDDEN
            if roots:
                found[module.name] = found.get(module.name, set()) | roots
    assert found == {}


def test_every_public_name_is_exported() -> None:
    assert sorted(workflows.__all__) == sorted(set(workflows.__all__))
    for name in workflows.__all__:
        assert hasattr(workflows, name), name
