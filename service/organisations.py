"""Organisations and their API keys: the work behind the controllers, callable without HTTP."""

from __future__ import annotations

from uuid import UUID

from db import api_keys, organisations
from db.api_keys import ApiKeyRow
from db.organisations import OrganisationRow
from db.types import Connection
from service.auth import Caller, hash_secret, new_secret
from service.pagination import decode_cursor, next_cursor
from service.schemas.api_keys import ApiKey, ApiKeyCreate, ApiKeyCreated
from service.schemas.common import Page, shaped
from service.schemas.organisations import Organisation, OrganisationCreate
from workflows import (
    ISO_3166_ALPHA2,
    FieldError,
    Forbidden,
    NotFound,
    RuleViolation,
    validate_registration_code,
    xml_illegal_fields,
)


async def create_organisation(conn: Connection, caller: Caller, data: OrganisationCreate) -> Organisation:
    caller.require_operator()
    errors = xml_illegal_fields(data)
    if data.country not in ISO_3166_ALPHA2:
        errors.append(FieldError("country", f"{data.country!r} is not an ISO 3166-1 alpha-2 country code"))
    if errors:
        raise RuleViolation(errors)
    validate_registration_code(data.country, data.registration_code)
    row = await organisations.insert(
        conn,
        name=data.name,
        kind=data.kind,
        country=data.country,
        registration_code=data.registration_code,
        vat_code=data.vat_code,
        address=data.address,
        clusters=list(data.clusters),
    )
    return shaped(row, Organisation)


async def visible_organisation(conn: Connection, caller: Caller, org_id: UUID) -> OrganisationRow:
    """The organisation row, or NotFound for a caller who may not see it (never 403)."""
    row = await organisations.get(conn, org_id)
    visible = row is not None and (
        caller.is_operator
        or (
            caller.organisation_id is not None
            and await organisations.visible_to(conn, org_id, caller.organisation_id)
        )
    )
    if row is None or not visible:
        raise NotFound(f"organisation {org_id} not found")
    return row


async def list_organisations(
    conn: Connection, caller: Caller, *, limit: int, cursor: str | None
) -> Page[Organisation]:
    """The organisations the caller may read one by one (``visible_organisation``), as pages."""
    if not caller.is_operator and caller.organisation_id is None:
        return Page(items=[], next_cursor=None)
    member_of = None if caller.is_operator else caller.organisation_id
    rows = await organisations.page(conn, member_of, after=decode_cursor(cursor), limit=limit + 1)
    return Page(items=[shaped(r, Organisation) for r in rows[:limit]], next_cursor=next_cursor(rows, limit))


async def get_organisation(conn: Connection, caller: Caller, org_id: UUID) -> Organisation:
    return shaped(await visible_organisation(conn, caller, org_id), Organisation)


async def _require_key_admin(conn: Connection, caller: Caller, org_id: UUID) -> None:
    await visible_organisation(conn, caller, org_id)
    if not (caller.is_operator or (caller.organisation_id == org_id and caller.role == "admin")):
        raise Forbidden("only the operator or this organisation's admin may manage its API keys")


async def create_api_key(conn: Connection, caller: Caller, org_id: UUID, data: ApiKeyCreate) -> ApiKeyCreated:
    await _require_key_admin(conn, caller, org_id)
    if errors := xml_illegal_fields(data):
        raise RuleViolation(errors)
    secret, prefix = new_secret()
    row = await api_keys.insert(
        conn,
        organisation_id=org_id,
        name=data.name,
        role=data.role,
        secret_hash=hash_secret(secret),
        prefix=prefix,
    )
    return shaped(row, ApiKeyCreated, key=secret)


async def create_operator_key(conn: Connection, name: str) -> str:
    """For `jointip operator-key`: a stored operator key; the secret is returned once."""
    secret, prefix = new_secret()
    await api_keys.insert(
        conn,
        organisation_id=None,
        name=name,
        role="operator",
        secret_hash=hash_secret(secret),
        prefix=prefix,
    )
    return secret


async def list_api_keys(
    conn: Connection, caller: Caller, org_id: UUID, *, limit: int, cursor: str | None
) -> Page[ApiKey]:
    await _require_key_admin(conn, caller, org_id)
    rows = await api_keys.list_for_organisation(conn, org_id, after=decode_cursor(cursor), limit=limit + 1)
    return Page(items=[shaped(r, ApiKey) for r in rows[:limit]], next_cursor=next_cursor(rows, limit))


def _key(row: ApiKeyRow | None, key_id: UUID) -> ApiKey:
    if row is None:
        raise NotFound(f"API key {key_id} not found")
    return shaped(row, ApiKey)


async def get_api_key(conn: Connection, caller: Caller, org_id: UUID, key_id: UUID) -> ApiKey:
    await _require_key_admin(conn, caller, org_id)
    return _key(await api_keys.get(conn, org_id, key_id), key_id)


async def revoke_api_key(conn: Connection, caller: Caller, org_id: UUID, key_id: UUID) -> ApiKey:
    await _require_key_admin(conn, caller, org_id)
    return _key(await api_keys.revoke(conn, org_id, key_id), key_id)
