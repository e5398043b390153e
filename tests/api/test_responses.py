"""Responses keep no state per request (a per-response encoder cache once grew without bound)."""

from __future__ import annotations

import gc

import msgspec

from tests.support.factories import EngagementApi, bearer


def _encoders() -> int:
    gc.collect()
    return sum(isinstance(o, msgspec.json.Encoder) for o in gc.get_objects())


async def test_json_responses_leave_no_encoder_behind(api: EngagementApi) -> None:
    p = await api.parties()
    engagement = await api.create_engagement(p)
    path = f"/api/v1/engagements/{engagement['id']}"
    await api.client.get(path, headers=bearer(p.vendor.admin_key))  # warm every cache once
    before = _encoders()
    for _ in range(200):
        r = await api.client.get(path, headers=bearer(p.vendor.admin_key))
        assert r.status_code == 200
        assert (await api.client.get("/health")).status_code == 200
    assert _encoders() - before < 5
