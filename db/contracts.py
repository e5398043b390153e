"""SQL for contract versions, reviews, signatures and signature records."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

from db.rows import JsonColumns, typed, typed_all, typed_or_none
from db.types import Connection
from workflows import ClauseComment, ContractStatus


class ContractRow(msgspec.Struct, frozen=True, kw_only=True):
    """A contract version's metadata (the document bytes and clause texts are read on their own)."""

    id: UUID
    engagement_id: UUID
    version: int
    revision: int
    template_id: str
    template_version: str
    sha256: str
    size: int
    status: ContractStatus
    created_at: datetime


class ReviewRow(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    contract_id: UUID
    organisation_id: UUID
    decision: str
    comment: str | None
    clause_comments: tuple[ClauseComment, ...]
    document_sha256: str
    created_at: datetime


class SignatureRow(msgspec.Struct, frozen=True, kw_only=True):
    contract_id: UUID
    party: str
    organisation_id: UUID
    signer_name: str
    signer_title: str
    signer_authority: str | None
    document_sha256: str
    signed_at: datetime


_META = """id, engagement_id, version, revision, template_id, template_version, sha256, size, status,
    created_at"""
_REVIEW_JSON: JsonColumns = {"clause_comments": msgspec.json.Decoder(tuple[ClauseComment, ...])}
_RECORD = msgspec.json.Decoder(dict[str, Any])
_CLAUSES = msgspec.json.Decoder(dict[str, str])


async def insert_version(
    conn: Connection,
    *,
    engagement_id: UUID,
    version: int,
    revision: int,
    template_id: str,
    template_version: str,
    sha256: str,
    document: bytes,
    clauses_json: str,
    created_by_org: UUID | None,
    created_by_key: UUID | None,
) -> ContractRow:
    """Store version ``version`` (from ``next_version``, under the engagement row lock)."""
    record = await conn.fetchrow(
        f"""insert into contract_versions
                (engagement_id, version, revision, template_id, template_version, sha256, size, document,
                 clauses, created_by_org, created_by_key)
            values ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11)
            returning {_META}""",  # noqa: S608 (constant columns)
        engagement_id,
        version,
        revision,
        template_id,
        template_version,
        sha256,
        len(document),
        document,
        clauses_json,
        created_by_org,
        created_by_key,
    )
    assert record is not None
    return typed(ContractRow, record)


async def next_version(conn: Connection, engagement_id: UUID) -> int:
    return int(
        await conn.fetchval(
            "select coalesce(max(version), 0) + 1 from contract_versions where engagement_id = $1",
            engagement_id,
        )
    )


async def latest(conn: Connection, engagement_id: UUID) -> ContractRow | None:
    record = await conn.fetchrow(
        f"select {_META} from contract_versions where engagement_id = $1 order by version desc limit 1",  # noqa: S608
        engagement_id,
    )
    return typed_or_none(ContractRow, record)


async def get(conn: Connection, contract_id: UUID) -> ContractRow | None:
    record = await conn.fetchrow(f"select {_META} from contract_versions where id = $1", contract_id)  # noqa: S608
    return typed_or_none(ContractRow, record)


async def engagement_of(conn: Connection, contract_id: UUID) -> UUID | None:
    value = await conn.fetchval("select engagement_id from contract_versions where id = $1", contract_id)
    return UUID(str(value)) if value else None


async def document(conn: Connection, contract_id: UUID) -> bytes | None:
    value = await conn.fetchval("select document from contract_versions where id = $1", contract_id)
    return bytes(value) if value is not None else None


async def clauses(conn: Connection, contract_id: UUID) -> dict[str, str]:
    """The clause texts stored with the version, by clause id (empty for an unknown version)."""
    value = await conn.fetchval("select clauses::text from contract_versions where id = $1", contract_id)
    return _CLAUSES.decode(value) if value is not None else {}


async def page(conn: Connection, engagement_id: UUID, *, after: int | None, limit: int) -> list[ContractRow]:
    records = await conn.fetch(
        f"""select {_META} from contract_versions
             where engagement_id = $1 and version > coalesce($2, 0)
             order by version limit $3""",  # noqa: S608
        engagement_id,
        after,
        limit,
    )
    return typed_all(ContractRow, records)


async def set_status(conn: Connection, contract_id: UUID, status: ContractStatus) -> None:
    await conn.execute("update contract_versions set status = $2 where id = $1", contract_id, status)


async def insert_review(
    conn: Connection,
    *,
    contract_id: UUID,
    engagement_id: UUID,
    organisation_id: UUID,
    key_id: UUID | None,
    decision: str,
    comment: str | None,
    clause_comments_json: str,
    document_sha256: str,
) -> None:
    await conn.execute(
        """insert into contract_reviews
               (contract_id, engagement_id, organisation_id, key_id, decision, comment, clause_comments,
                document_sha256)
           values ($1, $2, $3, $4, $5, $6, $7::jsonb, $8)""",
        contract_id,
        engagement_id,
        organisation_id,
        key_id,
        decision,
        comment,
        clause_comments_json,
        document_sha256,
    )


async def reviews(conn: Connection, contract_id: UUID) -> list[ReviewRow]:
    records = await conn.fetch(
        """select id, contract_id, organisation_id, decision, comment, clause_comments::text as clause_comments,
                  document_sha256, created_at
             from contract_reviews where contract_id = $1 order by created_at, id""",
        contract_id,
    )
    return typed_all(ReviewRow, records, _REVIEW_JSON)


async def insert_signature(
    conn: Connection,
    *,
    contract_id: UUID,
    engagement_id: UUID,
    party: str,
    organisation_id: UUID,
    key_id: UUID | None,
    signer_name: str,
    signer_title: str,
    signer_authority: str | None,
    document_sha256: str,
) -> None:
    await conn.execute(
        """insert into signatures
               (contract_id, engagement_id, party, organisation_id, key_id, signer_name, signer_title,
                signer_authority, document_sha256)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
        contract_id,
        engagement_id,
        party,
        organisation_id,
        key_id,
        signer_name,
        signer_title,
        signer_authority,
        document_sha256,
    )


async def signatures(conn: Connection, engagement_id: UUID) -> list[SignatureRow]:
    records = await conn.fetch(
        """select contract_id, party, organisation_id, signer_name, signer_title, signer_authority,
                  document_sha256, signed_at
             from signatures where engagement_id = $1 order by signed_at, party""",
        engagement_id,
    )
    return typed_all(SignatureRow, records)


async def insert_signature_record(
    conn: Connection, engagement_id: UUID, contract_id: UUID, record_json: str
) -> None:
    await conn.execute(
        "insert into signature_records (engagement_id, contract_id, record) values ($1, $2, $3::jsonb)",
        engagement_id,
        contract_id,
        record_json,
    )


async def signature_record(conn: Connection, engagement_id: UUID) -> dict[str, Any] | None:
    value = await conn.fetchval(
        "select record::text from signature_records where engagement_id = $1", engagement_id
    )
    return _RECORD.decode(value) if value is not None else None
