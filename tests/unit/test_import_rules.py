"""The layers keep their places: the core and the renderer never reach the shell or the database,
the database layer never reaches the shell, and everything outside the core imports it through
``workflows`` itself (its ``__init__`` is the core's one public face)."""

from __future__ import annotations

from tests.support.imports import imported_modules, roots_imported


def test_core_and_renderer_import_no_shell_database_or_web_framework() -> None:
    for package in ("workflows", "contract_templates"):
        assert roots_imported(package, {"service", "db", "litestar", "asyncpg"}) == {}, package


def test_database_layer_imports_no_shell() -> None:
    assert roots_imported("db", {"service", "litestar"}) == {}


def test_the_core_is_imported_through_its_package() -> None:
    reaching_in = {
        module: sorted(name for name in names if name.startswith("workflows."))
        for package in ("service", "db", "contract_templates", "benchmarks")
        for module, names in imported_modules(package).items()
    }
    assert {module: names for module, names in reaching_in.items() if names} == {}
