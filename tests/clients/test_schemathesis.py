"""schemathesis, every check, every operation, as every role (operator, vendor admin, vendor member,
start-up admin, reviewer), on seeded data: no failure of any kind (undocumented statuses and content
types included).

CI runs a few examples per operation and role (``EXAMPLES``); a longer local run sets
``JOINTIP_SCHEMATHESIS_EXAMPLES`` (e.g. 100), and ``JOINTIP_SCHEMATHESIS_ROLES`` to a comma-separated
subset of the roles::

    JOINTIP_SCHEMATHESIS_EXAMPLES=100 .venv/bin/pytest tests/clients/test_schemathesis.py
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.clients.conftest import OPERATOR_KEY, Seeded

pytestmark = pytest.mark.once

#: Answers to schema-valid input besides 2xx: 304 to a conditional GET (If-None-Match), and the
#: domain's refusals (a state that does not allow an action, a party that may not, a guard, a stale
#: or missing precondition): "positive" data may still be refused.
DOMAIN_REFUSALS = ["2xx", 304, 403, 404, 409, 412, 422, 428]
#: Invalid input is rejected with a 4xx; the service checks a request's If-Match (412) before its
#: body, as RFC 9110 orders preconditions, and answers a missing If-Match with 428 (RFC 6585).
REJECTIONS = [400, 401, 403, 404, 405, 406, 409, 412, 413, 415, 422, 428, 429]
#: A missing If-Match is 428, except to a caller who cannot see the engagement (the operator): the
#: 404 comes first, so a request never tells what it may not see.
MISSING_HEADER = [400, 401, 403, 404, 406, 415, 422, 428]


#: Examples per operation and role: CI's bounded run (about 30 s a role); more by the variable.
EXAMPLES = int(os.environ.get("JOINTIP_SCHEMATHESIS_EXAMPLES", "5"))
# Least able to change the seeded engagement first (a later role may terminate it).
ROLES = ("operator", "reviewer", "vendor_member", "startup_admin", "vendor_admin")
CHOSEN = [r for r in os.environ.get("JOINTIP_SCHEMATHESIS_ROLES", ",".join(ROLES)).split(",") if r]


def key_of(seeded: Seeded, role: str) -> str:
    return {
        "operator": OPERATOR_KEY,
        "vendor_admin": seeded.vendor_key,
        "vendor_member": seeded.vendor_member_key,
        "startup_admin": seeded.startup_key,
        "reviewer": seeded.reviewer_key,
    }[role]


def config(seeded: Seeded, key: str) -> str:
    return f"""
base-url = "{seeded.url}"
headers = {{ Authorization = "Bearer {key}" }}
# One worker: with two, schemathesis' threads parse Python source concurrently (hypothesis describing
# its strategies), and CPython 3.11's parser is not thread-safe ("SystemError: AST constructor
# recursion depth mismatch", a runtime error that fails the run about one role in five).
workers = 1
request-timeout = 30
generation.max-examples = {EXAMPLES}
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

# Revoking a download link or an API key keeps its record (revoked_at set): both are part of what
# happened, and the listings show them. So a GET after the DELETE is a 200 showing the revocation,
# not the 404 the use-after-free check expects of a deleted resource.
[[operations]]
include-path = ["/api/v1/contracts/{{contract_id}}/links/{{link_id}}", "/api/v1/organisations/{{org_id}}/api-keys/{{key_id}}"]
checks.use_after_free.enabled = false
"""


@pytest.mark.parametrize("role", CHOSEN)
def test_schemathesis_finds_nothing(seeded: Seeded, tmp_path: Path, role: str) -> None:
    key = key_of(seeded, role)
    toml = tmp_path / "schemathesis.toml"
    toml.write_text(config(seeded, key), encoding="utf-8")
    run = subprocess.run(
        [
            sys.executable, "-m", "schemathesis.cli", "--config-file", str(toml), "run",
            # Every check is on by default; `--checks all` on the command line would also override
            # the one per-operation exception in the config.
            f"{seeded.url}/schema/openapi.json", "--no-color",
            # The event stream never ends (it is tested in tests/api/test_event_stream.py).
            "--exclude-operation-id", "streamEvents",
        ],
        capture_output=True, text=True, timeout=900, cwd=tmp_path,
    )  # fmt: skip
    report = run.stdout + run.stderr
    (tmp_path / "report.txt").write_text(report, encoding="utf-8")
    assert run.returncode == 0, report[-20000:]
