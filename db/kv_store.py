"""SQL for the fixed-window counters behind the failed-authentication limit."""

from __future__ import annotations

from datetime import datetime, timedelta

from db.types import Connection


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


async def purge_expired(conn: Connection) -> None:
    await conn.execute("delete from rate_counters where window_ends <= now()")
