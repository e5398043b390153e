"""The engagement workflow over HTTP: the negotiation walk, with every wrong role / state / revision refused."""

from __future__ import annotations

import asyncpg

from tests.support.factories import EngagementApi, bearer, proposal_body


async def test_negotiation_walk_with_right_and_wrong_callers(
    api: EngagementApi, db: asyncpg.Connection
) -> None:
    p = await api.parties()
    e = await api.create_engagement(p)
    eid = e["id"]
    assert e["state"] == "draft"
    assert [a["action"] for a in e["available_actions"]] == ["submit_proposal", "withdraw"]

    # nothing to submit yet: guard fails with the field named
    r = await api.act(eid, "submit_proposal", p.vendor.admin_key)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "revision"

    # only the vendor writes revisions
    r = await api.client.post(
        f"/api/v1/engagements/{eid}/proposals", json=proposal_body(), headers=bearer(p.startup.admin_key)
    )
    assert r.status_code == 403
    first = await api.propose(eid, p.vendor.admin_key)
    assert first["revision"] == 1
    assert first["total_fee"] == 25000

    # wrong role, then the right one
    assert (await api.act(eid, "submit_proposal", p.startup.admin_key)).status_code == 403
    assert (await api.act(eid, "submit_proposal", p.reviewer.admin_key)).status_code == 403
    r = await api.act(eid, "submit_proposal", p.vendor.admin_key)
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "proposed"

    # wrong state: the vendor cannot submit again, and a revision cannot be written while proposed
    assert (await api.act(eid, "submit_proposal", p.vendor.admin_key)).status_code == 409
    r = await api.client.post(
        f"/api/v1/engagements/{eid}/proposals", json=proposal_body(), headers=bearer(p.vendor.admin_key)
    )
    assert r.status_code == 409

    # request_changes needs the start-up and a comment
    assert (await api.act(eid, "request_changes", p.vendor.admin_key, {"comment": "x"})).status_code == 403
    r = await api.act(eid, "request_changes", p.startup.admin_key)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "comment"
    r = await api.act(
        eid,
        "request_changes",
        p.startup.admin_key,
        {
            "comment": "Joint ownership 60/40 please",
            "clause_comments": [{"clause_id": "results_ip", "comment": "60/40"}],
        },
    )
    assert r.status_code == 200
    assert r.json()["state"] == "negotiating"

    # revision 2, submitted
    body = proposal_body("joint")
    body["ip_terms"]["shares"] = {"vendor": 40, "startup": 60}
    second = await api.propose(eid, p.vendor.admin_key, body)
    assert second["revision"] == 2
    assert (await api.act(eid, "submit_proposal", p.vendor.admin_key)).json()["state"] == "proposed"

    # accepting a stale or missing revision is a failed guard
    for bad in ({}, {"revision": 1}, {"revision": 3}):
        r = await api.act(eid, "accept_proposal", p.startup.admin_key, bad)
        assert r.status_code == 422, bad
        assert r.json()["errors"][0]["field"] == "revision"
    assert (await api.act(eid, "accept_proposal", p.vendor.admin_key, {"revision": 2})).status_code == 403

    current = (await api.client.get(f"/api/v1/engagements/{eid}", headers=bearer(p.startup.admin_key))).json()
    r = await api.act(
        eid, "accept_proposal", p.startup.admin_key, {"revision": 2}, if_match=f'"{current["version"] - 1}"'
    )
    assert r.status_code == 412
    r = await api.act(
        eid, "accept_proposal", p.startup.admin_key, {"revision": 2}, if_match=f'"{current["version"]}"'
    )
    assert r.status_code == 200, r.text
    agreed = r.json()
    assert agreed["state"] == "terms_agreed"
    assert r.headers["etag"] == f'"{agreed["version"]}"'
    assert [a["action"] for a in agreed["available_actions"]] == ["generate_contract", "withdraw"]

    # revisions are immutable records: 1 and 2 both readable, 2 accepted
    revs = (
        await api.client.get(f"/api/v1/engagements/{eid}/proposals", headers=bearer(p.reviewer.admin_key))
    ).json()
    assert [r["revision"] for r in revs["items"]] == [1, 2]
    assert revs["items"][0]["submitted_at"] is not None
    assert revs["items"][1]["accepted_at"] is not None
    assert revs["items"][1]["ip_terms"]["shares"] == {"vendor": 40, "startup": 60}

    events = (
        await api.client.get(f"/api/v1/engagements/{eid}/events", headers=bearer(p.vendor.admin_key))
    ).json()["items"]
    assert [ev["type"] for ev in events] == [
        "engagement_created",
        "proposal_revision_created",
        "proposal_submitted",
        "changes_requested",
        "proposal_revision_created",
        "proposal_submitted",
        "proposal_accepted",
    ]
    assert events[3]["payload"]["clause_comments"] == [{"clause_id": "results_ip", "comment": "60/40"}]
    assert all(ev["actor"] != "system" for ev in events)
    verdict = (
        await api.client.get(f"/api/v1/engagements/{eid}/events/verify", headers=bearer(p.vendor.admin_key))
    ).json()
    assert verdict == {"valid": True, "count": 7, "head_hash": events[-1]["hash"], "first_invalid_seq": None}


