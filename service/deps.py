"""Dependencies shared by the controllers: a connection per request, the caller."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any, TypeAlias

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency

from db.types import Connection
from service.auth import Caller


async def provide_conn(state: State) -> AsyncGenerator[Connection, None]:
    async with state.pool.acquire() as conn:
        yield conn


def provide_caller(request: Request[Caller, Any, Any]) -> Caller:
    return request.user


# Named-dependency markers: Litestar 3 stops inferring dependencies from parameter names.
Conn: TypeAlias = NamedDependency[Connection]
CurrentCaller: TypeAlias = NamedDependency[Caller]
