"""JSON log lines carry the request id a problem+json shows; /metrics has the render durations."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from service.logs import JsonFormatter, configure_logging
from tests.support.factories import EngagementApi, bearer, walk_to_signed


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """The root logger's output as the service writes it (JSON lines), for one test."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def lines(out: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


async def test_a_problems_request_id_is_in_its_json_access_line(
    api: EngagementApi, log_lines: io.StringIO
) -> None:
    p = await api.parties()
    missing = uuid.uuid4()
    r = await api.client.get(f"/api/v1/engagements/{missing}", headers=bearer(p.vendor.admin_key))
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    rid = r.json()["request_id"]
    assert r.headers["x-request-id"] == rid
    access = [line for line in lines(log_lines) if line.get("request_id") == rid]
    assert len(access) == 1, lines(log_lines)
    line = access[0]
    assert line["logger"] == "jointip.access"
    assert line["level"] == "INFO"
    assert (line["method"], line["path"], line["status"]) == ("GET", f"/api/v1/engagements/{missing}", 404)
    assert isinstance(line["duration_ms"], float)
    assert line["time"].endswith("+00:00")
    assert line["message"] == f"GET /api/v1/engagements/{missing} 404"

    # a client's own X-Request-ID is kept, in the problem and in the log line
    r = await api.client.post(
        "/api/v1/engagements",
        content=b"{not json",
        headers=bearer(p.vendor.admin_key)
        | {"X-Request-ID": "client-id-42", "content-type": "application/json"},
    )
    assert r.status_code == 400
    assert r.json()["request_id"] == "client-id-42"
    (line,) = [line for line in lines(log_lines) if line.get("request_id") == "client-id-42"]
    assert (line["method"], line["status"]) == ("POST", 400)


def test_every_line_is_one_json_object_and_chatty_libraries_are_quiet(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        configure_logging("INFO")
        logging.getLogger("transitions.core").info("entered state")  # quiet unless DEBUG
        logging.getLogger("pgserver").info("initdb says a lot")
        logging.getLogger("jointip.test").warning("kept: %s", "multi\nline", extra={"engagement": "e1"})
        err = capsys.readouterr().err.splitlines()
        assert len(err) == 1
        line = json.loads(err[0])
        assert line["message"] == "kept: multi\nline"
        assert line["engagement"] == "e1"
        assert "request_id" not in line  # no request was running
        configure_logging("DEBUG")
        logging.getLogger("transitions.core").debug("entered state")
        assert json.loads(capsys.readouterr().err)["logger"] == "transitions.core"
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
        for name in ("transitions", "pgserver"):
            logging.getLogger(name).setLevel(logging.NOTSET)


def render_counts(text: str) -> dict[str, float]:
    return {
        sample.labels["document"]: sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "jointip_render_seconds"
        for sample in family.samples
        if sample.name == "jointip_render_seconds_count"
    }


async def test_metrics_count_each_render_by_document(api: EngagementApi) -> None:
    before = render_counts((await api.client.get("/metrics")).text)
    p = await api.parties()
    eid = await walk_to_signed(api, p)  # renders contract version 1
    vendor = bearer(p.vendor.admin_key)
    assert (await api.act(eid, "start_development", p.vendor.admin_key)).status_code == 200  # milestones
    (contract,) = (await api.client.get(f"/api/v1/engagements/{eid}/contracts", headers=vendor)).json()[
        "items"
    ]
    r = await api.client.get(
        f"/api/v1/contracts/{contract['id']}/compare/{contract['id']}?format=docx", headers=vendor
    )
    assert r.status_code == 200, r.text
    for _ in range(2):
        r = await api.client.get(f"/api/v1/engagements/{eid}/results?format=docx", headers=vendor)
        assert r.status_code == 200, r.text
    text = (await api.client.get("/metrics")).text
    after = render_counts(text)
    assert {doc: after.get(doc, 0) - before.get(doc, 0) for doc in after} == {
        "contract": 1,
        "redline": 1,
        "results_schedule": 2,
    }
    assert "# TYPE jointip_render_seconds histogram" in text
    assert 'jointip_render_seconds_bucket{document="contract",le="+Inf"}' in text
