from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

from service.schemas.common import Input
from workflows import MAX_CLUSTERS

Kind = Literal["vendor", "startup", "legal"]
Country = Annotated[str, Meta(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2", examples=["LT", "NO"])]


class OrganisationCreate(Input, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=1, max_length=300)]
    kind: Kind
    country: Country
    registration_code: Annotated[str, Meta(min_length=1, max_length=40)]
    vat_code: Annotated[str, Meta(min_length=1, max_length=40)] | None = None
    address: Annotated[str, Meta(max_length=1000)] | None = None
    clusters: Annotated[
        list[Annotated[str, Meta(min_length=1, max_length=100)]],
        Meta(max_length=MAX_CLUSTERS, description="Cluster names, each 1-100 characters"),
    ] = []


class Organisation(msgspec.Struct, kw_only=True):
    id: UUID
    name: str
    kind: Kind
    country: str
    registration_code: str
    vat_code: str | None
    address: str | None
    clusters: list[str]
    created_at: datetime
