"""Request parameters several controllers share, declared once."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar.params import FromPath, HeaderParameter, QueryParameter

from service.pagination import MAX_LIMIT

Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)]
IfMatch = Annotated[str | None, HeaderParameter(name="If-Match")]
EngagementId = FromPath[UUID]
