"""Webhook subscriptions of an organisation, and where a webhook may be sent.

Only the organisation's admin manages its subscriptions; another organisation's subscription is a
404 like a missing one. The outbox rows are written by the audit insert itself
(``db.audit.insert``); ``service/dispatcher.py`` delivers them.
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import secrets
import socket
from datetime import timedelta
from urllib.parse import urlsplit
from uuid import UUID

from db import webhooks
from db.types import Connection
from service.audit import AUDIT_EVENT_TYPES
from service.auth import Caller
from service.pagination import decode_cursor, next_cursor
from service.schemas.common import Page, shaped
from service.schemas.webhooks import Webhook, WebhookCreate, WebhookCreated, WebhookMessage
from workflows import FieldError, Forbidden, NotFound, RuleViolation

SECRET_PREFIX = "whsec_"
#: During a rotation the previous secret keeps signing this long, beside the new one.
ROTATION_OVERLAP = timedelta(hours=24)
MESSAGE_STATUSES = ("pending", "parked")


class TargetRefused(Exception):
    """The URL is not one webhooks may be sent to (scheme, or an address that is not public)."""


def new_secret() -> str:
    """``whsec_`` + base64 of 32 random bytes: the Standard Webhooks form."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # IPv6 link-local carries a scope id
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


async def resolve_target(url: str, *, allow_private: bool) -> list[str]:
    """The addresses ``url`` resolves to, all public unless ``allow_private``; TargetRefused otherwise.

    Called when a subscription is made and again before every send (a name may resolve elsewhere
    later); the dispatcher then connects to an address checked here, not to a fresh lookup.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetRefused(f"not a valid URL ({exc})") from exc
    if parts.scheme not in ("http", "https"):
        raise TargetRefused("must be an http or https URL")
    host = parts.hostname
    if not host:
        raise TargetRefused("must name a host")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("must not carry credentials")
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError) as exc:  # ValueError: e.g. a NUL in the name
        raise TargetRefused(f"host {host!r} does not resolve") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise TargetRefused(f"host {host!r} does not resolve")
    if not allow_private:
        private = [a for a in addresses if not _public(a)]
        if private:
            raise TargetRefused(
                f"resolves to a private, loopback or link-local address ({private[0]}); "
                "webhooks go to public addresses only"
            )
    return addresses


def _require_admin(caller: Caller) -> UUID:
    if caller.organisation_id is None or caller.role != "admin":
        raise Forbidden("only an organisation's admin may manage its webhooks")
    return caller.organisation_id


def _check_events(events: list[str]) -> None:
    if events == ["*"]:
        return
    errors = []
    seen: set[str] = set()
    for i, event in enumerate(events):
        if event == "*":
            errors.append(FieldError(f"events.{i}", '"*" stands alone: ["*"] means every event type'))
        elif event not in AUDIT_EVENT_TYPES:
            errors.append(FieldError(f"events.{i}", f"{event!r} is not an audit event type"))
        elif event in seen:
            errors.append(FieldError(f"events.{i}", f"{event!r} is listed twice"))
        seen.add(event)
    if errors:
        raise RuleViolation(errors)


async def create(
    conn: Connection, caller: Caller, data: WebhookCreate, *, allow_private: bool
) -> WebhookCreated:
    organisation_id = _require_admin(caller)
    _check_events(data.events)
    try:
        await resolve_target(data.url, allow_private=allow_private)
    except TargetRefused as exc:
        raise RuleViolation.one("url", str(exc)) from exc
    secret = new_secret()
    row = await webhooks.insert(
        conn, organisation_id=organisation_id, url=data.url, events=list(data.events), secret=secret
    )
    return shaped(row, WebhookCreated, secret=secret)


def _missing(subscription_id: UUID) -> NotFound:
    return NotFound(f"webhook {subscription_id} not found")


async def _own(conn: Connection, caller: Caller, subscription_id: UUID) -> webhooks.SubscriptionRow:
    row = await webhooks.get(conn, _require_admin(caller), subscription_id)
    if row is None:
        raise _missing(subscription_id)
    return row


async def get(conn: Connection, caller: Caller, subscription_id: UUID) -> Webhook:
    return shaped(await _own(conn, caller, subscription_id), Webhook)


async def list_all(conn: Connection, caller: Caller, *, limit: int, cursor: str | None) -> Page[Webhook]:
    organisation_id = _require_admin(caller)
    rows = await webhooks.page(conn, organisation_id, after=decode_cursor(cursor), limit=limit + 1)
    return Page(items=[shaped(r, Webhook) for r in rows[:limit]], next_cursor=next_cursor(rows, limit))


async def delete(conn: Connection, caller: Caller, subscription_id: UUID) -> None:
    if not await webhooks.delete(conn, _require_admin(caller), subscription_id):
        raise _missing(subscription_id)


async def rotate_secret(conn: Connection, caller: Caller, subscription_id: UUID) -> WebhookCreated:
    secret = new_secret()
    row = await webhooks.rotate(
        conn, _require_admin(caller), subscription_id, secret=secret, overlap=ROTATION_OVERLAP
    )
    if row is None:
        raise _missing(subscription_id)
    return shaped(row, WebhookCreated, secret=secret)


async def list_messages(
    conn: Connection,
    caller: Caller,
    subscription_id: UUID,
    *,
    status: str | None,
    limit: int,
    cursor: str | None,
) -> Page[WebhookMessage]:
    await _own(conn, caller, subscription_id)
    rows = await webhooks.messages(
        conn, subscription_id, status=status, after=decode_cursor(cursor), limit=limit + 1
    )
    return Page(items=[shaped(r, WebhookMessage) for r in rows[:limit]], next_cursor=next_cursor(rows, limit))


async def requeue(
    conn: Connection, caller: Caller, subscription_id: UUID, message_id: UUID
) -> WebhookMessage:
    await _own(conn, caller, subscription_id)
    row = await webhooks.requeue(conn, subscription_id, message_id)
    if row is None:
        raise NotFound(f"message {message_id} not found")
    return shaped(row, WebhookMessage)
