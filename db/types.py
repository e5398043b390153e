"""The connection type every query takes: a plain connection or one borrowed from the pool."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

if TYPE_CHECKING:
    Connection: TypeAlias = asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]
else:
    # At run time a single, unsubscripted class: Litestar evaluates handler signatures and
    # msgspec refuses unions of two custom classes. Pool proxies pass for it (asyncpg makes sure).
    Connection: TypeAlias = asyncpg.Connection
