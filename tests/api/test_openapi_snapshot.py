"""The served OpenAPI document equals the checked-in copy, so an API change is always deliberate.

After an intended change, regenerate the copy with ``python -m tests.api.snapshots`` and review the diff.
"""

from __future__ import annotations

import json

from tests.api.snapshots import OPENAPI_SNAPSHOT
from tests.support.factories import Api


async def test_served_openapi_document_matches_the_checked_in_copy(api: Api) -> None:
    r = await api.client.get("/schema/openapi.json")
    assert r.status_code == 200
    assert r.json() == json.loads(OPENAPI_SNAPSHOT.read_text(encoding="utf-8"))
