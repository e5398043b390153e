from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta

from service.schemas.common import Input

DEFAULT_LINK_DAYS = 7
MAX_LINK_DAYS = 30


class LinkCreate(Input, frozen=True, kw_only=True, forbid_unknown_fields=True):
    expires_in_days: Annotated[int, Meta(ge=1, le=MAX_LINK_DAYS)] = DEFAULT_LINK_DAYS


class LinkCreated(msgspec.Struct, kw_only=True):
    id: UUID
    url: str
    expires_at: datetime


class Link(msgspec.Struct, kw_only=True):
    id: UUID
    contract_id: UUID
    created_by_organisation_id: UUID
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    uses: int
