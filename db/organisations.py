"""SQL for organisations."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from db.types import Connection
from workflows.errors import Conflict

_COLUMNS = "id, name, kind, country, registration_code, vat_code, address, clusters, created_at"


async def insert(conn: Connection, org: dict[str, Any]) -> dict[str, Any]:
    try:
        row = await conn.fetchrow(
            f"""insert into organisations (name, kind, country, registration_code, vat_code, address, clusters)
                values ($1, $2, $3, $4, $5, $6, $7) returning {_COLUMNS}""",  # noqa: S608 (constant columns)
            org["name"],
            org["kind"],
            org["country"],
            org["registration_code"],
            org.get("vat_code"),
            org.get("address"),
            list(org.get("clusters") or []),
        )
    except asyncpg.UniqueViolationError as exc:
        raise Conflict(
            f"an organisation with registration code {org['registration_code']} in {org['country']} already exists"
        ) from exc
    assert row is not None
    return dict(row)


async def get(conn: Connection, org_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(f"select {_COLUMNS} from organisations where id = $1", org_id)  # noqa: S608
    return dict(row) if row else None


async def visible_to(conn: Connection, org_id: UUID, caller_org_id: UUID) -> bool:
    """A member sees its own organisation, and every organisation it shares an engagement with."""
    if org_id == caller_org_id:
        return True
    return bool(
        await conn.fetchval(
            """select exists (
                   select 1 from engagement_parties mine
                     join engagement_parties theirs on theirs.engagement_id = mine.engagement_id
                    where mine.organisation_id = $2 and theirs.organisation_id = $1)""",
            org_id,
            caller_org_id,
        )
    )
