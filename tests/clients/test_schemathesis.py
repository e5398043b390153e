"""Must-show 3: schemathesis, every check, every operation, as the vendor and as the start-up, on
seeded data: no failure of any kind (undocumented statuses and content types included)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.clients.conftest import Seeded

pytestmark = pytest.mark.once

#: Answers to schema-valid input besides 2xx: 304 to a conditional GET (If-None-Match), and the
#: domain's refusals (a state that does not allow an action, a party that may not, a guard, a stale
#: or missing precondition): "positive" data may still be refused.
DOMAIN_REFUSALS = ["2xx", 304, 403, 404, 409, 412, 422, 428]
#: Invalid input is rejected with a 4xx; the service checks a request's If-Match (412) before its
#: body, as RFC 9110 orders preconditions, and answers a missing If-Match with 428 (RFC 6585).
REJECTIONS = [400, 401, 403, 404, 405, 406, 409, 412, 413, 415, 422, 428, 429]
MISSING_HEADER = [400, 401, 403, 406, 415, 422, 428]


def config(seeded: Seeded, key: str) -> str:
    return f"""
base-url = "{seeded.url}"
headers = {{ Authorization = "Bearer {key}" }}
workers = 2
request-timeout = 30
generation.max-examples = 12
generation.deterministic = true
checks.positive_data_acceptance.expected-statuses = {DOMAIN_REFUSALS!r}
checks.negative_data_rejection.expected-statuses = {REJECTIONS!r}
checks.missing_required_header.expected-statuses = {MISSING_HEADER!r}

[parameters]
"path.engagement_id" = "{seeded.engagement_id}"
"path.contract_id" = "{seeded.contract_id}"
"path.other_id" = "{seeded.contract_id}"
"path.org_id" = "{seeded.vendor_org}"
"path.key" = "m2"
"path.revision" = 1
"""


@pytest.mark.parametrize("who", ["vendor", "startup"])
def test_schemathesis_finds_nothing(seeded: Seeded, tmp_path: Path, who: str) -> None:
    key = seeded.vendor_key if who == "vendor" else seeded.startup_key
    toml = tmp_path / "schemathesis.toml"
    toml.write_text(config(seeded, key), encoding="utf-8")
    run = subprocess.run(
        [
            sys.executable, "-m", "schemathesis.cli", "--config-file", str(toml), "run",
            f"{seeded.url}/schema/openapi.json", "--checks", "all", "--no-color",
            # The event stream never ends (it is tested in tests/api/test_event_stream.py).
            "--exclude-operation-id", "streamEvents",
        ],
        capture_output=True, text=True, timeout=900, cwd=tmp_path,
    )  # fmt: skip
    report = run.stdout + run.stderr
    (tmp_path / "report.txt").write_text(report, encoding="utf-8")
    assert run.returncode == 0, report[-20000:]
