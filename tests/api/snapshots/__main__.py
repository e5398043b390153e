"""Rewrite the OpenAPI snapshot from the app as it is now (no database needed)."""

from __future__ import annotations

import json

from service import Settings, create_app
from service.openapi import describe
from tests.api.snapshots import OPENAPI_SNAPSHOT

app = create_app(Settings(database_url="postgresql://unused@127.0.0.1:1/unused", secret_key="unused" * 8))
document = describe(app)
OPENAPI_SNAPSHOT.write_text(
    json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
)
print(f"wrote {OPENAPI_SNAPSHOT}")
