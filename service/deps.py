"""Dependencies shared by the controllers: a connection per request, the caller."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any, TypeAlias

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency

from db.types import Connection
from service.auth import Caller
from service.idempotency import current_connection


def provide_caller(request: Request[Caller, Any, Any]) -> Caller:
    return request.user


# Named-dependency markers: Litestar 3 stops inferring dependencies from parameter names.
Conn: TypeAlias = NamedDependency[Connection]
CurrentCaller: TypeAlias = NamedDependency[Caller]


async def provide_conn(state: State) -> AsyncGenerator[Connection, None]:
    """A pool connection for the request (the portal's pages)."""
    async with state.pool.acquire() as conn:
        yield conn


async def provide_api_conn(state: State, caller: CurrentCaller) -> AsyncGenerator[Connection, None]:
    """A pool connection for an authenticated API caller's request.

    It depends on ``caller`` (which it does not use) so that Litestar resolves the two one after
    the other: dependencies it can resolve side by side cost it a task group per request.
    A request with an Idempotency-Key gets the connection whose transaction holds its claim
    (``service.idempotency``), so the handler's writes and the stored response commit together.
    """
    claimed = current_connection.get()
    if claimed is not None:
        yield claimed
        return
    async with state.pool.acquire() as conn:
        yield conn
