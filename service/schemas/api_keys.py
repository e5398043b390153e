from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

from service.schemas.common import Input
from service.schemas.organisations import Organisation

KeyPrefix = Annotated[
    str,
    Meta(
        description="The key's public id (`jtp_` and 8 hex digits), which the key begins with; none of "
        "the secret. Keys made before public ids show only `jtp_`.",
        examples=["jtp_3f9a0c1d"],
    ),
]


class ApiKeyCreate(Input, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=1, max_length=200, description="the person who holds the key")]
    role: Literal["admin", "member"]


class ApiKey(msgspec.Struct, kw_only=True):
    id: UUID
    name: str
    role: Literal["admin", "member", "operator"]
    organisation_id: UUID | None
    prefix: KeyPrefix
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyCreated(msgspec.Struct, kw_only=True):
    """The only response that carries the secret."""

    id: UUID
    key: str
    name: str
    role: Literal["admin", "member"]
    organisation_id: UUID | None
    prefix: KeyPrefix
    created_at: datetime


class Me(msgspec.Struct, kw_only=True):
    key_id: UUID | None
    name: str
    role: Literal["admin", "member", "operator"]
    organisation: Organisation | None
