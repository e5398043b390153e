"""Mailable download links: one contract version, no API key, until the link expires or is revoked.

The URL carries ``<link id>.<signature>``, the signature an HMAC-SHA256 of the id under the
server's secret, so a link cannot be forged or altered; expiry and revocation are checked in the
database. Creating, revoking and every use of a link are audit events of the engagement.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta
from uuid import UUID

from db import contracts, links
from db.links import LinkRow
from db.types import Connection
from service.audit import append_event
from service.auth import Caller
from service.contracts import Download, contract_filename, visible_contract
from service.errors import Gone
from service.pagination import decode_cursor, next_cursor
from service.schemas.common import Page
from service.schemas.links import Link, LinkCreate, LinkCreated
from service.tenancy import visible_engagement
from workflows import Forbidden, NotFound

_CONTEXT = b"jointip/contract-link/v1:"


def _signature(secret: str, link_id: UUID) -> str:
    digest = hmac.new(secret.encode(), _CONTEXT + link_id.bytes, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def link_token(secret: str, link_id: UUID) -> str:
    return f"{link_id.hex}.{_signature(secret, link_id)}"


def link_id_of(secret: str, token: str) -> UUID | None:
    """The link id a token names, or None when it is malformed or its signature is wrong."""
    raw_id, _, signature = token.partition(".")
    if len(raw_id) != 32 or not signature or len(token) > 200:
        return None
    try:
        link_id = UUID(hex=raw_id)
    except ValueError:
        return None
    return link_id if hmac.compare_digest(signature, _signature(secret, link_id)) else None


def link_path(token: str) -> str:
    return f"/portal/links/{token}"


def _wire(row: LinkRow) -> Link:
    return Link(
        id=row.id,
        contract_id=row.contract_id,
        created_by_organisation_id=row.created_by_org,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        uses=row.uses,
    )


async def create_link(
    conn: Connection,
    caller: Caller,
    contract_id: UUID,
    data: LinkCreate,
    *,
    now: datetime,
    secret: str,
    base_url: str,
) -> LinkCreated:
    """Run inside a transaction: the engagement row lock orders the audit event."""
    contract = await visible_contract(conn, caller, contract_id)
    await visible_engagement(conn, caller, contract.engagement_id, lock=True)
    assert caller.organisation_id is not None  # visible_contract admits members of a party only
    row = await links.insert(
        conn,
        contract_id=contract.id,
        engagement_id=contract.engagement_id,
        created_by_org=caller.organisation_id,
        created_by_key=caller.key_id,
        created_at=now,
        expires_at=now + timedelta(days=data.expires_in_days),
    )
    await append_event(
        conn,
        contract.engagement_id,
        caller,
        "contract_link_created",
        {
            "link_id": str(row.id),
            "contract_id": str(contract.id),
            "version": contract.version,
            "expires_at": row.expires_at.isoformat(),
        },
    )
    url = base_url.rstrip("/") + link_path(link_token(secret, row.id))
    return LinkCreated(id=row.id, url=url, expires_at=row.expires_at)


async def _visible_link(conn: Connection, caller: Caller, contract_id: UUID, link_id: UUID) -> LinkRow:
    await visible_contract(conn, caller, contract_id)
    row = await links.get(conn, link_id)
    if row is None or row.contract_id != contract_id:
        raise NotFound(f"link {link_id} not found")
    return row


async def list_links(
    conn: Connection, caller: Caller, contract_id: UUID, *, limit: int, cursor: str | None
) -> Page[Link]:
    await visible_contract(conn, caller, contract_id)
    rows = await links.for_contract(conn, contract_id, after=decode_cursor(cursor), limit=limit + 1)
    return Page(items=[_wire(r) for r in rows[:limit]], next_cursor=next_cursor(rows, limit))


async def get_link(conn: Connection, caller: Caller, contract_id: UUID, link_id: UUID) -> Link:
    return _wire(await _visible_link(conn, caller, contract_id, link_id))


async def revoke_link(
    conn: Connection, caller: Caller, contract_id: UUID, link_id: UUID, now: datetime
) -> None:
    """Run inside a transaction. Only the organisation that made a link may revoke it; revoking a
    revoked link changes nothing."""
    row = await _visible_link(conn, caller, contract_id, link_id)
    await visible_engagement(conn, caller, row.engagement_id, lock=True)
    if row.created_by_org != caller.organisation_id:
        raise Forbidden("only the organisation that created a link may revoke it")
    if row.revoked_at is not None:
        return
    await links.revoke(conn, link_id, caller.key_id, now)
    await append_event(
        conn,
        row.engagement_id,
        caller,
        "contract_link_revoked",
        {"link_id": str(link_id), "contract_id": str(contract_id)},
    )


async def download_by_link(conn: Connection, token: str, *, now: datetime, secret: str) -> Download:
    """The document a link names, recording the use. Run inside a transaction.

    A malformed, forged or revoked link is 404; an expired one is 410.
    """
    link_id = link_id_of(secret, token)
    if link_id is None:
        raise NotFound("this download link is not valid: check that the whole address was copied")
    row = await links.get(conn, link_id)
    if row is None:
        raise NotFound("this download link is not valid")
    if row.revoked_at is not None:
        raise NotFound("this download link was revoked; ask the sender for a new one")
    if row.expires_at <= now:
        raise Gone(
            f"this download link expired on {row.expires_at:%Y-%m-%d %H:%M} UTC; ask the sender for a new one"
        )
    await links.lock_engagement(conn, row.engagement_id)
    contract = await contracts.get(conn, row.contract_id)
    content = await contracts.document(conn, row.contract_id)
    assert contract is not None
    assert content is not None
    # A link holder has no key: the system records the use, naming the link and who made it.
    await append_event(
        conn,
        row.engagement_id,
        None,
        "contract_link_used",
        {
            "link_id": str(row.id),
            "contract_id": str(row.contract_id),
            "version": contract.version,
            "sha256": contract.sha256,
            "link_created_by": {
                "organisation_id": str(row.created_by_org),
                "key_id": str(row.created_by_key) if row.created_by_key else None,
            },
        },
    )
    return Download(content, contract.sha256, contract_filename(contract))
