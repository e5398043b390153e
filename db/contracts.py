"""SQL for contract versions, reviews, signatures and signature records."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from db.types import Connection

_META = """id, engagement_id, version, revision, template_id, template_version, sha256, size, status,
    created_at"""


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
) -> dict[str, Any]:
    """Store version ``version`` (from ``next_version``, under the engagement row lock)."""
    row = await conn.fetchrow(
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
    assert row is not None
    return dict(row)


async def next_version(conn: Connection, engagement_id: UUID) -> int:
    return int(
        await conn.fetchval(
            "select coalesce(max(version), 0) + 1 from contract_versions where engagement_id = $1",
            engagement_id,
        )
    )


async def latest(conn: Connection, engagement_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        f"select {_META} from contract_versions where engagement_id = $1 order by version desc limit 1",  # noqa: S608
        engagement_id,
    )
    return dict(row) if row else None


async def get(conn: Connection, contract_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(f"select {_META} from contract_versions where id = $1", contract_id)  # noqa: S608
    return dict(row) if row else None


async def engagement_of(conn: Connection, contract_id: UUID) -> UUID | None:
    value = await conn.fetchval("select engagement_id from contract_versions where id = $1", contract_id)
    return UUID(str(value)) if value else None


async def document(conn: Connection, contract_id: UUID) -> bytes | None:
    value = await conn.fetchval("select document from contract_versions where id = $1", contract_id)
    return bytes(value) if value is not None else None


async def clauses(conn: Connection, contract_id: UUID) -> str | None:
    value = await conn.fetchval("select clauses::text from contract_versions where id = $1", contract_id)
    return str(value) if value is not None else None


async def page(
    conn: Connection, engagement_id: UUID, *, after: int | None, limit: int
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"""select {_META} from contract_versions
             where engagement_id = $1 and version > coalesce($2, 0)
             order by version limit $3""",  # noqa: S608
        engagement_id,
        after,
        limit,
    )
    return [dict(r) for r in rows]


async def set_status(conn: Connection, contract_id: UUID, status: str) -> None:
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


async def reviews(conn: Connection, contract_id: UUID) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """select id, contract_id, organisation_id, decision, comment, clause_comments::text as clause_comments,
                  document_sha256, created_at
             from contract_reviews where contract_id = $1 order by created_at, id""",
        contract_id,
    )
    return [dict(r) for r in rows]


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
    document_sha256: str,
) -> dict[str, Any]:
    row = await conn.fetchrow(
        """insert into signatures
               (contract_id, engagement_id, party, organisation_id, key_id, signer_name, signer_title,
                document_sha256)
           values ($1, $2, $3, $4, $5, $6, $7, $8)
           returning party, organisation_id, signer_name, signer_title, document_sha256, signed_at""",
        contract_id,
        engagement_id,
        party,
        organisation_id,
        key_id,
        signer_name,
        signer_title,
        document_sha256,
    )
    assert row is not None
    return dict(row)


async def signatures(conn: Connection, engagement_id: UUID) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """select contract_id, party, organisation_id, signer_name, signer_title, document_sha256, signed_at
             from signatures where engagement_id = $1 order by signed_at, party""",
        engagement_id,
    )
    return [dict(r) for r in rows]


async def insert_signature_record(
    conn: Connection, engagement_id: UUID, contract_id: UUID, record_json: str
) -> None:
    await conn.execute(
        "insert into signature_records (engagement_id, contract_id, record) values ($1, $2, $3::jsonb)",
        engagement_id,
        contract_id,
        record_json,
    )


async def signature_record(conn: Connection, engagement_id: UUID) -> str | None:
    value = await conn.fetchval(
        "select record::text from signature_records where engagement_id = $1", engagement_id
    )
    return str(value) if value is not None else None
