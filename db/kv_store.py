"""SQL for the shared key-value store and fixed-window counters behind the rate limiters."""

from __future__ import annotations

from datetime import datetime, timedelta

from db.types import Connection


async def get(conn: Connection, key: str, renew_for: timedelta | None) -> bytes | None:
    if renew_for is not None:
        value: bytes | None = await conn.fetchval(
            """update kv_store set expires_at = now() + $2::interval
               where key = $1 and (expires_at is null or expires_at > now()) returning value""",
            key,
            renew_for,
        )
        return value
    value = await conn.fetchval(
        "select value from kv_store where key = $1 and (expires_at is null or expires_at > now())", key
    )
    return value


async def put(conn: Connection, key: str, value: bytes, expires_in: timedelta | None) -> None:
    await conn.execute(
        """insert into kv_store (key, value, expires_at) values ($1, $2, now() + $3::interval)
           on conflict (key) do update set value = excluded.value, expires_at = excluded.expires_at""",
        key,
        value,
        expires_in,
    )


async def delete(conn: Connection, key: str) -> None:
    await conn.execute("delete from kv_store where key = $1", key)


async def delete_all(conn: Connection) -> None:
    await conn.execute("delete from kv_store")


async def expires_in(conn: Connection, key: str) -> float | None:
    """Seconds until the key expires; None when it does not exist or never expires."""
    seconds: float | None = await conn.fetchval(
        """select extract(epoch from expires_at - now())::float8 from kv_store
           where key = $1 and expires_at > now()""",
        key,
    )
    return seconds


async def count(conn: Connection, key: str, window: timedelta) -> tuple[int, datetime]:
    """Add one to the key's counter in its current window (a new window once the last has ended);
    the count so far and when the window ends. One statement, so concurrent workers never lose a count."""
    row = await conn.fetchrow(
        """insert into rate_counters (key, count, window_ends) values ($1, 1, now() + $2::interval)
           on conflict (key) do update set
             count = case when rate_counters.window_ends <= now() then 1 else rate_counters.count + 1 end,
             window_ends = case when rate_counters.window_ends <= now()
                                then now() + $2::interval else rate_counters.window_ends end
           returning count, window_ends""",
        key,
        window,
    )
    assert row is not None
    return int(row["count"]), row["window_ends"]


async def current(conn: Connection, key: str) -> tuple[int, datetime] | None:
    """The key's count and window end, when its window has not ended."""
    row = await conn.fetchrow(
        "select count, window_ends from rate_counters where key = $1 and window_ends > now()", key
    )
    return (int(row["count"]), row["window_ends"]) if row else None


async def purge_expired(conn: Connection) -> None:
    await conn.execute("delete from kv_store where expires_at <= now()")
    await conn.execute("delete from rate_counters where window_ends <= now()")
