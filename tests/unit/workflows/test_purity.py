"""The pure core imports no I/O framework and no shell module (SPEC section 1)."""

from __future__ import annotations

import workflows
from tests.support.imports import roots_imported

FORBIDDEN = {"asyncpg", "litestar", "docx", "service", "db", "contract_templates", "httpx", "socket", "os"}


def test_workflows_imports_nothing_impure() -> None:
    assert roots_imported("workflows", FORBIDDEN) == {}


def test_every_public_name_is_exported() -> None:
    assert sorted(workflows.__all__) == sorted(set(workflows.__all__))
    for name in workflows.__all__:
        assert hasattr(workflows, name), name
