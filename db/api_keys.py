"""SQL for API keys. Only the SHA-256 of a secret is stored; lookups go by that hash."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from db.types import Connection

_COLUMNS = "id, organisation_id, name, role, prefix, created_at, revoked_at"


async def insert(
    conn: Connection,
    *,
    organisation_id: UUID | None,
    name: str,
    role: str,
    secret_hash: bytes,
    prefix: str,
) -> dict[str, Any]:
    row = await conn.fetchrow(
        f"""insert into api_keys (organisation_id, name, role, secret_hash, prefix)
            values ($1, $2, $3, $4, $5) returning {_COLUMNS}""",  # noqa: S608 (constant columns)
        organisation_id,
        name,
        role,
        secret_hash,
        prefix,
    )
    assert row is not None
    return dict(row)


async def find_active_by_hash(conn: Connection, secret_hash: bytes) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        """select k.id as key_id, k.name, k.role, k.organisation_id,
                  o.name as organisation_name, o.kind as organisation_kind
             from api_keys k left join organisations o on o.id = k.organisation_id
            where k.secret_hash = $1 and k.revoked_at is null""",
        secret_hash,
    )
    return dict(row) if row else None


async def list_for_organisation(
    conn: Connection, organisation_id: UUID, *, after: tuple[Any, UUID] | None, limit: int
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"""select {_COLUMNS} from api_keys
             where organisation_id = $1
               and ($2::timestamptz is null or (created_at, id) > ($2::timestamptz, $3::uuid))
             order by created_at, id
             limit $4""",  # noqa: S608
        organisation_id,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )
    return [dict(r) for r in rows]


async def get(conn: Connection, organisation_id: UUID, key_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        f"select {_COLUMNS} from api_keys where organisation_id = $1 and id = $2",  # noqa: S608
        organisation_id,
        key_id,
    )
    return dict(row) if row else None


async def revoke(conn: Connection, organisation_id: UUID, key_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        f"""update api_keys set revoked_at = coalesce(revoked_at, now())
             where organisation_id = $1 and id = $2 returning {_COLUMNS}""",  # noqa: S608
        organisation_id,
        key_id,
    )
    return dict(row) if row else None
