from __future__ import annotations

import asyncio
from decimal import Decimal

import asyncpg
import msgspec
import pytest

from db import engagements
from db.migrate import Migration, MigrationError, migrate, shipped_migrations
from tests.support.databases import fresh_database
from workflows import Signatories


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


async def test_funding_stored_in_the_old_shape_reads_as_the_new_one(
    db: asyncpg.Connection, database_url: str
) -> None:
    """Migration 0005 maps funding written before the promoter, scheme and aid basis were recorded."""
    before = [m for m in shipped_migrations() if m.version < 5]
    old = {"programme": "Norway Grants", "call_code": "LT-1", "grant_amount": 1234.5, "cofinancing_rate": 0.5}
    async with fresh_database(db, database_url) as url:
        conn = await asyncpg.connect(url)
        try:
            await migrate(conn, before)
            orgs = []
            for name, kind, country, code in (
                ("V", "vendor", "LT", "304151376"),
                ("S", "startup", "NO", "923609016"),
            ):
                orgs.append(
                    await conn.fetchval(
                        "insert into organisations (name, kind, country, registration_code) "
                        "values ($1, $2, $3, $4) returning id",
                        name,
                        kind,
                        country,
                        code,
                    )
                )
            ids = {}
            for de_minimis in (True, False):
                ids[de_minimis] = await conn.fetchval(
                    "insert into engagements (vendor_id, startup_id, title, summary, currency, funding) "
                    "values ($1, $2, 'T', '', 'EUR', $3::jsonb) returning id",
                    *orgs,
                    msgspec.json.encode({**old, "de_minimis": de_minimis}).decode(),
                )
                await conn.execute(
                    "insert into engagement_parties (organisation_id, engagement_id, party, created_at) "
                    "values ($1, $2, 'vendor', now())",
                    orgs[0],
                    ids[de_minimis],
                )
            await migrate(conn)  # applies 0005 and anything after it
            for de_minimis, engagement_id in ids.items():
                row = await engagements.get_for(conn, engagement_id, orgs[0])
                assert row is not None
                funding = row.funding
                assert funding is not None
                assert funding.aid_basis == ("de_minimis" if de_minimis else "block_exemption")
                assert funding.grant_amount == Decimal("1234.5")
                assert (funding.scheme, funding.promoter, funding.programme_operator) == (
                    "standard",
                    "vendor",
                    "MITA",
                )
                assert funding.grant_bounds is None  # never recorded; a change must state them
                assert row.signatories == Signatories()
        finally:
            await conn.close()