async def test_a_submitted_revision_cannot_be_changed_even_in_sql(
    api: EngagementApi, db: asyncpg.Connection
) -> None:
    p = await api.parties()
    e = await api.create_engagement(p)
    await api.propose(e["id"], p.vendor.admin_key)
    await api.act(e["id"], "submit_proposal", p.vendor.admin_key)
    import pytest

    with pytest.raises(asyncpg.PostgresError, match="immutable"):
        await db.execute("update proposal_revisions set scope = 'changed'")


async def test_withdraw_needs_a_reason_and_ends_the_engagement(api: EngagementApi) -> None:
    p = await api.parties()
    e = await api.create_engagement(p)
    assert (await api.act(e["id"], "withdraw", p.startup.admin_key)).status_code == 422
    r = await api.act(e["id"], "withdraw", p.startup.admin_key, {"reason": "funding fell through"})
    assert r.status_code == 200
    assert r.json()["state"] == "withdrawn"
    assert [a["action"] for a in r.json()["available_actions"]] == []
    assert (await api.act(e["id"], "withdraw", p.vendor.admin_key, {"reason": "again"})).status_code == 409


async def test_unknown_action_is_404(api: EngagementApi) -> None:
    p = await api.parties()
    e = await api.create_engagement(p)
    r = await api.act(e["id"], "teleport", p.vendor.admin_key)
    assert r.status_code == 404


async def test_invalid_terms_are_refused_naming_fields_and_nothing_is_stored(
    api: EngagementApi, db: asyncpg.Connection
) -> None:
    p = await api.parties()
    e = await api.create_engagement(p)
    body = proposal_body("joint")
    body["ip_terms"]["shares"] = {"vendor": 50, "startup": 40}
    body["ip_terms"]["open_source_policy"]["allowed_licences"].append("NOT-A-LICENCE")
    body["milestones"][1]["fee"] = 10.001
    r = await api.client.post(
        f"/api/v1/engagements/{e['id']}/proposals", json=body, headers=bearer(p.vendor.admin_key)
    )
    assert r.status_code == 422
    fields = {err["field"] for err in r.json()["errors"]}
    assert {"ip_terms.shares", "milestones.1.fee"} <= fields
    assert any(f.startswith("ip_terms.open_source_policy.allowed_licences") for f in fields)
    assert await db.fetchval("select count(*) from proposal_revisions") == 0


async def test_advisories_come_back_with_the_revision(api: EngagementApi) -> None:
    p = await api.parties()
    e = await api.create_engagement(p)
    body = proposal_body("joint")
    body["ip_terms"].update(governing_law="LT", forum="arbitration", arbitration_institute="vilnius_vcca")
    rev = await api.propose(e["id"], p.vendor.admin_key, body)
    codes = {a["code"] for a in rev["advisories"]}
    assert "lt_patent_validity_not_arbitrable" in codes


async def test_unknown_model_and_unknown_terms_field_are_named(api: EngagementApi) -> None:
    p = await api.parties()
    e = await api.create_engagement(p)
    body = proposal_body("joint")
    body["ip_terms"]["model"] = "shared_somehow"
    r = await api.client.post(
        f"/api/v1/engagements/{e['id']}/proposals", json=body, headers=bearer(p.vendor.admin_key)
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"].startswith("ip_terms")
    body = proposal_body("joint")
    body["ip_terms"]["royalty"] = 3
    r = await api.client.post(
        f"/api/v1/engagements/{e['id']}/proposals", json=body, headers=bearer(p.vendor.admin_key)
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "ip_terms.royalty"
