"""API-key authentication (Bearer) and the caller's identity."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from litestar.connection import ASGIConnection
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from db import api_keys
from db.api_keys import Role
from service import ratelimit
from service.errors import Unauthorized
from workflows import Forbidden

KEY_PREFIX = "jtp_"


@dataclass(frozen=True, slots=True)
class Caller:
    key_id: UUID | None  # None only for the bootstrap operator key, which is not stored
    name: str
    role: Role
    organisation_id: UUID | None
    organisation_kind: str | None = None

    @property
    def is_operator(self) -> bool:
        return self.role == "operator"

    def require_operator(self) -> None:
        if not self.is_operator:
            raise Forbidden("only the platform operator may do this")


def new_secret() -> tuple[str, str]:
    """A new API key and its public prefix: ``jtp_<public id>_<secret>``, prefix ``jtp_<public id>``.

    The public id is 8 random hex digits of its own, so the prefix a key listing shows names the
    key without revealing any of its secret part (256 random bits)."""
    prefix = f"{KEY_PREFIX}{secrets.token_hex(4)}"
    return f"{prefix}_{secrets.token_urlsafe(32)}", prefix


def hash_secret(secret: str) -> bytes:
    # The secret carries 256 random bits, so a plain SHA-256 is a sufficient one-way store.
    return hashlib.sha256(secret.encode()).digest()


def _bearer(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise Unauthorized("missing Authorization header; send 'Authorization: Bearer <api key>'")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("the Authorization header must be 'Bearer <api key>'")
    return token.strip()


class ApiKeyMiddleware(AbstractAuthenticationMiddleware):
    """Resolves the Bearer key to a Caller on every /api/v1 route.

    A known key costs no database round trip (``service.key_cache``); a failure is counted against
    the client's address (``service.ratelimit``), and an address past its limit is refused first.
    """

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        state = connection.app.state
        address = ratelimit.address_of(connection)
        state.auth_failures.refuse_if_blocked(address)
        try:
            caller = await self._caller(connection)
        except Unauthorized:
            async with state.pool.acquire() as conn:
                await state.auth_failures.count(conn, address)
            raise
        return AuthenticationResult(user=caller, auth=None)

    @staticmethod
    async def _caller(connection: ASGIConnection[Any, Any, Any, Any]) -> Caller:
        token = _bearer(connection)
        state = connection.app.state
        bootstrap: str | None = state.settings.bootstrap_key
        if bootstrap is not None and hmac.compare_digest(token.encode(), bootstrap.encode()):
            return Caller(None, "bootstrap operator", "operator", None)
        secret_hash = hash_secret(token)
        cache = state.key_cache
        cached: Caller | None = cache.get(secret_hash)
        if cached is not None:
            return cached
        generation = cache.generation
        async with state.pool.acquire() as conn:
            row = await api_keys.find_active_by_hash(conn, secret_hash)
        if row is None:
            raise Unauthorized("the API key is not valid (unknown or revoked)")
        caller = Caller(row.key_id, row.name, row.role, row.organisation_id, row.organisation_kind)
        cache.put(secret_hash, caller, generation)
        return caller
