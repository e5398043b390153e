-- Short-lived counters and values shared by every worker and host: the rate limiters' state.
-- Kept in PostgreSQL so `serve --workers N` (and several hosts) enforce one limit, not N.

create table kv_store (
    key         text primary key,
    value       bytea not null,
    expires_at  timestamptz
);

create index kv_store_expires_at on kv_store (expires_at) where expires_at is not null;

-- Fixed-window counters, incremented atomically (insert ... on conflict do update).
create table rate_counters (
    key          text primary key,
    count        integer not null,
    window_ends  timestamptz not null
);
