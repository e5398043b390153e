from __future__ import annotations

import asyncio

import asyncpg
import pytest

from db.migrate import Migration, MigrationError, migrate, shipped_migrations
from tests.support.databases import fresh_database


async def test_shipped_migrations_are_numbered_in_order() -> None:
    # Strictly increasing from 1; gaps are allowed (parallel branches are each given a number).
    versions = [m.version for m in shipped_migrations()]
    assert versions[0] == 1
    assert versions == sorted(set(versions))


async def test_concurrent_starters_apply_each_migration_once(
    db: asyncpg.Connection, database_url: str
) -> None:
    async with fresh_database(db, database_url) as url:
        conns = [await asyncpg.connect(url) for _ in range(5)]
        try:
            results = await asyncio.gather(*(migrate(c) for c in conns))
            applied = sorted(len(r) for r in results)
            assert applied == [0, 0, 0, 0, len(shipped_migrations())]
            rows = await conns[0].fetch("select version, checksum from schema_migrations order by version")
            assert [(r["version"], r["checksum"]) for r in rows] == [
                (m.version, m.checksum) for m in shipped_migrations()
            ]
        finally:
            for c in conns:
                await c.close()


async def test_an_edited_applied_migration_stops_start_up(db: asyncpg.Connection, database_url: str) -> None:
    async with fresh_database(db, database_url) as url:
        conn = await asyncpg.connect(url)
        try:
            first = Migration(1, "first", "create table t (x int);")
            assert await migrate(conn, [first]) == [first]
            edited = Migration(1, "first", "create table t (x bigint);")
            with pytest.raises(MigrationError, match="edited after it was applied"):
                await migrate(conn, [edited])
            # a new file after an unchanged one is applied; the failed run changed nothing
            second = Migration(2, "second", "alter table t add column y int;")
            assert await migrate(conn, [first, second]) == [second]
        finally:
            await conn.close()


async def test_a_failing_migration_applies_nothing(db: asyncpg.Connection, database_url: str) -> None:
    async with fresh_database(db, database_url) as url:
        conn = await asyncpg.connect(url)
        try:
            good = Migration(1, "good", "create table ok (x int);")
            bad = Migration(2, "bad", "create table broken (x nosuchtype);")
            with pytest.raises(asyncpg.PostgresError):
                await migrate(conn, [good, bad])
            assert await conn.fetchval("select to_regclass('ok')") is None
        finally:
            await conn.close()
