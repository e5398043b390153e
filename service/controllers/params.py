"""Request parameters several controllers share, declared once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, TypeAlias, TypeVar, cast
from uuid import UUID

from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, HeaderParameter, QueryParameter

from service.pagination import MAX_LIMIT
from service.responses import JsonResponse

T = TypeVar("T")

Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)]
#: Entity-tag headers: a list of quoted versions or SHA-256 digests; longer is no tag we issued.
MAX_TAG_HEADER = 1024
IfMatch = Annotated[str | None, HeaderParameter(name="If-Match", max_length=MAX_TAG_HEADER)]
IfNoneMatch = Annotated[str | None, HeaderParameter(name="If-None-Match", max_length=MAX_TAG_HEADER)]
EngagementId = FromPath[UUID]


@dataclass(frozen=True, slots=True)
class PageRequest:
    """``?limit=&cursor=`` of every paginated collection."""

    limit: int
    cursor: str | None


#: An opaque cursor is a short encoding of a position; longer is none this service issued.
MAX_CURSOR = 200
Cursor = Annotated[str | None, QueryParameter(max_length=MAX_CURSOR)]


def provide_page(limit: Limit = 50, cursor: Cursor = None) -> PageRequest:
    return PageRequest(limit=limit, cursor=cursor)


#: Add to a handler as ``page: Paging``; the controller's ``dependencies`` include ``PAGING``.
Paging: TypeAlias = NamedDependency[PageRequest]
PAGING = {"page": Provide(provide_page, sync_to_thread=False)}


def not_modified(etag: str, _: type[T]) -> JsonResponse[T]:
    """304 for a conditional GET whose ``If-None-Match`` names the current ETag: no body, so the
    response carries no ``T`` (hence the cast)."""
    return JsonResponse(cast(T, None), status_code=304, headers={"ETag": etag})
