"""``GET /clauses``: the ids a review comment may cite, with their headings."""

from __future__ import annotations

from tests.support.factories import EngagementApi, bearer


async def test_the_clause_list_names_parts_and_clauses_that_comments_may_cite(api: EngagementApi) -> None:
    p = await api.parties()
    r = await api.client.get("/api/v1/clauses", headers=bearer(p.reviewer.admin_key))
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["next_cursor"] is None
    by_id = {c["id"]: c for c in page["items"]}
    assert by_id["results_ip"] == {
        "id": "results_ip",
        "kind": "part",
        "part": "results_ip",
        "heading": "Results IP",
        "template_id": "jointip-mvp-joint-ip",
        "template_version": by_id["results_ip"]["template_version"],
    }
    assert by_id["results_ip.joint"]["kind"] == "clause"
    assert by_id["results_ip.joint"]["part"] == "results_ip"
    assert by_id["results_ip.client_owns"]["heading"] == "Ownership of Results by the Start-up"

    # Every listed id is accepted as a citation, and an id not listed is refused.
    e = await api.create_engagement(p)
    await api.propose(e["id"], p.vendor.admin_key)
    assert (await api.act(e["id"], "submit_proposal", p.vendor.admin_key)).status_code == 200
    comments = [{"clause_id": c["id"], "comment": "Please look again"} for c in page["items"]]
    bad = await api.act(
        e["id"],
        "request_changes",
        p.startup.admin_key,
        {"comment": "See clauses", "clause_comments": [*comments, {"clause_id": "nope.x", "comment": "?"}]},
    )
    assert bad.status_code == 422
    assert [err["field"] for err in bad.json()["errors"]] == [f"clause_comments.{len(comments)}.clause_id"]
    ok = await api.act(
        e["id"],
        "request_changes",
        p.startup.admin_key,
        {"comment": "See clauses", "clause_comments": comments},
    )
    assert ok.status_code == 200, ok.text


async def test_the_clause_list_by_template_id(api: EngagementApi) -> None:
    p = await api.parties()
    r = await api.client.get(
        "/api/v1/clauses", params={"template": "jointip-mvp-joint-ip"}, headers=bearer(p.vendor.admin_key)
    )
    assert r.status_code == 200
    assert len(r.json()["items"]) > 100
    r = await api.client.get(
        "/api/v1/clauses", params={"template": "other"}, headers=bearer(p.vendor.admin_key)
    )
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
