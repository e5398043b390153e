"""Signing in to the portal with an API key: sessions kept in PostgreSQL, failed sign-ins limited.

A session is a random cookie value (HttpOnly, SameSite=Lax, Secure over https, Path=/portal);
the database keeps only its SHA-256, with the key it was opened with and its expiry, so every
worker process sees the same sessions and revoking the key ends them. Failed sign-ins are counted
per client address in the database too: more than ``SIGN_IN_ATTEMPTS`` in ``SIGN_IN_WINDOW`` and
further attempts get 429 until the oldest failure leaves the window.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from db import api_keys, sessions
from db.types import Connection
from service.auth import Caller, hash_secret
from service.errors import TooManyRequests, Unauthorized
from workflows import Forbidden

SESSION_COOKIE = "jointip_session"
COOKIE_PATH = "/portal"
SIGN_IN_ATTEMPTS = 5
SIGN_IN_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class PortalSession:
    """What a page needs to know about the signed-in person besides the Caller."""

    token_hash: bytes
    organisation_name: str
    organisation_kind: str


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def sign_in(
    conn: Connection,
    api_key: str,
    *,
    client: str,
    now: datetime,
    hours: int,
    bootstrap_key: str | None,
) -> str:
    """Open a session for a valid organisation key; returns the cookie value (shown only here).

    Refusals: too many failures from ``client`` -> TooManyRequests (checked first, so a correct
    key does not help while the limit holds); an operator key -> Forbidden (operators see no
    engagement content); an unknown or revoked key -> Unauthorized, counted as a failure.
    """
    count, oldest = await sessions.failures_since(conn, client, now - SIGN_IN_WINDOW)
    if count >= SIGN_IN_ATTEMPTS and oldest is not None:
        wait = max(1, math.ceil((oldest + SIGN_IN_WINDOW - now).total_seconds()))
        raise TooManyRequests(
            f"Too many failed sign-ins from your address. Try again in {math.ceil(wait / 60)} minute(s).",
            retry_after=wait,
        )
    key = api_key.strip()
    if bootstrap_key is not None and hmac.compare_digest(key.encode(), bootstrap_key.encode()):
        raise Forbidden(_OPERATOR)
    holder = await api_keys.find_active_by_hash(conn, hash_secret(key))
    if holder is None:
        await sessions.record_failure(conn, client, now, SIGN_IN_WINDOW)
        raise Unauthorized("That API key is not valid: it is unknown or has been revoked.")
    if holder.organisation_id is None:
        raise Forbidden(_OPERATOR)
    token = secrets.token_urlsafe(32)
    await sessions.purge_expired(conn, now)
    await sessions.insert(
        conn,
        token_hash=token_hash(token),
        key_id=holder.key_id,
        created_at=now,
        expires_at=now + timedelta(hours=hours),
    )
    return token


_OPERATOR = (
    "Operator keys administer the platform and cannot open engagement content. "
    "Sign in with your organisation's API key."
)


async def sign_out(conn: Connection, token: str) -> None:
    await sessions.delete(conn, token_hash(token))


class PortalSessionMiddleware(AbstractAuthenticationMiddleware):
    """Resolves the session cookie to the Caller of its key on every portal page that needs one."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        token = connection.cookies.get(SESSION_COOKIE)
        if not token:
            raise NotAuthorizedException("Sign in to see this page.")
        hashed = token_hash(token)
        async with connection.app.state.pool.acquire() as conn:
            holder = await sessions.holder(conn, hashed, connection.app.state.clock())
        if holder is None or holder.organisation_id is None:
            raise NotAuthorizedException("Your session has ended. Sign in again.")
        caller = Caller(
            holder.key_id, holder.name, holder.role, holder.organisation_id, holder.organisation_kind
        )
        session = PortalSession(hashed, holder.organisation_name or "", holder.organisation_kind or "")
        return AuthenticationResult(user=caller, auth=session)
