"""SQL for API keys. Only the SHA-256 of a secret is stored; lookups go by that hash."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, TypeAlias
from uuid import UUID

import msgspec

from db.rows import typed, typed_all, typed_or_none
from db.types import Connection

Role: TypeAlias = Literal["admin", "member", "operator"]


class ApiKeyRow(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    organisation_id: UUID | None
    name: str
    role: Role
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


class KeyHolder(msgspec.Struct, frozen=True, kw_only=True):
    """An active key with its organisation, as authentication needs it."""

    key_id: UUID
    name: str
    role: Role
    organisation_id: UUID | None
    organisation_name: str | None
    organisation_kind: str | None


_COLUMNS = "id, organisation_id, name, role, prefix, created_at, revoked_at"


async def insert(
    conn: Connection,
    *,
    organisation_id: UUID | None,
    name: str,
    role: str,
    secret_hash: bytes,
    prefix: str,
) -> ApiKeyRow:
    record = await conn.fetchrow(
        f"""insert into api_keys (organisation_id, name, role, secret_hash, prefix)
            values ($1, $2, $3, $4, $5) returning {_COLUMNS}""",  # noqa: S608 (constant columns)
        organisation_id,
        name,
        role,
        secret_hash,
        prefix,
    )
    assert record is not None
    return typed(ApiKeyRow, record)


async def find_active_by_hash(conn: Connection, secret_hash: bytes) -> KeyHolder | None:
    record = await conn.fetchrow(
        """select k.id as key_id, k.name, k.role, k.organisation_id,
                  o.name as organisation_name, o.kind as organisation_kind
             from api_keys k left join organisations o on o.id = k.organisation_id
            where k.secret_hash = $1 and k.revoked_at is null""",
        secret_hash,
    )
    return typed_or_none(KeyHolder, record)


async def is_active(conn: Connection, key_id: UUID) -> bool:
    return bool(await conn.fetchval("select revoked_at is null from api_keys where id = $1", key_id))


async def list_for_organisation(
    conn: Connection, organisation_id: UUID, *, after: tuple[Any, UUID] | None, limit: int
) -> list[ApiKeyRow]:
    records = await conn.fetch(
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
    return typed_all(ApiKeyRow, records)


async def get(conn: Connection, organisation_id: UUID, key_id: UUID) -> ApiKeyRow | None:
    record = await conn.fetchrow(
        f"select {_COLUMNS} from api_keys where organisation_id = $1 and id = $2",  # noqa: S608
        organisation_id,
        key_id,
    )
    return typed_or_none(ApiKeyRow, record)


async def revoke(conn: Connection, organisation_id: UUID, key_id: UUID) -> ApiKeyRow | None:
    record = await conn.fetchrow(
        f"""update api_keys set revoked_at = coalesce(revoked_at, now())
             where organisation_id = $1 and id = $2 returning {_COLUMNS}""",  # noqa: S608
        organisation_id,
        key_id,
    )
    return typed_or_none(ApiKeyRow, record)
