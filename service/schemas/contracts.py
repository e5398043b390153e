from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

from contract_templates import ClauseChange


class ContractVersion(msgspec.Struct, kw_only=True):
    id: UUID
    engagement_id: UUID
    version: int
    revision: int
    template_id: str
    template_version: str
    sha256: str
    size: int
    created_at: datetime
    status: str


class Comparison(msgspec.Struct, kw_only=True):
    from_: ContractVersion = msgspec.field(name="from")
    to: ContractVersion
    changes: list[ClauseChange]


class Review(msgspec.Struct, kw_only=True):
    id: UUID
    contract_id: UUID
    organisation_id: UUID
    decision: str
    comment: str | None
    clause_comments: list[dict[str, str]]
    document_sha256: str
    created_at: datetime


class SignatureRecord(msgspec.Struct, kw_only=True):
    contract_id: UUID
    party: str
    organisation_id: UUID
    signer_name: str
    signer_title: str
    document_sha256: str
    signed_at: datetime


class Signatures(msgspec.Struct, kw_only=True):
    signatures: list[SignatureRecord]
    record: dict[str, Any] | None


class CitableClause(msgspec.Struct, kw_only=True):
    id: Annotated[
        str, Meta(description="what a clause comment's `clause_id` names", examples=["results_ip.joint"])
    ]
    kind: Literal["part", "clause"]
    part: str
    heading: str | None
    template_id: str
    template_version: str
