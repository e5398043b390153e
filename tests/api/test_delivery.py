"""Delivery: milestones to completion, open-source checks, deemed acceptance, the results register."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import asyncpg
import docx
import pytest

from tests.support.factories import (
    MODELS,
    EngagementApi,
    Parties,
    bearer,
    delivery_body,
    proposal_body,
    walk_to_signed,
)


class Walk:
    """Milestone helpers bound to one engagement."""

    def __init__(self, api: EngagementApi, p: Parties, eid: str) -> None:
        self.api, self.p, self.eid = api, p, eid

    async def act(
        self, key: str, action: str, who: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        party = getattr(self.p, who)
        r = await self.api.client.post(
            f"/api/v1/engagements/{self.eid}/milestones/{key}/actions/{action}",
            json=body or {},
            headers=bearer(party.admin_key),
        )
        assert r.status_code == 200, (key, action, r.text)
        return dict(r.json())

    async def refuse(self, key: str, action: str, who: str, body: dict[str, Any] | None = None) -> Any:
        party = getattr(self.p, who)
        return await self.api.client.post(
            f"/api/v1/engagements/{self.eid}/milestones/{key}/actions/{action}",
            json=body or {},
            headers=bearer(party.admin_key),
        )

    async def deliver(self, key: str, n: int = 1, **over: Any) -> Any:
        return await self.api.client.post(
            f"/api/v1/engagements/{self.eid}/milestones/{key}/deliveries",
            json=delivery_body(n, **over),
            headers=bearer(self.p.vendor.admin_key),
        )

    async def engagement(self, action: str, who: str, body: dict[str, Any] | None = None) -> Any:
        return await self.api.act(self.eid, action, getattr(self.p, who).admin_key, body)

    async def milestones(self) -> list[dict[str, Any]]:
        r = await self.api.client.get(
            f"/api/v1/engagements/{self.eid}/milestones", headers=bearer(self.p.startup.admin_key)
        )
        assert r.status_code == 200, r.text
        return list(r.json()["items"])

    async def register(self) -> dict[str, dict[str, Any]]:
        r = await self.api.client.get(
            f"/api/v1/engagements/{self.eid}/results", headers=bearer(self.p.reviewer.admin_key)
        )
        assert r.status_code == 200, r.text
        page = r.json()
        assert page["next_cursor"] is None
        return {e["milestone_key"]: e for e in page["items"]}

    async def pay(self, key: str, amount: float, ref: str = "INV-1") -> dict[str, Any]:
        return await self.act(
            key, "record_payment", "startup", {"amount": amount, "paid_on": "2026-11-30", "reference": ref}
        )


async def signed(api: EngagementApi, model: str = "joint", milestones: int = 3, **terms: Any) -> Walk:
    p = await api.parties()
    body = proposal_body(model, milestones=milestones)
    body["ip_terms"].update(terms)
    eid = await walk_to_signed(api, p, body)
    r = await api.act(eid, "start_development", p.vendor.admin_key)
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "in_development"
    return Walk(api, p, eid)


def owners(entry: dict[str, Any]) -> dict[str, float]:
    return {o["party"]: o["share"] for o in entry["owners"]}


@pytest.mark.parametrize("model", MODELS)
async def test_three_milestones_to_completed_with_a_rejection(api: EngagementApi, model: str) -> None:
    w = await signed(api, model)
    ms = await w.milestones()
    assert [m["key"] for m in ms] == ["m1", "m2", "m3"]
    assert all(m["state"] == "planned" for m in ms)
    assert [a["action"] for a in ms[0]["available_actions"]] == []  # the start-up's view: nothing to do yet

    # wrong role and wrong state
    assert (await w.refuse("m1", "start", "startup")).status_code == 403
    assert (await w.refuse("m1", "submit", "vendor")).status_code == 409
    for key in ("m1", "m2", "m3"):
        await w.act(key, "start", "vendor")
        r = await w.refuse(key, "submit", "vendor")  # nothing delivered yet
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "deliveries"
        assert (await w.deliver(key)).status_code == 201
        assert (await w.act(key, "submit", "vendor"))["state"] == "submitted"

    # m2 is rejected with a reason, reworked and resubmitted
    r = await w.refuse("m2", "reject", "startup")
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "reason"
    assert (await w.act("m2", "reject", "startup", {"reason": "Login flow fails on Safari"}))[
        "state"
    ] == "rejected"
    await w.act("m2", "start", "vendor")
    assert (
        await w.refuse("m2", "submit", "vendor")
    ).status_code == 422  # the old delivery does not count again
    assert (await w.deliver("m2", 2)).status_code == 201
    await w.act("m2", "submit", "vendor")

    r = await w.engagement("deliver", "vendor")
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "delivered"
    assert (
        await w.engagement("accept_delivery", "startup")
    ).status_code == 422  # milestones not accepted yet
    for key in ("m1", "m2", "m3"):
        assert (await w.act(key, "accept", "startup"))["state"] == "accepted"
    r = await w.engagement("accept_delivery", "startup")
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "accepted"

    register = await w.register()
    if model == "client_owns":  # vests on acceptance AND full payment
        assert {e["status"] for e in register.values()} == {"unvested"}
    else:
        assert {e["status"] for e in register.values()} == {"vested"}

    # complete is refused while anything is unpaid; partial payments do not make a milestone paid
    r = await w.engagement("complete", "vendor")
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "milestones"
    assert (await w.pay("m1", 10000.00))["state"] == "accepted"
    assert (await w.pay("m1", 2500.00, "INV-2"))["state"] == "paid"
    over = await w.refuse(
        "m2", "record_payment", "startup", {"amount": 99999, "paid_on": "2026-11-30", "reference": "X"}
    )
    assert over.status_code == 422
    assert over.json()["errors"][0]["field"] == "amount"
    for key in ("m2", "m3"):
        assert (await w.pay(key, 12500.00))["state"] == "paid"
    r = await w.engagement("complete", "startup")
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "completed"

    register = await w.register()
    assert set(register) == {"m1", "m2", "m3"}
    for entry in register.values():
        assert entry["status"] == "vested"
        assert entry["delivery_checksum"].startswith("sha256:")
        assert entry["source_event_seq"] >= 1
    expected = {
        "client_owns": {"startup": 100},
        "vendor_owns_licensed": {"vendor": 100},
        "joint": {"vendor": 40, "startup": 60},
        "lead_exploiter": {"startup": 100},
    }
    entry = register["m2"]
    if model == "field_split":
        fields = {o["party"]: o["fields"] for o in entry["owners"]}
        assert fields == {"vendor": ["Payments"], "startup": ["Lending"]}
    else:
        assert owners(entry) == expected[model]
    assert entry["delivery_checksum"] == delivery_body(2)["checksum"]  # the resubmitted delivery
    if model == "vendor_owns_licensed":
        assert any(lic["licensee"] == "startup" and lic.get("exclusive") for lic in entry["licences"])
    org_of = {o["party"]: o["organisation_id"] for o in entry["owners"]}
    assert all(org_of[party] == getattr(w.p, party).id for party in org_of)

    events = (
        await w.api.client.get(
            f"/api/v1/engagements/{w.eid}/events", params={"limit": 100}, headers=bearer(w.p.vendor.admin_key)
        )
    ).json()["items"]
    assert events[-1]["type"] == "engagement_completed"
    verdict = (
        await w.api.client.get(
            f"/api/v1/engagements/{w.eid}/events/verify", headers=bearer(w.p.vendor.admin_key)
        )
    ).json()
    assert verdict["valid"] is True


async def test_a_licence_outside_the_policy_is_refused_naming_the_component(
    api: EngagementApi, db: asyncpg.Connection
) -> None:
    w = await signed(
        api,
        "joint",
        milestones=1,
        open_source_policy={"allowed_licences": ["MIT"], "copyleft_requires_approval": False},
    )
    await w.act("m1", "start", "vendor")
    components = [
        {"name": "litestar", "version": "2.12.0", "licence": "MIT"},
        {"name": "ghostscript", "version": "10.0", "licence": "AGPL-3.0-only"},
    ]
    r = await w.deliver("m1", components=components)
    assert r.status_code == 422
    error = r.json()["errors"][0]
    assert error["field"] == "components.1.licence"
    assert "ghostscript" in error["message"]
    assert await db.fetchval("select count(*) from deliveries") == 0


async def test_approval_allowed_copyleft_gives_an_advisory_and_acceptance_records_the_approval(
    api: EngagementApi, db: asyncpg.Connection
) -> None:
    w = await signed(
        api,
        "joint",
        milestones=1,
        open_source_policy={"allowed_licences": ["MIT"], "copyleft_requires_approval": True},
    )
    await w.act("m1", "start", "vendor")
    components = [{"name": "readline", "version": "8.2", "licence": "GPL-3.0-or-later"}]
    r = await w.deliver("m1", components=components)
    assert r.status_code == 201, r.text
    delivery = r.json()
    assert delivery["needs_approval"] == ["readline"]
    assert [a["code"] for a in delivery["advisories"]] == ["licence_needs_approval"]
    await w.act("m1", "submit", "vendor")
    accepted = await w.act("m1", "accept", "startup")
    assert accepted["deliveries"][-1]["approved_at"] is not None
    events = (
        await w.api.client.get(
            f"/api/v1/engagements/{w.eid}/events", params={"limit": 100}, headers=bearer(w.p.vendor.admin_key)
        )
    ).json()["items"]
    acceptance = next(e for e in events if e["type"] == "milestone_accepted")
    assert acceptance["payload"]["approved_components"] == ["readline"]


async def test_deemed_acceptance_after_the_period_is_recorded_as_the_system(
    api: EngagementApi, clock: Any
) -> None:
    w = await signed(api, "joint", milestones=1)
    await w.act("m1", "start", "vendor")
    await w.deliver("m1")
    await w.act("m1", "submit", "vendor")
    clock.advance(days=13, hours=23)  # acceptance_days is 14: not yet
    assert (await w.milestones())[0]["state"] == "submitted"
    clock.advance(hours=2)
    ms = await w.milestones()
    assert ms[0]["state"] == "accepted"
    events = (
        await w.api.client.get(
            f"/api/v1/engagements/{w.eid}/events", params={"limit": 100}, headers=bearer(w.p.vendor.admin_key)
        )
    ).json()["items"]
    deemed = [e for e in events if e["type"] == "milestone_deemed_accepted"]
    assert len(deemed) == 1
    assert deemed[0]["actor"] == "system"
    assert (await w.milestones())[0]["state"] == "accepted"  # applied once
    assert (await w.register())["m1"]["status"] == "vested"  # joint vests on acceptance
    assert (await w.refuse("m1", "accept", "startup")).status_code == 409


async def test_terminate_lists_unvested_results(api: EngagementApi) -> None:
    w = await signed(api, "client_owns", milestones=2)
    await w.act("m1", "start", "vendor")
    await w.deliver("m1")
    await w.act("m1", "submit", "vendor")
    await w.act("m1", "accept", "startup")
    assert (await w.engagement("terminate", "startup")).status_code == 422  # needs a reason
    r = await w.engagement("terminate", "startup", {"reason": "Start-up ran out of runway"})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "terminated"
    register = await w.register()
    assert {k: e["status"] for k, e in register.items()} == {"m1": "unvested", "m2": "unvested"}
    assert all("terminated" in e["reason"] for e in register.values())
    events = (
        await w.api.client.get(
            f"/api/v1/engagements/{w.eid}/events", params={"limit": 100}, headers=bearer(w.p.vendor.admin_key)
        )
    ).json()["items"]
    assert {u["milestone_key"] for u in events[-1]["payload"]["unvested"]} == {"m1", "m2"}


async def test_the_docx_schedule_lists_every_result_with_its_owner(api: EngagementApi) -> None:
    w = await signed(api, "joint", milestones=2)
    for key in ("m1", "m2"):
        await w.act(key, "start", "vendor")
        await w.deliver(key)
        await w.act(key, "submit", "vendor")
    await w.act("m1", "accept", "startup")
    r = await w.api.client.get(
        f"/api/v1/engagements/{w.eid}/results",
        params={"format": "docx"},
        headers=bearer(w.p.vendor.admin_key),
    )
    assert r.status_code == 200
    assert r.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    document = docx.Document(io.BytesIO(r.content))
    cells = "\n".join(c.text for t in document.tables for row in t.rows for c in row.cells)
    assert "m1" in cells
    assert "m2" in cells
    assert w.p.vendor.body["name"] in cells
    assert w.p.startup.body["name"] in cells
    again = await w.api.client.get(
        f"/api/v1/engagements/{w.eid}/results",
        params={"format": "docx"},
        headers=bearer(w.p.vendor.admin_key),
    )
    assert again.content == r.content


async def test_milestone_routes_are_404_for_strangers_and_bad_input_is_named(api: EngagementApi) -> None:
    w = await signed(api, "joint", milestones=1)
    r = await w.api.client.get(
        f"/api/v1/engagements/{w.eid}/milestones", headers=bearer(w.p.stranger.admin_key)
    )
    assert r.status_code == 404
    await w.act("m1", "start", "vendor")
    r = await w.deliver("m1", checksum="md5:abc")
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "checksum"
    r = await w.api.client.post(
        f"/api/v1/engagements/{w.eid}/milestones/nope/actions/start",
        json={},
        headers=bearer(w.p.vendor.admin_key),
    )
    assert r.status_code == 404
    r = await w.deliver("m1", components=[{"name": "x", "version": "1", "licence": "NOT-SPDX"}])
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "components.0.licence"
    assert date.today().year >= 2026


async def test_a_dual_licensed_component_passes_a_permissive_policy(api: EngagementApi) -> None:
    w = await signed(api, milestones=1)  # the factory policy allows MIT, Apache-2.0, BSD-3-Clause
    await w.act("m1", "start", "vendor")
    dual = [{"name": "serde", "version": "1.0.210", "licence": "MIT OR Apache-2.0"}]
    r = await w.deliver("m1", components=dual)
    assert r.status_code == 201, r.text
    assert r.json()["components"] == dual
    assert r.json()["needs_approval"] == []


async def test_an_engagement_action_counts_milestones_deemed_accepted(api: EngagementApi, clock: Any) -> None:
    w = await signed(api, "joint", milestones=2)
    for key in ("m1", "m2"):
        await w.act(key, "start", "vendor")
        await w.deliver(key)
        await w.act(key, "submit", "vendor")
    assert (await w.engagement("deliver", "vendor")).status_code == 200
    assert (await w.engagement("accept_delivery", "startup")).status_code == 422
    clock.advance(days=15)
    r = await w.engagement("accept_delivery", "startup")  # nobody read the milestones in between
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "accepted"
    assert {m["state"] for m in await w.milestones()} == {"accepted"}


async def test_head_on_the_results_register_in_both_formats(api: EngagementApi) -> None:
    w = await signed(api, milestones=1)
    url = f"/api/v1/engagements/{w.eid}/results"
    key = bearer(w.p.startup.admin_key)
    for fmt in ("json", "docx"):
        get = await api.client.get(url, params={"format": fmt}, headers=key)
        head = await api.client.head(url, params={"format": fmt}, headers=key)
        assert (get.status_code, head.status_code) == (200, 200)
        assert head.content == b""
        assert head.headers["content-type"] == get.headers["content-type"]
        if fmt == "json":  # a DOCX's zip dates follow the clock, so only the JSON length is stable
            assert head.headers["content-length"] == str(len(get.content))
        else:
            assert head.headers["content-disposition"] == get.headers["content-disposition"]
