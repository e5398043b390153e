"""openapi-python-client generates a client from the served document with no warning,
and the client reads a 409 as a typed Problem."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.clients.conftest import Seeded

pytestmark = pytest.mark.once

CONFIG = Path(__file__).with_name("openapi-python-client.yaml")


def test_generated_python_client_reads_a_409_as_a_problem(
    seeded: Seeded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = tmp_path / "openapi.json"
    document.write_bytes(httpx.get(f"{seeded.url}/schema/openapi.json").content)
    out = subprocess.run(
        [
            sys.executable, "-m", "openapi_python_client", "generate", "--path", str(document),
            "--output-path", str(tmp_path / "jointip_client"), "--meta", "none", "--config", str(CONFIG),
        ],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    output = out.stdout + out.stderr
    assert out.returncode == 0, output
    assert "warning" not in output.lower(), output

    monkeypatch.syspath_prepend(str(tmp_path))
    client_module = importlib.import_module("jointip_client")
    submit = importlib.import_module("jointip_client.api.workflow.fire_submit_proposal")
    get_engagement = importlib.import_module("jointip_client.api.engagements.get_engagement")
    problem_model = importlib.import_module("jointip_client.models.problem")
    engagement_model = importlib.import_module("jointip_client.models.engagement")

    with client_module.AuthenticatedClient(base_url=seeded.url, token=seeded.vendor_key) as client:
        current = get_engagement.sync_detailed(engagement_id=seeded.engagement_id, client=client)
        refused = submit.sync_detailed(engagement_id=seeded.engagement_id, client=client)
    assert isinstance(current.parsed, engagement_model.Engagement)
    assert current.parsed.state.value == "in_development"

    assert refused.status_code == 409
    problem = refused.parsed
    assert isinstance(problem, problem_model.Problem)
    assert problem.status == 409
    assert problem.type_ == "urn:jointip:problem:conflict"
    assert "submit_proposal is not allowed while the engagement is in_development" in problem.detail
    assert problem.request_id
