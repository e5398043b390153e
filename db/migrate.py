"""Numbered plain-SQL migrations, applied in order under an advisory lock, recorded with a checksum."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from importlib import resources

from db.types import Connection

log = logging.getLogger("jointip.migrate")

# Any constant works; it only has to be the same in every process that migrates.
_LOCK_KEY = 0x6A6F696E746970  # "jointip"
_NAME = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")


class MigrationError(RuntimeError):
    """The database's migration history disagrees with the files shipped."""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def shipped_migrations() -> list[Migration]:
    found: list[Migration] = []
    for entry in resources.files("db").joinpath("migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match["version"]), match["name"], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"duplicate migration numbers in {versions}")
    return found


async def migrate(conn: Connection, migrations: list[Migration] | None = None) -> list[Migration]:
    """Apply what is missing in one transaction; returns what this call applied.

    The transaction-scoped advisory lock makes concurrent starters queue: the
    first applies, the others then see everything recorded and apply nothing.
    """
    todo = shipped_migrations() if migrations is None else migrations
    applied: list[Migration] = []
    async with conn.transaction():
        await conn.execute("select pg_advisory_xact_lock($1)", _LOCK_KEY)
        await conn.execute(
            """create table if not exists schema_migrations (
                   version    integer primary key,
                   name       text not null,
                   checksum   text not null,
                   applied_at timestamptz not null default now())"""
        )
        recorded = {
            r["version"]: r for r in await conn.fetch("select version, name, checksum from schema_migrations")
        }
        for m in todo:
            seen = recorded.get(m.version)
            if seen is not None:
                if seen["checksum"] != m.checksum:
                    raise MigrationError(
                        f"migration {m.version:04d}_{m.name}.sql was edited after it was applied "
                        f"(recorded checksum {seen['checksum'][:12]}, file {m.checksum[:12]}); "
                        "add a new migration instead"
                    )
                continue
            await conn.execute(m.sql)
            await conn.execute(
                "insert into schema_migrations (version, name, checksum) values ($1, $2, $3)",
                m.version,
                m.name,
                m.checksum,
            )
            applied.append(m)
    if applied:
        log.info(
            "migrations: applied %d (%s)",
            len(applied),
            ", ".join(f"{m.version:04d}_{m.name}" for m in applied),
        )
    else:
        log.info("migrations: up to date")
    return applied
