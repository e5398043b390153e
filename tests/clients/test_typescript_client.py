"""A TypeScript client generated from the served document compiles strictly and walks
an engagement to its first accepted milestone against the live server."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.clients.conftest import TYPESCRIPT, require
from tests.support.factories import OPERATOR_KEY

pytestmark = pytest.mark.once


def npx(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["npx", "--no-install", *args], cwd=TYPESCRIPT, capture_output=True, text=True, timeout=300, env=env
    )


@pytest.fixture(scope="module")
def generated(live_url: str) -> Path:
    require(
        shutil.which("npx") is not None and (TYPESCRIPT / "node_modules").is_dir(),
        "Node.js with npm ci'd clients/typescript",
    )
    out = npx("openapi-typescript", f"{live_url}/schema/openapi.json", "-o", "src/schema.d.ts")
    assert out.returncode == 0, out.stdout + out.stderr
    return TYPESCRIPT / "src" / "schema.d.ts"


def test_the_walkthrough_compiles_strictly_and_runs_against_the_live_server(
    generated: Path, live_url: str
) -> None:
    built = npx("tsc", "--strict", "-p", "tsconfig.json")
    assert built.returncode == 0, built.stdout + built.stderr
    env = os.environ | {"JOINTIP_URL": live_url, "JOINTIP_OPERATOR_KEY": OPERATOR_KEY}
    run = subprocess.run(
        ["node", "dist/walkthrough.js"], cwd=TYPESCRIPT, capture_output=True, text=True, timeout=300, env=env
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "submit_proposal again -> 409 urn:jointip:problem:conflict" in run.stdout
    assert "deliver is offered but disabled: milestones:" in run.stdout
    assert "milestone m1 accepted (fee EUR 8000.50)" in run.stdout
    assert run.stdout.rstrip().endswith("walk-through complete")


@pytest.mark.parametrize(
    ("loosened", "replacement"),
    [
        ("total_fee: number;", "total_fee: string;"),  # money typed as a string
        ('state: components["schemas"]["EngagementState"];', "state: string;"),  # a state as any string
        # errors not the Problem type
        (
            '"application/problem+json": components["schemas"]["Problem"];',
            '"application/problem+json": unknown;',
        ),
    ],
)
def test_the_walkthrough_does_not_compile_against_looser_types(
    generated: Path, tmp_path: Path, loosened: str, replacement: str
) -> None:
    original = generated.read_text(encoding="utf-8")
    assert loosened in original
    try:
        generated.write_text(original.replace(loosened, replacement), encoding="utf-8")  # every one
        built = npx("tsc", "--strict", "--noEmit", "-p", "tsconfig.json")
        assert built.returncode != 0, "compiled against types that do not say what the wire does"
    finally:
        generated.write_text(original, encoding="utf-8")
