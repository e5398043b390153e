"""SQL for organisations."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg
import msgspec

from db.rows import typed, typed_all, typed_or_none
from db.types import Connection
from workflows import Conflict


class OrganisationRow(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    name: str
    kind: str
    country: str
    registration_code: str
    vat_code: str | None
    address: str | None
    clusters: tuple[str, ...]
    created_at: datetime


_COLUMNS = "id, name, kind, country, registration_code, vat_code, address, clusters, created_at"


async def insert(
    conn: Connection,
    *,
    name: str,
    kind: str,
    country: str,
    registration_code: str,
    vat_code: str | None,
    address: str | None,
    clusters: list[str],
) -> OrganisationRow:
    try:
        record = await conn.fetchrow(
            f"""insert into organisations (name, kind, country, registration_code, vat_code, address, clusters)
                values ($1, $2, $3, $4, $5, $6, $7) returning {_COLUMNS}""",  # noqa: S608 (constant columns)
            name,
            kind,
            country,
            registration_code,
            vat_code,
            address,
            clusters,
        )
    except asyncpg.UniqueViolationError as exc:
        raise Conflict(
            f"an organisation with registration code {registration_code} in {country} already exists"
        ) from exc
    assert record is not None
    return typed(OrganisationRow, record)


async def get(conn: Connection, org_id: UUID) -> OrganisationRow | None:
    record = await conn.fetchrow(f"select {_COLUMNS} from organisations where id = $1", org_id)  # noqa: S608
    return typed_or_none(OrganisationRow, record)


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


async def page(
    conn: Connection, member_of: UUID | None, *, after: tuple[datetime, UUID] | None, limit: int
) -> list[OrganisationRow]:
    """Organisations in (created_at, id) order: every one when ``member_of`` is None (the operator),
    else that organisation and those it shares an engagement with (``visible_to``'s rule)."""
    records = await conn.fetch(
        f"""select {_COLUMNS} from organisations o
             where ($1::uuid is null or o.id = $1 or exists (
                        select 1 from engagement_parties mine
                          join engagement_parties theirs on theirs.engagement_id = mine.engagement_id
                         where mine.organisation_id = $1 and theirs.organisation_id = o.id))
               and ($2::timestamptz is null or (o.created_at, o.id) > ($2::timestamptz, $3::uuid))
             order by o.created_at, o.id
             limit $4""",  # noqa: S608 (constant columns)
        member_of,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )
    return typed_all(OrganisationRow, records)


async def identities(conn: Connection, org_ids: list[UUID]) -> dict[UUID, tuple[str, str]]:
    """The kind and country of each existing organisation among ``org_ids``."""
    records = await conn.fetch(
        "select id, kind, country from organisations where id = any($1::uuid[])", org_ids
    )
    return {r["id"]: (r["kind"], r["country"]) for r in records}
