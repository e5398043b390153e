"""What the modules of a package import, read from their source (no module is imported)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(package: str) -> dict[str, set[str]]:
    """For each module of ``package`` (a top-level folder), the absolute module names it imports."""
    found: dict[str, set[str]] = {}
    for module in sorted((ROOT / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
        found[str(module.relative_to(ROOT))] = names
    return found


def roots_imported(package: str, forbidden: set[str]) -> dict[str, set[str]]:
    """Modules of ``package`` that import any of the ``forbidden`` top-level packages, with which."""
    offending = {
        module: {name.split(".")[0] for name in names} & forbidden
        for module, names in imported_modules(package).items()
    }
    return {module: roots for module, roots in offending.items() if roots}
