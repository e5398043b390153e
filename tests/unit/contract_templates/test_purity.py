"""The renderer is pure: no shell, database or web imports, and no clock reads (SPEC section 1)."""

from __future__ import annotations

import ast
from pathlib import Path

import contract_templates
from tests.support.imports import roots_imported

FORBIDDEN_IMPORTS = {"asyncpg", "litestar", "service", "db", "httpx", "socket", "os", "subprocess"}
CLOCK_CALLS = {"now", "today", "utcnow", "time", "monotonic", "perf_counter", "localtime"}


def _modules() -> list[Path]:
    return sorted(Path(contract_templates.__file__).parent.rglob("*.py"))


def test_imports_nothing_impure() -> None:
    assert roots_imported("contract_templates", FORBIDDEN_IMPORTS) == {}


def test_reads_no_clock() -> None:
    calls = [
        f"{module.name}:{node.lineno}"
        for module in _modules()
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in CLOCK_CALLS
    ]
    assert calls == []


def test_every_public_name_is_exported() -> None:
    assert sorted(contract_templates.__all__) == sorted(set(contract_templates.__all__))
    for name in contract_templates.__all__:
        assert hasattr(contract_templates, name), name
