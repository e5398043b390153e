"""`jointip demo` on a fresh data dir, then `jointip serve` there, then the README's curl, as printed."""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.integration.test_serve import JOINTIP, base_env, serving, wait_no_postgres
from tests.support.factories import bearer

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_command(starting: str) -> str:
    """The README's command line that starts with ``starting``, exactly as written there."""
    lines = [line for line in README.read_text(encoding="utf-8").splitlines() if line.startswith(starting)]
    assert len(lines) == 1, f"the README should have one command starting {starting!r}: {lines}"
    return lines[0]


def env_file(path: Path) -> dict[str, str]:
    pairs = (
        line.split("=", 1) for line in path.read_text().splitlines() if line and not line.startswith("#")
    )
    return dict(pairs)


@pytest.mark.slow
@pytest.mark.once
def test_the_demo_completes_and_the_readme_curl_downloads_its_contract(tmp_path: Path) -> None:
    # The README's layout: the working directory holds `.jointip` (the default data dir).
    env = base_env()
    demo = subprocess.run(
        [*JOINTIP, "demo"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert demo.returncode == 0, demo.stderr
    out = demo.stdout
    steps = re.findall(r"^\[\s*(\d+)/(\d+)\] (.+)$", out, flags=re.MULTILINE)
    assert len(steps) == int(steps[0][1]) >= 30  # one line per step, numbered to the total
    assert [int(n) for n, _, _ in steps] == list(range(1, len(steps) + 1))
    assert "engagement completed" in steps[-3][2]
    assert re.search(r"^Engagement [0-9a-f-]{36} is completed\.$", out, flags=re.MULTILINE)
    printed = dict(re.findall(r"^  (vendor|startup|reviewer|operator) +(jtp_\S+)$", out, flags=re.MULTILINE))
    assert set(printed) == {"vendor", "startup", "reviewer", "operator"}

    # No narration from the libraries at the default level: no transitions or initdb output.
    assert "initdb" not in demo.stderr
    for line in demo.stderr.splitlines():
        assert json.loads(line)["logger"] not in {"transitions.core", "pgserver"}, line

    data_dir = tmp_path / ".jointip"
    ids = env_file(data_dir / "demo.env")
    assert (data_dir / "demo.env").stat().st_mode & 0o077 == 0
    assert {ids[f"{party.upper()}_KEY"] for party in printed} == set(printed.values())
    saved = dict(
        re.findall(r"^Saved the (contract|redline|results schedule): (.+)$", out, flags=re.MULTILINE)
    )
    assert set(saved) == {"contract", "redline", "results schedule"}
    redline = zipfile.ZipFile(tmp_path / saved["redline"]).read("word/document.xml").decode()
    assert "<w:ins " in redline
    assert "<w:del " in redline  # two versions that differ (50/50 became 40/60)

    log = tmp_path / "serve.log"
    with serving(env | {"JOINTIP_DATA_DIR": str(data_dir)}, log=log) as (base, _):
        vendor = bearer(printed["vendor"])
        engagement = httpx.get(f"{base}/api/v1/engagements/{ids['ENGAGEMENT_ID']}", headers=vendor).json()
        assert engagement["state"] == "completed"
        register = httpx.get(f"{base}/api/v1/engagements/{ids['ENGAGEMENT_ID']}/results", headers=vendor)
        assert {e["status"] for e in register.json()["items"]} == {"vested"}
        contract = httpx.get(f"{base}/api/v1/contracts/{ids['CONTRACT_ID']}", headers=vendor).json()
        assert contract["version"] == 2
        assert contract["status"] == "signed"
        # The README's command, run as written; only the port differs (the test's server is on a free one).
        curl = readme_command(". .jointip/demo.env && curl ")
        port = base.rsplit(":", 1)[1]
        done = subprocess.run(
            ["sh", "-c", curl.replace("localhost:8000", f"127.0.0.1:{port}")],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        document = (tmp_path / "contract.docx").read_bytes()
        assert hashlib.sha256(document).hexdigest() == contract["sha256"]
        assert (tmp_path / saved["contract"]).read_bytes() == document
        assert zipfile.is_zipfile(io.BytesIO(document))
    serve_log = log.read_text()
    assert "initdb" not in serve_log
    assert "Running commandline" not in serve_log
    assert wait_no_postgres(data_dir) == []
