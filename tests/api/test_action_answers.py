"""An action's answer is the engagement exactly as a GET right after it shows it.

``fire_action`` answers from the facts its guards read under the row lock when every effect of
the decision is one that writes neither proposals nor milestones (``service.effects.KEEPS_FACTS``),
and reads them again otherwise; it reads the milestones only when one is submitted. These walks check every engagement action's answer,
body and ETag, against a fresh GET by the same caller, through the whole life of engagements.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.api import test_delivery
from tests.support.factories import EngagementApi, bearer, walk_to_in_review, walk_to_signed


@pytest.fixture
def fired(api: EngagementApi, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every successful engagement action through ``api.act``, each checked against a GET."""
    seen: list[str] = []
    act = api.act

    async def checked(
        engagement_id: str,
        action: str,
        key: str,
        body: dict[str, Any] | None = None,
        if_match: str | None = None,
    ) -> Any:
        r = await act(engagement_id, action, key, body, if_match)
        if r.status_code == 200:
            again = await api.client.get(f"/api/v1/engagements/{engagement_id}", headers=bearer(key))
            assert r.json() == again.json(), action
            assert r.headers["etag"] == again.headers["etag"], action
            seen.append(action)
        return r

    monkeypatch.setattr(api, "act", checked)
    return seen


@pytest.mark.parametrize("model", ["joint", "client_owns"])
async def test_answers_through_delivery_acceptance_payment_and_completion(
    api: EngagementApi, fired: list[str], model: str
) -> None:
    await test_delivery.test_three_milestones_to_completed_with_a_rejection(api, model)
    assert {"submit_proposal", "accept_proposal", "generate_contract", "approve", "sign"} <= set(fired)
    assert {"start_development", "deliver", "accept_delivery", "complete"} <= set(fired)


async def test_answers_when_the_action_settles_deemed_acceptances(
    api: EngagementApi, fired: list[str], clock: Any
) -> None:
    await test_delivery.test_an_engagement_action_counts_milestones_deemed_accepted(api, clock)
    assert fired[-1] == "accept_delivery"


async def test_answers_through_disputes_and_termination(api: EngagementApi, fired: list[str]) -> None:
    p = await api.parties()
    eid = await walk_to_signed(api, p)
    assert (await api.act(eid, "start_development", p.vendor.admin_key)).status_code == 200
    for action, who in (("raise_dispute", p.vendor), ("resolve_dispute", p.startup)) * 2:
        r = await api.act(eid, action, who.admin_key, {"reason": "a late milestone"})
        assert r.status_code == 200, r.text
    r = await api.act(eid, "terminate", p.startup.admin_key, {"reason": "material breach"})
    assert r.status_code == 200, r.text
    assert fired[-5:] == ["raise_dispute", "resolve_dispute", "raise_dispute", "resolve_dispute", "terminate"]


async def test_answers_through_a_review_that_asks_for_a_revision(
    api: EngagementApi, fired: list[str]
) -> None:
    p = await api.parties()
    eid, _ = await walk_to_in_review(api, p)
    body = {
        "comment": "Name the venue.",
        "clause_comments": [{"clause_id": "governing_law", "comment": "Oslo"}],
    }
    r = await api.act(eid, "request_revision", p.reviewer.admin_key, body)
    assert r.status_code == 200, r.text
    r = await api.act(eid, "withdraw", p.vendor.admin_key, {"reason": "Funding fell through"})
    assert r.status_code == 200, r.text
    assert fired[-2:] == ["request_revision", "withdraw"]
