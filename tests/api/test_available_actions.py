"""``available_actions`` tells each caller what will work now: guards run, reasons given."""

from __future__ import annotations

from typing import Any

from tests.api.test_delivery import signed
from tests.support.factories import EngagementApi, bearer


def by_action(engagement: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["action"]: a for a in engagement["available_actions"]}


async def test_deliver_is_offered_disabled_with_its_reason_until_every_milestone_is_submitted(
    api: EngagementApi,
) -> None:
    w = await signed(api, milestones=2)
    vendor = bearer(w.p.vendor.admin_key)
    r = await api.client.get(f"/api/v1/engagements/{w.eid}", headers=vendor)
    deliver = by_action(r.json())["deliver"]
    assert deliver == {
        "action": "deliver",
        "enabled": False,
        "reason": "milestones: 2 of 2 milestones are not yet submitted",
    }
    assert by_action(r.json())["terminate"] == {
        "action": "terminate",
        "enabled": True,
        "requires": ["reason"],
    }

    # The offer agrees with what firing it does.
    refused = await w.engagement("deliver", "vendor")
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": "milestones", "message": "2 of 2 milestones are not yet submitted"}
    ]

    for key in ("m1", "m2"):
        await w.act(key, "start", "vendor")
        assert (await w.deliver(key)).status_code == 201
        await w.act(key, "submit", "vendor")
    r = await api.client.get(f"/api/v1/engagements/{w.eid}", headers=vendor)
    assert by_action(r.json())["deliver"] == {"action": "deliver", "enabled": True}
    assert (await w.engagement("deliver", "vendor")).status_code == 200


async def test_each_caller_sees_its_own_actions(api: EngagementApi) -> None:
    w = await signed(api, milestones=1)
    views = {}
    for who in ("vendor", "startup", "reviewer"):
        r = await api.client.get(f"/api/v1/engagements/{w.eid}", headers=bearer(getattr(w.p, who).admin_key))
        views[who] = sorted(by_action(r.json()))
    assert views == {
        "vendor": ["deliver", "raise_dispute", "terminate"],
        "startup": ["raise_dispute", "terminate"],
        "reviewer": [],
    }


async def test_milestone_actions_carry_guards_and_required_fields(api: EngagementApi) -> None:
    w = await signed(api, milestones=1)
    await w.act("m1", "start", "vendor")
    r = await api.client.get(
        f"/api/v1/engagements/{w.eid}/milestones/m1", headers=bearer(w.p.vendor.admin_key)
    )
    assert r.json()["available_actions"] == [
        {
            "action": "submit",
            "enabled": False,
            "reason": "deliveries: deliver milestone m1 at least once before submitting it",
        }
    ]
    assert (await w.deliver("m1")).status_code == 201
    await w.act("m1", "submit", "vendor")
    ms = await w.milestones()  # the start-up's view
    assert ms[0]["available_actions"] == [
        {"action": "accept", "enabled": True},
        {"action": "reject", "enabled": True, "requires": ["reason"]},
    ]
    await w.act("m1", "accept", "startup")
    ms = await w.milestones()
    assert ms[0]["available_actions"] == [
        {"action": "record_payment", "enabled": True, "requires": ["amount", "paid_on", "reference"]}
    ]
