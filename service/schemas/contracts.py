from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import UNSET, Meta, UnsetType

from contract_templates import ClauseChange
from workflows import ClauseComment, ContractStatus


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
    status: ContractStatus


class Comparison(msgspec.Struct, kw_only=True):
    from_: ContractVersion = msgspec.field(name="from")
    to: ContractVersion
    changes: list[ClauseChange]


class Review(msgspec.Struct, kw_only=True):
    id: UUID
    contract_id: UUID
    organisation_id: UUID
    decision: Literal["approve", "request_revision"]
    comment: str | None
    clause_comments: list[ClauseComment]
    document_sha256: str
    created_at: datetime


class SignatureRecord(msgspec.Struct, kw_only=True):
    contract_id: UUID
    party: Literal["vendor", "startup"]
    organisation_id: UUID
    signer_name: str
    signer_title: str
    signer_authority: str | None
    document_sha256: str
    signed_at: datetime


class Signer(msgspec.Struct, kw_only=True):
    party: Literal["vendor", "startup"]
    organisation_id: UUID
    signer_name: str
    signer_title: str
    # Recorded since signatories state their authority; absent from records sealed before that.
    signer_authority: str | UnsetType | None = UNSET
    # As the record was sealed (ISO 8601 with offset): the record is hashed into the audit chain.
    signed_at: str
    document_sha256: str


class SignedRecord(msgspec.Struct, kw_only=True):
    engagement_id: UUID
    contract_id: UUID
    contract_version: int
    document_sha256: str
    signers: list[Signer]
    audit_chain_head: str


class Signatures(msgspec.Struct, kw_only=True):
    signatures: list[SignatureRecord]
    record: SignedRecord | None


class CitableClause(msgspec.Struct, kw_only=True):
    id: Annotated[
        str, Meta(description="what a clause comment's `clause_id` names", examples=["results_ip.joint"])
    ]
    kind: Literal["part", "clause"]
    part: str
    heading: str | None
    template_id: str
    template_version: str
