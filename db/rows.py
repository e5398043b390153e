"""Typed rows: every query module returns Structs, converted once from asyncpg records.

JSON columns are selected as text and decoded straight into their types, so money inside them
stays an exact Decimal (a detour through Python floats would round it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeAlias, TypeVar

import asyncpg
import msgspec

T = TypeVar("T")
#: JSON text columns to decode, each with the decoder of its type.
JsonColumns: TypeAlias = Mapping[str, msgspec.json.Decoder[Any]]


def typed(kind: type[T], record: asyncpg.Record, json: JsonColumns | None = None) -> T:
    """``record`` as a ``kind`` Struct; ``json`` names the text columns to decode, with their decoders."""
    values = dict(record)
    for column, decoder in (json or {}).items():
        if values[column] is not None:
            values[column] = decoder.decode(values[column])
    return msgspec.convert(values, kind)


def typed_or_none(kind: type[T], record: asyncpg.Record | None, json: JsonColumns | None = None) -> T | None:
    return None if record is None else typed(kind, record, json)


def typed_all(
    kind: type[T],
    records: Iterable[asyncpg.Record],
    json: JsonColumns | None = None,
) -> list[T]:
    return [typed(kind, record, json) for record in records]
