"""Shapes shared by every resource."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import msgspec

T = TypeVar("T")


class Input(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """Base of request bodies: an unknown field is an error, never ignored."""


class Page(msgspec.Struct, Generic[T]):
    items: list[T]
    next_cursor: str | None


def shaped(row: msgspec.Struct, kind: type[T], **extra: Any) -> T:
    """A stored row (plus ``extra`` fields) in the shape of a response Struct; columns it lacks are dropped."""
    return msgspec.convert(msgspec.structs.asdict(row) | extra, kind)
