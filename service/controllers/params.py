"""Request parameters several controllers share, declared once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, TypeAlias
from uuid import UUID

from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, HeaderParameter, QueryParameter

from service.pagination import MAX_LIMIT

Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)]
IfMatch = Annotated[str | None, HeaderParameter(name="If-Match")]
EngagementId = FromPath[UUID]


@dataclass(frozen=True, slots=True)
class PageRequest:
    """``?limit=&cursor=`` of every paginated collection."""

    limit: int
    cursor: str | None


def provide_page(limit: Limit = 50, cursor: FromQuery[str | None] = None) -> PageRequest:
    return PageRequest(limit=limit, cursor=cursor)


#: Add to a handler as ``page: Paging``; the controller's ``dependencies`` include ``PAGING``.
Paging: TypeAlias = NamedDependency[PageRequest]
PAGING = {"page": Provide(provide_page, sync_to_thread=False)}
