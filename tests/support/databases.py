"""Fresh databases on the test server, for tests that need a database nobody has migrated."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit, urlunsplit

import asyncpg


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


@asynccontextmanager
async def fresh_database(admin: asyncpg.Connection, server_url: str) -> AsyncIterator[str]:
    name = f"jointip_fresh_{uuid.uuid4().hex[:12]}"
    await admin.execute(f'create database "{name}"')
    try:
        yield with_database(server_url, name)
    finally:
        await admin.execute(f'drop database if exists "{name}" with (force)')
